// Hostile input against the SQL backends: ids, text and JSON full of quotes,
// semicolons, comment markers and placeholders are stored and read back as
// plain data (every value is a bound parameter), and NUL bytes are refused
// before any SQL runs. Schema names are covered in
// engine/postgres/postgres_driver_test. Needs SESSIONLOG_PG_URI for the
// Postgres half (tag "external").

#include <memory>
#include <string>
#include <vector>

#include "engine/postgres/postgres_driver.h"
#include "engine/sqlite/sqlite_driver.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/pg_test_schema.h"
#include "tests/testing/temp_dir.h"

namespace sessionlog {
namespace {

std::string JsonQuote(const std::string& s) { return nlohmann::json(s).dump(); }

const std::vector<std::string> kNasty = {
    "'",
    "\"",
    "'; DROP TABLE events; --",
    "\"; DROP TABLE sessions; --",
    "$1",
    "?",
    ":name",
    "x' OR '1'='1",
    "\\",
    "); DELETE FROM sessions WHERE (1=1",
    "/* comment */",
    "%",
    "_",
};

class HostileInputTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    if (GetParam()) {
      absl::StatusOr<std::string> uri = PgTestUri();
      ASSERT_TRUE(uri.ok()) << uri.status();
      DriverOptions options;
      options.postgres_schema = schema_.name();
      auto d = OpenPostgresDriver(*uri, options);
      ASSERT_TRUE(d.ok()) << d.status();
      driver_ = *std::move(d);
    } else {
      // The file name is hostile too.
      auto d = OpenSqliteDriver(dir_.Sub("it's a \"db\"; x.sqlite"),
                                DriverOptions());
      ASSERT_TRUE(d.ok()) << d.status();
      driver_ = *std::move(d);
    }
  }

  TempDir dir_;
  PgTestSchema schema_;
  std::unique_ptr<SessionPersistDriver> driver_;
};

TEST_P(HostileInputTest, NastyStringsAreInertData) {
  int64_t created_at = 1;
  for (const std::string& nasty : kNasty) {
    SessionRecord r;
    r.id = nasty;
    r.agent = nasty;
    r.agent_session_id = nasty;
    r.last_connection_id = nasty;
    r.created_at = created_at++;
    r.sandbox_id = nasty;
    r.session_init_json = "{\"cwd\":" + JsonQuote(nasty) + "}";
    ASSERT_TRUE(driver_->UpdateSession(r).ok()) << nasty;
    SessionEvent e;
    e.id = nasty;  // The same event id in every session.
    e.event_index = 1;
    e.session_id = nasty;
    e.connection_id = nasty;
    e.payload_json = "[" + JsonQuote(nasty) + "]";
    ASSERT_TRUE(driver_->InsertEvent(e).ok()) << nasty;
    auto got = driver_->GetSession(nasty);
    ASSERT_TRUE(got.ok()) << nasty << ": " << got.status();
    EXPECT_EQ(*got, r);
    auto events = driver_->LastEvents(nasty, 10);
    ASSERT_TRUE(events.ok());
    ASSERT_EQ(events->size(), 1u) << nasty;
    EXPECT_EQ(events->at(0), e);
  }
  auto stats = driver_->Stats();
  ASSERT_TRUE(stats.ok()) << stats.status();  // The tables are all there.
  EXPECT_EQ(stats->sessions, static_cast<int64_t>(kNasty.size()));
  EXPECT_EQ(stats->events, static_cast<int64_t>(kNasty.size()));
  // "%" and "_" are not patterns: each finds only itself.
  auto percent = driver_->LastEvents("%", 10);
  ASSERT_TRUE(percent.ok());
  EXPECT_EQ(percent->size(), 1u);
}

TEST_P(HostileInputTest, NulBytesAreRefusedAndChangeNothing) {
  const std::string nul("a\0b", 3);
  SessionRecord r;
  r.id = nul;
  r.agent = "mock";
  EXPECT_EQ(driver_->UpdateSession(r).code(),
            absl::StatusCode::kInvalidArgument);
  r.id = "ok";
  r.agent = nul;
  EXPECT_EQ(driver_->UpdateSession(r).code(),
            absl::StatusCode::kInvalidArgument);
  SessionEvent e;
  e.id = "e";
  e.session_id = nul;
  e.payload_json = "{}";
  EXPECT_EQ(driver_->InsertEvent(e).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(driver_->GetSession(nul).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(driver_->DeleteSession(nul).code(),
            absl::StatusCode::kInvalidArgument);
  auto stats = driver_->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->sessions, 0);
  EXPECT_EQ(stats->events, 0);
}

INSTANTIATE_TEST_SUITE_P(SqlBackends, HostileInputTest,
                         ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Postgres" : "Sqlite";
                         });

}  // namespace
}  // namespace sessionlog
