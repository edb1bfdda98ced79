#!/usr/bin/env bash
# Installs every Debian package that building, testing and benchmarking sessionlog needs.
# Idempotent: packages already present are skipped by apt. Run as root on Debian 12.
set -euo pipefail
packages=(
  bazel-bootstrap            # the build (Bazel 4.2, works offline)
  g++ clang libclang-rt-14-dev  # compilers; clang's runtime for libFuzzer and TSan
  librocksdb-dev             # the embedded event log
  libflatbuffers-dev flatbuffers-compiler  # on-disk value format, and flatc
  libabsl-dev                # Status, flags, strings, time, containers, synchronization
  libgtest-dev libgmock-dev  # unit and system tests
  libbenchmark-dev           # benchmarks
  libsqlite3-dev sqlite3     # the sqlite backend, and the raw-SQLite peer
  postgresql libpq-dev libpqxx-dev  # the postgres backend, and a throwaway server for its tests
  nlohmann-json3-dev         # JSON codecs
  libcpp-httplib-dev libssl-dev  # the thin client's HTTP(S)
  gnuplot-nox                # benchmark plots
  tmux                       # pseudo-terminal tests of the CLI
  tzdata                     # the CLI's local-time tests set TZ to named zones
  nodejs npm                 # the oracle (the real TS SDK) and the sandbox-agent server
  pkg-config cmake          # the embedding tests build an example service with both
  libsimdjson-dev           # fast JSON validation on the write path
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# node/npm may come from elsewhere than Debian (the machine image ships them): accept any on PATH.
if command -v node >/dev/null && command -v npm >/dev/null; then
  filtered=()
  for p in "${missing[@]}"; do [[ "$p" == nodejs || "$p" == npm ]] || filtered+=("$p"); done
  missing=("${filtered[@]}")
fi
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
