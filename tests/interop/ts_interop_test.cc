// Interop with the TS SDK's example SQL drivers, both ways, for SQLite and
// Postgres: the TS drivers (tests/interop/ts_sql_drivers.mjs under node, with
// better-sqlite3 and pg) write records and events and sessionlog reads the
// same values; then sessionlog writes and the TS drivers read them. Needs
// node and the npm packages (install_node_packages), and SESSIONLOG_PG_URI
// for Postgres (tag "external").

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/memory/memory_driver.h"
#include "engine/postgres/postgres_driver.h"
#include "engine/rocksdb/rocksdb_driver.h"
#include "engine/sqlite/sqlite_driver.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "schema/json_codec.h"
#include "tests/interop/store_dump.h"
#include "tests/testing/pg_test_schema.h"
#include "tests/testing/records.h"
#include "tests/testing/temp_dir.h"

namespace sessionlog {
namespace {

// One store both sides can open.
class Store {
 public:
  virtual ~Store() = default;
  absl::StatusOr<std::unique_ptr<SessionPersistDriver>> Open() {
    return OpenWith(DriverOptions());
  }
  virtual absl::StatusOr<std::unique_ptr<SessionPersistDriver>> OpenWith(
      DriverOptions options) = 0;
  // ts_sql_drivers.mjs arguments naming the store.
  virtual absl::StatusOr<std::vector<std::string>> TsArgs() = 0;
  // Whether the TS side keeps JSON text byte for byte (SQLite TEXT does;
  // Postgres JSONB does not).
  virtual bool KeepsJsonText() const = 0;
  // What reading must not change, as lines to compare: the files and their
  // bytes (SQLite), the columns and indexes (Postgres).
  virtual std::vector<std::string> Layout() = 0;
};

class SqliteStore : public Store {
 public:
  // `ts_kind`: "sqlite", or "sqlite-old" for an older TS driver's tables.
  explicit SqliteStore(std::string ts_kind = "sqlite")
      : ts_kind_(std::move(ts_kind)) {}
  absl::StatusOr<std::unique_ptr<SessionPersistDriver>> OpenWith(
      DriverOptions options) override {
    return OpenSqliteDriver(file(), options);
  }
  absl::StatusOr<std::vector<std::string>> TsArgs() override {
    return std::vector<std::string>{ts_kind_, file()};
  }
  bool KeepsJsonText() const override { return true; }
  std::vector<std::string> Layout() override {
    std::vector<std::string> files;
    for (const auto& entry : std::filesystem::directory_iterator(dir_.path())) {
      std::ifstream in(entry.path(), std::ios::binary);
      files.push_back(
          absl::StrCat(entry.path().filename().string(), ": ",
                       std::string(std::istreambuf_iterator<char>(in),
                                   std::istreambuf_iterator<char>())));
    }
    std::sort(files.begin(), files.end());
    return files;
  }

 private:
  std::string file() const { return dir_.Sub("ts.sqlite"); }
  const std::string ts_kind_;
  TempDir dir_;
};

class PostgresStore : public Store {
 public:
  absl::StatusOr<std::unique_ptr<SessionPersistDriver>> OpenWith(
      DriverOptions options) override {
    absl::StatusOr<std::string> uri = PgTestUri();
    if (!uri.ok()) return uri.status();
    options.postgres_schema = schema_.name();
    return OpenPostgresDriver(*uri, options);
  }
  absl::StatusOr<std::vector<std::string>> TsArgs() override {
    absl::StatusOr<std::string> uri = PgTestUri();
    if (!uri.ok()) return uri.status();
    return std::vector<std::string>{"postgres", *uri, schema_.name()};
  }
  bool KeepsJsonText() const override { return false; }
  std::vector<std::string> Layout() override {
    auto columns = PgTestSchema::Query(absl::StrCat(
        "SELECT table_name || '.' || column_name || ' ' || data_type || ' ' "
        "|| is_nullable FROM information_schema.columns WHERE table_schema = "
        "'",
        schema_.name(), "' ORDER BY 1"));
    auto indexes = PgTestSchema::Query(
        absl::StrCat("SELECT indexdef FROM pg_indexes WHERE schemaname = '",
                     schema_.name(), "' ORDER BY 1"));
    EXPECT_TRUE(columns.ok() && indexes.ok());
    if (!columns.ok() || !indexes.ok()) return {};
    std::vector<std::string> layout = *columns;
    layout.insert(layout.end(), indexes->begin(), indexes->end());
    return layout;
  }

