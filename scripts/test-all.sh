#!/usr/bin/env bash
# Sets up and runs every check and test of the workspace: formatting,
# clippy with warnings as errors, and all tests (unit, integration, the
# Cedar conformance suite, scenario tests through the real `writ` binary),
# then builds the desktop app's front end and binary and drives its real
# window through WebDriver (crates/writ-e2e).
#
# The desktop crates (writ-app, writ-e2e) are built and tested per package:
# `cargo test --workspace` would merge the e2e crate's tokio features into
# tauri's and rebuild the whole tauri tree (see shared/recipes/tauri-linux.md).
# Needs the system packages that .ci/run installs (webkit2gtk, xvfb,
# webkit2gtk-driver) and tauri-driver; without them locally the e2e tests
# print "skipped: ..." (under CI=1 they fail instead).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo >/dev/null 2>&1; then
  echo "cargo is missing: install Rust (https://rustup.rs) and run this again" >&2
  exit 1
fi
rustup component add rustfmt clippy >/dev/null 2>&1 || true

# Each phase prints its wall time when the next one starts (the last one,
# the scenario tests, takes seconds and ends the run on its own line).
phase_name=""
phase_started=$SECONDS
phase() {
  if [ -n "$phase_name" ]; then
    echo "-- phase '$phase_name' took $((SECONDS - phase_started)) s"
  fi
  phase_name="$1"
  phase_started=$SECONDS
  echo "== $1"
}

phase "ui: npm ci && npm run build (the app embeds ui/dist)"
(cd ui && npm ci --no-audit --no-fund && npm run build)
phase "ui: npm run check (svelte-check, TypeScript strict; the types of ui/src/lib/bindings.ts)"
(cd ui && npm run check)
echo  # svelte-check ends its last line without a newline
phase "cargo fmt --check"
cargo fmt --all -- --check
phase "cargo clippy -D warnings"
cargo clippy --locked --workspace --all-targets -- -D warnings
phase "cargo test (libraries and CLI)"
cargo test --locked --workspace --exclude writ-app --exclude writ-e2e
phase "differential and regression tests with the engine faults put back (feature fault-injection)"
# Each bug of issue 12 sits behind a test-only switch; the harness must catch it.
cargo test --locked -p writ-core --features fault-injection --test tests -- differential:: regressions::
phase "cargo test -p writ-app (command adapters, the generated ui/src/lib/bindings.ts is current, and the test bench against Cedar)"
cargo test --locked -p writ-app
phase "cargo build writ-app and writ-cli (the binaries the e2e tests drive)"
# Built one package at a time: together, cargo would unify writ-cli's
# dependency features (tokio, serde, ...) into the tauri tree and rebuild it
# with features other than the `cargo test -p writ-app` build above.
cargo build --locked -p writ-app
cargo build --locked -p writ-cli
phase "cargo test -p writ-e2e (the real window, through tauri-driver)"
# One window at a time: each test starts its own app and WebKit, and on a
# two-core machine several at once starve each other past the timeouts.
# A 1920x1200 virtual screen, so that a window sized for 1440 px screenshots fits.
if [ -n "${DISPLAY:-}" ]; then
  cargo test --locked -p writ-e2e --tests -- --test-threads=1
elif command -v xvfb-run >/dev/null 2>&1; then
  xvfb-run -a -s '-screen 0 1920x1200x24' cargo test --locked -p writ-e2e --tests -- --test-threads=1
else
  cargo test --locked -p writ-e2e --tests -- --test-threads=1
fi

# Last, so the run ends on its plain "N passed, M failed" line.
phase "writ test scenarios/ (the sample organisation's scenario tests)"
cargo run --locked -q -p writ-cli -- test scenarios/
