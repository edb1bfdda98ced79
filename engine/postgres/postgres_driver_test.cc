// What only the Postgres backend does (the contract, read-only opens, kFsync
// and Compact included, is tests/conformance/postgres_conformance_test): raw
// JSON text beside JSONB and another program rewriting the JSONB, schema
// isolation and validation, reconnecting, Unavailable while the server is
// unreachable, limits under concurrent drivers, what JSONB cannot hold. Needs
// SESSIONLOG_PG_URI (tag "external").

#include "engine/postgres/postgres_driver.h"

#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/postgres/tcp_proxy.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/pg_test_schema.h"
#include "tests/testing/records.h"

// LeakSanitizer (--config=asan): when the server drops a connection,
// libpqxx 6.4 leaks one PGresult (about 2 KiB) in its error path, inside the
// library; the driver destroys the broken connection. Suppressed here only.
extern "C" const char* __lsan_default_suppressions() {
  return "leak:libpq.so\n";
}

namespace sessionlog {
namespace {

using test::MakeEvent;
using test::MakeSession;
using ::testing::HasSubstr;

// An event whose payload JSONB would respell (spaces, key order, 1.50).
SessionEvent Event(const std::string& session, int64_t index) {
  SessionEvent e = MakeEvent(session, index);
  e.payload_json = R"({"jsonrpc":"2.0",  "method":"x","a":[1.50, 2]})";
  return e;
}

class PostgresDriverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::string> uri = PgTestUri();
    ASSERT_TRUE(uri.ok()) << uri.status();
    // Tagged so that a test can drop exactly its own connections.
    app_ = schema_.name();
    uri_ = absl::StrCat(*uri, absl::StrContains(*uri, "?") ? "&" : "?",
                        "application_name=", app_);
  }

  absl::StatusOr<std::unique_ptr<SessionPersistDriver>> Open(
      DriverOptions options = DriverOptions()) {
    options.postgres_schema = schema_.name();
    return OpenPostgresDriver(uri_, options);
  }

  std::string Table(const std::string& name) const {
    return absl::StrCat("\"", schema_.name(), "\".", name);
  }

  PgTestSchema schema_;
  std::string uri_;
  std::string app_;
};

TEST_F(PostgresDriverTest, AJsonbColumnRewrittenByAnotherProgramWins) {
  auto driver = Open();
  ASSERT_TRUE(driver.ok()) << driver.status();
  SessionRecord r = MakeSession("s", 1);
  r.session_init_json = R"({"cwd":"/old"})";
  ASSERT_TRUE((*driver)->UpdateSession(r).ok());
  // What the TS driver's upsert does: it sets the JSONB column only.
  ASSERT_TRUE(
      PgTestSchema::Exec(
          absl::StrCat("UPDATE ", Table("sessions"),
                       " SET session_init_json = '{\"cwd\": \"/new\"}'"))
          .ok());
  auto got = (*driver)->GetSession("s");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->session_init_json, R"({"cwd": "/new"})");
}

// JSONB cannot hold a lone UTF-16 surrogate escape: the JSONB column gets
// U+FFFD in its place (what the TS driver reads), the raw column the text as
// given (what sessionlog reads), until another program rewrites the JSONB.
TEST_F(PostgresDriverTest, LoneSurrogatesReachJsonbAsReplacementCharacters) {
  auto driver = Open();
  ASSERT_TRUE(driver.ok()) << driver.status();
  SessionEvent e = MakeEvent("s", 1);
  e.payload_json =
      R"({"t":"\ud83d x \\ud800 \ud83d\ude00", "u":["\uDC00\uD800"]})";
  ASSERT_TRUE((*driver)->InsertEvent(e).ok());
  SessionRecord r = MakeSession("s", 1);
  r.modes_json = R"({"currentModeId":"\udbff"})";
  ASSERT_TRUE((*driver)->UpdateSession(r).ok());
  EXPECT_EQ((*driver)->LastEvents("s", 1)->at(0), e);
  EXPECT_EQ(*(*driver)->GetSession("s"), r);

  auto jsonb = PgTestSchema::Query(
      absl::StrCat("SELECT payload_json::text FROM ", Table("events")));
  ASSERT_TRUE(jsonb.ok()) << jsonb.status();
  EXPECT_THAT(*jsonb,
              ::testing::ElementsAre(
                  "{\"t\": \"\xef\xbf\xbd x \\\\ud800 \xf0\x9f\x98\x80\", "
                  "\"u\": [\"\xef\xbf\xbd\xef\xbf\xbd\"]}"));
  jsonb = PgTestSchema::Query(absl::StrCat(
      "SELECT modes_json->>'currentModeId' FROM ", Table("sessions")));
  ASSERT_TRUE(jsonb.ok()) << jsonb.status();
  EXPECT_THAT(*jsonb, ::testing::ElementsAre("\xef\xbf\xbd"));

  // What the TS driver's upsert does: it sets the JSONB column only.
  ASSERT_TRUE(PgTestSchema::Exec(absl::StrCat("UPDATE ", Table("events"),
                                              " SET payload_json = '[2]'"))
                  .ok());
  EXPECT_EQ((*driver)->LastEvents("s", 1)->at(0).payload_json, "[2]");
}

