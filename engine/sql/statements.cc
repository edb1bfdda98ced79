#include "engine/sql/statements.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/substitute.h"

namespace sessionlog {
namespace {

bool IsPostgres(const SqlDialect& d) {
  return d.kind == SqlDialect::Kind::kPostgres;
}

// The JSON-typed columns, in table order, by table.
constexpr const char* kSessionJsonColumns[] = {"session_init", "config_options",
                                               "modes"};

// Ids order bytewise everywhere. SQLite's default BINARY collation already
// does; a Postgres database may default to a linguistic collation.
std::string Collated(const SqlDialect& d, absl::string_view column) {
  return IsPostgres(d) ? absl::StrCat(column, " COLLATE \"C\"")
                       : std::string(column);
}

// Postgres: the JSON text `text` (an SQL text expression) as the text its
// JSONB column holds. JSONB cannot hold a lone UTF-16 surrogate escape
// ("\ud83d"; api/internal/json_surrogates.h), so each becomes \ufffd, the
// character a UTF-8 encoder writes for it; text without a surrogate escape
// goes as it is. Three passes: escaped backslashes become \u005c (the same
// value), so that every "\u" left starts an escape; then a high surrogate
// escape not followed by a low one, and a low one not preceded by a high one,
// become \ufffd.
std::string JsonbText(absl::string_view text) {
  constexpr absl::string_view kHigh = R"(\\u[dD][89abAB][0-9a-fA-F]{2})";
  constexpr absl::string_view kLow = R"(\\u[dD][c-fC-F][0-9a-fA-F]{2})";
  const std::string unescaped =
      absl::StrCat("regexp_replace(", text, R"(, '\\\\', '\\u005c', 'g'))");
  const std::string highs =
      absl::StrCat("regexp_replace(", unescaped, ", '", kHigh, "(?!", kLow,
                   ")', ", R"('\\ufffd', 'g'))");
  const std::string lows =
      absl::StrCat("regexp_replace(", highs, ", '(?<!", kHigh, ")", kLow,
                   R"(', '\\ufffd', 'g'))");
  return absl::StrCat("(CASE WHEN ", text, R"( ~ '\\u[dD]' THEN )", lows,
                      " ELSE ", text, " END)");
}

// Reads JSON column `<base>_json` of `table` as text. Postgres: the raw text
// while it still stands for the JSONB value (another program, such as the TS
// driver, may have rewritten the JSONB since), else the JSONB value's own
// text. Tables without the column (or without its raw companion) read NULL
// (or the JSON column).
std::string JsonRead(const SqlDialect& d, absl::string_view table,
                     absl::string_view base) {
  const std::string json = absl::StrCat(base, "_json");
  if (!HasColumn(d, table, json)) return "NULL";
  if (!IsPostgres(d)) return json;
  if (!HasColumn(d, table, absl::StrCat(base, "_raw"))) {
    return absl::StrCat(json, "::text");
  }
  return absl::Substitute(
      "CASE WHEN $0_raw IS NULL THEN $0_json::text WHEN $1::jsonb = $0_json "
      "THEN $0_raw ELSE $0_json::text END",
      base, JsonbText(absl::StrCat(base, "_raw")));
}

// Writes parameter $n into a JSON column. Postgres infers a parameter's type
// from its first use: "::text" first keeps $n text, so the *_raw column that
// reuses it gets the text as given rather than JSONB's rendering.
std::string JsonWrite(const SqlDialect& d, int n) {
  return IsPostgres(d) ? absl::StrCat(JsonbText(absl::StrCat("$", n, "::text")),
                                      "::jsonb")
                       : absl::StrCat("$", n);
}

// The (created_at, id) of the newest record to evict: the (max_sessions+1)-th
// newest ($1 = max_sessions). No such record: NULL, and nothing matches.
std::string EvictionBoundary(const SqlDialect& d) {
  return absl::StrCat("(SELECT created_at, id FROM ", SessionsTable(d),
                      " ORDER BY created_at DESC, ", Collated(d, "id"),
                      " DESC LIMIT 1 OFFSET $1)");
}

std::string SessionColumns(const SqlDialect& d) {
  std::vector<std::string> cols;
  for (const char* column :
       {"id", "agent", "agent_session_id", "last_connection_id", "created_at",
        "destroyed_at", "sandbox_id"}) {
    cols.push_back(HasColumn(d, "sessions", column) ? column : "NULL");
  }
  for (const char* base : kSessionJsonColumns) {
    cols.push_back(JsonRead(d, "sessions", base));
  }
  return absl::StrJoin(cols, ", ");
}

std::string EventColumns(const SqlDialect& d) {
  return absl::StrCat(
      "id, event_index, session_id, created_at, connection_id, sender, ",
      JsonRead(d, "events", "payload"));
}

std::string UpsertSession(const SqlDialect& d) {
  std::vector<std::string> cols = {
      "id",         "agent",        "agent_session_id", "last_connection_id",
      "created_at", "destroyed_at", "sandbox_id"};
  std::vector<std::string> values = {"$1", "$2", "$3", "$4", "$5", "$6", "$7"};
  int n = 8;
  for (const char* base : kSessionJsonColumns) {
    cols.push_back(absl::StrCat(base, "_json"));
    values.push_back(JsonWrite(d, n++));
  }
  if (IsPostgres(d)) {
    n = 8;
    for (const char* base : kSessionJsonColumns) {
      cols.push_back(absl::StrCat(base, "_raw"));
      values.push_back(absl::StrCat("$", n++));
    }
  }
  std::vector<std::string> sets;
  for (size_t i = 1; i < cols.size(); ++i) {
    sets.push_back(absl::StrCat(cols[i], " = excluded.", cols[i]));
  }
  return absl::StrCat(
      "INSERT INTO ", SessionsTable(d), " (", absl::StrJoin(cols, ", "),
      ") VALUES (", absl::StrJoin(values, ", "),
      ") ON CONFLICT (id) DO UPDATE SET ", absl::StrJoin(sets, ", "));
}

std::string InsertEvent(const SqlDialect& d) {
  return absl::StrCat(
      "INSERT INTO ", EventsTable(d),
      " (id, event_index, session_id, created_at, connection_id, sender, "
      "payload_json",
      IsPostgres(d) ? ", payload_raw" : "",
      ") VALUES ($1, $2, $3, $4, $5, $6, ", JsonWrite(d, 7),
      IsPostgres(d) ? ", $7" : "", ") ON CONFLICT DO NOTHING");
}

}  // namespace

std::string SessionsTable(const SqlDialect& d) {
  return IsPostgres(d) ? absl::StrCat("\"", d.schema, "\".\"sessions\"")
                       : "sessions";
}

std::string EventsTable(const SqlDialect& d) {
  return IsPostgres(d) ? absl::StrCat("\"", d.schema, "\".\"events\"")
                       : "events";
}

std::string StatementText(const SqlDialect& d, Stmt stmt) {
  const std::string s = SessionsTable(d);
  const std::string e = EventsTable(d);
  const std::string id = Collated(d, "id");
  const std::string age = absl::StrCat("(created_at, ", id, ")");
  switch (stmt) {
    case Stmt::kGetSession:
      return absl::StrCat("SELECT ", SessionColumns(d), " FROM ", s,
                          " WHERE id = $1");
    case Stmt::kListSessions:
      return absl::StrCat("SELECT ", SessionColumns(d), " FROM ", s, " WHERE ",
                          age, " > ($1, $2) ORDER BY created_at, ", id,
                          " LIMIT $3");
    case Stmt::kUpsertSession:
      return UpsertSession(d);
    case Stmt::kEvictEvents:
      return absl::StrCat("DELETE FROM ", e,
                          " WHERE session_id IN (SELECT id FROM ", s, " WHERE ",
                          age, " <= ", EvictionBoundary(d), ")");
    case Stmt::kEvictSessions:
      return absl::StrCat("DELETE FROM ", s, " WHERE ", age,
                          " <= ", EvictionBoundary(d));
    case Stmt::kDeleteSession:
      return absl::StrCat("DELETE FROM ", s, " WHERE id = $1");
    case Stmt::kCountSessions:
      return absl::StrCat("SELECT COUNT(*) FROM ", s);
    case Stmt::kInsertEvent:
      return InsertEvent(d);
    case Stmt::kFindEvent:
      return absl::StrCat("SELECT ", EventColumns(d), " FROM ", e,
                          " WHERE session_id = $1 AND event_index = $2");
    case Stmt::kListEvents:
      return absl::StrCat("SELECT ", EventColumns(d), " FROM ", e,
                          " WHERE session_id = $1 AND event_index > $2"
                          " ORDER BY event_index LIMIT $3");
    case Stmt::kLastEvents:
      return absl::StrCat("SELECT ", EventColumns(d), " FROM ", e,
                          " WHERE session_id = $1"
                          " ORDER BY event_index DESC LIMIT $2");
    case Stmt::kHighestIndex:
      return absl::StrCat("SELECT MAX(event_index) FROM ", e,
                          " WHERE session_id = $1");
    case Stmt::kTrimEvents:
      // The subquery is the newest index to drop: the (keep+1)-th newest,
      // found on the session's index range. None: nothing is deleted.
      return absl::StrCat("DELETE FROM ", e,
                          " WHERE session_id = $1 AND event_index <= "
                          "(SELECT event_index FROM ",
                          e,
                          " WHERE session_id = $1"
                          " ORDER BY event_index DESC LIMIT 1 OFFSET $2)");
    case Stmt::kDeleteEvents:
      return absl::StrCat("DELETE FROM ", e, " WHERE session_id = $1");
    case Stmt::kDeleteEventsAfter:
      return absl::StrCat("DELETE FROM ", e,
                          " WHERE session_id = $1 AND event_index > $2");
    case Stmt::kCountEvents:
      return absl::StrCat("SELECT COUNT(*) FROM ", e);
    case Stmt::kLockStore:
      return IsPostgres(d) ? "SELECT pg_advisory_xact_lock($1)" : "";
    case Stmt::kLockStoreSharedAndKey:
      return IsPostgres(d) ? "SELECT pg_advisory_xact_lock_shared($1), "
                             "pg_advisory_xact_lock($2)"
                           : "";
    case Stmt::kLockKey:
      return IsPostgres(d) ? "SELECT pg_advisory_xact_lock($1)" : "";
    case Stmt::kLockStoreSharedAndKeys:
      // UNION ALL runs its branches in order: the store lock first.
      return IsPostgres(d) ? "SELECT pg_advisory_xact_lock_shared($1) "
                             "UNION ALL SELECT pg_advisory_xact_lock(k) "
                             "FROM unnest($2::bigint[]) AS k"
                           : "";
    case Stmt::kInsertEventRows:
      if (!IsPostgres(d)) return "";
      return absl::StrCat(
          "INSERT INTO ", e,
          " (id, event_index, session_id, created_at, connection_id, sender, "
          "payload_json, payload_raw) SELECT id, event_index, session_id, "
          "created_at, connection_id, sender, ",
          JsonbText("payload"),
          "::jsonb, payload FROM "
          "unnest($1::text[], $2::bigint[], $3::text[], $4::bigint[], "
          "$5::text[], $6::text[], $7::text[]) AS t(id, event_index, "
          "session_id, created_at, connection_id, sender, payload)");
    case Stmt::kTrimSessions:
      // Per session, as kTrimEvents, but the offset scan runs only when two
      // index probes say there may be more than `keep` events (lowest <=
      // highest - keep), which spares it on every append to a session
      // that has not reached the limit.
      if (!IsPostgres(d)) return "";
      return absl::StrCat(
          "DELETE FROM ", e,
          " AS x USING unnest($1::text[]) AS s(id) WHERE x.session_id = s.id "
          "AND x.event_index <= (SELECT event_index FROM ",
          e, " WHERE session_id = s.id AND (SELECT min(event_index) FROM ", e,
          " WHERE session_id = s.id) <= (SELECT max(event_index) FROM ", e,
          " WHERE session_id = s.id) - $2 ORDER BY event_index DESC LIMIT 1 "
          "OFFSET $2)");
  }
  return "";
}

bool HasBatchedAppends(const SqlDialect& d) { return IsPostgres(d); }

std::string ArrayLiteral(const std::vector<std::optional<std::string>>& items) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out.push_back(',');
    if (!items[i]) {
      out.append("NULL");
      continue;
    }
    out.push_back('"');
    for (char c : *items[i]) {
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    out.push_back('"');
  }
  out.push_back('}');
  return out;
}

