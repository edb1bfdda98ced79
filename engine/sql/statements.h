// The SQL text of the two SQL backends, written once for both dialects.
//
// Tables and columns are exactly those of the sandbox-agent TS SDK's example
// drivers (examples/persist-sqlite and examples/persist-postgres of the
// sandbox-agent repository, which 0.4.2 tells users to copy; docs/BACKENDS.md),
// so that either side can read what the other wrote:
//
//   sessions(id TEXT PRIMARY KEY, agent, agent_session_id, last_connection_id,
//            created_at, destroyed_at, sandbox_id, session_init_json,
//            config_options_json, modes_json)
//   events(id TEXT PRIMARY KEY, event_index, session_id, created_at,
//          connection_id, sender, payload_json)
//   idx_events_session_order ON events(session_id, event_index, id)
//
// Integers are INTEGER (SQLite) or BIGINT (Postgres); JSON columns are TEXT
// (SQLite) or JSONB (Postgres). sessionlog adds, without changing what the TS
// drivers read or write:
//   * UNIQUE idx_events_session_index ON events(session_id, event_index): the
//     event identity of the contract, and the constraint the SDK retries on;
//   * idx_sessions_age ON sessions(created_at, id): keyset paging and
//     eviction without a sort;
//   * Postgres only: *_raw TEXT columns beside each JSONB column (see
//     postgres_driver.h): JSONB drops key order and whitespace, while the
//     contract returns the JSON text it was given. A reader uses the raw text
//     only while it still equals the JSONB value, so a row updated by the TS
//     driver (which leaves *_raw alone) reads back as the TS driver wrote it.
//
// Parameters are written $1, $2, ...: Postgres numbers them so, and SQLite
// reads "$1" as a named parameter whose index is its order of first
// appearance, which is the same number since every statement introduces them
// in ascending order.

#ifndef SESSIONLOG_ENGINE_SQL_STATEMENTS_H_
#define SESSIONLOG_ENGINE_SQL_STATEMENTS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace sessionlog {

enum class Stmt {
  // Sessions. Result columns of the session queries: see row_mapping.h.
  kGetSession,     // $1 id
  kListSessions,   // $1 created_at, $2 id (strictly after), $3 limit
  kUpsertSession,  // the 10 record fields, in table order
  kEvictEvents,    // $1 max_sessions: the events of the records beyond the
                   // newest max_sessions by (created_at, id)
  kEvictSessions,  // $1 max_sessions: those records
  kDeleteSession,  // $1 id
  kCountSessions,
  // Events.
  kInsertEvent,        // the 7 event fields, in table order; a no-op on any
                       // conflict (affects 0 rows)
  kFindEvent,          // $1 session_id, $2 event_index
  kListEvents,         // $1 session_id, $2 after_index, $3 limit
  kLastEvents,         // $1 session_id, $2 count (newest first)
  kHighestIndex,       // $1 session_id -> MAX(event_index) or NULL
  kTrimEvents,         // $1 session_id, $2 keep: drop all but the newest `keep`
  kDeleteEvents,       // $1 session_id
  kDeleteEventsAfter,  // $1 session_id, $2 event_index: the events above it
  kCountEvents,
  // Cross-process serialization of writers. Postgres: transaction-scoped
  // advisory locks ($1 a 64-bit key); empty under SQLite, whose write
  // transactions are serialized already.
  kLockStore,              // exclusive: session writes, evictions, deletes
  kLockStoreSharedAndKey,  // $1 store key shared, $2 one session's key
  kLockKey,                // $1: exclusive on one more session's key
  // Batched appends (Postgres only; empty under SQLite): many events, of any
  // sessions, in one statement each, their values as array parameters
  // (ArrayLiteral) so that a batch costs a fixed number of statements.
  kLockStoreSharedAndKeys,  // $1 store key shared, $2 bigint[] session keys,
                            // exclusive, in the order given
  kInsertEventRows,         // $1..$7 arrays of the 7 event fields; no ON
                            // CONFLICT: any conflict fails the statement
  kTrimSessions,            // $1 text[] session ids, $2 keep
};
inline constexpr int kStmtCount = static_cast<int>(Stmt::kTrimSessions) + 1;

struct SqlDialect {
  enum class Kind { kSqlite, kPostgres };
  Kind kind = Kind::kSqlite;
  // Postgres schema, already validated as a plain identifier.
  std::string schema;
  // The optional columns (those AddMissingColumns adds) that the tables
  // lack, as "table.column": tables that an older TS driver made (without
  // sandbox_id, config_options_json, modes_json), or that only a TS driver
  // wrote (without the Postgres *_raw columns), opened read-only and so left
  // as they are. Queries read NULL in their place, and a JSON column without
  // its *_raw companion as the JSON column. Empty once a writer has brought
  // the tables up to date; writes need every column.
  std::vector<std::string> missing_columns;
};

// Whether the tables of `dialect` have `column` of `table`.
bool HasColumn(const SqlDialect& dialect, absl::string_view table,
               absl::string_view column);

// A query of the columns that the tables have: one row per column, its one
// value "table.column". A table that does not exist gives no rows.
std::string TableColumnsQuery(const SqlDialect& dialect);

// The optional columns that tables with `present` columns (as
// TableColumnsQuery gives them) lack, for SqlDialect::missing_columns. A
// table without any column does not exist; none of its columns is listed, so
// that queries of it fail saying the table is missing.
std::vector<std::string> MissingColumns(
    const SqlDialect& dialect, const std::vector<std::string>& present);

// The text of `stmt` in `dialect`; empty when the dialect needs none.
std::string StatementText(const SqlDialect& dialect, Stmt stmt);

// Whether `dialect` has the batched-append statements.
bool HasBatchedAppends(const SqlDialect& dialect);

// A Postgres array literal ({"a","b",NULL}) of `items`, for an array
// parameter: each item double-quoted with \ and \" escaped; nullopt items
// are NULL. The text is bound as a parameter like any other value.
std::string ArrayLiteral(const std::vector<std::optional<std::string>>& items);
std::string ArrayLiteral(const std::vector<int64_t>& items);

// Statements that create (or bring up to date) the tables and indexes; each
// is idempotent. Run in one write transaction at open.
std::vector<std::string> SchemaStatements(const SqlDialect& dialect);

// Statements that add the columns a table created by an older TS driver
// lacks, given the column names it has. SQLite has no ADD COLUMN IF NOT
// EXISTS; Postgres uses that and ignores `existing`.
std::vector<std::string> AddMissingColumns(
    const SqlDialect& dialect, absl::string_view table,
    const std::vector<std::string>& existing);

// What opening a store reports when SchemaStatements failed with
// AlreadyExists (`failure`): the events table already holds two events at one
// (session_id, event_index), so the unique index cannot be built.
// FailedPrecondition, saying what to do.
absl::Status DuplicateEventIndexesError(const absl::Status& failure);

// The table names, qualified and quoted as the dialect needs.
std::string SessionsTable(const SqlDialect& dialect);
std::string EventsTable(const SqlDialect& dialect);

}  // namespace sessionlog

#endif  // SESSIONLOG_ENGINE_SQL_STATEMENTS_H_
