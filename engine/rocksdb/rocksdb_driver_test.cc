// What only the rocksdb: store does: trimmed events stay trimmed below a
// session's floor whatever the limit, bounded memory and disk, limits recorded
// in the store, one writer at a time, refusing what is not its store, the
// free-space guard. The contract itself (read-only opens, create_if_missing,
// kFsync, Compact, concurrency...) is tests/conformance, run on every driver.

#include "engine/rocksdb/rocksdb_driver.h"

#include <malloc.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/rocksdb/keys.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "tests/testing/records.h"
#include "tests/testing/temp_dir.h"

namespace sessionlog {
namespace {

using test::MakeEvent;
using test::MakeEventOfSize;
using test::MakeSession;

class RocksDbDriverTest : public ::testing::Test {
 protected:
  std::unique_ptr<SessionPersistDriver> OpenOrDie(
      const DriverOptions& options) {
    absl::StatusOr<std::unique_ptr<SessionPersistDriver>> driver =
        OpenRocksDbDriver(dir_, options);
    EXPECT_TRUE(driver.ok()) << driver.status();
    return driver.ok() ? *std::move(driver) : nullptr;
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

  TempDir temp_;
  const std::string dir_ = temp_.Sub("store");
};

// Trimmed events linger on disk until compaction; a session's floor keeps
// them out of reads under a larger limit, or none (as a tool may). The floor
// also keeps a retry of a trimmed event trimmed, where the SQL backends
// (which delete trimmed rows) would take it back into a larger window, and it
// goes with a deleted session.
TEST_F(RocksDbDriverTest, TheFloorKeepsTrimmedEventsOutUnderALargerLimit) {
  DriverOptions options;
  options.max_events_per_session = 3;
  {
    auto driver = OpenOrDie(options);
    for (int i = 1; i <= 10; ++i)
      ASSERT_TRUE(driver->InsertEvent(MakeEvent("s", i)).ok());
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
  ASSERT_TRUE(driver->InsertEvent(MakeEvent("s", 11)).ok());
  // A retry of a trimmed event is accepted and stays trimmed.
  EXPECT_TRUE(driver->InsertEvent(MakeEvent("s", 2)).ok());
  EXPECT_EQ(Indexes(*driver, "s"), (std::vector<int64_t>{8, 9, 10, 11}));
  // A deleted session's floor goes with it.
  ASSERT_TRUE(driver->DeleteSession("s").ok());
  ASSERT_TRUE(driver->InsertEvent(MakeEvent("s", 1)).ok());
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
  ASSERT_TRUE(driver->InsertEvent(MakeEvent("no-such-session-7", 1)).ok());
  ASSERT_TRUE(driver->DeleteSession("no-such-session-7").ok());
  EXPECT_TRUE(Indexes(*driver, "no-such-session-7").empty());
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
            driver->InsertEvent(MakeEventOfSize(absl::StrCat("s", s), i, 2000))
                .ok());
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

TEST_F(RocksDbDriverTest, LimitFromStoreTakesTheLastWritersLimits) {
  DriverOptions unlimited;
  unlimited.max_events_per_session = kNoLimit;
  unlimited.max_sessions = 7;
  auto writer = OpenOrDie(unlimited);
  for (int i = 1; i <= 600; ++i) {
    ASSERT_TRUE(writer->InsertEvent(MakeEvent("s", i)).ok());
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
  absl::Status s = driver->InsertEvent(MakeEvent("s", 1));
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted) << s;
  EXPECT_NE(s.message().find("min_free_disk_bytes"), std::string::npos);
  EXPECT_TRUE(Indexes(*driver, "s").empty());
}

}  // namespace
}  // namespace sessionlog