 private:
  PgTestSchema schema_;
};

// ts_sql_drivers.mjs `command` on `store`, `lines` on its standard input.
absl::StatusOr<std::vector<std::string>> RunTs(
    Store& store, const std::string& command,
    const std::vector<std::string>& lines = {}) {
  absl::StatusOr<std::vector<std::string>> args = store.TsArgs();
  if (!args.ok()) return args.status();
  args->push_back(command);
  return RunTsDrivers(*args, lines);
}

// Reads all of `store` through a read-only driver, as the CLI's reading
// commands do.
absl::StatusOr<std::vector<std::string>> ReadOnlyExport(Store& store) {
  DriverOptions read_only;
  read_only.read_only = true;
  absl::StatusOr<std::unique_ptr<SessionPersistDriver>> driver =
      store.OpenWith(read_only);
  if (!driver.ok()) return driver.status();
  return ExportLines(**driver);
}

// A store that only TS drivers wrote: reading it read-only gives what the TS
// driver reads and changes nothing, not a column, not an index (for SQLite,
// not a byte); a sessionlog writer then adds what it needs, and the TS driver
// still writes and reads the tables.
void ReadOnlyThenWriteThenTs(Store& store,
                             const std::vector<std::string>& write_order) {
  const size_t half = write_order.size() / 2;
  ASSERT_TRUE(RunTs(store, "write",
                    std::vector<std::string>(write_order.begin(),
                                             write_order.begin() + half))
                  .ok());
  auto ts_dump = RunTs(store, "dump");
  ASSERT_TRUE(ts_dump.ok()) << ts_dump.status();
  const std::vector<std::string> layout = store.Layout();
  ASSERT_FALSE(layout.empty());

  auto exported = ReadOnlyExport(store);
  ASSERT_TRUE(exported.ok()) << exported.status();
  std::string why;
  EXPECT_TRUE(SameJsonLines(*exported, *ts_dump, &why)) << why;
  if (store.KeepsJsonText()) {
    EXPECT_EQ(*exported, *ts_dump);
  }
  EXPECT_EQ(store.Layout(), layout) << "a read-only open changed the tables";

  // An explicit write brings the tables up to date.
  {
    auto writer = store.Open();
    ASSERT_TRUE(writer.ok()) << writer.status();
    ASSERT_TRUE(
        (*writer)
            ->UpdateSession(test::MakeSession("written-by-sessionlog", 1))
            .ok());
  }
  EXPECT_NE(store.Layout(), layout);
  // The TS driver goes on writing and reading them.
  ASSERT_TRUE(RunTs(store, "write",
                    std::vector<std::string>(write_order.begin() + half,
                                             write_order.end()))
                  .ok());
  auto after = RunTs(store, "dump");
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->size(), ts_dump->size() + write_order.size() - half + 1);
  auto ours = ReadOnlyExport(store);
  ASSERT_TRUE(ours.ok()) << ours.status();
  EXPECT_TRUE(SameJsonLines(*ours, *after, &why)) << why;
}

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

TEST_P(TsInteropTest, ReadOnlyOnTsTablesChangesNothingAndTsWorksAfterAWrite) {
  std::unique_ptr<Store> store = GetParam()();
  ReadOnlyThenWriteThenTs(*store, MakeFixture().write_order);
}

// The lines of `lines` that are about session `id` (its record and events),
// parsed.
std::vector<nlohmann::json> LinesOf(const std::vector<std::string>& lines,
                                    const std::string& id) {
  std::vector<nlohmann::json> out;
  for (const std::string& line : lines) {
    nlohmann::json j = nlohmann::json::parse(line);
    if ((j.contains("session") && j["session"]["id"] == id) ||
        (j.contains("event") && j["event"]["sessionId"] == id)) {
      out.push_back(std::move(j));
    }
  }
  return out;
}

// `lines` without those about session `id`, and without its events above
// `above_index` when that is not negative (then its record stays).
std::vector<std::string> Without(const std::vector<std::string>& lines,
                                 const std::string& id,
                                 int64_t above_index = -1) {
  std::vector<std::string> out;
  for (const std::string& line : lines) {
    nlohmann::json j = nlohmann::json::parse(line);
    bool drop = false;
    if (j.contains("session")) {
      drop = above_index < 0 && j["session"]["id"] == id;
    } else if (j["event"]["sessionId"] == id) {
      drop = j["event"]["eventIndex"].get<int64_t>() > above_index;
    }
    if (!drop) out.push_back(line);
  }
  return out;
}

// A TS service shares the tables with sessionlog's fork and rewind (the
// CLI's, or a C++ service's): the TS driver reads a fork as a session of its
// own and a rewound session as what is left, and goes on writing both at the
// indexes that follow.
TEST_P(TsInteropTest, TsReadsForksAndRewindsAndAppendsAfterThem) {
  std::unique_ptr<Store> store = GetParam()();
  const Fixture fixture = MakeFixture();
  // Hostile ids (LIKE wildcards, placeholders, quotes), with 10 and 9 events;
  // the source has an agent session id, which the fork must not copy.
  const std::string source = "%_like", fork = "fork of %_like'; --";
  const std::string rewound = "$1";
  const int64_t fork_through = 6, rewind_to = 4;
  {
    auto driver = store->Open();
    ASSERT_TRUE(driver.ok()) << driver.status();
    ASSERT_TRUE(WriteLines(**driver, fixture.write_order).ok());
    ASSERT_EQ(*(*driver)->HighestEventIndex(source), 10);
    ASSERT_EQ(*(*driver)->HighestEventIndex(rewound), 9);
    ASSERT_TRUE((*driver)->ForkSession(source, fork, fork_through).ok());
    ASSERT_TRUE((*driver)->RewindSession(rewound, rewind_to).ok());
  }
  auto dump = RunTs(*store, "dump");
  ASSERT_TRUE(dump.ok()) << dump.status();

  // The fork: the source's record but for its id and agent session id, and
  // the source's events through fork_through, under new ids.
  const std::vector<nlohmann::json> source_lines =
      LinesOf(fixture.export_order, source);
  const std::vector<nlohmann::json> fork_lines = LinesOf(*dump, fork);
  ASSERT_EQ(fork_lines.size(), 1u + fork_through);
  nlohmann::json expected_record = source_lines[0]["session"];
  ASSERT_TRUE(expected_record.contains("agentSessionId"));
  expected_record.erase("agentSessionId");
  expected_record["id"] = fork;
  EXPECT_EQ(fork_lines[0]["session"], expected_record);
  for (int64_t k = 1; k <= fork_through; ++k) {
    nlohmann::json copy = fork_lines[k]["event"];
    const nlohmann::json& original = source_lines[k]["event"];
    EXPECT_EQ(copy["eventIndex"], k);
    EXPECT_EQ(copy["sessionId"], fork);
    EXPECT_NE(copy["id"], original["id"]);
    copy["id"] = original["id"];
    copy["sessionId"] = source;
    EXPECT_EQ(copy, original) << "event " << k;
  }
  // getSession of the fork, as the SDK calls it on resume.
  auto got = RunTs(*store, "get", {nlohmann::json(fork).dump()});
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(got->at(0))["session"], expected_record);
  // Everything else is the fixture with the rewound session's events after
  // rewind_to gone: the source and every other session unchanged.
  std::string why;
  EXPECT_TRUE(SameJsonLines(Without(*dump, fork),
                            Without(fixture.export_order, rewound, rewind_to),
                            &why))
      << why;

