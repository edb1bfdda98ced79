// What only the SQLite backend does (the contract, read-only opens,
// create_if_missing, kFsync and Compact included, is
// tests/conformance/sqlite_conformance_test): the TS SDK's table layout, WAL,
// the unique index, files from older TS drivers, numbers other programs
// wrote, sharing a file, a writer held too long, opening errors, integrity
// checks.

#include "engine/sqlite/sqlite_driver.h"

#include <sqlite3.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/records.h"
#include "tests/testing/temp_dir.h"

namespace sessionlog {
namespace {

using test::MakeEvent;
using test::MakeSession;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Runs `sql` on `path` with the plain C API and returns the first column of
// each row as text.
std::vector<std::string> Query(const std::string& path,
                               const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  std::vector<std::string> out;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK)
      << sqlite3_errmsg(db);
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    const unsigned char* t = sqlite3_column_text(stmt, 0);
    out.push_back(t ? reinterpret_cast<const char*>(t) : "NULL");
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

void Exec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK)
      << (err ? err : "");
  sqlite3_free(err);
  sqlite3_close(db);
}

TEST(SqliteDriverTest, CreatesTheTsTablesInWalModeWithTheUniqueIndex) {
  TempDir dir;
  const std::string path = dir.Sub("s.db");
  {
    auto driver = OpenSqliteDriver(path, DriverOptions());
    ASSERT_TRUE(driver.ok()) << driver.status();
  }
  EXPECT_THAT(
      Query(path, "SELECT name FROM pragma_table_info('sessions')"),
      ElementsAre("id", "agent", "agent_session_id", "last_connection_id",
                  "created_at", "destroyed_at", "sandbox_id",
                  "session_init_json", "config_options_json", "modes_json"));
  EXPECT_THAT(Query(path, "SELECT name FROM pragma_table_info('events')"),
              ElementsAre("id", "event_index", "session_id", "created_at",
                          "connection_id", "sender", "payload_json"));
  EXPECT_THAT(Query(path, "PRAGMA journal_mode"), ElementsAre("wal"));
  EXPECT_THAT(Query(path,
                    "SELECT name FROM sqlite_master WHERE type = 'index' AND "
                    "tbl_name = 'events' AND sql LIKE '%UNIQUE%'"),
              ElementsAre("idx_events_session_index"));
  EXPECT_THAT(Query(path,
                    "SELECT name FROM sqlite_master WHERE name = "
                    "'idx_events_session_order'"),
              ElementsAre("idx_events_session_order"));
}

TEST(SqliteDriverTest, StoresJsonTextAndNullsAsTheTsDriverDoes) {
  TempDir dir;
  const std::string path = dir.Sub("s.db");
  {
    auto driver = OpenSqliteDriver(path, DriverOptions());
    ASSERT_TRUE(driver.ok());
    SessionRecord r = MakeSession("s1", 5);
    r.agent_session_id.reset();
    r.modes_json = "null";
    r.session_init_json = R"({"cwd":"/w","mcpServers":[]})";
    ASSERT_TRUE((*driver)->UpdateSession(r).ok());
    ASSERT_TRUE((*driver)->InsertEvent(MakeEvent("s1", 2)).ok());
  }
  EXPECT_THAT(Query(path,
                    "SELECT quote(agent_session_id) || ' ' || "
                    "quote(config_options_json) || ' ' || modes_json || ' ' || "
                    "session_init_json FROM sessions"),
              ElementsAre(R"(NULL NULL null {"cwd":"/w","mcpServers":[]})"));
  EXPECT_THAT(Query(path, "SELECT sender || ' ' || payload_json FROM events"),
              ElementsAre("agent " + MakeEvent("s1", 2).payload_json));
}

// The tables of an older TS driver: no sandbox_id, config_options_json,
// modes_json, and a required agent_session_id.
constexpr char kOlderTsTables[] =
    "CREATE TABLE sessions (id TEXT PRIMARY KEY, agent TEXT NOT NULL, "
    "agent_session_id TEXT NOT NULL, last_connection_id TEXT NOT NULL, "
    "created_at INTEGER NOT NULL, destroyed_at INTEGER, session_init_json "
    "TEXT);"
    "CREATE TABLE events (id TEXT PRIMARY KEY, event_index INTEGER NOT NULL, "
    "session_id TEXT NOT NULL, created_at INTEGER NOT NULL, connection_id "
    "TEXT NOT NULL, sender TEXT NOT NULL, payload_json TEXT NOT NULL);"
    "CREATE INDEX idx_events_session_order ON events(session_id, "
    "event_index, id);";

