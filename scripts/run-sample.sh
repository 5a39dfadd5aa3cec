#!/usr/bin/env bash
# Builds `writ` and runs it on the bundled sample organisation: check both
# policy versions, replay the recorded trace, diff v1 against v2 and run the
# scenario tests. (The desktop workbench comes later; this is its engine.)
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo >/dev/null 2>&1; then
  echo "cargo is missing: install Rust (https://rustup.rs) and run this again" >&2
  exit 1
fi
cargo build --locked --release -p writ-cli
writ=target/release/writ

"$writ" check sample-policies/v1
"$writ" check sample-policies/v2
"$writ" replay --project sample-policies/v1 --traces scenarios/traces/recorded.jsonl --summary-only
"$writ" diff --from sample-policies/v1 --to sample-policies/v2 --traces scenarios/traces/recorded.jsonl | head -n 40
"$writ" test scenarios/
echo
echo "writ is at $writ; see README.md for the tour."
