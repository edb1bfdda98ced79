#!/usr/bin/env node
// The TS peers of the comparison harness (bench/compare), under node:
//   ts-memory  the SDK's own InMemorySessionPersistDriver (sandbox-agent@0.4.2)
//   ts-postgres the SDK's Postgres example driver, on pg@8
//              (ts_postgres_driver.mjs), against config.pg_uri
//   ts-sqlite  the SDK's SQLite example driver (examples/persist-sqlite of
//              the sandbox-agent repository), on better-sqlite3@12: its
//              schema and SQL (upsert by event id, LIMIT/OFFSET paging with a
//              COUNT(*) per page)
// Replay reads are the SDK's collectReplayEvents: page through the whole
// session (limit max(100, 50)), keep the last 50.
//
// Usage: node ts_peer.mjs CONFIG.json   (written by the harness)
// Prints one line: {"ok":true,"result":{...}} with the fields of
// bench/compare/phases.h, or {"ok":false,"error":"..."}.
import { readFileSync, createReadStream, readdirSync, statSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import readline from "node:readline";
import { pathToFileURL } from "node:url";

const config = JSON.parse(readFileSync(process.argv[2], "utf8"));
const nodeModules = config.node_modules;
const sdk = await import(pathToFileURL(path.join(nodeModules, "sandbox-agent/dist/index.js")).href);
const requireModule = createRequire(path.join(nodeModules, "noop.js"));
const Database = requireModule("better-sqlite3");

const DEFAULT_LIST_LIMIT = 100;

function normalizeLimit(limit) {
  return !Number.isFinite(limit) || (limit ?? 0) < 1 ? DEFAULT_LIST_LIMIT : Math.floor(limit);
}

function parseCursor(cursor) {
  const parsed = cursor ? Number.parseInt(cursor, 10) : 0;
  return Number.isFinite(parsed) && parsed > 0 ? parsed : 0;
}

// The SDK's SQLite example driver: the same tables, statements and paging.
// Two deliberate differences, both in its favour: statements are prepared
// once, and the journal is WAL with synchronous=NORMAL (survives a process
// crash, like sessionlog's default) instead of the example's rollback journal
// with an fsync per insert.
class TsSqliteDriver {
  constructor(filename) {
    this.db = new Database(filename);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = NORMAL");
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS sessions (
        id TEXT PRIMARY KEY, agent TEXT NOT NULL, agent_session_id TEXT NOT NULL,
        last_connection_id TEXT NOT NULL, created_at INTEGER NOT NULL, destroyed_at INTEGER,
        sandbox_id TEXT, session_init_json TEXT, config_options_json TEXT, modes_json TEXT);
      CREATE TABLE IF NOT EXISTS events (
        id TEXT PRIMARY KEY, event_index INTEGER NOT NULL, session_id TEXT NOT NULL,
        created_at INTEGER NOT NULL, connection_id TEXT NOT NULL, sender TEXT NOT NULL,
        payload_json TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS idx_events_session_order ON events(session_id, event_index, id);`);
    this.getSessionStmt = this.db.prepare(
      `SELECT id, agent, agent_session_id, last_connection_id, created_at, destroyed_at, sandbox_id,
              session_init_json, config_options_json, modes_json FROM sessions WHERE id = ?`);
    this.upsertSessionStmt = this.db.prepare(
      `INSERT INTO sessions (id, agent, agent_session_id, last_connection_id, created_at, destroyed_at,
         sandbox_id, session_init_json, config_options_json, modes_json)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET agent = excluded.agent, agent_session_id = excluded.agent_session_id,
         last_connection_id = excluded.last_connection_id, created_at = excluded.created_at,
         destroyed_at = excluded.destroyed_at, sandbox_id = excluded.sandbox_id,
         session_init_json = excluded.session_init_json, config_options_json = excluded.config_options_json,
         modes_json = excluded.modes_json`);
    this.listEventsStmt = this.db.prepare(
      `SELECT id, event_index, session_id, created_at, connection_id, sender, payload_json
       FROM events WHERE session_id = ? ORDER BY event_index ASC, id ASC LIMIT ? OFFSET ?`);
    this.countEventsStmt = this.db.prepare(`SELECT COUNT(*) AS count FROM events WHERE session_id = ?`);
    this.insertEventStmt = this.db.prepare(
      `INSERT INTO events (id, event_index, session_id, created_at, connection_id, sender, payload_json)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET event_index = excluded.event_index, session_id = excluded.session_id,
         created_at = excluded.created_at, connection_id = excluded.connection_id, sender = excluded.sender,
         payload_json = excluded.payload_json`);
  }

  async getSession(id) {
    const row = this.getSessionStmt.get(id);
    if (!row) return undefined;
    return {
      id: row.id, agent: row.agent, agentSessionId: row.agent_session_id,
      lastConnectionId: row.last_connection_id, createdAt: row.created_at,
      destroyedAt: row.destroyed_at ?? undefined, sandboxId: row.sandbox_id ?? undefined,
      sessionInit: row.session_init_json ? JSON.parse(row.session_init_json) : undefined,
      configOptions: row.config_options_json ? JSON.parse(row.config_options_json) : undefined,
      modes: row.modes_json ? JSON.parse(row.modes_json) : undefined,
    };
  }

  async updateSession(s) {
    this.upsertSessionStmt.run(s.id, s.agent, s.agentSessionId, s.lastConnectionId, s.createdAt,
      s.destroyedAt ?? null, s.sandboxId ?? null,
      s.sessionInit ? JSON.stringify(s.sessionInit) : null,
      s.configOptions ? JSON.stringify(s.configOptions) : null,
      s.modes !== undefined ? JSON.stringify(s.modes) : null);
  }

  async listEvents(request) {
    const offset = parseCursor(request.cursor);
    const rows = this.listEventsStmt.all(request.sessionId, normalizeLimit(request.limit), offset);
    const { count } = this.countEventsStmt.get(request.sessionId);
    const nextOffset = offset + rows.length;
    return {
      items: rows.map((r) => ({
        id: r.id, eventIndex: r.event_index, sessionId: r.session_id, createdAt: r.created_at,
        connectionId: r.connection_id, sender: r.sender, payload: JSON.parse(r.payload_json),
      })),
      nextCursor: nextOffset < count ? String(nextOffset) : undefined,
    };
  }

  async insertEvent(_sessionId, e) {
    this.insertEventStmt.run(e.id, e.eventIndex, e.sessionId, e.createdAt, e.connectionId, e.sender,
      JSON.stringify(e.payload));
  }

  close() {
    this.db.pragma("wal_checkpoint(TRUNCATE)");
    this.db.close();
  }
}

async function openDriver(dir, limits) {
  mkdirSync(dir, { recursive: true });
  if (config.peer === "ts-memory") return new sdk.InMemorySessionPersistDriver(limits);
  if (config.peer === "ts-sqlite") return new TsSqliteDriver(path.join(dir, "ts.db"));
  if (config.peer === "ts-postgres") {
    const { TsPostgresDriver } = await import("./ts_postgres_driver.mjs");
    return TsPostgresDriver.open(requireModule("pg"), config.pg_uri);
  }
  throw new Error(`unknown TS peer ${config.peer}`);
}

// SandboxAgent.collectReplayEvents, as the SDK writes it.
async function collectReplayEvents(driver, sessionId, maxEvents) {
  const all = [];
  let cursor;
  for (;;) {
    const page = await driver.listEvents({ sessionId, cursor, limit: Math.max(100, maxEvents) });
    all.push(...page.items);
    if (!page.nextCursor) break;
    cursor = page.nextCursor;
  }
  return all.slice(-maxEvents);
}

const now = () => process.hrtime.bigint();
const micros = (t0, t1) => Number(t1 - t0) / 1000;

function quantile(values, q) {
  if (values.length === 0) return 0;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.round(q * (sorted.length - 1)))];
}

// Loads a workload file into `driver`: session records untimed, events timed
// in chunks so that JSON parsing stays out of the clock.
async function load(driver, file, latencies) {
  const sessionIds = [];
  let chunk = [];
  let seconds = 0;
  let events = 0;
  // An untimed fill of the SQLite driver runs a chunk per transaction, to
  // keep the run short; timed appends are one transaction each, as the SDK's.
  const batched = !latencies && driver.db;
  const flush = async () => {
    const start = now();
    if (batched) driver.db.exec("BEGIN");
    for (const e of chunk) {
      const t0 = latencies ? now() : 0n;
      await driver.insertEvent(e.sessionId, e);
      if (latencies) latencies.push(micros(t0, now()));
    }
    if (batched) driver.db.exec("COMMIT");
    seconds += Number(now() - start) / 1e9;
    events += chunk.length;
    chunk = [];
  };
  const lines = readline.createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line) continue;
    const record = JSON.parse(line);
    if (record.session) {
      await driver.updateSession(record.session);
      sessionIds.push(record.session.id);
    } else {
      chunk.push(record.event);
      if (chunk.length >= 10000) await flush();
    }
  }
  await flush();
  return { sessionIds, seconds, events };
}

async function timedReplays(driver, sessionIds, expected) {
  const latencies = [];
  const start = now();
  for (let i = 0; i < config.reads; i++) {
    if (i >= 3 && Number(now() - start) / 1e9 > config.max_read_seconds) break;
    const id = sessionIds[(i * 7919) % sessionIds.length];
    const t0 = now();
    const events = await collectReplayEvents(driver, id, config.replay_count);
    latencies.push(micros(t0, now()));
    if (events.length !== expected) {
      throw new Error(`replay of session ${id} read ${events.length} events, not ${expected}`);
    }
  }
  const seconds = Number(now() - start) / 1e9;
  return {
    replays: latencies.length,
    replays_per_s: latencies.length / seconds,
    replay_p50_us: quantile(latencies, 0.5),
    replay_p99_us: quantile(latencies, 0.99),
  };
}

function diskBytes(dir) {
  let total = 0;
  for (const name of readdirSync(dir)) {
    const st = statSync(path.join(dir, name));
    total += st.isDirectory() ? diskBytes(path.join(dir, name)) : st.size;
  }
  return total;
}

async function runStandard() {
  const driver = await openDriver(config.dir, {});
  const appendLatencies = [];
  const { sessionIds, seconds, events } = await load(driver, config.files.workload, appendLatencies);
  const result = {
    events,
    appends_per_s: events / seconds,
    append_p50_us: quantile(appendLatencies, 0.5),
    append_p99_us: quantile(appendLatencies, 0.99),
    ...(await timedReplays(driver, sessionIds, Math.min(config.replay_count, config.events_per_session))),
  };
  const gets = [];
  const start = now();
  for (let i = 0; i < config.reads; i++) {
    const t0 = now();
    const record = await driver.getSession(sessionIds[(i * 7919) % sessionIds.length]);
    gets.push(micros(t0, now()));
    if (!record) throw new Error("session get found nothing");
  }
  result.gets_per_s = config.reads / (Number(now() - start) / 1e9);
  result.get_p50_us = quantile(gets, 0.5);
  result.get_p99_us = quantile(gets, 0.99);
  result.rss_bytes = process.memoryUsage().rss;
  // A server's driver measures its tables before it drops them.
  result.disk_bytes = driver.diskBytes ? await driver.diskBytes() : 0;
  await driver.close?.();
  result.disk_bytes ||= diskBytes(config.dir);
  return result;
}

async function runReplay() {
  const points = [];
  for (const { length, file } of config.files.lengths) {
    // Caps off (the SDK normalises a non-finite cap to its default, so a
    // large finite one).
    const driver = await openDriver(path.join(config.dir, `len${length}`),
      { maxSessions: 1e9, maxEventsPerSession: 1e9 });
    const { sessionIds } = await load(driver, file, null);
    const point = await timedReplays(driver, sessionIds, Math.min(config.replay_count, length));
    points.push({ events_per_session: length, ...point });
    await driver.close?.();
  }
  return { points };
}

try {
  const result = config.phase === "standard" ? await runStandard()
    : config.phase === "replay" ? await runReplay()
    : (() => { throw new Error(`TS peers do not run phase ${config.phase}`); })();
  process.stdout.write(JSON.stringify({ ok: true, result }) + "\n");
} catch (e) {
  process.stdout.write(JSON.stringify({ ok: false, error: `${config.peer}: ${e?.stack ?? e}` }) + "\n");
}
