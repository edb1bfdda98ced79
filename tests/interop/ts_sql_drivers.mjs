// The sandbox-agent TS SDK's example SQL drivers (SQLite on better-sqlite3,
// Postgres on pg; examples/persist-sqlite and examples/persist-postgres of the
// sandbox-agent repository, which 0.4.2 tells users to copy), reduced to the
// SQL they run against their tables (docs/BACKENDS.md):
// upsert by id, LIMIT/OFFSET pages with a COUNT(*) per page, JSON columns
// holding JSON.stringify of the value. The interop tests drive it:
//
//   node ts_sql_drivers.mjs sqlite FILE write   < lines   # JSON lines in
//   node ts_sql_drivers.mjs sqlite FILE dump    > lines   # JSON lines out
//   node ts_sql_drivers.mjs sqlite FILE get     < ids > lines  # getSession
//   node ts_sql_drivers.mjs sqlite-old FILE write|dump    # an older driver
//   node ts_sql_drivers.mjs postgres URI SCHEMA write|dump
//
// sqlite-old is the SQLite driver of older SDK releases, whose sessions table
// had no sandbox_id, config_options_json or modes_json and a required
// agent_session_id; it writes and reads only its own columns.
//
// Lines are sessionlog's export form: {"session":{...}} or {"event":{...}}.
// `write` calls updateSession / insertEvent for each line, in order. `dump`
// pages through listSessions and, after each record, listEvents of it.
// `get` reads one session id per line (a JSON string) and prints
// {"session":...} from getSession, or {"session":null} when there is none.
// Modules come from $SESSIONLOG_NODE_MODULES, else from where
// install_node_packages (tools/scripts/services.sh) installs
// tests/sdk/package-lock.json: ${SESSIONLOG_CACHE:-$HOME/.cache}/sessionlog-oracle,
// as for tests/sdk/sdk_harness.mjs, so both run the same pinned packages.
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";

const modules =
  process.env.SESSIONLOG_NODE_MODULES ||
  path.join(process.env.SESSIONLOG_CACHE || path.join(process.env.HOME || "", ".cache"),
    "sessionlog-oracle", "node_modules");
if (!fs.existsSync(path.join(modules, "better-sqlite3")) || !fs.existsSync(path.join(modules, "pg"))) {
  console.error(`better-sqlite3 and pg not found in ${modules}: run ` +
    "`source tools/scripts/services.sh; install_node_packages $PWD`");
  process.exit(2);
}
const require = createRequire(path.join(modules, "_.js"));

const SESSION_COLUMNS = "id, agent, agent_session_id, last_connection_id, created_at, destroyed_at, " +
  "sandbox_id, session_init_json, config_options_json, modes_json";
const EVENT_COLUMNS = "id, event_index, session_id, created_at, connection_id, sender, payload_json";
const OLD_SESSION_COLUMNS = "id, agent, agent_session_id, last_connection_id, created_at, destroyed_at, " +
  "session_init_json";

function json(value) {
  return value === undefined ? null : JSON.stringify(value);
}

function sessionParams(s) {
  return [s.id, s.agent, s.agentSessionId ?? null, s.lastConnectionId, s.createdAt,
    s.destroyedAt ?? null, s.sandboxId ?? null, json(s.sessionInit), json(s.configOptions),
    json(s.modes)];
}

function eventParams(e) {
  return [e.id, e.eventIndex, e.sessionId, e.createdAt, e.connectionId, e.sender,
    JSON.stringify(e.payload)];
}

// JSON columns arrive as text (SQLite) or parsed (pg's JSONB); SQL NULL is
// absent, the text "null" is a null value.
function fromJson(v) {
  if (v === null || v === undefined) return undefined;
  return typeof v === "string" ? JSON.parse(v) : v;
}

function decodeSession(r) {
  const s = { id: r.id, agent: r.agent };
  if (r.agent_session_id !== null) s.agentSessionId = r.agent_session_id;
  s.lastConnectionId = r.last_connection_id;
  s.createdAt = Number(r.created_at);
  if (r.destroyed_at !== null) s.destroyedAt = Number(r.destroyed_at);
  if (r.sandbox_id !== null) s.sandboxId = r.sandbox_id;
  for (const [col, key] of [["session_init_json", "sessionInit"],
    ["config_options_json", "configOptions"], ["modes_json", "modes"]]) {
    const v = fromJson(r[col]);
    if (v !== undefined) s[key] = v;
  }
  return s;
}

