// Interop with the TS SDK's example SQL drivers, both ways, for SQLite and
// Postgres: the TS drivers (tests/interop/ts_sql_drivers.mjs under node, with
// better-sqlite3 and pg) write records and events and sessionlog reads the
// same values; then sessionlog writes and the TS drivers read them. Needs
// node and the npm packages (install_node_packages), and SESSIONLOG_PG_URI
// for Postgres (tag "external").

#include <memory>
#include <string>
#include <vector>

#include "engine/memory/memory_driver.h"
#include "engine/postgres/postgres_driver.h"
#include "engine/rocksdb/rocksdb_driver.h"
#include "engine/sqlite/sqlite_driver.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "schema/json_codec.h"
#include "tests/interop/store_dump.h"
#include "tests/testing/pg_test_schema.h"
#include "tests/testing/temp_dir.h"

namespace sessionlog {
namespace {

// One store both sides can open.
class Store {
 public:
  virtual ~Store() = default;
  virtual absl::StatusOr<std::unique_ptr<SessionPersistDriver>> Open() = 0;
  // ts_sql_drivers.mjs arguments naming the store.
  virtual absl::StatusOr<std::vector<std::string>> TsArgs() = 0;
  // Whether the TS side keeps JSON text byte for byte (SQLite TEXT does;
  // Postgres JSONB does not).
  virtual bool KeepsJsonText() const = 0;
};

class SqliteStore : public Store {
 public:
  absl::StatusOr<std::unique_ptr<SessionPersistDriver>> Open() override {
    return OpenSqliteDriver(file(), DriverOptions());
  }
  absl::StatusOr<std::vector<std::string>> TsArgs() override {
    return std::vector<std::string>{"sqlite", file()};
  }
  bool KeepsJsonText() const override { return true; }

 private:
  std::string file() const { return dir_.Sub("ts.sqlite"); }
  TempDir dir_;
};

class PostgresStore : public Store {
 public:
  absl::StatusOr<std::unique_ptr<SessionPersistDriver>> Open() override {
    absl::StatusOr<std::string> uri = PgTestUri();
    if (!uri.ok()) return uri.status();
    DriverOptions options;
    options.postgres_schema = schema_.name();
    return OpenPostgresDriver(*uri, options);
  }
  absl::StatusOr<std::vector<std::string>> TsArgs() override {
    absl::StatusOr<std::string> uri = PgTestUri();
    if (!uri.ok()) return uri.status();
    return std::vector<std::string>{"postgres", *uri, schema_.name()};
  }
  bool KeepsJsonText() const override { return false; }

