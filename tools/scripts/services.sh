# Shared by the scripts in this folder (sourced, not run): installs the npm
# packages the tests use and runs a throwaway Postgres.

# Where the real sandbox-agent SDK (the oracle) and server binary live.
SESSIONLOG_CACHE="${SESSIONLOG_CACHE:-$HOME/.cache}"
SANDBOX_AGENT_HOME="$SESSIONLOG_CACHE/sessionlog-server"
SANDBOX_AGENT_BIN="$SANDBOX_AGENT_HOME/node_modules/@sandbox-agent/cli-linux-x64/bin/sandbox-agent"

# The oracle ships beside the project in ../shared/oracle.
find_oracle() {
  local root="$1"
  local candidate="$root/../shared/oracle/oracle.mjs"
  if [[ -f "$candidate" ]]; then
    SESSIONLOG_ORACLE="$(cd "$(dirname "$candidate")" && pwd)/oracle.mjs"
  else
    echo "error: $candidate not found; the oracle (shared/oracle) must sit beside the project" >&2
    return 1
  fi
}

install_node_packages() {
  local root="$1"
  find_oracle "$root"
  SA_ORACLE_HOME="$SESSIONLOG_CACHE/sessionlog-oracle" bash "$(dirname "$SESSIONLOG_ORACLE")/setup"
  if [[ ! -x "$SANDBOX_AGENT_BIN" ]]; then
    mkdir -p "$SANDBOX_AGENT_HOME"
    npm install --silent --no-audit --no-fund --prefix "$SANDBOX_AGENT_HOME" \
      @sandbox-agent/cli-linux-x64@0.4.2 >/dev/null
  fi
  # better-sqlite3 and pg run the TS SDK's example SQL drivers (interop tests).
  if [[ ! -d "$SESSIONLOG_CACHE/sessionlog-oracle/node_modules/better-sqlite3" || \
        ! -d "$SESSIONLOG_CACHE/sessionlog-oracle/node_modules/pg" ]]; then
    npm install --silent --no-audit --no-fund --prefix "$SESSIONLOG_CACHE/sessionlog-oracle" \
      better-sqlite3@12 pg@8 >/dev/null
  fi
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
