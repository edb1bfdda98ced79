// The Postgres schema's migrations, versioned: table
// "<schema>".sessionlog_migrations (version INTEGER PRIMARY KEY, description,
// applied_at) records each one applied, so that opening a store that is up to
// date runs no DDL (ALTER TABLE takes an ACCESS EXCLUSIVE lock, which every
// open of many service instances would otherwise take in turn), and a store
// that a newer sessionlog migrated is recognised.
//
// Every migration leaves the TS SDK's tables readable and writable by the TS
// example driver: it may create tables and indexes, add nullable columns
// without defaults, and drop a NOT NULL that the record makes optional; never
// drop, rename or retype a column, or add a constraint the TS driver's rows
// could break (pg_migrations_test checks the statements).

#ifndef SESSIONLOG_ENGINE_POSTGRES_PG_MIGRATIONS_H_
#define SESSIONLOG_ENGINE_POSTGRES_PG_MIGRATIONS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "engine/postgres/pg_connection.h"
#include "engine/sql/statements.h"

namespace sessionlog {
namespace pg {

struct Migration {
  int version;
  std::string description;
  std::vector<std::string> statements;  // Each idempotent.
};

// Every migration, oldest first; versions count up from 1.
std::vector<Migration> Migrations(const SqlDialect& dialect);

// The qualified, quoted name of the table that records them.
std::string MigrationsTable(const SqlDialect& dialect);

// Brings the schema of `dialect` up to date on `c` (outside any transaction):
// if the recorded version is the latest, one query and nothing else;
// otherwise, in one transaction under an advisory lock (several processes may
// open a new schema at once), the schema, the record table, and every
// migration not yet recorded, each recorded as it is applied.
// FailedPrecondition when the store records a version newer than this
// build's; otherwise the errors of the statements (AlreadyExists when
// existing events hold two events at one (session_id, event_index)).
absl::Status Migrate(Connection& c, const SqlDialect& dialect);

}  // namespace pg
}  // namespace sessionlog

#endif  // SESSIONLOG_ENGINE_POSTGRES_PG_MIGRATIONS_H_
