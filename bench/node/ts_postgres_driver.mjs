// The ts-postgres peer of the comparison harness (bench/node/ts_peer.mjs runs
// it): the sandbox-agent SDK's Postgres example driver
// (examples/persist-postgres of the sandbox-agent repository, which 0.4.2
// tells users to copy), on pg@8 (tests/sdk/package-lock.json). Its tables
// and SQL: upsert by id, JSONB columns from JSON.stringify, LIMIT/OFFSET
// pages with a COUNT(*) each, one autocommit statement per call, at the
// server's own durability (synchronous_commit as configured, on by default).
// It works in a schema of its own, dropped by close().

const SESSION_COLUMNS = "id, agent, agent_session_id, last_connection_id, created_at, destroyed_at, " +
  "sandbox_id, session_init_json, config_options_json, modes_json";
const EVENT_COLUMNS = "id, event_index, session_id, created_at, connection_id, sender, payload_json";

function upsert(table, columns) {
  const cols = columns.split(", ");
  const values = cols.map((c, i) => (c.endsWith("_json") ? `$${i + 1}::jsonb` : `$${i + 1}`)).join(", ");
  const sets = cols.slice(1).map((c) => `${c} = excluded.${c}`).join(", ");
  return `INSERT INTO ${table} (${columns}) VALUES (${values}) ON CONFLICT(id) DO UPDATE SET ${sets}`;
}

const json = (value) => (value === undefined ? null : JSON.stringify(value));

export class TsPostgresDriver {
  // `pg` is the pg module; `uri` the server.
  static async open(pg, uri) {
    const driver = new TsPostgresDriver(pg, uri, `ts_bench_${process.pid}_${Date.now() % 1000000}`);
    await driver.init();
    return driver;
  }

  constructor(pg, uri, schema) {
    this.client = new pg.Client({ connectionString: uri });
    this.schema = schema;
    this.s = `"${schema}"."sessions"`;
    this.e = `"${schema}"."events"`;
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
    this.upsertSession = upsert(this.s, SESSION_COLUMNS);
    this.insert = upsert(this.e, EVENT_COLUMNS);
  }

  async getSession(id) {
    const r = (await this.client.query(`SELECT ${SESSION_COLUMNS} FROM ${this.s} WHERE id = $1`, [id])).rows[0];
    if (!r) return undefined;
    return {
      id: r.id, agent: r.agent, agentSessionId: r.agent_session_id ?? undefined,
      lastConnectionId: r.last_connection_id, createdAt: Number(r.created_at),
      destroyedAt: r.destroyed_at === null ? undefined : Number(r.destroyed_at),
      sandboxId: r.sandbox_id ?? undefined, sessionInit: r.session_init_json ?? undefined,
      configOptions: r.config_options_json ?? undefined, modes: r.modes_json ?? undefined,
    };
  }

  async updateSession(s) {
    await this.client.query(this.upsertSession, [s.id, s.agent, s.agentSessionId ?? null,
      s.lastConnectionId, s.createdAt, s.destroyedAt ?? null, s.sandboxId ?? null,
      json(s.sessionInit), json(s.configOptions), json(s.modes)]);
  }

  async insertEvent(_sessionId, e) {
    await this.client.query(this.insert, [e.id, e.eventIndex, e.sessionId, e.createdAt,
      e.connectionId, e.sender, JSON.stringify(e.payload)]);
  }

  async listEvents(request) {
    const offset = request.cursor ? Number.parseInt(request.cursor, 10) || 0 : 0;
    const limit = request.limit ?? 100;
    const rows = (await this.client.query(`SELECT ${EVENT_COLUMNS} FROM ${this.e} WHERE session_id = $1
      ORDER BY event_index ASC, id ASC LIMIT $2 OFFSET $3`, [request.sessionId, limit, offset])).rows;
    const count = Number((await this.client.query(
      `SELECT COUNT(*) AS count FROM ${this.e} WHERE session_id = $1`, [request.sessionId])).rows[0].count);
    const next = offset + rows.length;
    return {
      items: rows.map((r) => ({
        id: r.id, eventIndex: Number(r.event_index), sessionId: r.session_id,
        createdAt: Number(r.created_at), connectionId: r.connection_id, sender: r.sender,
        payload: r.payload_json,
      })),
      nextCursor: next < count ? String(next) : undefined,
    };
  }

  // The bytes of its two tables and their indexes.
  async diskBytes() {
    const r = await this.client.query(
      "SELECT pg_total_relation_size($1::regclass) + pg_total_relation_size($2::regclass) AS bytes",
      [this.s, this.e]);
    return Number(r.rows[0].bytes);
  }

  async close() {
    await this.client.query(`DROP SCHEMA IF EXISTS "${this.schema}" CASCADE`);
    await this.client.end();
  }
}
