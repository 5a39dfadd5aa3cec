#!/usr/bin/env bash
# Load benchmark of `writ serve` against permitio/cedar-agent on loopback
# (crates/writ-pdp/benches/load.rs): builds the release `writ`, installs
# cedar-agent into target/tools if missing, needs wrk (apt-get install wrk).
# WRIT_BENCH_SECONDS sets the length of each of the six runs (default 10).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
cargo build --release --locked -p writ-cli
if [ ! -x target/tools/bin/cedar-agent ]; then
  cargo install cedar-agent --version =0.2.2-x86.64-unknown-linux-gnu --locked --root target/tools
fi
cargo bench --locked -p writ-pdp --bench load
