#!/usr/bin/env bash
# Builds the fuzz crate (fuzz/, cargo-fuzz + libFuzzer) once and runs every
# fuzz target (or the ones named) for SECONDS each, starting from the
# checked-in seed corpus (fuzz/corpus/<target>). New inputs the fuzzer finds
# go to a temporary folder, so the checkout is not changed; a crash is saved
# as fuzz/artifacts/<target>/crash-* and makes the script exit 1.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]      # default 60 s per target
#   scripts/fuzz.sh 600                        # the long run: 10 min per target
#   scripts/fuzz.sh 30 decide jwt              # two targets
#
# Prints one line per target (executions, corpus size, crashes) and a
# Markdown table to paste into fuzz/README.md.
#
# Stable Rust only: cargo-fuzz is run with RUSTC_BOOTSTRAP=1. The sanitizer
# is `none` by default (Writ has no unsafe code; coverage guidance is what
# matters, and builds and runs are faster): WRIT_FUZZ_SANITIZER=address
# builds with AddressSanitizer instead.
# WRIT_FUZZ_PROFILE=dev builds with `cargo fuzz build --dev` (opt-level 1,
# no debug info: the build is several times faster, the runs slower), which
# is what CI's short runs use; the default is `release`.
# Reproduce a crash: fuzz/target/x86_64-unknown-linux-gnu/<release|debug>/<target> <file>
set -euo pipefail
cd "$(dirname "$0")/.."

secs="${1:-60}"
shift || true
case "$secs" in
  '' | *[!0-9]*)
    echo "usage: scripts/fuzz.sh [SECONDS] [TARGET...]" >&2
    exit 2
    ;;
esac
sanitizer="${WRIT_FUZZ_SANITIZER:-none}"
profile="${WRIT_FUZZ_PROFILE:-release}"
case "$profile" in
  release) build_flags=(--release) bin_dir="target/x86_64-unknown-linux-gnu/release" ;;
  dev) build_flags=(--dev) bin_dir="target/x86_64-unknown-linux-gnu/debug" ;;
  *)
    echo "WRIT_FUZZ_PROFILE is release or dev, not $profile" >&2
    exit 2
    ;;
esac
export RUSTC_BOOTSTRAP=1
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "cargo-fuzz is missing: cargo install cargo-fuzz --locked --version 0.13.2" >&2
  exit 1
fi

cd fuzz
start=$SECONDS
echo "== cargo fuzz build ${build_flags[*]} -s $sanitizer (debug assertions on)"
cargo fuzz build "${build_flags[@]}" -s "$sanitizer"
echo "build: $((SECONDS - start)) s"

if [ "$#" -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(cargo fuzz list)
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

failed=()
table="| target | seconds | executions | corpus (seeds → after) | crashes |
|---|---|---|---|---|"
for t in "${targets[@]}"; do
  mkdir -p "$work/$t" "artifacts/$t"
  seeds=$(find "corpus/$t" -type f | wc -l)
  log="$work/$t.log"
  rc=0
  # -rss_limit_mb: a reader must not need more than 2 GiB for any input;
  # -timeout: nor more than 10 s for one input.
  "$bin_dir/$t" "$work/$t" "corpus/$t" \
    -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="artifacts/$t/" >"$log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  after=$(find "$work/$t" "corpus/$t" -type f | wc -l)
  crashes=0
  if [ "$rc" != 0 ]; then
    crashes=1
    failed+=("$t")
    echo "!! $t failed (exit $rc); the input is in fuzz/artifacts/$t/:" >&2
    grep -E "panicked at|ERROR: libFuzzer|SUMMARY|Test unit written" "$log" >&2 || tail -20 "$log" >&2
  fi
  echo "$t: ${execs:-?} executions in ${secs} s, corpus $seeds → $after, crashes $crashes"
  table+="
| $t | $secs | ${execs:-?} | $seeds → $after | $crashes |"
done
echo
echo "$table"
echo
echo "fuzzing: $((SECONDS - start)) s in all (build and runs)"
if [ "${#failed[@]}" -gt 0 ]; then
  echo "crashed: ${failed[*]}" >&2
  exit 1
fi