// Every file in `dir` with its bytes.
std::map<std::string, std::string> Files(const std::string& dir) {
  std::map<std::string, std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(entry.path(), std::ios::binary);
    files[entry.path().filename()] = std::string(
        std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return files;
}

// Read-only use reads the tables as the TS driver made them, and changes
// nothing: not a column, not an index, not a byte.
TEST(SqliteDriverTest, ReadOnlyReadsAnOlderTsFileWithoutChangingIt) {
  TempDir dir;
  const std::string path = dir.Sub("old.db");
  Exec(path, std::string(kOlderTsTables) +
                 "INSERT INTO sessions VALUES ('old', 'mock', 'agent-old', "
                 "'conn-1', 7, NULL, '{\"cwd\":\"/w\"}');"
                 "INSERT INTO events VALUES ('e1', 1, 'old', 8, 'c1', 'agent', "
                 "'{\"jsonrpc\":\"2.0\"}'), ('e2', 2, 'old', 9, 'c1', "
                 "'client', '[]');");
  const std::map<std::string, std::string> before = Files(dir.path());
  {
    DriverOptions read_only;
    read_only.read_only = true;
    auto driver = OpenSqliteDriver(path, read_only);
    ASSERT_TRUE(driver.ok()) << driver.status();
    SessionRecord expected = MakeSession("old", 7);
    expected.session_init_json = R"({"cwd":"/w"})";
    auto record = (*driver)->GetSession("old");
    ASSERT_TRUE(record.ok()) << record.status();
    EXPECT_EQ(*record, expected);
    auto listed = (*driver)->ListSessions(ListSessionsRequest());
    ASSERT_TRUE(listed.ok()) << listed.status();
    EXPECT_THAT(listed->items, ElementsAre(expected));
    ListEventsRequest request;
    request.session_id = "old";
    auto events = (*driver)->ListEvents(request);
    ASSERT_TRUE(events.ok()) << events.status();
    ASSERT_EQ(events->items.size(), 2u);
    EXPECT_EQ(events->items[1].payload_json, "[]");
    EXPECT_EQ((*(*driver)->LastEvents("old", 1))[0].id, "e2");
    EXPECT_EQ(*(*driver)->HighestEventIndex("old"), 2);
    EXPECT_EQ((*driver)->Stats()->events, 2);
    EXPECT_TRUE((*driver)->CheckIntegrity().ok());
  }
  EXPECT_EQ(Files(dir.path()), before);
}

TEST(SqliteDriverTest, UpgradesATableFromAnOlderTsDriver) {
  TempDir dir;
  const std::string path = dir.Sub("old.db");
  Exec(path,
       "CREATE TABLE sessions (id TEXT PRIMARY KEY, agent TEXT NOT NULL, "
       "agent_session_id TEXT NOT NULL, last_connection_id TEXT NOT NULL, "
       "created_at INTEGER NOT NULL, destroyed_at INTEGER, session_init_json "
       "TEXT);"
       "INSERT INTO sessions VALUES ('old', 'claude', 'a1', 'c1', 7, NULL, "
       "NULL);");
  auto driver = OpenSqliteDriver(path, DriverOptions());
  ASSERT_TRUE(driver.ok()) << driver.status();
  auto record = (*driver)->GetSession("old");
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_EQ(record->agent_session_id, "a1");
  EXPECT_FALSE(record->modes_json.has_value());
  SessionRecord r = MakeSession("new", 8);
  r.agent_session_id = "a2";
  r.sandbox_id = "docker/1";
  EXPECT_TRUE((*driver)->UpdateSession(r).ok());
  EXPECT_EQ(*(*driver)->GetSession("new"), r);
}

// Another writer (a TS driver binds JS numbers as REAL) may leave a number
// that no int64 holds: it reads as DataLoss, never as a made-up integer.
TEST(SqliteDriverTest, ARealThatIsNoInt64IsDataLoss) {
  TempDir dir;
  const std::string path = dir.Sub("real.db");
  { ASSERT_TRUE(OpenSqliteDriver(path, DriverOptions()).ok()); }
  Exec(path,
       "INSERT INTO sessions (id, agent, last_connection_id, created_at) "
       "VALUES ('huge', 'mock', 'c1', 1e300), ('edge', 'mock', 'c1', "
       "9223372036854775808.0), ('frac', 'mock', 'c1', 12.5), "
       "('real', 'mock', 'c1', 1700000000000.0);");
  auto driver = OpenSqliteDriver(path, DriverOptions());
  ASSERT_TRUE(driver.ok()) << driver.status();
  for (const char* id : {"huge", "edge", "frac"}) {
    auto record = (*driver)->GetSession(id);
    EXPECT_EQ(record.status().code(), absl::StatusCode::kDataLoss)
        << id << ": " << record.status() << " created_at "
        << (record.ok() ? record->created_at : 0);
    EXPECT_THAT(record.status().message(), HasSubstr("created_at"));
  }
  auto integral = (*driver)->GetSession("real");
  ASSERT_TRUE(integral.ok()) << integral.status();
  EXPECT_EQ(integral->created_at, 1700000000000);
}

TEST(SqliteDriverTest, DuplicateIndexesInAnExistingFileAreAClearError) {
  TempDir dir;
  const std::string path = dir.Sub("dup.db");
  Exec(path,
       "CREATE TABLE events (id TEXT PRIMARY KEY, event_index INTEGER NOT "
       "NULL, session_id TEXT NOT NULL, created_at INTEGER NOT NULL, "
       "connection_id TEXT NOT NULL, sender TEXT NOT NULL, payload_json TEXT "
       "NOT NULL);"
       "INSERT INTO events VALUES ('a', 1, 's', 1, 'c', 'agent', '{}');"
       "INSERT INTO events VALUES ('b', 1, 's', 1, 'c', 'agent', '{}');");
  auto driver = OpenSqliteDriver(path, DriverOptions());
  ASSERT_FALSE(driver.ok());
  EXPECT_EQ(driver.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(driver.status().message(),
              HasSubstr("(session_id, event_index)"));
}

TEST(SqliteDriverTest, AFileThatIsNoDatabaseIsDataLoss) {
  TempDir dir;
  std::ofstream(dir.Sub("junk.db")) << std::string(4096, 'x');
  auto junk = OpenSqliteDriver(dir.Sub("junk.db"), DriverOptions());
  EXPECT_EQ(junk.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(junk.status().message(), HasSubstr("junk.db"));
}

// ":memory:" would give each connection (the writer, every reader) a database
// of its own: reads would not see the writes. It is refused, naming memory:.
TEST(SqliteDriverTest, InMemoryDatabaseIsRefusedWithAPointerToMemory) {
  auto driver = OpenSqliteDriver(":memory:", DriverOptions());
  EXPECT_EQ(driver.status().code(), absl::StatusCode::kInvalidArgument)
      << driver.status();
  EXPECT_THAT(driver.status().message(), HasSubstr("memory:"));
}

TEST(SqliteDriverTest, CheckIntegrityReportsACorruptFile) {
  TempDir dir;
  const std::string path = dir.Sub("s.db");
  {
    DriverOptions options;
    options.max_events_per_session = kNoLimit;
    auto driver = OpenSqliteDriver(path, options);
    for (int i = 1; i <= 2000; ++i) {
      ASSERT_TRUE((*driver)->InsertEvent(MakeEvent("s", i)).ok());
    }
    EXPECT_TRUE((*driver)->CheckIntegrity().ok());
  }
  Exec(path, "PRAGMA wal_checkpoint(TRUNCATE)");
  // Overwrite the middle of the file: index and table pages disagree.
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(8 * 4096);
    std::string garbage(4096 * 4, '\x5a');
    f.write(garbage.data(), garbage.size());
  }
  auto driver = OpenSqliteDriver(path, DriverOptions());
  absl::Status s = driver.ok() ? (*driver)->CheckIntegrity() : driver.status();
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
  EXPECT_THAT(s.message(), HasSubstr("s.db"));
}

TEST(SqliteDriverTest, AWriterHeldTooLongIsUnavailable) {
  TempDir dir;
  const std::string path = dir.Sub("busy.db");
  auto driver = OpenSqliteDriver(path, DriverOptions());
  ASSERT_TRUE(driver.ok());
  // Another process's writer holds the write lock past the busy timeout.
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr),
            SQLITE_OK);
  absl::Status s = (*driver)->InsertEvent(MakeEvent("s", 1));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_THAT(s.message(), HasSubstr("busy.db"));
  // Reads go on meanwhile (WAL), and writes work once the lock is gone.
  EXPECT_TRUE((*driver)->HighestEventIndex("s").ok());
  sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr);
  sqlite3_close(other);
  EXPECT_TRUE((*driver)->InsertEvent(MakeEvent("s", 1)).ok());
}

