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
  # Left out, to keep CI well under 30 minutes (each was about a minute or
  # more of this stage, which compiles everything again at -O0):
  #  * the command line's suites (tests/cli, truncated_import_test), which run
  #    the CLI binary as a user would and test behaviour, not memory: under
  #    ASan they took about 20 minutes of test time, and building the binary with
  #    ASan another minute. The CLI's parsing of what it reads (import lines,
  #    store URIs, cursors) is fuzzed under ASan by tools/scripts/fuzz.sh;
  #  * the kill -9 loop, whose children are killed mid-write: what it checks
  #    is what the disk holds afterwards, and the engine code its children
  #    run is the code the conformance and fault suites run here.
  # What stays is the library that services embed (api with the client,
  # engine, schema, tools/migrate) under its unit, conformance, fault,
  # corruption, full-disk and concurrency suites.
  targets=(//api/... //engine/... //schema/... //tools/... //tests/... //bench/...
    -//tests/cli/... -//tests/bad_input:truncated_import_test
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
