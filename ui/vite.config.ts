import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// The build is embedded by src-tauri (frontendDist: ../ui/dist). Everything
// is bundled locally: no CDN, no remote fonts (the app's CSP forbids them).
export default defineConfig({
  plugins: [svelte()],
  clearScreen: false,
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2021',
    sourcemap: false,
    chunkSizeWarningLimit: 1500,
  },
});