std::string ArrayLiteral(const std::vector<int64_t>& items) {
  return absl::StrCat("{", absl::StrJoin(items, ","), "}");
}

std::vector<std::string> SchemaStatements(const SqlDialect& d) {
  const bool pg = IsPostgres(d);
  const char* integer = pg ? "BIGINT" : "INTEGER";
  const char* json = pg ? "JSONB" : "TEXT";
  std::vector<std::string> out;
  if (pg)
    out.push_back(
        absl::StrCat("CREATE SCHEMA IF NOT EXISTS \"", d.schema, "\""));
  out.push_back(absl::Substitute(
      "CREATE TABLE IF NOT EXISTS $0 (id TEXT PRIMARY KEY, agent TEXT NOT "
      "NULL, "
      "agent_session_id TEXT, last_connection_id TEXT NOT NULL, "
      "created_at $1 NOT NULL, destroyed_at $1, sandbox_id TEXT, "
      "session_init_json $2, config_options_json $2, modes_json $2)",
      SessionsTable(d), integer, json));
  out.push_back(
      absl::Substitute("CREATE TABLE IF NOT EXISTS $0 (id TEXT PRIMARY KEY, "
                       "event_index $1 NOT NULL, session_id TEXT NOT NULL, "
                       "created_at $1 NOT NULL, connection_id TEXT NOT NULL, "
                       "sender TEXT NOT NULL, payload_json $2 NOT NULL)",
                       EventsTable(d), integer, json));
  if (pg) {
    // Older TS drivers required agent_session_id; the record makes it optional.
    out.push_back(absl::StrCat("ALTER TABLE ", SessionsTable(d),
                               " ALTER COLUMN agent_session_id DROP NOT NULL"));
    for (const std::string& add : AddMissingColumns(d, "sessions", {})) {
      out.push_back(add);
    }
    for (const std::string& add : AddMissingColumns(d, "events", {})) {
      out.push_back(add);
    }
  }
  out.push_back(
      absl::StrCat("CREATE INDEX IF NOT EXISTS idx_events_session_order ON ",
                   EventsTable(d), " (session_id, event_index, id)"));
  out.push_back(absl::StrCat(
      "CREATE UNIQUE INDEX IF NOT EXISTS idx_events_session_index ON ",
      EventsTable(d), " (session_id, event_index)"));
  out.push_back(absl::StrCat("CREATE INDEX IF NOT EXISTS idx_sessions_age ON ",
                             SessionsTable(d), " (created_at, ",
                             Collated(d, "id"), ")"));
  return out;
}

