// Svelte 5 understands `<script lang="ts">` type annotations natively.
export default {};
