// Engine-specific behaviour of the rocksdb: store. The contract itself is
// covered by tests/conformance, which runs against every driver.

#include "engine/rocksdb/rocksdb_driver.h"

#include <malloc.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/rocksdb/keys.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"

namespace sessionlog {
namespace {

class RocksDbDriverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = std::getenv("TEST_TMPDIR");
    dir_ = absl::StrCat(
        tmp ? tmp : "/tmp", "/store-",
        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<SessionPersistDriver> OpenOrDie(
      const DriverOptions& options) {
    absl::StatusOr<std::unique_ptr<SessionPersistDriver>> driver =
        OpenRocksDbDriver(dir_, options);
    EXPECT_TRUE(driver.ok()) << driver.status();
    return driver.ok() ? *std::move(driver) : nullptr;
  }

  static SessionEvent Event(const std::string& session, int64_t index,
                            int payload_bytes = 40) {
    SessionEvent e;
    e.id = absl::StrCat(session, "-e", index);
    e.event_index = index;
    e.session_id = session;
    e.created_at = 1700000000000 + index;
    e.connection_id = "c1";
    e.sender = index % 2 ? Sender::kClient : Sender::kAgent;
    e.payload_json =
        absl::StrCat(R"({"jsonrpc":"2.0","method":"session/update","text":")",
                     std::string(payload_bytes, 'x'), "\"}");
    return e;
  }

  static SessionRecord Record(const std::string& id, int64_t created_at) {
    SessionRecord r;
    r.id = id;
    r.agent = "mock";
    r.last_connection_id = "c1";
    r.created_at = created_at;
    return r;
  }

  static std::vector<int64_t> Indexes(SessionPersistDriver& driver,
                                      const std::string& session) {
    std::vector<int64_t> out;
    ListEventsRequest request;
    request.session_id = session;
    request.limit = kMaxPageLimit;
    absl::StatusOr<Page<SessionEvent>> page = driver.ListEvents(request);
    EXPECT_TRUE(page.ok()) << page.status();
    if (page.ok()) {
      for (const SessionEvent& e : page->items) out.push_back(e.event_index);
    }
    return out;
  }

