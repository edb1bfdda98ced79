#!/usr/bin/env bash
# Installs sessionlog into a temporary prefix and builds the example service
# (tests/embedding/service.cc) outside the source tree three ways, as an
# embedder would: with pkg-config, with CMake's find_package, and from another
# Bazel workspace that depends on this one with local_repository. Each build
# writes a session into its own store; the installed CLI must read it back.
# Exits non-zero on the first failure. Run from anywhere; used by test.sh.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work=$(mktemp -d /tmp/sessionlog-embedding.XXXXXX)
consumer_bazel_base="$work/bazel-output"
cleanup() {
  if [[ -d "$work/bazel" ]]; then
    (cd "$work/bazel" && bazel --output_base="$consumer_bazel_base" shutdown >/dev/null 2>&1) || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

prefix="$work/prefix"
bash "$root/tools/scripts/install.sh" --prefix "$prefix" >"$work/install.log" 2>&1 ||
  { cat "$work/install.log"; exit 1; }
# Idempotent: a second run over the same prefix succeeds and leaves one copy.
bash "$root/tools/scripts/install.sh" --prefix "$prefix" >"$work/install2.log" 2>&1 ||
  { cat "$work/install2.log"; exit 1; }
echo "installed into a temporary prefix (twice): $(ls "$prefix/lib" | tr '\n' ' ')"

version=$("$prefix/bin/sessionlog" --version)
pc_version=$(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --modversion sessionlog)
[[ "$version" == "sessionlog $pc_version" ]] ||
  { echo "FAIL: --version says '$version', sessionlog.pc says '$pc_version'"; exit 1; }
echo "$version"

# Runs a built service on a fresh store, then reads the store with the
# installed CLI: three events, the newest two in the replay text.
check_service() {
  local how="$1" service="$2" uri="$3" id="$4"
  local out="$work/$how.out"
  "$service" "$uri" "$id" >"$out" || { echo "FAIL ($how): the service exited $?"; cat "$out"; exit 1; }
  grep -qx "event 3 client" "$out" || { echo "FAIL ($how): no newest event"; cat "$out"; exit 1; }
  grep -q '^{"createdAt":1700000000003,"sender":"client"' "$out" ||
    { echo "FAIL ($how): no replay text"; cat "$out"; exit 1; }
  local events
  events=$("$prefix/bin/sessionlog" --db "$uri" events "$id" --json)
  local count
  count=$(grep -o '"eventIndex":' <<<"$events" | wc -l)
  [[ "$count" == 3 ]] || { echo "FAIL ($how): the CLI read $count events: $events"; exit 1; }
  echo "ok: $how: service wrote $id, the installed CLI read its 3 events"
}

# 1. pkg-config.
PKG_CONFIG_PATH="$prefix/lib/pkgconfig" g++ -o "$work/service-pkgconfig" "$root/tests/embedding/service.cc" \
  $(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --cflags --libs sessionlog)
check_service pkg-config "$work/service-pkgconfig" "rocksdb:$work/store-pkgconfig" svc-pkgconfig

# 2. CMake's find_package.
cmake -S "$root/tests/embedding/cmake" -B "$work/cmake-build" -DCMAKE_PREFIX_PATH="$prefix" \
  >"$work/cmake.log" 2>&1 && cmake --build "$work/cmake-build" >>"$work/cmake.log" 2>&1 ||
  { cat "$work/cmake.log"; exit 1; }
check_service cmake "$work/cmake-build/service" "sqlite:$work/store-cmake.db" svc-cmake

# 3. Another Bazel workspace, depending on this checkout with local_repository.
mkdir -p "$work/bazel"
sed "s|@SESSIONLOG@|$root|g" "$root/tests/embedding/bazel/WORKSPACE.in" >"$work/bazel/WORKSPACE"
cp "$root/tests/embedding/bazel/BUILD.in" "$work/bazel/BUILD.bazel"
cp "$root/tests/embedding/bazel/.bazelrc" "$work/bazel/.bazelrc"
cp "$root/tests/embedding/service.cc" "$work/bazel/service.cc"
(cd "$work/bazel" && bazel --output_base="$consumer_bazel_base" build --noshow_progress \
  --ui_event_filters=-info //:service >"$work/bazel.log" 2>&1) || { cat "$work/bazel.log"; exit 1; }
check_service bazel "$work/bazel/bazel-bin/service" "rocksdb:$work/store-bazel" svc-bazel

echo "embedding: 3 passed, 0 failed"
