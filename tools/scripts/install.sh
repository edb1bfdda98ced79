#!/usr/bin/env bash
# Installs sessionlog for C++ services built outside this repository:
#
#   PREFIX/lib/libsessionlog.so.MAJOR.MINOR.PATCH (soname libsessionlog.so.MAJOR),
#       libsessionlog.so, libsessionlog.a
#   PREFIX/include/sessionlog/sessionlog.h and the headers it includes
#   PREFIX/lib/pkgconfig/sessionlog.pc
#   PREFIX/lib/cmake/sessionlog/sessionlogConfig.cmake (+ ConfigVersion):
#       find_package(sessionlog) gives the target sessionlog::sessionlog
#   PREFIX/bin/sessionlog
#
# Usage: tools/scripts/install.sh [--prefix DIR]     (default /usr/local)
# Idempotent: running it again replaces what it installed. Needs write access
# to PREFIX only, so any directory of your own works without root. The build
# dependencies must be installed first (tools/scripts/install-deps.sh, as root).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

prefix=/usr/local
while (($#)); do
  case "$1" in
    --prefix) [[ $# -ge 2 ]] || { echo "error: --prefix needs a directory" >&2; exit 2; }
              prefix="$2"; shift 2 ;;
    --prefix=*) prefix="${1#--prefix=}"; shift ;;
    -h|--help) sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "error: unknown argument '$1' (usage: install.sh [--prefix DIR])" >&2; exit 2 ;;
  esac
done
[[ -n "$prefix" ]] || { echo "error: --prefix is empty" >&2; exit 2; }
# pkg-config and CMake files cannot carry a path with spaces reliably.
[[ "$prefix" != *[[:space:]]* ]] || { echo "error: --prefix '$prefix' contains whitespace; choose a path without" >&2; exit 2; }
[[ ! -e "$prefix" || -d "$prefix" ]] || { echo "error: --prefix $prefix exists and is not a directory" >&2; exit 2; }
mkdir -p "$prefix" 2>/dev/null || { echo "error: cannot create directory $prefix (is its parent writable?)" >&2; exit 1; }
prefix="$(cd "$prefix" && pwd)"
[[ -w "$prefix" ]] || { echo "error: $prefix is not writable: choose --prefix DIR of your own, or run as root" >&2; exit 1; }

version=$(sed -n 's/^#define SESSIONLOG_VERSION_STRING "\(.*\)"$/\1/p' version.h)
major=${version%%.*}
[[ -n "$version" ]] || { echo "error: no SESSIONLOG_VERSION_STRING in version.h" >&2; exit 1; }

echo "== building sessionlog $version"
bazel build --noshow_progress //tools/install:libsessionlog //tools/sessionlog:sessionlog
bin="$(bazel info bazel-bin 2>/dev/null)"

echo "== installing into $prefix"
libdir="$prefix/lib"
includedir="$prefix/include"
mkdir -p "$libdir/pkgconfig" "$libdir/cmake/sessionlog" "$includedir" "$prefix/bin"

# The library: the real file carries the full version, the soname link the
# ABI, and the bare name is what -lsessionlog finds.
install -m 0755 "$bin/tools/install/libsessionlog.so.$major" "$libdir/libsessionlog.so.$version"
ln -sfn "libsessionlog.so.$version" "$libdir/libsessionlog.so.$major"
ln -sfn "libsessionlog.so.$major" "$libdir/libsessionlog.so"
install -m 0644 "$bin/tools/install/libsessionlog.a" "$libdir/libsessionlog.a"
install -m 0755 "$bin/tools/sessionlog/sessionlog" "$prefix/bin/sessionlog"

# The headers: sessionlog.h and every header of ours it includes, found by the
# compiler, so the set can never fall behind the code. Installed under
# include/sessionlog/, with our own includes rewritten to that prefix so that
# a service's headers of the same name (say "api/options.h") never shadow them.
headers=$(g++ -std=c++17 -MM -I. -I"$bin" sessionlog.h | tr ' \\' '\n\n' |
  grep -E '^(api|engine|schema)/.*\.h$|^(sessionlog|version)\.h$' | sort -u)
# Staged beside the old set and swapped in, so that an interrupted install
# never leaves half a header set.
staging="$includedir/.sessionlog.new.$$"
rm -rf "$staging"
for h in $headers; do
  install -D -m 0644 "$h" "$staging/$h"
  sed -i -E 's@^#include "((api|engine|schema)/[^"]+|sessionlog\.h|version\.h)"@#include "sessionlog/\1"@' \
    "$staging/$h"
done
rm -rf "$includedir/sessionlog.old"
[[ -d "$includedir/sessionlog" ]] && mv "$includedir/sessionlog" "$includedir/sessionlog.old"
mv "$staging" "$includedir/sessionlog"
rm -rf "$includedir/sessionlog.old"

linkflags=$(tr '\n' ' ' <"$bin/tools/install/libsessionlog.linkflags" | sed 's/ *$//')

cat >"$libdir/pkgconfig/sessionlog.pc" <<PC
prefix=$prefix
libdir=\${prefix}/lib
includedir=\${prefix}/include

Name: sessionlog
Description: Session history for sandbox-agent sessions: RocksDB event log, SQLite, Postgres, replay, client
Version: $version
Cflags: -I\${includedir} -std=c++17
Libs: -L\${libdir} -Wl,-rpath,\${libdir} -lsessionlog $linkflags
Libs.private: $linkflags
PC

# CMake: an imported target over the shared library. Paths are relative to
# this file, so the installed tree can be moved as a whole.
cmake_flags=$(echo "$linkflags" | sed 's/;/\\;/g' | tr ' ' ';')
cat >"$libdir/cmake/sessionlog/sessionlogConfig.cmake" <<CMAKE
# sessionlog $version: find_package(sessionlog) defines sessionlog::sessionlog.
get_filename_component(_sessionlog_prefix "\${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
if(NOT TARGET sessionlog::sessionlog)
  add_library(sessionlog::sessionlog SHARED IMPORTED)
  set_target_properties(sessionlog::sessionlog PROPERTIES
    IMPORTED_LOCATION "\${_sessionlog_prefix}/lib/libsessionlog.so.$version"
    IMPORTED_SONAME "libsessionlog.so.$major"
    INTERFACE_INCLUDE_DIRECTORIES "\${_sessionlog_prefix}/include"
    INTERFACE_COMPILE_FEATURES "cxx_std_17"
    INTERFACE_LINK_LIBRARIES "$cmake_flags")
endif()
set(sessionlog_VERSION "$version")
unset(_sessionlog_prefix)
CMAKE
cat >"$libdir/cmake/sessionlog/sessionlogConfigVersion.cmake" <<CMAKE
# Compatible when the major version matches and the installed one is not older.
set(PACKAGE_VERSION "$version")
if(PACKAGE_FIND_VERSION_MAJOR STREQUAL "$major" AND
   NOT PACKAGE_VERSION VERSION_LESS PACKAGE_FIND_VERSION)
  set(PACKAGE_VERSION_COMPATIBLE TRUE)
  if(PACKAGE_FIND_VERSION STREQUAL PACKAGE_VERSION)
    set(PACKAGE_VERSION_EXACT TRUE)
  endif()
elseif(NOT PACKAGE_FIND_VERSION)
  set(PACKAGE_VERSION_COMPATIBLE TRUE)
endif()
CMAKE

echo "installed sessionlog $version:"
echo "  $libdir/libsessionlog.so.$version (+ .so.$major, .so, .a)"
echo "  $includedir/sessionlog/sessionlog.h"
echo "  $libdir/pkgconfig/sessionlog.pc, $libdir/cmake/sessionlog/"
echo "  $prefix/bin/sessionlog"
