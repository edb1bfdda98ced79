#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz) with clang, ASan and UBSan in a
# separate Bazel output base (their toolchain differs from the main build's),
# then runs each for FUZZ_SECONDS (default 60), FUZZ_JOBS (default 2) at a
# time, starting from the committed corpus. Fails on any finding and leaves
# the reproducer under $FUZZ_OUT (default /tmp/sessionlog-fuzz).
#   tools/scripts/fuzz.sh                 # all targets, 60 s each
#   FUZZ_SECONDS=600 tools/scripts/fuzz.sh cursor
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
seconds="${FUZZ_SECONDS:-60}"
jobs="${FUZZ_JOBS:-2}"
out="${FUZZ_OUT:-/tmp/sessionlog-fuzz}"
output_base="${FUZZ_OUTPUT_BASE:-$HOME/.cache/bazel-fuzz}"
targets=("$@")
((${#targets[@]})) || targets=(flatbuffers_decode json_line cursor store_uri)

bazel --output_base="$output_base" build --symlink_prefix=/ --config=fuzz \
  $(printf '//tests/fuzz:%s_fuzzer ' "${targets[@]}")
bin="$(bazel --output_base="$output_base" info --config=fuzz bazel-bin)/tests/fuzz"

rm -rf "$out" && mkdir -p "$out"
run_one() {
  local t="$1" dir="$out/$1"
  mkdir -p "$dir/corpus"
  # New inputs go to a scratch corpus; the committed one is only read.
  if "$bin/${t}_fuzzer" -max_total_time="$seconds" -print_final_stats=1 \
      -artifact_prefix="$dir/" "$dir/corpus" "tests/fuzz/corpus/$t" \
      >"$dir/log" 2>&1; then
    echo "fuzz $t: $(grep -o 'Done [0-9]* runs in [0-9]* second' "$dir/log"), no finding"
  else
    echo "fuzz $t: FINDING, see $dir/log and $dir/crash-*"
    tail -40 "$dir/log"
    return 1
  fi
}
export -f run_one
export bin out seconds
printf '%s\n' "${targets[@]}" | xargs -P "$jobs" -I{} bash -c 'run_one {}'
