#!/usr/bin/env bash
# Fuzzes the parsers that face untrusted input (fuzz/fuzz_targets) with libFuzzer through
# cargo-fuzz, each for FUZZ_SECONDS (default 20: the bounded run of the test command; run with
# FUZZ_SECONDS=3600 for the longer documented one). Needs the nightly toolchain, which it
# installs with rustup when missing. Any crash fails the script and leaves the input in
# fuzz/artifacts/<target>/.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds="${FUZZ_SECONDS:-20}"

if ! cargo +nightly --version >/dev/null 2>&1; then
  rustup toolchain install nightly --profile minimal
fi
if ! command -v cargo-fuzz >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi
# Its own target directory: nightly and sanitizer flags would rebuild the product's every time.
export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-$PWD/target}"
cargo +nightly fuzz build -O
for target in $(cargo +nightly fuzz list); do
  mkdir -p "corpus/$target"
  echo "fuzzing $target for ${seconds}s"
  log="$(mktemp)"
  if ! cargo +nightly fuzz run -O "$target" "corpus/$target" -- \
    -max_total_time="$seconds" -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1; then
    tail -n 60 "$log"
    echo "fuzzing $target found a crash (input saved under fuzz/artifacts/$target/)" >&2
    exit 1
  fi
  grep -E '^stat::(number_of_executed_units|peak_rss_mb)' "$log" || true
  rm -f "$log"
done
echo "fuzzing found no crash"