// Flush must never drop this process's SQLite locks (POSIX drops them all
// when any descriptor of the file is closed): another process would then
// think it is the last connection, checkpoint and delete the WAL that this
// one still writes, and later commits would go to a deleted file.
TEST(SqliteDriverTest, FlushKeepsTheLocksThatOtherProcessesRespect) {
  TempDir dir;
  const std::string path = dir.Sub("locks.db");
  DriverOptions options;
  options.background_sync_interval = absl::ZeroDuration();
  options.max_events_per_session = kNoLimit;
  auto driver = OpenSqliteDriver(path, options);
  ASSERT_TRUE(driver.ok()) << driver.status();
  for (int i = 1; i <= 10; ++i) {
    ASSERT_TRUE((*driver)->InsertEvent(MakeEvent("s", i)).ok());
  }
  ASSERT_TRUE((*driver)->Flush().ok());
  // Another process opens the store and closes it again.
  const int rc =
      std::system(absl::StrCat("sqlite3 '", path,
                               "' 'SELECT count(*) FROM events;' >/dev/null")
                      .c_str());
  ASSERT_EQ(rc, 0) << "the sqlite3 command (tools/scripts/install-deps.sh "
                      "installs it) failed";
  EXPECT_TRUE(std::filesystem::exists(path + "-wal"))
      << "the other process deleted the WAL of a store still open here";
  for (int i = 11; i <= 20; ++i) {
    ASSERT_TRUE((*driver)->InsertEvent(MakeEvent("s", i)).ok());
  }
  ASSERT_TRUE((*driver)->Flush().ok());
  driver->reset();
  auto reopened = OpenSqliteDriver(path, options);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  auto events = (*reopened)->LastEvents("s", 100);
  ASSERT_TRUE(events.ok()) << events.status();
  EXPECT_EQ(events->size(), 20u);
  EXPECT_TRUE((*reopened)->CheckIntegrity().ok());
}

TEST(SqliteDriverTest, TwoConnectionsShareOneFile) {
  TempDir dir;
  const std::string path = dir.Sub("shared.db");
  DriverOptions options;
  options.max_events_per_session = kNoLimit;
  auto a = OpenSqliteDriver(path, options);
  auto b = OpenSqliteDriver(path, options);
  ASSERT_TRUE(a.ok() && b.ok());
  constexpr int kPerWriter = 200;
  auto write = [](SessionPersistDriver* d, const std::string& session) {
    for (int i = 1; i <= kPerWriter; ++i) {
      absl::Status s = d->InsertEvent(MakeEvent(session, i));
      ASSERT_TRUE(s.ok()) << s;
    }
  };
  std::thread ta(write, a->get(), "from-a");
  std::thread tb(write, b->get(), "from-b");
  ta.join();
  tb.join();
  EXPECT_EQ(*(*a)->HighestEventIndex("from-b"), kPerWriter);
  EXPECT_EQ(*(*b)->HighestEventIndex("from-a"), kPerWriter);
  auto stats = (*a)->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->events, 2 * kPerWriter);
  EXPECT_GT(stats->disk_bytes, 0);
}

}  // namespace
}  // namespace sessionlog