  // The TS driver goes on: the rewound session at rewind_to + 1 (free
  // again: the unique index would refuse it if the rewind had left the old
  // event), the fork after its copy, and the fork's record bound to an agent
  // session, as the SDK's resume does.
  auto event_line = [](const std::string& session, int64_t index,
                       const std::string& text) {
    return nlohmann::json{{"event",
                           {{"id", absl::StrCat("ts-", index, "-", session)},
                            {"eventIndex", index},
                            {"sessionId", session},
                            {"createdAt", 1800000000000 + index},
                            {"connectionId", "ts-conn"},
                            {"sender", "client"},
                            {"payload",
                             {{"jsonrpc", "2.0"},
                              {"method", "session/prompt"},
                              {"params", {{"text", text}}}}}}}}
        .dump();
  };
  nlohmann::json bound = expected_record;
  bound["agentSessionId"] = "ts-agent-session";
  bound["lastConnectionId"] = "ts-conn";
  const std::vector<std::string> ts_writes = {
      event_line(rewound, rewind_to + 1, "after the rewind"),
      nlohmann::json{{"session", bound}}.dump(),
      event_line(fork, fork_through + 1, "on the fork"),
  };
  auto written = RunTs(*store, "write", ts_writes);
  ASSERT_TRUE(written.ok()) << written.status();

