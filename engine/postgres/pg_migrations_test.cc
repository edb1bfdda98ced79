// The versioned schema migrations of the Postgres backend (pg_migrations.h):
// recorded, skipped when up to date (no DDL, so no table lock at open), a
// newer store refused, tables the TS driver made migrated, and every
// statement one that leaves the TS tables readable by the TS driver. Needs
// SESSIONLOG_PG_URI (tag "external").

#include "engine/postgres/pg_migrations.h"

#include <memory>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/postgres/postgres_driver.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/pg_test_schema.h"
#include "tests/testing/records.h"

namespace sessionlog {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class PgMigrationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::string> uri = PgTestUri();
    ASSERT_TRUE(uri.ok()) << uri.status();
    uri_ = *uri;
  }

  absl::StatusOr<std::unique_ptr<SessionPersistDriver>> Open(
      const std::string& uri) {
    DriverOptions options;
    options.postgres_schema = schema_.name();
    return OpenPostgresDriver(uri, options);
  }

  std::string Table(const std::string& name) const {
    return absl::StrCat("\"", schema_.name(), "\".\"", name, "\"");
  }

  std::vector<std::string> Versions() {
    auto v = PgTestSchema::Query(absl::StrCat("SELECT version FROM ",
                                              Table("sessionlog_migrations"),
                                              " ORDER BY version"));
    EXPECT_TRUE(v.ok()) << v.status();
    return v.ok() ? *v : std::vector<std::string>();
  }

  PgTestSchema schema_;
  std::string uri_;
};

TEST_F(PgMigrationsTest, ANewStoreRecordsEveryMigration) {
  auto driver = Open(uri_);
  ASSERT_TRUE(driver.ok()) << driver.status();
  const SqlDialect d{SqlDialect::Kind::kPostgres, schema_.name()};
  std::vector<std::string> want;
  for (const pg::Migration& m : pg::Migrations(d)) {
    want.push_back(absl::StrCat(m.version));
  }
  EXPECT_EQ(Versions(), want);
  // Opening again records nothing more.
  ASSERT_TRUE(Open(uri_).ok());
  EXPECT_EQ(Versions(), want);
}

// Up to date, opening runs no DDL: it neither waits for nor blocks the
// transactions of other service instances (ALTER TABLE would take an ACCESS
// EXCLUSIVE lock on the tables).
TEST_F(PgMigrationsTest, AnUpToDateStoreOpensUnderAnotherTransactionsLock) {
  ASSERT_TRUE(Open(uri_).ok());
  pqxx::connection holder(uri_);
  pqxx::work txn(holder);
  txn.exec(absl::StrCat("LOCK TABLE ", Table("events"), ", ", Table("sessions"),
                        " IN ACCESS SHARE MODE"));
  const std::string impatient =
      absl::StrCat(uri_, absl::StrContains(uri_, "?") ? "&" : "?",
                   "options=-c%20lock_timeout%3D2000");
  auto driver = Open(impatient);
  ASSERT_TRUE(driver.ok()) << driver.status();
  EXPECT_TRUE((*driver)->InsertEvent(test::MakeEvent("s", 1)).ok());
}

TEST_F(PgMigrationsTest, AStoreANewerSessionlogMigratedIsRefused) {
  ASSERT_TRUE(Open(uri_).ok());
  const SqlDialect d{SqlDialect::Kind::kPostgres, schema_.name()};
  const int next = pg::Migrations(d).back().version + 1;
  ASSERT_TRUE(PgTestSchema::Exec(
                  absl::StrCat("INSERT INTO ", Table("sessionlog_migrations"),
                               " (version, description) VALUES (", next,
                               ", 'from the future')"))
                  .ok());
  auto driver = Open(uri_);
  ASSERT_FALSE(driver.ok());
  EXPECT_EQ(driver.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(driver.status().message(), HasSubstr("newer"));
}

TEST_F(PgMigrationsTest, TablesTheTsDriverMadeAreMigrated) {
  // The TS example driver's tables and a row of its, no record table.
  ASSERT_TRUE(
      PgTestSchema::Exec(absl::StrCat("CREATE SCHEMA \"", schema_.name(), "\""))
          .ok());
  ASSERT_TRUE(
      PgTestSchema::Exec(
          absl::StrCat(
              "CREATE TABLE ", Table("sessions"),
              " (id TEXT PRIMARY KEY, agent TEXT NOT NULL, agent_session_id "
              "TEXT NOT NULL, last_connection_id TEXT NOT NULL, created_at "
              "BIGINT NOT NULL, destroyed_at BIGINT, session_init_json JSONB)"))
          .ok());
  ASSERT_TRUE(
      PgTestSchema::Exec(
          absl::StrCat("CREATE TABLE ", Table("events"),
                       " (id TEXT PRIMARY KEY, event_index BIGINT NOT NULL, "
                       "session_id TEXT NOT NULL, created_at BIGINT NOT NULL, "
                       "connection_id TEXT NOT NULL, sender TEXT NOT NULL, "
                       "payload_json JSONB NOT NULL)"))
          .ok());
  ASSERT_TRUE(
      PgTestSchema::Exec(absl::StrCat("INSERT INTO ", Table("events"),
                                      " VALUES ('e1', 1, 's', 5, 'c', 'agent', "
                                      "'{\"jsonrpc\":\"2.0\"}')"))
          .ok());
  auto driver = Open(uri_);
  ASSERT_TRUE(driver.ok()) << driver.status();
  EXPECT_THAT(Versions(), ElementsAre("1"));
  auto events = (*driver)->LastEvents("s", 5);
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].id, "e1");
}

// What a migration may do to the TS tables: nothing the TS driver (which
// names its columns, and writes rows without sessionlog's columns) cannot
// live with.
TEST(PgMigrationsStatementsTest, KeepTheTsTablesReadableAndWritable) {
  const SqlDialect d{SqlDialect::Kind::kPostgres, "s"};
  int expected_version = 1;
  for (const pg::Migration& m : pg::Migrations(d)) {
    EXPECT_EQ(m.version, expected_version++);
    EXPECT_FALSE(m.description.empty());
    for (const std::string& sql : m.statements) {
      const std::string upper = absl::AsciiStrToUpper(sql);
      for (const char* refused :
           {"DROP COLUMN", "DROP TABLE", "RENAME", " TYPE ", "SET NOT NULL",
            "SET DEFAULT", "ADD CONSTRAINT", "TRUNCATE", "DELETE", "UPDATE "}) {
        EXPECT_FALSE(absl::StrContains(upper, refused))
            << "migration " << m.version << ": " << sql;
      }
      if (absl::StrContains(upper, "ADD COLUMN")) {
        EXPECT_FALSE(absl::StrContains(upper, "NOT NULL")) << sql;
        EXPECT_FALSE(absl::StrContains(upper, "DEFAULT")) << sql;
      }
    }
  }
}

}  // namespace
}  // namespace sessionlog