// The tables exactly as the TS Postgres driver creates them
// (tests/interop/ts_sql_drivers.mjs): JSONB columns without *_raw companions,
// no unique index.
std::string TsTables(const std::string& schema) {
  const std::string s = absl::StrCat("\"", schema, "\".sessions");
  const std::string e = absl::StrCat("\"", schema, "\".events");
  return absl::StrCat(
      "CREATE SCHEMA \"", schema, "\"; CREATE TABLE ", s,
      " (id TEXT PRIMARY KEY, agent TEXT NOT NULL, agent_session_id TEXT, "
      "last_connection_id TEXT NOT NULL, created_at BIGINT NOT NULL, "
      "destroyed_at BIGINT, sandbox_id TEXT, session_init_json JSONB, "
      "config_options_json JSONB, modes_json JSONB); CREATE TABLE ",
      e,
      " (id TEXT PRIMARY KEY, event_index BIGINT NOT NULL, session_id TEXT "
      "NOT NULL, created_at BIGINT NOT NULL, connection_id TEXT NOT NULL, "
      "sender TEXT NOT NULL, payload_json JSONB NOT NULL); CREATE INDEX "
      "idx_events_session_order ON ",
      e, "(session_id, event_index, id)");
}

// The columns, types and indexes of `schema`.
std::vector<std::string> Layout(const std::string& schema) {
  auto columns = PgTestSchema::Query(absl::StrCat(
      "SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || "
      "is_nullable FROM information_schema.columns WHERE table_schema = '",
      schema, "' ORDER BY 1"));
  auto indexes = PgTestSchema::Query(
      absl::StrCat("SELECT indexdef FROM pg_indexes WHERE schemaname = '",
                   schema, "' ORDER BY 1"));
  EXPECT_TRUE(columns.ok() && indexes.ok());
  if (!columns.ok() || !indexes.ok()) return {};
  std::vector<std::string> layout = *columns;
  layout.insert(layout.end(), indexes->begin(), indexes->end());
  return layout;
}

// Read-only use reads the tables as the TS driver made them and changes
// nothing; a writer then adds what sessionlog needs.
TEST_F(PostgresDriverTest, ReadOnlyReadsTsTablesWithoutChangingThem) {
  ASSERT_TRUE(PgTestSchema::Exec(TsTables(schema_.name())).ok());
  ASSERT_TRUE(
      PgTestSchema::Exec(
          absl::StrCat(
              "INSERT INTO ", Table("sessions"),
              " (id, agent, last_connection_id, created_at, modes_json) "
              "VALUES ('s', 'mock', 'c', 5, 'null'); INSERT INTO ",
              Table("events"),
              " VALUES ('e1', 1, 's', 6, 'c', 'agent', '{\"b\": 1, \"a\": "
              "2}')"))
          .ok());
  const std::vector<std::string> before = Layout(schema_.name());
  ASSERT_FALSE(before.empty());
  {
    DriverOptions read_only;
    read_only.read_only = true;
    auto driver = Open(read_only);
    ASSERT_TRUE(driver.ok()) << driver.status();
    auto record = (*driver)->GetSession("s");
    ASSERT_TRUE(record.ok()) << record.status();
    EXPECT_EQ(record->modes_json, "null");
    EXPECT_FALSE(record->agent_session_id.has_value());
    auto listed = (*driver)->ListSessions(ListSessionsRequest());
    ASSERT_TRUE(listed.ok()) << listed.status();
    EXPECT_EQ(listed->items.size(), 1u);
    auto last = (*driver)->LastEvents("s", 5);
    ASSERT_TRUE(last.ok()) << last.status();
    ASSERT_EQ(last->size(), 1u);
    EXPECT_EQ(last->at(0).payload_json, R"({"a": 2, "b": 1})");
    EXPECT_EQ(*(*driver)->HighestEventIndex("s"), 1);
    EXPECT_EQ((*driver)->Stats()->sessions, 1);
  }
  EXPECT_EQ(Layout(schema_.name()), before);

  // A writer adds the raw columns and indexes, and keeps what is there.
  auto writer = Open();
  ASSERT_TRUE(writer.ok()) << writer.status();
  EXPECT_NE(Layout(schema_.name()), before);
  EXPECT_EQ((*writer)->LastEvents("s", 1)->at(0).payload_json,
            R"({"a": 2, "b": 1})");
  ASSERT_TRUE((*writer)->InsertEvent(Event("s", 2)).ok());
  EXPECT_EQ((*writer)->LastEvents("s", 1)->at(0), Event("s", 2));
}