namespace {

// The nullable columns that older TS drivers, or the TS drivers alone, do not
// create, with their types.
std::vector<std::pair<std::string, std::string>> OptionalColumns(
    const SqlDialect& d, absl::string_view table) {
  const bool pg = IsPostgres(d);
  const char* json = pg ? "JSONB" : "TEXT";
  std::vector<std::pair<std::string, std::string>> optional;
  if (table == "sessions") {
    optional = {{"agent_session_id", "TEXT"},
                {"sandbox_id", "TEXT"},
                {"session_init_json", json},
                {"config_options_json", json},
                {"modes_json", json}};
    if (pg) {
      for (const char* base : kSessionJsonColumns) {
        optional.push_back({absl::StrCat(base, "_raw"), "TEXT"});
      }
    }
  } else if (pg) {
    optional = {{"payload_raw", "TEXT"}};
  }
  return optional;
}

}  // namespace

std::vector<std::string> AddMissingColumns(
    const SqlDialect& d, absl::string_view table,
    const std::vector<std::string>& existing) {
  const bool pg = IsPostgres(d);
  const std::string qualified =
      table == "sessions" ? SessionsTable(d) : EventsTable(d);
  std::vector<std::string> out;
  for (const auto& [name, type] : OptionalColumns(d, table)) {
    if (pg) {
      out.push_back(absl::StrCat("ALTER TABLE ", qualified,
                                 " ADD COLUMN IF NOT EXISTS ", name, " ",
                                 type));
    } else if (std::find(existing.begin(), existing.end(), name) ==
               existing.end()) {
      out.push_back(absl::StrCat("ALTER TABLE ", qualified, " ADD COLUMN ",
                                 name, " ", type));
    }
  }
  return out;
}

