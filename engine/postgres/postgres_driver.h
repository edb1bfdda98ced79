// Postgres ("postgresql://..." or "postgres://..."): the sandbox-agent TS
// SDK's Postgres tables (BIGINT, JSONB) in the schema
// DriverOptions::postgres_schema (default "public", checked against
// ^[A-Za-z_][A-Za-z0-9_]*$ as the TS driver checks it, then always quoted).
// The contract is api/driver.h; the logic is shared with SQLite
// (engine/sql/sql_driver.h), and every statement is prepared and takes its
// values as parameters.
//
// JSON text. JSONB keeps neither key order nor whitespace, but the contract
// returns the JSON text it was given (and exports must round-trip byte for
// byte). So each JSONB column has a TEXT companion, <name>_raw, holding the
// text as given. A read returns the raw text while it still equals the JSONB
// value (`raw::jsonb = json`), and otherwise the JSONB value's own text: a row
// that the TS driver rewrote (it never touches *_raw) reads as the TS driver
// wrote it. The TS driver reads the JSONB columns, so it sees the same values.
// JSONB cannot hold the escape \u0000; such a payload is InvalidArgument.
//
// Round trips (libpq directly, engine/postgres/pg_connection.h): a read is
// one statement in a round trip of its own, without BEGIN/COMMIT; a write
// (an append, a record update or delete) is one pipelined round trip that
// carries its statements and its commit (libpq's pipeline mode); concurrent
// appends of one driver share such a round trip and its commit (group
// commit, engine/sql/group_commit.h). Only an append that conflicts (an
// index or id already taken) falls back to BEGIN, statements, COMMIT.
//
// Connections: a pool of up to 4, opened on demand, so up to 4 calls run at
// once. A connection that breaks is dropped, and one that the server closed
// while it sat in the pool (a restart, a failover) is noticed and replaced
// before use. A call whose connection broke before its commit is retried
// once on a fresh one; so is a pipelined write whose commit's outcome is
// unknown, since every write of the contract can run twice harmlessly
// (upserts, deletes, and appends whose identical rerun is a no-op). While the
// server is down, calls return Unavailable (opening included); they work
// again once it is back. A commit whose outcome stays unknown is Unavailable
// too, and says so.
//
// Several hosts, failover: the URI may name several hosts
// (postgresql://h1:5432,h2:5432/db?target_session_attrs=read-write); each new
// connection goes to the first that accepts writes, so after a standby is
// promoted, calls reach it by themselves (docs/SCALE-OUT.md).
//
// Durability: kProcessCrash sets synchronous_commit=off (the server's WAL
// writer flushes within about 3 x wal_writer_delay, 600 ms by default; a
// server crash can lose that window, a client crash loses nothing
// acknowledged); kFsync keeps synchronous_commit=on. Flush() commits a
// transaction with synchronous_commit=on, which flushes the WAL up to it.
//
// Writers from any number of processes serialize through transaction-scoped
// advisory locks (see engine/sql/sql_driver.h). CheckIntegrity() only checks
// that the server answers: Postgres verifies its own pages as it reads them.

#ifndef SESSIONLOG_ENGINE_POSTGRES_POSTGRES_DRIVER_H_
#define SESSIONLOG_ENGINE_POSTGRES_POSTGRES_DRIVER_H_

#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "api/driver.h"

namespace sessionlog {

// `uri` is a libpq connection URI (postgresql://user@host:port/db?...).
// Creates the schema, tables and indexes if missing (not with read_only).
// Errors: InvalidArgument for a bad schema name; Unavailable if the server
// cannot be reached; FailedPrecondition if existing events hold two events at
// one (session_id, event_index).
absl::StatusOr<std::unique_ptr<SessionPersistDriver>> OpenPostgresDriver(
    absl::string_view uri, const DriverOptions& options);

}  // namespace sessionlog

#endif  // SESSIONLOG_ENGINE_POSTGRES_POSTGRES_DRIVER_H_
