# Shared by the scripts in this folder (sourced, not run): installs the npm
# packages the tests use and runs a throwaway Postgres.

# The npm packages the tests use (the real sandbox-agent SDK, its server
# binary, and better-sqlite3 and pg for the SDK's example SQL drivers) are
# pinned by tests/sdk/package-lock.json and installed from it, outside the
# source tree so that Bazel never walks node_modules. The directory keeps its
# old name, so that tools that look there (bench/compare, bench/replay, the
# interop scripts) find the pinned install without being told.
SESSIONLOG_CACHE="${SESSIONLOG_CACHE:-$HOME/.cache}"
SESSIONLOG_NODE_HOME="$SESSIONLOG_CACHE/sessionlog-oracle"
SESSIONLOG_NODE_MODULES="$SESSIONLOG_NODE_HOME/node_modules"
SANDBOX_AGENT_BIN="$SESSIONLOG_NODE_MODULES/@sandbox-agent/cli-linux-x64/bin/sandbox-agent"

# Installs tests/sdk's lockfile with `npm ci` into $SESSIONLOG_NODE_HOME,
# unless the install there was made from the same package.json and lockfile
# (their hash is kept beside it), and exports what the tests read:
# SESSIONLOG_ORACLE (the SDK harness, tests/sdk/sdk_harness.mjs),
# SESSIONLOG_NODE_MODULES and SANDBOX_AGENT_BIN. A lock serializes concurrent
# callers (two test runs on one machine).
install_node_packages() {
  local root="$1"
  if [[ ! -f "$root/tests/sdk/package-lock.json" ]]; then
    echo "error: $root/tests/sdk/package-lock.json not found; pass the repository root" >&2
    return 1
  fi
  # Absolute: tests run node from their own directory.
  local sdk
  sdk="$(cd "$root/tests/sdk" && pwd)"
  command -v npm >/dev/null || { echo "error: npm is not on PATH (node 20 and npm are needed)" >&2; return 1; }
  local want
  want=$(cat "$sdk/package.json" "$sdk/package-lock.json" | sha256sum | cut -d' ' -f1)
  mkdir -p "$SESSIONLOG_NODE_HOME"
  (
    flock 9
    local stamp="$SESSIONLOG_NODE_HOME/.lockfile-sha256"
    if [[ "$(cat "$stamp" 2>/dev/null)" == "$want" && -x "$SANDBOX_AGENT_BIN" &&
          -f "$SESSIONLOG_NODE_MODULES/sandbox-agent/package.json" ]]; then
      exit 0
    fi
    rm -f "$stamp"
    cp "$sdk/package.json" "$sdk/package-lock.json" "$SESSIONLOG_NODE_HOME/"
    echo "installing the npm packages of tests/sdk/package-lock.json under $SESSIONLOG_NODE_HOME" >&2
    # better-sqlite3 compiles its addon when no prebuilt binary can be fetched
    # from GitHub (a minute or two), and node-gyp then downloads node's headers
    # from nodejs.org unless npm's nodedir says where they are. The node that
    # runs the tests ships them (Debian's nodejs, the official tarballs:
    # PREFIX/include/node), so point nodedir there when nothing else does: the
    # install then needs the npm registry only.
    local node_prefix configured
    local -a npm_env=()
    node_prefix="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")"
    configured="$(npm config get nodedir 2>/dev/null)"
    if [[ ( -z "$configured" || "$configured" == undefined ) &&
          -f "$node_prefix/include/node/node_version.h" ]]; then
      npm_env=("npm_config_nodedir=$node_prefix")
    fi
    # The output goes to the log, shown only on failure.
    if ! (cd "$SESSIONLOG_NODE_HOME" &&
          env "${npm_env[@]}" npm ci --no-audit --no-fund >npm-ci.log 2>&1); then
      tail -n 40 "$SESSIONLOG_NODE_HOME/npm-ci.log" >&2
      echo "error: npm ci failed in $SESSIONLOG_NODE_HOME (log: npm-ci.log there)" >&2
      exit 1
    fi
    echo "$want" >"$stamp"
  ) 9>"$SESSIONLOG_NODE_HOME/.install.lock" || return 1
  export SESSIONLOG_ORACLE="$sdk/sdk_harness.mjs"
  export SESSIONLOG_NODE_MODULES SANDBOX_AGENT_BIN
}

PG_DIR=""
# Starts a throwaway Postgres on a free port of 127.0.0.1 and exports
# SESSIONLOG_PG_URI. Postgres refuses to run as root, so it runs as postgres.
start_postgres() {
  local bin=/usr/lib/postgresql/15/bin
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  PG_DIR=$(mktemp -d /tmp/sessionlog-pg.XXXXXX)
  chown postgres:postgres "$PG_DIR"
  runuser -u postgres -- "$bin/initdb" -D "$PG_DIR/data" -A trust -U postgres -E UTF8 \
    --locale=C.UTF-8 --no-sync >/dev/null
  runuser -u postgres -- "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $PG_DIR -c fsync=off" start >/dev/null
  runuser -u postgres -- "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres sessionlog_test
  export SESSIONLOG_PG_URI="postgresql://postgres@127.0.0.1:$port/sessionlog_test"
  echo "postgres started: $SESSIONLOG_PG_URI"
}

stop_postgres() {
  if [[ -n "$PG_DIR" && -d "$PG_DIR/data" ]]; then
    runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$PG_DIR"
    PG_DIR=""
  fi
}