bool HasColumn(const SqlDialect& d, absl::string_view table,
               absl::string_view column) {
  const std::string name = absl::StrCat(table, ".", column);
  return std::find(d.missing_columns.begin(), d.missing_columns.end(), name) ==
         d.missing_columns.end();
}

std::string TableColumnsQuery(const SqlDialect& d) {
  if (!IsPostgres(d)) {
    return "SELECT 'sessions.' || name FROM pragma_table_info('sessions') "
           "UNION ALL SELECT 'events.' || name FROM "
           "pragma_table_info('events')";
  }
  return absl::StrCat(
      "SELECT table_name || '.' || column_name FROM information_schema.columns "
      "WHERE table_schema = '",
      d.schema, "' AND table_name IN ('sessions', 'events')");
}

std::vector<std::string> MissingColumns(
    const SqlDialect& d, const std::vector<std::string>& present) {
  std::vector<std::string> missing;
  for (absl::string_view table : {"sessions", "events"}) {
    const std::string prefix = absl::StrCat(table, ".");
    const bool exists = std::any_of(
        present.begin(), present.end(),
        [&](const std::string& c) { return absl::StartsWith(c, prefix); });
    if (!exists) continue;
    for (const auto& [name, type] : OptionalColumns(d, table)) {
      const std::string column = prefix + name;
      if (std::find(present.begin(), present.end(), column) == present.end()) {
        missing.push_back(column);
      }
    }
  }
  return missing;
}

absl::Status DuplicateEventIndexesError(const absl::Status& failure) {
  return absl::FailedPreconditionError(absl::StrCat(
      failure.message(),
      "; the events table holds two events at one (session_id, "
      "event_index), which sessionlog's unique index refuses: renumber or "
      "delete one of them, then open again"));
}

}  // namespace sessionlog
