#!/usr/bin/env bash
# The README's first command, on a fresh Debian 12 machine (as root): installs
# what is missing, builds the `sessionlog` tool, and runs its demo on the
# embedded RocksDB default. Extra arguments go to `sessionlog demo` (e.g.
# --db rocksdb:./sessionlog-data to keep the store where you can find it).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

bash tools/scripts/install-deps.sh
echo "== bazel build //tools/sessionlog"
bazel build //tools/sessionlog:sessionlog
bin="$(bazel info bazel-bin 2>/dev/null)/tools/sessionlog/sessionlog"

echo "== sessionlog demo"
"$bin" demo "$@"
# The short path through the convenience symlink, when it leads to the same file.
short="$root/bazel-bin/tools/sessionlog/sessionlog"
[[ "$short" -ef "$bin" ]] && bin="$short"
echo
echo "The tool is $bin (docs/CLI.md describes every command)."
echo "To run it as \`sessionlog\`: alias sessionlog=$bin"
