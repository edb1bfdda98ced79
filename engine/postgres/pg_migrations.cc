#include "engine/postgres/pg_migrations.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace sessionlog {
namespace pg {
namespace {

// The recorded version in `rows` (one row, one column: max(version), NULL
// for none).
int64_t Version(const std::vector<SqlRow>& rows) {
  if (rows.empty() || rows[0].empty()) return 0;
  const std::string* text = std::get_if<std::string>(&rows[0][0]);
  int64_t v = 0;
  if (text == nullptr || !absl::SimpleAtoi(*text, &v)) return 0;
  return v;
}

absl::Status TooNew(int64_t recorded, int latest) {
  return absl::FailedPreconditionError(
      absl::StrCat("postgres: the store's schema is at migration ", recorded,
                   ", newer than this sessionlog knows (", latest,
                   "): a newer sessionlog has migrated it; upgrade this one"));
}

}  // namespace

std::vector<Migration> Migrations(const SqlDialect& d) {
  return {
      {1,
       "the TS SDK's tables (examples/persist-postgres) and their index; the "
       "columns older TS drivers lack; *_raw JSON text beside each JSONB "
       "column; unique (session_id, event_index); the sessions age index",
       SchemaStatements(d)},
  };
}

std::string MigrationsTable(const SqlDialect& d) {
  return absl::StrCat("\"", d.schema, "\".\"sessionlog_migrations\"");
}

absl::Status Migrate(Connection& c, const SqlDialect& d) {
  const std::vector<Migration> migrations = Migrations(d);
  const int latest = migrations.back().version;
  const std::string version_query =
      absl::StrCat("SELECT max(version) FROM ", MigrationsTable(d));
  // Up to date: nothing to lock, nothing to change.
  std::vector<SqlRow> rows;
  absl::Status s = c.RunSql(version_query, {}, &rows).status();
  if (s.ok()) {
    const int64_t recorded = Version(rows);
    if (recorded == latest) return absl::OkStatus();
    if (recorded > latest) return TooNew(recorded, latest);
  } else if (!absl::IsNotFound(s)) {
    return s;  // Not a missing table or schema: the server's answer.
  }
  if (s = c.Exec("BEGIN"); !s.ok()) return s;
  auto steps = [&]() -> absl::Status {
    // CREATE ... IF NOT EXISTS is not safe against a concurrent CREATE.
    absl::Status st =
        c.RunSql("SELECT pg_advisory_xact_lock(hashtext($1))",
                 {absl::StrCat("sessionlog-schema:", d.schema)}, nullptr)
            .status();
    if (st.ok()) {
      st = c.Exec(
          absl::StrCat("CREATE SCHEMA IF NOT EXISTS \"", d.schema, "\""));
    }
    if (st.ok()) {
      st = c.Exec(absl::StrCat(
          "CREATE TABLE IF NOT EXISTS ", MigrationsTable(d),
          " (version INTEGER PRIMARY KEY, description TEXT NOT NULL, "
          "applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"));
    }
    rows.clear();
    if (st.ok()) st = c.RunSql(version_query, {}, &rows).status();
    if (!st.ok()) return st;
    const int64_t recorded = Version(rows);
    if (recorded > latest) return TooNew(recorded, latest);
    for (const Migration& m : migrations) {
      if (m.version <= recorded) continue;
      for (const std::string& sql : m.statements) {
        if (st = c.Exec(sql); !st.ok()) return st;
      }
      st = c.RunSql(absl::StrCat("INSERT INTO ", MigrationsTable(d),
                                 " (version, description) VALUES ($1, $2)"),
                    {int64_t{m.version}, m.description}, nullptr)
               .status();
      if (!st.ok()) return st;
    }
    return absl::OkStatus();
  };
  s = steps();
  if (s.ok()) return c.Exec("COMMIT");
  if (c.healthy()) c.Exec("ROLLBACK").IgnoreError();
  return s;
}

}  // namespace pg
}  // namespace sessionlog