function decodeEvent(r) {
  return { id: r.id, eventIndex: Number(r.event_index), sessionId: r.session_id,
    createdAt: Number(r.created_at), connectionId: r.connection_id, sender: r.sender,
    payload: fromJson(r.payload_json) };
}

function upsertSql(table, columns, p) {
  const cols = columns.split(", ");
  const values = cols.map((c, i) => p(i + 1, c)).join(", ");
  const sets = cols.slice(1).map((c) => `${c} = excluded.${c}`).join(", ");
  return `INSERT INTO ${table} (${columns}) VALUES (${values}) ON CONFLICT(id) DO UPDATE SET ${sets}`;
}

class SqliteDriver {
  constructor(file, old) {
    const Database = require("better-sqlite3");
    this.db = new Database(file);
    this.sessionColumns = old ? OLD_SESSION_COLUMNS : SESSION_COLUMNS;
    this.db.exec(`CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, agent TEXT NOT NULL,
      ${old ? `agent_session_id TEXT NOT NULL, last_connection_id TEXT NOT NULL,
      created_at INTEGER NOT NULL, destroyed_at INTEGER, session_init_json TEXT` :
      `agent_session_id TEXT, last_connection_id TEXT NOT NULL, created_at INTEGER NOT NULL,
      destroyed_at INTEGER, sandbox_id TEXT, session_init_json TEXT, config_options_json TEXT,
      modes_json TEXT`});
      CREATE TABLE IF NOT EXISTS events (id TEXT PRIMARY KEY, event_index INTEGER NOT NULL,
      session_id TEXT NOT NULL, created_at INTEGER NOT NULL, connection_id TEXT NOT NULL,
      sender TEXT NOT NULL, payload_json TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS idx_events_session_order ON events(session_id, event_index, id);`);
  }
  async updateSession(s) {
    const params = sessionParams(s);
    this.db.prepare(upsertSql("sessions", this.sessionColumns, () => "?"))
      .run(...(this.sessionColumns === SESSION_COLUMNS ? params : [...params.slice(0, 6), params[7]]));
  }
  async insertEvent(e) {
    this.db.prepare(upsertSql("events", EVENT_COLUMNS, () => "?")).run(...eventParams(e));
  }
  async getSession(id) {
    const row = this.db.prepare(`SELECT ${this.sessionColumns} FROM sessions WHERE id = ?`).get(id);
    return row ? decodeSession(row) : null;
  }
  async listSessions(offset, limit) {
    const rows = this.db.prepare(`SELECT ${this.sessionColumns} FROM sessions
      ORDER BY created_at ASC, id ASC LIMIT ? OFFSET ?`).all(limit, offset);
    const total = this.db.prepare("SELECT COUNT(*) AS count FROM sessions").get().count;
    return { items: rows.map(decodeSession), more: offset + rows.length < total };
  }
  async listEvents(sessionId, offset, limit) {
    const rows = this.db.prepare(`SELECT ${EVENT_COLUMNS} FROM events WHERE session_id = ?
      ORDER BY event_index ASC, id ASC LIMIT ? OFFSET ?`).all(sessionId, limit, offset);
    const total = this.db.prepare("SELECT COUNT(*) AS count FROM events WHERE session_id = ?")
      .get(sessionId).count;
    return { items: rows.map(decodeEvent), more: offset + rows.length < total };
  }
  async close() { this.db.close(); }
}