 private:
  PgTestSchema schema_;
};

using StoreFactory = std::unique_ptr<Store> (*)();

class TsInteropTest : public ::testing::TestWithParam<StoreFactory> {};

TEST_P(TsInteropTest, TsWritesSessionlogReads) {
  std::unique_ptr<Store> store = GetParam()();
  const Fixture fixture = MakeFixture();
  auto args = store->TsArgs();
  ASSERT_TRUE(args.ok()) << args.status();
  std::vector<std::string> write = *args;
  write.push_back("write");
  auto written = RunTsDrivers(write, fixture.write_order);
  ASSERT_TRUE(written.ok()) << written.status();

  auto driver = store->Open();
  ASSERT_TRUE(driver.ok()) << driver.status();
  auto lines = ExportLines(**driver);
  ASSERT_TRUE(lines.ok()) << lines.status();
  std::string why;
  EXPECT_TRUE(SameJsonLines(*lines, fixture.export_order, &why)) << why;
  if (store->KeepsJsonText()) {
    // JSON.stringify's text is stored and read back unchanged.
    EXPECT_EQ(*lines, fixture.export_order);
  }
  // And sessionlog can go on appending to what the TS driver wrote.
  auto high = (*driver)->HighestEventIndex("session-10");
  ASSERT_TRUE(high.ok());
  EXPECT_EQ(*high, (10 * 3) % 11);
}

TEST_P(TsInteropTest, SessionlogWritesTsReads) {
  std::unique_ptr<Store> store = GetParam()();
  const Fixture fixture = MakeFixture();
  {
    auto driver = store->Open();
    ASSERT_TRUE(driver.ok()) << driver.status();
    ASSERT_TRUE(WriteLines(**driver, fixture.write_order).ok());
  }
  auto args = store->TsArgs();
  ASSERT_TRUE(args.ok()) << args.status();
  std::vector<std::string> dump = *args;
  dump.push_back("dump");
  auto lines = RunTsDrivers(dump, {});
  ASSERT_TRUE(lines.ok()) << lines.status();
  std::string why;
  EXPECT_TRUE(SameJsonLines(*lines, fixture.export_order, &why)) << why;
}

TEST_P(TsInteropTest, BothWriteOneStore) {
  std::unique_ptr<Store> store = GetParam()();
  const Fixture fixture = MakeFixture();
  const size_t half = fixture.write_order.size() / 2;
  std::vector<std::string> first(fixture.write_order.begin(),
                                 fixture.write_order.begin() + half);
  std::vector<std::string> second(fixture.write_order.begin() + half,
                                  fixture.write_order.end());
  {
    auto driver = store->Open();
    ASSERT_TRUE(driver.ok()) << driver.status();
    ASSERT_TRUE(WriteLines(**driver, first).ok());
  }
  auto args = store->TsArgs();
  ASSERT_TRUE(args.ok());
  std::vector<std::string> write = *args;
  write.push_back("write");
  ASSERT_TRUE(RunTsDrivers(write, second).ok());
  std::vector<std::string> dump = *args;
  dump.push_back("dump");
  auto ts_lines = RunTsDrivers(dump, {});
  ASSERT_TRUE(ts_lines.ok()) << ts_lines.status();
  auto driver = store->Open();
  ASSERT_TRUE(driver.ok());
  auto our_lines = ExportLines(**driver);
  ASSERT_TRUE(our_lines.ok());
  std::string why;
  EXPECT_TRUE(SameJsonLines(*ts_lines, fixture.export_order, &why)) << why;
  EXPECT_TRUE(SameJsonLines(*our_lines, fixture.export_order, &why)) << why;
}

// The SDK retries an insert with the next eventIndex when SQLite says
// "UNIQUE constraint failed: ... session_id, ... event_index": sessionlog's
// unique index makes the TS driver's insert fail that way.
TEST_P(TsInteropTest, TheTsDriverHitsTheUniqueIndex) {
  std::unique_ptr<Store> store = GetParam()();
  const Fixture fixture = MakeFixture(11);  // session-10 has 8 events.
  {
    auto driver = store->Open();
    ASSERT_TRUE(driver.ok()) << driver.status();
    ASSERT_TRUE(WriteLines(**driver, fixture.write_order).ok());
  }
  SessionEvent clash;
  clash.id = "a-fresh-uuid";
  clash.event_index = 3;
  clash.session_id = "session-10";
  clash.connection_id = "c";
  clash.payload_json = "{}";
  auto args = store->TsArgs();
  ASSERT_TRUE(args.ok());
  std::vector<std::string> write = *args;
  write.push_back("write");
  auto result = RunTsDrivers(write, {JsonLineToJson(clash)});
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(
      std::string(result.status().message()),
      ::testing::HasSubstr(store->KeepsJsonText()
                               ? "UNIQUE constraint failed: events.session_id, "
                                 "events.event_index"
                               : "idx_events_session_index"));
}

// A TS service stores what JSON.stringify writes, lone UTF-16 surrogate
// escapes included (half an emoji), in its SQLite file. (Its Postgres driver
// cannot: JSONB refuses them.) sessionlog reads them exactly, exports them as
// JSON values, imports the export into every backend, and a TS driver reads
// back what sessionlog wrote: the text never changes. (Migration of such
// stores: tools/migrate/migrate_roundtrip_test.)
TEST(TsInteropLoneSurrogatesTest, TsSqliteStoreKeepsThemEverywhere) {
  TempDir dir;
  const std::string ts_file = dir.Sub("ts.sqlite");
  // What JSON.stringify writes for these JavaScript values.
  const std::vector<std::string> lines = {
      R"({"session":{"id":"s1","agent":"mock","lastConnectionId":"c",)"
      R"("createdAt":1,"sessionInit":{"cwd":"/w/\ud83d","mcpServers":[]}}})",
      R"({"event":{"id":"e1","eventIndex":1,"sessionId":"s1","createdAt":2,)"
      R"("connectionId":"c","sender":"agent","payload":{"jsonrpc":"2.0",)"
      R"("method":"session/update","params":{"text":"half \ud83d",)"
      R"("low":"\udc00","pair":"\ud83d\ude00"}}}})",
  };
  ASSERT_TRUE(RunTsDrivers({"sqlite", ts_file, "write"}, lines).ok());
  auto ts_dump = RunTsDrivers({"sqlite", ts_file, "dump"}, {});
  ASSERT_TRUE(ts_dump.ok()) << ts_dump.status();

  DriverOptions read_only;
  read_only.read_only = true;
  auto ts_store = OpenSqliteDriver(ts_file, read_only);
  ASSERT_TRUE(ts_store.ok()) << ts_store.status();
  auto last = (*ts_store)->LastEvents("s1", 1);
  ASSERT_TRUE(last.ok()) << last.status();
  EXPECT_EQ(last->at(0).payload_json,
            R"({"jsonrpc":"2.0","method":"session/update","params":)"
            R"({"text":"half \ud83d","low":"\udc00",)"
            "\"pair\":\"\xf0\x9f\x98\x80\"}}");
  auto exported = ExportLines(**ts_store);
  ASSERT_TRUE(exported.ok()) << exported.status();
  // Byte for byte what the TS driver itself reads back.
  EXPECT_EQ(*exported, *ts_dump);

  // Import the export into every backend.
  auto pg_uri = PgTestUri();
  ASSERT_TRUE(pg_uri.ok()) << pg_uri.status();
  PgTestSchema schema;
  DriverOptions options;
  options.min_free_disk_bytes = 0;
  DriverOptions pg_options = options;
  pg_options.postgres_schema = schema.name();
  auto imported = OpenRocksDbDriver(dir.Sub("imported"), options);
  auto sqlite = OpenSqliteDriver(dir.Sub("sessionlog.sqlite"), options);
  auto postgres = OpenPostgresDriver(*pg_uri, pg_options);
  auto memory = OpenMemoryDriver(options);
  ASSERT_TRUE(imported.ok() && sqlite.ok() && postgres.ok() && memory.ok())
      << imported.status() << sqlite.status() << postgres.status();
  for (auto* store :
       {imported->get(), sqlite->get(), postgres->get(), memory->get()}) {
    absl::Status s = WriteLines(*store, *exported);
    ASSERT_TRUE(s.ok()) << s;
  }
  for (auto* store :
       {imported->get(), sqlite->get(), postgres->get(), memory->get()}) {
    auto again = ExportLines(*store);
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_EQ(*again, *exported);
    auto event = store->LastEvents("s1", 1);
    ASSERT_TRUE(event.ok()) << event.status();
    EXPECT_EQ(event->at(0).payload_json, last->at(0).payload_json);
  }
  // A TS service reads what sessionlog wrote.
  sqlite->reset();
  ts_dump = RunTsDrivers({"sqlite", dir.Sub("sessionlog.sqlite"), "dump"}, {});
  ASSERT_TRUE(ts_dump.ok()) << ts_dump.status();
  EXPECT_EQ(*ts_dump, *exported);
}

INSTANTIATE_TEST_SUITE_P(
    Backends, TsInteropTest,
    ::testing::Values(
        +[]() -> std::unique_ptr<Store> {
          return std::make_unique<SqliteStore>();
        },
        +[]() -> std::unique_ptr<Store> {
          return std::make_unique<PostgresStore>();
        }),
    [](const ::testing::TestParamInfo<StoreFactory>& info) {
      return info.index == 0 ? std::string("Sqlite") : std::string("Postgres");
    });

}  // namespace
}  // namespace sessionlog
