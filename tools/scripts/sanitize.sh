#!/usr/bin/env bash
# The test suite under AddressSanitizer and UndefinedBehaviorSanitizer
# (--config=asan), in its own Bazel output base so that the main build's cache
# is untouched. The failure loops run shorter than in the optimized run (the
# -O0 sanitizer build is several times slower); tests that need live services
# (tag "external") are left to the optimized run.
#   tools/scripts/sanitize.sh            # what CI runs
#   tools/scripts/sanitize.sh //tests/crash:crash_test
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
output_base="${SANITIZE_OUTPUT_BASE:-$HOME/.cache/bazel-asan}"
targets=("$@")
if ((${#targets[@]} == 0)); then
  # The project's top-level folders, named: //... would also walk the bazel-*
  # symlinks and scratch folders.
  # Left out, to keep CI well under 30 minutes:
  #  * the suites that run the CLI binary many times as a user would (hostile
  #    places, every cut of an import, the hardening findings, every command
  #    on every backend). They test behaviour, not memory; at -O0 with ASan
  #    they took 12 minutes of test time. The CLI's code stays covered here
  #    by cli_test (every command once) and by the fuzzers;
  #  * the kill -9 loop, whose children are killed mid-write: what it checks
  #    is what the disk holds afterwards, and the engine code its children
  #    run is the code the conformance and fault suites run here.
  targets=(//api/... //engine/... //schema/... //tools/... //tests/... //bench/...
    -//tests/cli:cli_hostile_test -//tests/bad_input:truncated_import_test
    -//tests/cli:cli_hardening_test -//tests/cli:cli_backend_test
    -//tests/crash:crash_test)
fi
# Two cases time the work or measure file sizes; -O0 with ASan changes both.
skip='SqliteDriverTest.CompactGivesDeletedSpaceBack:CliPtyTest.ProgressBarsShowRateAndEtaOnlyOnATerminal'
# --build_tests_only: what is left out is not built either.
bazel --output_base="$output_base" test --symlink_prefix=/ --config=asan \
  --build_tests_only --test_tag_filters=-external \
  --test_env=CRASH_CYCLES=40 --test_env=POWER_CUT_CYCLES=30 \
  --test_env=IO_ERROR_DENSE=10 \
  --test_arg=--gtest_filter="-$skip" \
  -- "${targets[@]}"
