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
# Tests run it with fsync=off (PG_FSYNC=on, or start_postgres_durable, keeps
# Postgres's default).
start_postgres() {
  local bin=/usr/lib/postgresql/15/bin
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  PG_DIR=$(mktemp -d /tmp/sessionlog-pg.XXXXXX)
  chown postgres:postgres "$PG_DIR"
  runuser -u postgres -- "$bin/initdb" -D "$PG_DIR/data" -A trust -U postgres -E UTF8 \
    --locale=C.UTF-8 --no-sync >/dev/null
  runuser -u postgres -- "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $PG_DIR -c fsync=${PG_FSYNC:-off}" start >/dev/null
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

# ---- A primary and a streaming standby (docs/SCALE-OUT.md) ----
#
# start_postgres_pair [sync|async] starts a primary and a standby made from it
# with pg_basebackup, both on free ports of 127.0.0.1, and waits until the
# standby streams (and, with sync, until the primary names it its synchronous
# standby: a commit with synchronous_commit=on then waits for the standby to
# flush it). It exports
#   SESSIONLOG_PG_PAIR_URI   one URI naming both hosts, primary first, with
#                            target_session_attrs=read-write: libpq connects to
#                            whichever of them accepts writes
#   SESSIONLOG_PG_PAIR_DIR   the directory holding both (PG_PAIR_DIR)
# The other functions act on the pair in $PG_PAIR_DIR; the failover test
# (tests/scaleout/failover_test.cc) calls them, one bash per call.
PG_PAIR_DIR="${SESSIONLOG_PG_PAIR_DIR:-}"
PG_BIN=/usr/lib/postgresql/15/bin

_pg_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

_pg_as_postgres() { runuser -u postgres -- "$@"; }

start_postgres_pair() {
  local mode="${1:-sync}"
  if [[ "$mode" != sync && "$mode" != async ]]; then
    echo "error: start_postgres_pair takes sync or async, not '$mode'" >&2
    return 1
  fi
  local p1 p2
  p1=$(_pg_free_port)
  p2=$(_pg_free_port)
  PG_PAIR_DIR=$(mktemp -d /tmp/sessionlog-pgpair.XXXXXX)
  chown postgres:postgres "$PG_PAIR_DIR"
  echo "$p1" >"$PG_PAIR_DIR/primary.port"
  echo "$p2" >"$PG_PAIR_DIR/standby.port"
  _pg_as_postgres "$PG_BIN/initdb" -D "$PG_PAIR_DIR/primary" -A trust -U postgres -E UTF8 \
    --locale=C.UTF-8 --no-sync >/dev/null || return 1
  {
    echo "listen_addresses = '127.0.0.1'"
    echo "port = $p1"
    echo "unix_socket_directories = '$PG_PAIR_DIR'"
    echo "wal_level = replica"
    echo "max_wal_senders = 4"
    echo "synchronous_commit = on"
    if [[ "$mode" == sync ]]; then echo "synchronous_standby_names = 'standby1'"; fi
  } >>"$PG_PAIR_DIR/primary/postgresql.conf"
  _pg_as_postgres "$PG_BIN/pg_ctl" -D "$PG_PAIR_DIR/primary" -l "$PG_PAIR_DIR/primary.log" -w \
    start >/dev/null || { cat "$PG_PAIR_DIR/primary.log" >&2; return 1; }
  _pg_as_postgres "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$p1" -U postgres \
    -D "$PG_PAIR_DIR/standby" -X stream -R --no-sync >/dev/null || return 1
  # After what -R wrote, so that these win. Promoted, the standby has no
  # standby of its own: it must not wait for one.
  {
    echo "port = $p2"
    echo "primary_conninfo = 'host=127.0.0.1 port=$p1 user=postgres application_name=standby1'"
    echo "hot_standby = on"
    echo "synchronous_standby_names = ''"
  } >>"$PG_PAIR_DIR/standby/postgresql.auto.conf"
  _pg_as_postgres "$PG_BIN/pg_ctl" -D "$PG_PAIR_DIR/standby" -l "$PG_PAIR_DIR/standby.log" -w \
    start >/dev/null || { cat "$PG_PAIR_DIR/standby.log" >&2; return 1; }
  local want="streaming"
  local query="SELECT state FROM pg_stat_replication WHERE application_name = 'standby1'"
  if [[ "$mode" == sync ]]; then
    want="streaming sync"
    query="SELECT state || ' ' || sync_state FROM pg_stat_replication WHERE application_name = 'standby1'"
  fi
  local i got=""
  for ((i = 0; i < 100; ++i)); do
    got=$(psql -h 127.0.0.1 -p "$p1" -U postgres -d postgres -Atc "$query" 2>/dev/null)
    [[ "$got" == "$want" ]] && break
    sleep 0.1
  done
  if [[ "$got" != "$want" ]]; then
    echo "error: the standby is not '$want' after 10 s (got '$got')" >&2
    return 1
  fi
  psql -h 127.0.0.1 -p "$p1" -U postgres -d postgres -qc "CREATE DATABASE sessionlog_test" || return 1
  export SESSIONLOG_PG_PAIR_DIR="$PG_PAIR_DIR"
  export SESSIONLOG_PG_PAIR_URI="postgresql://postgres@127.0.0.1:$p1,127.0.0.1:$p2/sessionlog_test?target_session_attrs=read-write&connect_timeout=2"
  echo "postgres pair ($mode) started: $SESSIONLOG_PG_PAIR_URI"
}

# The postmaster's pid of `primary` or `standby` in $PG_PAIR_DIR.
_pg_pair_pid() { head -n 1 "$PG_PAIR_DIR/$1/postmaster.pid" 2>/dev/null; }

# Stops the primary's WAL sender (SIGSTOP): commits go on being made on the
# primary but reach the standby no more. With a synchronous standby, commits
# then wait, unacknowledged.
pause_postgres_replication() {
  local pid
  pid=$(_pg_pair_pid primary) || return 1
  local senders
  senders=$(ps --ppid "$pid" -o pid=,args= | awk '/walsender/ {print $1}')
  if [[ -z "$senders" ]]; then echo "error: the primary has no WAL sender" >&2; return 1; fi
  kill -STOP $senders
}

# Kills the primary as a machine loss would: SIGKILL to the postmaster and
# every process of it at once, no shutdown, no final WAL sent.
kill_postgres_primary() {
  local pid
  pid=$(_pg_pair_pid primary) || return 1
  local children
  children=$(ps --ppid "$pid" -o pid=)
  kill -KILL "$pid" $children 2>/dev/null || true
  local i
  for ((i = 0; i < 50; ++i)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  echo "error: the primary ($pid) is still running" >&2
  return 1
}

# Promotes the standby to primary and waits until it accepts writes.
promote_postgres_standby() {
  _pg_as_postgres "$PG_BIN/pg_ctl" -D "$PG_PAIR_DIR/standby" -w promote >/dev/null
}

stop_postgres_pair() {
  if [[ -n "$PG_PAIR_DIR" && -d "$PG_PAIR_DIR" ]]; then
    local node pid
    for node in primary standby; do
      pid=$(_pg_pair_pid "$node")
      # A WAL sender paused by pause_postgres_replication would hold up the
      # shutdown.
      if [[ -n "$pid" ]]; then kill -CONT $(ps --ppid "$pid" -o pid=) 2>/dev/null || true; fi
      if [[ -f "$PG_PAIR_DIR/$node/postmaster.pid" ]]; then
        _pg_as_postgres "$PG_BIN/pg_ctl" -D "$PG_PAIR_DIR/$node" -m immediate -w stop >/dev/null 2>&1 || true
      fi
    done
    rm -rf "$PG_PAIR_DIR"
    PG_PAIR_DIR=""
    unset SESSIONLOG_PG_PAIR_DIR SESSIONLOG_PG_PAIR_URI
  fi
}

# start_postgres at Postgres's own durability (fsync on), for benchmarks: with
# fsync off every commit is as cheap as synchronous_commit=off makes it, which
# flatters every Postgres figure. Stop it with stop_postgres.
start_postgres_durable() {
  PG_FSYNC=on start_postgres
}
