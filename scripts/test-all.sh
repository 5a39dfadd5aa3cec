#!/usr/bin/env bash
# Sets up and runs every check and test of the workspace: formatting,
# clippy with warnings as errors, and all tests (unit, integration, the
# Cedar conformance suite, scenario tests through the real `writ` binary).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo >/dev/null 2>&1; then
  echo "cargo is missing: install Rust (https://rustup.rs) and run this again" >&2
  exit 1
fi
rustup component add rustfmt clippy >/dev/null 2>&1 || true

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy -D warnings"
cargo clippy --locked --workspace --all-targets -- -D warnings
echo "== cargo test"
cargo test --locked --workspace
echo "== writ test scenarios/ (the sample organisation's scenario tests)"
cargo run --locked -q -p writ-cli -- test scenarios/
