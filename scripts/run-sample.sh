#!/usr/bin/env bash
# Builds `writ` and sets up the bundled sample workspace, then shows it:
# check both policy versions, the stored runs, the decision diff of v1 and
# v2, and the scenario tests. (The desktop workbench comes later; this is
# its engine and workspace.)
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo >/dev/null 2>&1; then
  echo "cargo is missing: install Rust (https://rustup.rs) and run this again" >&2
  exit 1
fi
cargo build --locked --release -p writ-cli
writ=target/release/writ
export WRIT_WORKSPACE=${WRIT_WORKSPACE:-sample.writ}

if [ ! -e "$WRIT_WORKSPACE" ]; then
  "$writ" init --sample "$WRIT_WORKSPACE"
fi
"$writ" check sample-policies/v1
"$writ" check sample-policies/v2
"$writ" version list
"$writ" runs list
"$writ" diff --runs 1 2 | head -n 40
"$writ" test scenarios/
"$writ" audit verify
echo
echo "writ is at $writ and the sample workspace at $WRIT_WORKSPACE; see README.md for the tour."
