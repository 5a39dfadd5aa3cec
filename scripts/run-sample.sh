#!/usr/bin/env bash
# Builds the `writ` CLI (release) and sets up the bundled sample workspace,
# then shows it from the command line: both policy versions checked, the
# stored versions and runs, the first lines of the decision diff of v1 and
# v2, the scenario tests and the audit trail. The desktop workbench on the
# same workspace: scripts/run-workbench.sh.
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
# sed reads the whole diff (head would stop reading, and under pipefail
# writ's broken pipe would end the script with status 141).
"$writ" diff --runs 1 2 | sed -n '1,40p'
"$writ" test scenarios/
"$writ" audit verify
echo
echo "writ is at $writ and the sample workspace at $WRIT_WORKSPACE; see README.md for the tour."
