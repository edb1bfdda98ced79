#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine (as root): installs what
# is missing, starts a throwaway Postgres, runs every test, and stops what it
# started, even on failure. .ci/run calls exactly this.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
source tools/scripts/services.sh

# Each stage's start, with the minutes since the run began, so that a CI log
# shows where the time went.
run_start=$SECONDS
stage() {
  printf '== [%s, +%d min] %s\n' "$(date -u +%H:%M:%S)" $(((SECONDS - run_start) / 60)) "$*"
}

stage "install what is missing (apt, npm)"
bash tools/scripts/install-deps.sh
install_node_packages "$root"

cleanup() {
  stop_postgres
  bazel shutdown >/dev/null 2>&1 || true
}
trap cleanup EXIT
start_postgres

# Convenience symlinks from another checkout would be walked by //...
rm -f bazel-*

test_env=(
  --test_env=SESSIONLOG_PG_URI="$SESSIONLOG_PG_URI"
  --test_env=SESSIONLOG_ORACLE="$SESSIONLOG_ORACLE"
  --test_env=SESSIONLOG_NODE_MODULES="$SESSIONLOG_NODE_MODULES"
  --test_env=SANDBOX_AGENT_BIN="$SANDBOX_AGENT_BIN"
  # tests/scaleout:failover_test starts and stops a primary and a standby of
  # its own with these functions.
  --test_env=SESSIONLOG_SERVICES_SH="$root/tools/scripts/services.sh"
  # One turn past the server's 120 s POST limit (tests/e2e:sdk_differential_test,
  # SDK and client side by side: about 135 s, in parallel with the other tests).
  --test_env=SESSIONLOG_LONG_TURN_SECONDS=125
  # Half the kill -9 and power-cut loops' default cycles (300 and 200 per
  # mode), to keep the run well under 30 minutes; the figures in
  # docs/RELIABILITY.md come from full runs.
  --test_env=CRASH_CYCLES=150
  --test_env=POWER_CUT_CYCLES=100
)

stage "bazel test //... (optimized build)"
bazel test //... "${test_env[@]}"

# ---- Benchmarks: the comparison harness in --quick mode, so that it
# keeps working. It fails only when the harness or a peer errors, never on a
# timing. Full runs are manual: see docs/BENCHMARKS.md.
stage "benchmark harness smoke run: bazel run //bench/compare -- --quick"
bench_out=$(mktemp -d /tmp/sessionlog-bench-quick.XXXXXX)
bazel run //bench/compare -- --quick --out_dir="$bench_out" >"$bench_out/stdout.md"
tail -n 12 "$bench_out/stdout.md"
rm -rf "$bench_out"

# ---- The CLI: the README's first command, exactly as a user
# runs it (its store goes to a temporary directory, removed afterwards).
stage "the README's first command: bash tools/scripts/demo.sh"
demo_out=$(mktemp -d /tmp/sessionlog-demo-ci.XXXXXX)
bash tools/scripts/demo.sh --db "rocksdb:$demo_out/store" >"$demo_out/stdout.txt" 2>"$demo_out/stderr.txt" ||
  { cat "$demo_out/stderr.txt" "$demo_out/stdout.txt"; exit 1; }
grep -A 7 '^Sessions' "$demo_out/stdout.txt"
rm -rf "$demo_out"

# ---- Embedding: install into a temporary prefix, then build and run an
# example service outside the tree with pkg-config, CMake and another Bazel
# workspace (docs/EMBEDDING.md).
stage "embedding: bash tests/embedding/run.sh"
bash tests/embedding/run.sh

# ---- Reliability: the suite under ASan+UBSan, then every fuzz
# target for 60 s. Each builds in its own output base (another toolchain or
# config), so the main build's cache is untouched. See docs/RELIABILITY.md.
# The extra Bazel servers are shut down whether the stage passes or fails.
stage_status=0
stage "ASan+UBSan: tools/scripts/sanitize.sh"
bash tools/scripts/sanitize.sh || stage_status=$?
bazel --output_base="$HOME/.cache/bazel-asan" shutdown >/dev/null 2>&1 || true
((stage_status == 0)) || exit "$stage_status"
stage "fuzzing, 30 s per target: tools/scripts/fuzz.sh"
FUZZ_SECONDS=30 FUZZ_JOBS=2 bash tools/scripts/fuzz.sh || stage_status=$?
bazel --output_base="$HOME/.cache/bazel-fuzz" shutdown >/dev/null 2>&1 || true
((stage_status == 0)) || exit "$stage_status"
stage "done"