  std::string dir_;
};

TEST_F(RocksDbDriverTest, ReopenRebuildsRetentionAndHighestIndex) {
  DriverOptions options;
  options.max_events_per_session = 3;
  {
    auto driver = OpenOrDie(options);
    for (int i = 1; i <= 10; ++i)
      ASSERT_TRUE(driver->InsertEvent(Event("s", i)).ok());
    EXPECT_EQ(Indexes(*driver, "s"), (std::vector<int64_t>{8, 9, 10}));
  }
  auto driver = OpenOrDie(options);
  EXPECT_EQ(Indexes(*driver, "s"), (std::vector<int64_t>{8, 9, 10}));
  EXPECT_EQ(*driver->HighestEventIndex("s"), 10);
  ASSERT_TRUE(driver->InsertEvent(Event("s", 11)).ok());
  EXPECT_EQ(Indexes(*driver, "s"), (std::vector<int64_t>{9, 10, 11}));
  // A retry of a trimmed event is accepted and stays trimmed.
  EXPECT_TRUE(driver->InsertEvent(Event("s", 2)).ok());
  EXPECT_EQ(Indexes(*driver, "s"), (std::vector<int64_t>{9, 10, 11}));
}

// Trimmed events linger on disk until compaction. Opening the store with a
// larger limit, or none (as a tool may), must not bring them back.
TEST_F(RocksDbDriverTest, TrimmedEventsStayTrimmedUnderALargerLimit) {
  DriverOptions options;
  options.max_events_per_session = 3;
  {
    auto driver = OpenOrDie(options);
    for (int i = 1; i <= 10; ++i)
      ASSERT_TRUE(driver->InsertEvent(Event("s", i)).ok());
  }
  DriverOptions unlimited;
  unlimited.max_events_per_session = kNoLimit;
  unlimited.read_only = true;
  {
    auto reader = OpenOrDie(unlimited);
    EXPECT_EQ(Indexes(*reader, "s"), (std::vector<int64_t>{8, 9, 10}));
    EXPECT_EQ((*reader->LastEvents("s", 10)).size(), 3u);
  }
  options.max_events_per_session = 500;
  auto driver = OpenOrDie(options);
  EXPECT_EQ(Indexes(*driver, "s"), (std::vector<int64_t>{8, 9, 10}));
  EXPECT_EQ(*driver->HighestEventIndex("s"), 10);
  ASSERT_TRUE(driver->InsertEvent(Event("s", 11)).ok());
  // A retry of a trimmed event is accepted and stays trimmed.
  EXPECT_TRUE(driver->InsertEvent(Event("s", 2)).ok());
  EXPECT_EQ(Indexes(*driver, "s"), (std::vector<int64_t>{8, 9, 10, 11}));
  // A deleted session's floor goes with it.
  ASSERT_TRUE(driver->DeleteSession("s").ok());
  ASSERT_TRUE(driver->InsertEvent(Event("s", 1)).ok());
  EXPECT_EQ(Indexes(*driver, "s"), (std::vector<int64_t>{1}));
}

// Deleting what does not exist is OK, and must leave nothing behind: a
// service that deletes arbitrary ids must not grow the driver's memory.
TEST_F(RocksDbDriverTest, DeletingUnknownIdsDoesNotGrowMemory) {
  auto driver = OpenOrDie(DriverOptions());
  ASSERT_TRUE(driver->DeleteSession("warm-up").ok());
  const size_t before = mallinfo2().uordblks;
  for (int i = 0; i < 50000; ++i) {
    ASSERT_TRUE(
        driver->DeleteSession(absl::StrCat("no-such-session-", i)).ok());
  }
  const size_t after = mallinfo2().uordblks;
  EXPECT_LT(after, before + (4u << 20)) << "heap grew by " << after - before;
  // A deleted id still takes events, and a delete still removes them.
  ASSERT_TRUE(driver->InsertEvent(Event("no-such-session-7", 1)).ok());
  ASSERT_TRUE(driver->DeleteSession("no-such-session-7").ok());
  EXPECT_TRUE(Indexes(*driver, "no-such-session-7").empty());
}

TEST_F(RocksDbDriverTest, EvictedIdThatComesBackGetsNoOldEvents) {
  DriverOptions options;
  options.max_sessions = 1;
  {
    auto driver = OpenOrDie(options);
    ASSERT_TRUE(driver->UpdateSession(Record("a", 1)).ok());
    ASSERT_TRUE(driver->InsertEvent(Event("a", 1)).ok());
    ASSERT_TRUE(driver->UpdateSession(Record("b", 2)).ok());  // Evicts a.
    EXPECT_TRUE(Indexes(*driver, "a").empty());
    ASSERT_TRUE(driver->InsertEvent(Event("a", 5)).ok());
  }
  auto driver = OpenOrDie(options);
  EXPECT_EQ(Indexes(*driver, "a"), (std::vector<int64_t>{5}));
  EXPECT_EQ(driver->GetSession("a").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_TRUE(driver->GetSession("b").ok());
  EXPECT_EQ(driver->Stats()->sessions, 1);
}

TEST_F(RocksDbDriverTest, DiskStaysBoundedUnderEndlessAppends) {
  DriverOptions options;
  options.max_events_per_session = 50;
  options.max_sessions = 4;
  auto driver = OpenOrDie(options);
  auto disk_after = [&](int rounds, int start) {
    for (int i = start; i < start + rounds; ++i) {
      for (int s = 0; s < 4; ++s) {
        EXPECT_TRUE(
            driver->InsertEvent(Event(absl::StrCat("s", s), i, 2000)).ok());
      }
    }
    EXPECT_TRUE(driver->Compact().ok());
    return driver->Stats()->disk_bytes;
  };
  // 4 sessions x 50 events x ~2 KB = ~400 KB live; write 20x that, twice.
  int64_t first = disk_after(1000, 1);
  int64_t second = disk_after(1000, 1001);
  EXPECT_LT(second, first * 3 / 2)
      << "disk grew from " << first << " to " << second;
  EXPECT_LT(second, 8 << 20);
  for (int s = 0; s < 4; ++s)
    EXPECT_EQ(Indexes(*driver, absl::StrCat("s", s)).size(), 50u);
}

TEST_F(RocksDbDriverTest, SecondWriterIsRefusedWithAClearError) {
  auto driver = OpenOrDie(DriverOptions());
  absl::StatusOr<std::unique_ptr<SessionPersistDriver>> second =
      OpenRocksDbDriver(dir_, DriverOptions());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition)
      << second.status();
  EXPECT_NE(second.status().message().find("read-only"), std::string::npos);
}

TEST_F(RocksDbDriverTest, ReadOnlyOpenSeesDataAndRefusesWrites) {
  {
    auto writer = OpenOrDie(DriverOptions());
    ASSERT_TRUE(writer->InsertEvent(Event("s", 1)).ok());
  }
  auto writer = OpenOrDie(DriverOptions());
  DriverOptions read_only;
  read_only.read_only = true;
  auto reader = OpenRocksDbDriver(dir_, read_only);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ(Indexes(**reader, "s"), (std::vector<int64_t>{1}));
  EXPECT_EQ((*reader)->InsertEvent(Event("s", 2)).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(RocksDbDriverTest, LimitFromStoreTakesTheLastWritersLimits) {
  DriverOptions unlimited;
  unlimited.max_events_per_session = kNoLimit;
  unlimited.max_sessions = 7;
  auto writer = OpenOrDie(unlimited);
  for (int i = 1; i <= 600; ++i) {
    ASSERT_TRUE(writer->InsertEvent(Event("s", i)).ok());
  }
  DriverOptions from_store;
  from_store.read_only = true;
  from_store.max_sessions = kLimitFromStore;
  from_store.max_events_per_session = kLimitFromStore;
  auto reader = OpenRocksDbDriver(dir_, from_store);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ((*reader)->options().max_sessions, 7);
  EXPECT_EQ((*reader)->options().max_events_per_session, kNoLimit);
  EXPECT_EQ(Indexes(**reader, "s").size(), 600u);
  // A read-only instance with explicit limits reads with those.
  DriverOptions defaults;
  defaults.read_only = true;
  auto clipped = OpenRocksDbDriver(dir_, defaults);
  ASSERT_TRUE(clipped.ok()) << clipped.status();
  EXPECT_EQ(Indexes(**clipped, "s").size(), 500u);

  writer.reset();
  // A maintenance writer that takes the store's limits keeps the policy.
  from_store.read_only = false;
  { auto maintenance = OpenOrDie(from_store); }
  DriverOptions limited;
  limited.max_events_per_session = 3;
  auto next_writer = OpenOrDie(limited);
  from_store.read_only = true;
  auto second_reader = OpenRocksDbDriver(dir_, from_store);
  ASSERT_TRUE(second_reader.ok()) << second_reader.status();
  EXPECT_EQ((*second_reader)->options().max_events_per_session, 3);
  EXPECT_EQ(Indexes(**second_reader, "s"),
            (std::vector<int64_t>{598, 599, 600}));
}

TEST_F(RocksDbDriverTest, LimitFromStoreOnANewStoreIsTheSdkDefault) {
  DriverOptions from_store;
  from_store.max_sessions = kLimitFromStore;
  from_store.max_events_per_session = kLimitFromStore;
  auto driver = OpenOrDie(from_store);
  EXPECT_EQ(driver->options().max_sessions, kDefaultMaxSessions);
  EXPECT_EQ(driver->options().max_events_per_session,
            kDefaultMaxEventsPerSession);
}

TEST_F(RocksDbDriverTest, LastEventsAcrossGapsInTheIndexes) {
  DriverOptions options;
  options.max_events_per_session = 4;
  auto driver = OpenOrDie(options);
  for (int64_t i : {1, 2, 3, 10, 20}) {
    ASSERT_TRUE(driver->InsertEvent(Event("s", i)).ok());
  }
  auto indexes = [&](int64_t count) {
    std::vector<int64_t> out;
    absl::StatusOr<std::vector<SessionEvent>> last =
        driver->LastEvents("s", count);
    EXPECT_TRUE(last.ok()) << last.status();
    if (last.ok()) {
      for (const SessionEvent& e : *last) out.push_back(e.event_index);
    }
    return out;
  };
  EXPECT_EQ(indexes(1), (std::vector<int64_t>{20}));
  EXPECT_EQ(indexes(3), (std::vector<int64_t>{3, 10, 20}));
  // The retained window is {2, 3, 10, 20}: never more, whatever the count.
  EXPECT_EQ(indexes(10), (std::vector<int64_t>{2, 3, 10, 20}));
}

TEST_F(RocksDbDriverTest, MissingStoreWithoutCreateIsNotFound) {
  DriverOptions options;
  options.create_if_missing = false;
  EXPECT_EQ(OpenRocksDbDriver(dir_, options).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(dir_));
}

TEST_F(RocksDbDriverTest, NewerFormatVersionIsRefused) {
  { OpenOrDie(DriverOptions()); }
  {
    rocksdb::DB* db;
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
    for (const char* name :
         {"default", "sessions", "by_age", "handles", "events"}) {
      cfs.emplace_back(name, rocksdb::ColumnFamilyOptions());
    }
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    ASSERT_TRUE(
        rocksdb::DB::Open(rocksdb::DBOptions(), dir_, cfs, &handles, &db).ok());
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), handles[0],
                        rocksdb_keys::kFormatVersionKey, "99")
                    .ok());
    for (auto* h : handles) ASSERT_TRUE(db->DestroyColumnFamilyHandle(h).ok());
    delete db;
  }
  absl::StatusOr<std::unique_ptr<SessionPersistDriver>> driver =
      OpenRocksDbDriver(dir_, DriverOptions());
  EXPECT_EQ(driver.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(driver.status().message().find("format version 99"),
            std::string::npos)
      << driver.status();
}

TEST_F(RocksDbDriverTest, PlainRocksDbIsNotTakenForAStore) {
  {
    rocksdb::DB* db;
    rocksdb::Options options;
    options.create_if_missing = true;
    ASSERT_TRUE(rocksdb::DB::Open(options, dir_, &db).ok());
    delete db;
  }
  absl::StatusOr<std::unique_ptr<SessionPersistDriver>> driver =
      OpenRocksDbDriver(dir_, DriverOptions());
  EXPECT_EQ(driver.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(driver.status().message().find("not a sessionlog store"),
            std::string::npos);
}

TEST_F(RocksDbDriverTest, FreeSpaceGuardRefusesWritesBeforeTheDiskIsFull) {
  DriverOptions options;
  options.min_free_disk_bytes = int64_t{1} << 62;  // More than any disk has.
  auto driver = OpenOrDie(options);
  absl::Status s = driver->InsertEvent(Event("s", 1));
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted) << s;
  EXPECT_NE(s.message().find("min_free_disk_bytes"), std::string::npos);
  EXPECT_TRUE(Indexes(*driver, "s").empty());
}

TEST_F(RocksDbDriverTest, ConcurrentAppendsToSharedSessionsLoseNothing) {
  DriverOptions options;
  options.max_events_per_session = kNoLimit;
  options.durability = Durability::kFsync;
  auto driver = OpenOrDie(options);
  constexpr int kThreads = 8, kPerThread = 200;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Threads t and t+4 share a session; indexes interleave without clash.
      std::string session = absl::StrCat("s", t % 4);
      for (int i = 0; i < kPerThread; ++i) {
        ASSERT_TRUE(
            driver->InsertEvent(Event(session, i * 2 + t / 4 + 1)).ok());
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int s = 0; s < 4; ++s) {
    std::vector<int64_t> got = Indexes(*driver, absl::StrCat("s", s));
    ASSERT_EQ(got.size(), 2u * kPerThread);
    for (size_t i = 0; i < got.size(); ++i)
      EXPECT_EQ(got[i], static_cast<int64_t>(i + 1));
  }
}

}  // namespace
}  // namespace sessionlog
