#!/usr/bin/env bash
# Sets up and launches the Writ desktop workbench on the bundled sample
# workspace (created on first start in the app's data folder). Installs what
# is missing on Debian: the webkit2gtk packages (with sudo when not root),
# the front end's npm packages; then builds the front end and the app.
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=()
for p in libwebkit2gtk-4.1-dev libgtk-3-dev libsoup-3.0-dev libjavascriptcoregtk-4.1-dev librsvg2-dev pkg-config build-essential; do
  dpkg -s "$p" >/dev/null 2>&1 || need_pkgs+=("$p")
done
if [ ${#need_pkgs[@]} -gt 0 ]; then
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  echo "installing: ${need_pkgs[*]}"
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${need_pkgs[@]}"
fi
for tool in cargo npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "$tool is missing: install Rust (https://rustup.rs) and Node.js 20 with npm, then run this again" >&2
    exit 1
  fi
done

(cd ui && npm ci --no-audit --no-fund && npm run build)
# Release: the live check must answer within the 150 ms keystroke budget
# (see `cargo bench -p writ-core --bench check`); a debug build is slower.
cargo build --locked --release -p writ-app
if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  echo "no display: built target/release/writ-app; run it on a desktop session (or under xvfb-run)" >&2
  exit 1
fi
exec ./target/release/writ-app "$@"