  auto driver = store->Open();
  ASSERT_TRUE(driver.ok()) << driver.status();
  EXPECT_EQ(*(*driver)->HighestEventIndex(rewound), rewind_to + 1);
  EXPECT_EQ(*(*driver)->HighestEventIndex(fork), fork_through + 1);
  EXPECT_EQ(*(*driver)->HighestEventIndex(source), 10);
  absl::StatusOr<SessionRecord> record = (*driver)->GetSession(fork);
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_EQ(record->agent_session_id, "ts-agent-session");
  struct Appended {
    std::string session;
    int64_t index;
    std::string text;
  };
  for (const Appended& appended :
       {Appended{rewound, rewind_to + 1, "after the rewind"},
        Appended{fork, fork_through + 1, "on the fork"}}) {
    const std::string& id = appended.session;
    const int64_t index = appended.index;
    const std::string& text = appended.text;
    auto last = (*driver)->LastEvents(id, 1);
    ASSERT_TRUE(last.ok()) << last.status();
    ASSERT_EQ(last->size(), 1u);
    EXPECT_EQ(last->at(0).event_index, index);
    EXPECT_EQ(last->at(0).id, absl::StrCat("ts-", index, "-", id));
    EXPECT_EQ(nlohmann::json::parse(last->at(0).payload_json)["params"]["text"],
              text);
  }
  // Both sides read the same store.
  auto ours = ExportLines(**driver);
  ASSERT_TRUE(ours.ok()) << ours.status();
  auto theirs = RunTs(*store, "dump");
  ASSERT_TRUE(theirs.ok()) << theirs.status();
  EXPECT_TRUE(SameJsonLines(*ours, *theirs, &why)) << why;
  EXPECT_EQ(ours->size(), fixture.export_order.size() - (9 - rewind_to) + 1 +
                              (1 + fork_through) + 1);
}

// The same on the tables of an older TS SQLite driver: no sandbox_id,
// config_options_json, modes_json columns.
TEST(TsInteropOlderDriverTest, ReadOnlyChangesNothingAndTsWorksAfterAWrite) {
  // The older driver required agentSessionId.
  std::vector<std::string> write_order;
  for (const std::string& line : MakeFixture().write_order) {
    absl::StatusOr<JsonLine> parsed = JsonLineFromJson(line);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    if (parsed->session && !parsed->session->agent_session_id) {
      parsed->session->agent_session_id = "agent-session";
    }
    write_order.push_back(parsed->session ? JsonLineToJson(*parsed->session)
                                          : line);
  }
  SqliteStore store("sqlite-old");
  ReadOnlyThenWriteThenTs(store, write_order);
  // The current TS driver reads the upgraded file, new columns included.
  auto args = store.TsArgs();
  ASSERT_TRUE(args.ok());
  (*args)[0] = "sqlite";
  args->push_back("dump");
  auto dump = RunTsDrivers(*args, {});
  ASSERT_TRUE(dump.ok()) << dump.status();
  auto ours = ReadOnlyExport(store);
  ASSERT_TRUE(ours.ok()) << ours.status();
  EXPECT_EQ(*dump, *ours);
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