class PostgresDriver {
  constructor(uri, schema) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(schema)) throw new Error(`Invalid schema name '${schema}'`);
    const { Client } = require("pg");
    this.client = new Client({ connectionString: uri });
    this.s = `"${schema}"."sessions"`;
    this.e = `"${schema}"."events"`;
    this.schema = schema;
  }
  async init() {
    await this.client.connect();
    await this.client.query(`CREATE SCHEMA IF NOT EXISTS "${this.schema}"`);
    await this.client.query(`CREATE TABLE IF NOT EXISTS ${this.s} (id TEXT PRIMARY KEY,
      agent TEXT NOT NULL, agent_session_id TEXT, last_connection_id TEXT NOT NULL,
      created_at BIGINT NOT NULL, destroyed_at BIGINT, sandbox_id TEXT, session_init_json JSONB,
      config_options_json JSONB, modes_json JSONB)`);
    await this.client.query(`CREATE TABLE IF NOT EXISTS ${this.e} (id TEXT PRIMARY KEY,
      event_index BIGINT NOT NULL, session_id TEXT NOT NULL, created_at BIGINT NOT NULL,
      connection_id TEXT NOT NULL, sender TEXT NOT NULL, payload_json JSONB NOT NULL)`);
    await this.client.query(`CREATE INDEX IF NOT EXISTS idx_events_session_order
      ON ${this.e}(session_id, event_index, id)`);
  }
  static param(i, col) { return col.endsWith("_json") ? `$${i}::jsonb` : `$${i}`; }
  // pg would parse JSONB itself, turning a JSON null into the same JS null as
  // SQL NULL; read the text, so that absent and null modes stay distinct, as
  // they do in the table (modes: null is stored as the JSON text null).
  static select(columns) {
    return columns.split(", ").map((c) => (c.endsWith("_json") ? `${c}::text AS ${c}` : c)).join(", ");
  }
  async updateSession(s) {
    await this.client.query(upsertSql(this.s, SESSION_COLUMNS, PostgresDriver.param), sessionParams(s));
  }
  async insertEvent(e) {
    await this.client.query(upsertSql(this.e, EVENT_COLUMNS, PostgresDriver.param), eventParams(e));
  }
  async getSession(id) {
    const rows = (await this.client.query(`SELECT ${PostgresDriver.select(SESSION_COLUMNS)} FROM ${this.s}
      WHERE id = $1`, [id])).rows;
    return rows.length ? decodeSession(rows[0]) : null;
  }
  async listSessions(offset, limit) {
    const rows = (await this.client.query(`SELECT ${PostgresDriver.select(SESSION_COLUMNS)} FROM ${this.s}
      ORDER BY created_at ASC, id ASC LIMIT $1 OFFSET $2`, [limit, offset])).rows;
    const total = Number((await this.client.query(`SELECT COUNT(*) AS count FROM ${this.s}`)).rows[0].count);
    return { items: rows.map(decodeSession), more: offset + rows.length < total };
  }
  async listEvents(sessionId, offset, limit) {
    const rows = (await this.client.query(`SELECT ${PostgresDriver.select(EVENT_COLUMNS)} FROM ${this.e} WHERE session_id = $1
      ORDER BY event_index ASC, id ASC LIMIT $2 OFFSET $3`, [sessionId, limit, offset])).rows;
    const total = Number((await this.client.query(
      `SELECT COUNT(*) AS count FROM ${this.e} WHERE session_id = $1`, [sessionId])).rows[0].count);
    return { items: rows.map(decodeEvent), more: offset + rows.length < total };
  }
  async close() { await this.client.end(); }
}

async function main() {
  const [kind, ...rest] = process.argv.slice(2);
  let driver, command;
  if (kind === "sqlite" || kind === "sqlite-old") {
    driver = new SqliteDriver(rest[0], kind === "sqlite-old");
    command = rest[1];
  } else if (kind === "postgres") {
    driver = new PostgresDriver(rest[0], rest[1]);
    await driver.init();
    command = rest[2];
  } else {
    throw new Error("usage: ts_sql_drivers.mjs sqlite|sqlite-old FILE write|dump|get | " +
      "postgres URI SCHEMA write|dump|get");
  }
  const PAGE = 7;  // Small, so that paging is exercised.
  if (command === "write") {
    const lines = fs.readFileSync(0, "utf8").split("\n").filter((l) => l.trim() !== "");
    for (const line of lines) {
      const obj = JSON.parse(line);
      if (obj.session) await driver.updateSession(obj.session);
      else await driver.insertEvent(obj.event);
    }
  } else if (command === "get") {
    const ids = fs.readFileSync(0, "utf8").split("\n").filter((l) => l.trim() !== "");
    const out = [];
    for (const id of ids) out.push(JSON.stringify({ session: await driver.getSession(JSON.parse(id)) }));
    process.stdout.write(out.map((l) => l + "\n").join(""));
  } else if (command === "dump") {
    const out = [];
    for (let offset = 0; ; ) {
      const page = await driver.listSessions(offset, PAGE);
      for (const s of page.items) {
        out.push(JSON.stringify({ session: s }));
        for (let eo = 0; ; ) {
          const events = await driver.listEvents(s.id, eo, PAGE);
          for (const e of events.items) out.push(JSON.stringify({ event: e }));
          eo += events.items.length;
          if (!events.more) break;
        }
      }
      offset += page.items.length;
      if (!page.more) break;
    }
    process.stdout.write(out.map((l) => l + "\n").join(""));
  } else {
    throw new Error(`unknown command ${command}`);
  }
  await driver.close();
}

main().catch((err) => { console.error(err.stack || String(err)); process.exit(1); });
