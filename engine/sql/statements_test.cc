#include "engine/sql/statements.h"

#include <regex>
#include <string>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sessionlog {
namespace {

const SqlDialect kSqlite{SqlDialect::Kind::kSqlite, ""};
const SqlDialect kPostgres{SqlDialect::Kind::kPostgres, "tenant_1"};

// SQLite numbers "$N" parameters by first appearance, so every statement must
// introduce $1, $2, ... in ascending order for one binding to serve both
// dialects.
TEST(StatementsTest, ParametersAppearInAscendingOrder) {
  for (const SqlDialect& d : {kSqlite, kPostgres}) {
    for (int i = 0; i < kStmtCount; ++i) {
      const std::string text = StatementText(d, static_cast<Stmt>(i));
      std::regex param("\\$([0-9]+)");
      int highest = 0;
      for (auto it = std::sregex_iterator(text.begin(), text.end(), param);
           it != std::sregex_iterator(); ++it) {
        int n = std::stoi((*it)[1]);
        EXPECT_LE(n, highest + 1) << "statement " << i << ": " << text;
        if (n > highest) highest = n;
      }
    }
  }
}

TEST(StatementsTest, PostgresQualifiesTablesWithTheQuotedSchema) {
  EXPECT_EQ(SessionsTable(kPostgres), "\"tenant_1\".\"sessions\"");
  EXPECT_EQ(EventsTable(kSqlite), "events");
  EXPECT_TRUE(absl::StrContains(StatementText(kPostgres, Stmt::kListEvents),
                                "FROM \"tenant_1\".\"events\""));
}

TEST(StatementsTest, OnlyPostgresTakesAdvisoryLocks) {
  EXPECT_EQ(StatementText(kSqlite, Stmt::kLockStore), "");
  EXPECT_TRUE(absl::StrContains(StatementText(kPostgres, Stmt::kLockStore),
                                "pg_advisory_xact_lock"));
}

TEST(StatementsTest, PagingNeverUsesOffsetOrCount) {
  for (const SqlDialect& d : {kSqlite, kPostgres}) {
    for (Stmt s : {Stmt::kListSessions, Stmt::kListEvents}) {
      const std::string text = StatementText(d, s);
      EXPECT_FALSE(absl::StrContains(text, "OFFSET")) << text;
      EXPECT_FALSE(absl::StrContains(text, "COUNT")) << text;
    }
  }
}

TEST(StatementsTest, SqliteAddsOnlyTheColumnsThatAreMissing) {
  std::vector<std::string> adds = AddMissingColumns(
      kSqlite, "sessions",
      {"id", "agent", "agent_session_id", "last_connection_id", "created_at",
       "destroyed_at", "session_init_json"});
  ASSERT_EQ(adds.size(), 3u);
  EXPECT_TRUE(absl::StrContains(adds[0], "ADD COLUMN sandbox_id TEXT"));
  EXPECT_TRUE(AddMissingColumns(kSqlite, "events", {"id"}).empty());
}

TEST(StatementsTest, PostgresKeepsRawJsonBesideJsonb) {
  const std::string upsert = StatementText(kPostgres, Stmt::kUpsertSession);
  EXPECT_TRUE(absl::StrContains(upsert, "$8::text")) << upsert;
  EXPECT_TRUE(absl::StrContains(upsert, "::jsonb")) << upsert;
  EXPECT_TRUE(absl::StrContains(upsert, "session_init_raw")) << upsert;
  const std::string read = StatementText(kPostgres, Stmt::kFindEvent);
  EXPECT_TRUE(absl::StrContains(read, "payload_raw IS NULL")) << read;
  EXPECT_TRUE(absl::StrContains(read, "::jsonb = payload_json")) << read;
}

// JSONB cannot hold a lone surrogate escape: Postgres writes and compares
// the JSONB column through the text with \ufffd in its place.
TEST(StatementsTest, PostgresJsonbTextReplacesLoneSurrogates) {
  const std::string insert = StatementText(kPostgres, Stmt::kInsertEvent);
  EXPECT_TRUE(absl::StrContains(insert, R"('\\ufffd')")) << insert;
  EXPECT_TRUE(absl::StrContains(insert, "(?!")) << insert;
  EXPECT_TRUE(absl::StrContains(insert, "(?<!")) << insert;
  EXPECT_FALSE(absl::StrContains(StatementText(kSqlite, Stmt::kInsertEvent),
                                 "regexp_replace"));
}

// Read-only opens read the tables as a TS driver made them: the optional
// columns they lack read as NULL, a JSON column without its raw companion as
// the JSON column; tables that do not exist are left to fail.
TEST(StatementsTest, ReadsWorkOnTablesThatLackOptionalColumns) {
  SqlDialect old_ts = kSqlite;
  old_ts.missing_columns = MissingColumns(
      kSqlite, {"sessions.id", "sessions.agent", "sessions.agent_session_id",
                "sessions.last_connection_id", "sessions.created_at",
                "sessions.destroyed_at", "sessions.session_init_json",
                "events.id", "events.payload_json"});
  EXPECT_THAT(old_ts.missing_columns,
              ::testing::ElementsAre("sessions.sandbox_id",
                                     "sessions.config_options_json",
                                     "sessions.modes_json"));
  EXPECT_TRUE(HasColumn(old_ts, "sessions", "session_init_json"));
  EXPECT_FALSE(HasColumn(old_ts, "sessions", "modes_json"));
  const std::string get = StatementText(old_ts, Stmt::kGetSession);
  EXPECT_TRUE(absl::StrContains(
      get, "destroyed_at, NULL, session_init_json, NULL, NULL FROM"))
      << get;

  SqlDialect ts_postgres = kPostgres;
  ts_postgres.missing_columns = MissingColumns(
      kPostgres,
      {"sessions.id", "sessions.sandbox_id", "sessions.session_init_json",
       "sessions.config_options_json", "sessions.modes_json",
       "sessions.agent_session_id", "events.id", "events.payload_json"});
  EXPECT_THAT(ts_postgres.missing_columns,
              ::testing::ElementsAre(
                  "sessions.session_init_raw", "sessions.config_options_raw",
                  "sessions.modes_raw", "events.payload_raw"));
  for (Stmt stmt : {Stmt::kGetSession, Stmt::kListSessions, Stmt::kFindEvent,
                    Stmt::kListEvents, Stmt::kLastEvents}) {
    const std::string text = StatementText(ts_postgres, stmt);
    EXPECT_FALSE(absl::StrContains(text, "_raw")) << text;
  }
  EXPECT_TRUE(absl::StrContains(StatementText(ts_postgres, Stmt::kFindEvent),
                                "payload_json::text FROM"));
  // No table: nothing is missing, so that reads say the table is.
  EXPECT_TRUE(MissingColumns(kPostgres, {}).empty());
  EXPECT_TRUE(absl::StrContains(TableColumnsQuery(kPostgres), "'tenant_1'"));
}

}  // namespace
}  // namespace sessionlog
