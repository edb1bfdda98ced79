// The migration round trip: rocksdb -> sqlite -> postgres ->
// rocksdb, and the export at the end is identical, byte for byte, to the one
// at the start. Needs SESSIONLOG_PG_URI (tag "external").

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/postgres/postgres_driver.h"
#include "engine/rocksdb/rocksdb_driver.h"
#include "engine/sqlite/sqlite_driver.h"
#include "gtest/gtest.h"
#include "tests/interop/store_dump.h"
#include "tests/testing/pg_test_schema.h"
#include "tests/testing/records.h"
#include "tests/testing/temp_dir.h"
#include "tools/migrate/migrate.h"

namespace sessionlog {
namespace {

TEST(MigrateRoundTripTest, RocksDbSqlitePostgresRocksDbKeepsTheExport) {
  absl::StatusOr<std::string> uri = PgTestUri();
  ASSERT_TRUE(uri.ok()) << uri.status();
  TempDir dir;
  PgTestSchema schema;
  DriverOptions options = MigrationDriverOptions();
  options.min_free_disk_bytes = 0;  // Test machines may have little disk.
  DriverOptions pg_options = options;
  pg_options.postgres_schema = schema.name();

  auto first = OpenRocksDbDriver(dir.Sub("first"), options);
  ASSERT_TRUE(first.ok()) << first.status();
  const Fixture fixture = MakeFixture(40);
  ASSERT_TRUE(WriteLines(**first, fixture.write_order).ok());
  // A long session, so that events span several batches; its payload's
  // spelling (key order, spaces, 2.50) must survive JSONB.
  for (int64_t i = 1; i <= 1234; ++i) {
    // After the fixture's own events.
    SessionEvent e = test::MakeEvent("session-20", 100 + i);
    e.id = "long-" + std::to_string(i);
    e.payload_json = R"({"b":1,  "a":[2.50,{"z":null}]})";
    ASSERT_TRUE((*first)->InsertEvent(e).ok());
  }
  auto start = ExportLines(**first);
  ASSERT_TRUE(start.ok()) << start.status();

  auto sqlite = OpenSqliteDriver(dir.Sub("mid.sqlite"), options);
  auto postgres = OpenPostgresDriver(*uri, pg_options);
  auto last = OpenRocksDbDriver(dir.Sub("last"), options);
  ASSERT_TRUE(sqlite.ok() && postgres.ok() && last.ok())
      << sqlite.status() << postgres.status() << last.status();
  MigrateOptions migrate;
  migrate.batch_size = 100;
  for (auto [from, to] : {std::pair(first->get(), sqlite->get()),
                          std::pair(sqlite->get(), postgres->get()),
                          std::pair(postgres->get(), last->get())}) {
    absl::Status s = MigrateStore(*from, *to, migrate);
    ASSERT_TRUE(s.ok()) << s;
  }

  auto end = ExportLines(**last);
  ASSERT_TRUE(end.ok()) << end.status();
  EXPECT_EQ(*end, *start);
  EXPECT_EQ(start->size(), fixture.export_order.size() + 1234);
  // The export re-serializes JSON; the stored text itself is also unchanged.
  auto tail = (*last)->LastEvents("session-20", 1);
  ASSERT_TRUE(tail.ok());
  EXPECT_EQ(tail->at(0).payload_json, R"({"b":1,  "a":[2.50,{"z":null}]})");
}

// Lone UTF-16 surrogate escapes (half an emoji, as JSON.stringify writes it)
// are valid JSON that TS stores hold: every backend takes them and a
// migration through all of them keeps the text exactly.
TEST(MigrateRoundTripTest, LoneSurrogateEscapesSurviveEveryBackend) {
  absl::StatusOr<std::string> uri = PgTestUri();
  ASSERT_TRUE(uri.ok()) << uri.status();
  TempDir dir;
  PgTestSchema schema;
  DriverOptions options = MigrationDriverOptions();
  options.min_free_disk_bytes = 0;
  DriverOptions pg_options = options;
  pg_options.postgres_schema = schema.name();
  auto first = OpenSqliteDriver(dir.Sub("first.sqlite"), options);
  auto rocksdb = OpenRocksDbDriver(dir.Sub("rocksdb"), options);
  auto postgres = OpenPostgresDriver(*uri, pg_options);
  auto last = OpenSqliteDriver(dir.Sub("last.sqlite"), options);
  ASSERT_TRUE(first.ok() && rocksdb.ok() && postgres.ok() && last.ok())
      << first.status() << rocksdb.status() << postgres.status()
      << last.status();
  SessionRecord record = test::MakeSession("s", 1);
  record.session_init_json = R"({"cwd":"/\ud83d"})";
  ASSERT_TRUE((*first)->UpdateSession(record).ok());
  std::vector<SessionEvent> events;
  for (const char* payload :
       {R"({"text":"half \ud83d"})", R"({"text":"\uDE00 then \ud83d\ude00"})",
        R"(["\udbff",{"\udc00":1.50}])"}) {
    events.push_back(test::MakeEvent("s", events.size() + 1));
    events.back().payload_json = payload;
  }
  ASSERT_TRUE((*first)->InsertEvents(events).ok());
  auto start = ExportLines(**first);
  ASSERT_TRUE(start.ok()) << start.status();

  for (auto [from, to] : {std::pair(first->get(), rocksdb->get()),
                          std::pair(rocksdb->get(), postgres->get()),
                          std::pair(postgres->get(), last->get())}) {
    absl::Status s = MigrateStore(*from, *to, MigrateOptions());
    ASSERT_TRUE(s.ok()) << s;
    auto got = to->LastEvents("s", 3);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(*got, events);
    EXPECT_EQ(*to->GetSession("s"), record);
    auto exported = ExportLines(*to);
    ASSERT_TRUE(exported.ok()) << exported.status();
    EXPECT_EQ(*exported, *start);
  }
}

}  // namespace
}  // namespace sessionlog