TEST_F(PostgresDriverTest, SchemasIsolateStores) {
  auto a = Open();
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE((*a)->UpdateSession(MakeSession("only-in-a", 1)).ok());
  PgTestSchema other;
  DriverOptions options;
  options.postgres_schema = other.name();
  auto b = OpenPostgresDriver(uri_, options);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ((*b)->GetSession("only-in-a").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(PostgresDriverTest, HostileSchemaNamesAreRefusedBeforeAnySql) {
  for (const char* name : {"two words", "x\"; DROP SCHEMA public CASCADE; --",
                           "a-b", "1abc", "", "sch'ema"}) {
    DriverOptions options;
    options.postgres_schema = name;
    auto driver = OpenPostgresDriver(uri_, options);
    ASSERT_FALSE(driver.ok()) << name;
    EXPECT_EQ(driver.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(driver.status().message(), HasSubstr("postgres_schema"));
  }
  // "public" is untouched.
  EXPECT_TRUE(
      PgTestSchema::Exec("SELECT 1 FROM pg_namespace WHERE nspname = 'public'")
          .ok());
}

TEST_F(PostgresDriverTest, UnreachableServerIsUnavailable) {
  DriverOptions options;
  options.postgres_schema = schema_.name();
  auto driver = OpenPostgresDriver(
      "postgresql://postgres@127.0.0.1:1/none?connect_timeout=2", options);
  ASSERT_FALSE(driver.ok());
  EXPECT_EQ(driver.status().code(), absl::StatusCode::kUnavailable)
      << driver.status();
}

TEST_F(PostgresDriverTest, ReconnectsAfterTheServerDropsTheConnections) {
  auto driver = Open();
  ASSERT_TRUE(driver.ok()) << driver.status();
  ASSERT_TRUE((*driver)->InsertEvent(Event("s", 1)).ok());
  ASSERT_TRUE(PgTestSchema::Exec(
                  absl::StrCat("SELECT pg_terminate_backend(pid) FROM "
                               "pg_stat_activity WHERE application_name = '",
                               app_, "'"))
                  .ok());
  // Pooled connections are dead now; calls get fresh ones.
  for (int i = 2; i <= 5; ++i) {
    absl::Status s = (*driver)->InsertEvent(Event("s", i));
    EXPECT_TRUE(s.ok()) << s;
  }
  EXPECT_EQ(*(*driver)->HighestEventIndex("s"), 5);
}

TEST_F(PostgresDriverTest, UnavailableWhileTheServerIsDownThenBackAgain) {
  // The driver reaches the server through a proxy that the test takes down.
  std::smatch port;
  ASSERT_TRUE(std::regex_search(uri_, port, std::regex(":([0-9]+)/")))
      << "SESSIONLOG_PG_URI needs an explicit port: " << uri_;
  TcpProxy proxy(std::stoi(port[1]));
  ASSERT_TRUE(proxy.Start().ok());
  const std::string via_proxy = std::regex_replace(
      uri_, std::regex(":[0-9]+/"), absl::StrCat(":", proxy.port(), "/"),
      std::regex_constants::format_first_only);
  DriverOptions options;
  options.postgres_schema = schema_.name();
  auto driver = OpenPostgresDriver(via_proxy, options);
  ASSERT_TRUE(driver.ok()) << driver.status();
  ASSERT_TRUE((*driver)->InsertEvent(Event("s", 1)).ok());

  proxy.Stop();
  absl::Status write = (*driver)->InsertEvent(Event("s", 2));
  EXPECT_EQ(write.code(), absl::StatusCode::kUnavailable) << write;
  EXPECT_THAT(write.message(), HasSubstr("postgres"));
  EXPECT_EQ((*driver)->GetSession("s").status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ((*driver)->Stats().status().code(), absl::StatusCode::kUnavailable);

  ASSERT_TRUE(proxy.Start().ok());  // The server is back, same address.
  absl::Status again = (*driver)->InsertEvent(Event("s", 2));
  EXPECT_TRUE(again.ok()) << again;
  EXPECT_EQ(*(*driver)->HighestEventIndex("s"), 2);
}

TEST_F(PostgresDriverTest, EvictionHoldsUnderConcurrentDrivers) {
  DriverOptions options;
  options.max_sessions = 10;
  auto a = Open(options);
  auto b = Open(options);
  ASSERT_TRUE(a.ok() && b.ok());
  auto write = [](SessionPersistDriver* d, int base) {
    for (int i = 0; i < 40; ++i) {
      absl::Status s =
          d->UpdateSession(MakeSession(absl::StrCat("s", base + i), base + i));
      ASSERT_TRUE(s.ok()) << s;
    }
  };
  std::thread ta(write, a->get(), 0);
  std::thread tb(write, b->get(), 1000);
  ta.join();
  tb.join();
  auto stats = (*a)->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->sessions, 10);
  EXPECT_GT(stats->disk_bytes, 0);
}

TEST_F(PostgresDriverTest, NulEscapeInAPayloadIsAClearError) {
  auto driver = Open();
  ASSERT_TRUE(driver.ok());
  SessionEvent e = Event("s", 1);
  e.payload_json = R"({"text":"a\u0000b"})";
  absl::Status s = (*driver)->InsertEvent(e);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(s.message(), HasSubstr("\\u0000"));
}

}  // namespace
}  // namespace sessionlog
