// A store that lost its CURRENT file (or its MANIFEST too) is damaged, never
// new. The case found by review: 100,000 events, CURRENT deleted; the first
// open that may create left a fresh CURRENT naming an empty MANIFEST, and the
// second one opened that empty store and let RocksDB delete the old write-ahead
// log and every table. Here every open must be DataLoss that says what is
// missing, no file of the store may change, and RepairStore must get every
// event back into a new directory without touching the damaged one.

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/rocksdb/repair.h"
#include "engine/rocksdb/rocksdb_driver.h"
#include "gtest/gtest.h"
#include "tests/durability/workload.h"
#include "tests/testing/temp_dir.h"

namespace sessionlog {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kSessions = 200;
constexpr int64_t kEventsPerSession = 500;  // 100,000 events in all.

// Every file of a directory: its size and a hash of its bytes.
using Snapshot = std::map<std::string, std::string>;

Snapshot TakeSnapshot(const std::string& dir) {
  Snapshot files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    const std::string content = bytes.str();
    files[entry.path().filename().string()] =
        absl::StrCat(content.size(), ":", std::hash<std::string>()(content));
  }
  return files;
}

// Names of the files that were added, removed or changed.
std::string Differences(const Snapshot& before, const Snapshot& after) {
  std::string out;
  for (const auto& [name, bytes] : before) {
    auto it = after.find(name);
    if (it == after.end()) absl::StrAppend(&out, " removed ", name, ";");
    if (it != after.end() && it->second != bytes) {
      absl::StrAppend(&out, " changed ", name, ";");
    }
  }
  for (const auto& [name, bytes] : after) {
    if (before.count(name) == 0) absl::StrAppend(&out, " added ", name, ";");
  }
  return out;
}

DriverOptions Options() {
  DriverOptions options;
  options.max_sessions = kSessions;
  options.max_events_per_session = kEventsPerSession;
  return options;
}

// A closed store: the first half of every session's events in tables (after
// Compact), the second half only in the write-ahead log.
void BuildStore(const std::string& path) {
  auto driver = OpenRocksDbDriver(path, Options());
  ASSERT_TRUE(driver.ok()) << driver.status();
  auto write = [&](int64_t from, int64_t to) {
    for (int64_t s = 0; s < kSessions; ++s) {
      std::vector<SessionEvent> events;
      for (int64_t i = from; i <= to; ++i) {
        events.push_back(durability::MakeEvent(s, i));
      }
      ASSERT_TRUE((*driver)->InsertEvents(events).ok());
    }
  };
  for (int64_t s = 0; s < kSessions; ++s) {
    ASSERT_TRUE((*driver)->UpdateSession(durability::MakeRecord(s)).ok());
  }
  write(1, kEventsPerSession / 2);
  ASSERT_TRUE((*driver)->Compact().ok());
  write(kEventsPerSession / 2 + 1, kEventsPerSession);
}

// Every record and every event, exactly as written.
void ExpectEverything(const std::string& path) {
  auto driver = OpenRocksDbDriver(path, Options());
  ASSERT_TRUE(driver.ok()) << driver.status();
  int64_t events = 0;
  for (int64_t s = 0; s < kSessions; ++s) {
    auto record = (*driver)->GetSession(durability::SessionId(s));
    ASSERT_TRUE(record.ok()) << record.status();
    EXPECT_EQ(*record, durability::MakeRecord(s));
    int64_t next = 1;
    absl::Status walked = ForEachEvent(
        **driver, durability::SessionId(s),
        [&](const SessionEvent& e) -> absl::Status {
          if (!(e == durability::MakeEvent(s, next))) {
            return absl::DataLossError(absl::StrCat(
                "session ", s, ": event ", next, " is not as written"));
          }
          ++next;
          ++events;
          return absl::OkStatus();
        });
    ASSERT_TRUE(walked.ok()) << walked;
    EXPECT_EQ(next - 1, kEventsPerSession) << "session " << s;
  }
  EXPECT_EQ(events, kSessions * kEventsPerSession);
}

class MissingCurrentTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir("missing-current");
    BuildStore(dir_->Sub("store"));
    pristine_ = new Snapshot(TakeSnapshot(dir_->Sub("store")));
  }
  static void TearDownTestSuite() {
    delete pristine_;
    delete dir_;
  }

  // A copy of the store built once, for this test to damage.
  std::string FreshCopy() {
    const std::string copy = scratch_.Sub("store");
    fs::copy(dir_->Sub("store"), copy);
    return copy;
  }

  // Every kind of open: each must be DataLoss naming CURRENT, and change
  // nothing.
  void ExpectEveryOpenRefused(const std::string& store) {
    const Snapshot before = TakeSnapshot(store);
    DriverOptions create = Options();
    DriverOptions read_only = Options();
    read_only.read_only = true;
    DriverOptions no_create = Options();
    no_create.create_if_missing = false;
    // The reviewer opened for writing twice: the second open wiped the store.
    for (const DriverOptions& options :
         {create, create, read_only, no_create}) {
      auto driver = OpenRocksDbDriver(store, options);
      ASSERT_FALSE(driver.ok()) << "opened a store without CURRENT";
      EXPECT_EQ(driver.status().code(), absl::StatusCode::kDataLoss)
          << driver.status();
      EXPECT_TRUE(absl::StrContains(driver.status().message(), "CURRENT"))
          << driver.status();
      EXPECT_TRUE(
          absl::StrContains(driver.status().message(), "Nothing was changed"))
          << driver.status();
      EXPECT_EQ(Differences(before, TakeSnapshot(store)), "");
    }
  }

  static TempDir* dir_;
  static Snapshot* pristine_;
  TempDir scratch_{"missing-current-case"};
};

TempDir* MissingCurrentTest::dir_ = nullptr;
Snapshot* MissingCurrentTest::pristine_ = nullptr;

TEST_F(MissingCurrentTest, TheStoreHasTablesAndALog) {
  int tables = 0, logs = 0;
  for (const auto& [name, bytes] : *pristine_) {
    tables += absl::EndsWith(name, ".sst");
    logs += absl::EndsWith(name, ".log") && !bytes.empty();
  }
  EXPECT_GT(tables, 0);
  EXPECT_GT(logs, 0);
}

TEST_F(MissingCurrentTest, OpensAreRefusedAndRepairGetsEveryEventBack) {
  const std::string store = FreshCopy();
  ASSERT_TRUE(fs::remove(store + "/CURRENT"));
  ExpectEveryOpenRefused(store);
  const Snapshot damaged = TakeSnapshot(store);

  const std::string repaired = scratch_.Sub("repaired");
  absl::StatusOr<RepairReport> report = RepairStore(store, repaired);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(Differences(damaged, TakeSnapshot(store)), "")
      << "repair changed the damaged store";
  EXPECT_EQ(report->method, RepairReport::Method::kRewroteCurrent);
  ASSERT_FALSE(report->problems.empty());
  EXPECT_TRUE(absl::StrContains(report->problems.front(), "CURRENT"));
  EXPECT_EQ(report->sessions, kSessions);
  EXPECT_EQ(report->sessions_with_events, kSessions);
  EXPECT_EQ(report->events, kSessions * kEventsPerSession);
  ExpectEverything(repaired);
  std::printf(
      "RESULT missing_current_test CURRENT deleted: 4 opens refused with "
      "DataLoss, 0 files changed; repair (%s, %s) recovered %lld sessions and "
      "%lld of %lld events from %lld tables and %lld logs\n",
      std::string(RepairMethodName(report->method)).c_str(),
      report->manifest.c_str(), static_cast<long long>(report->sessions),
      static_cast<long long>(report->events),
      static_cast<long long>(kSessions * kEventsPerSession),
      static_cast<long long>(report->table_files),
      static_cast<long long>(report->log_files));
}

// Without CURRENT or any MANIFEST, RepairDB rebuilds one from the tables and
// the write-ahead log.
TEST_F(MissingCurrentTest, WithoutAManifestRepairDbRebuildsTheStore) {
  const std::string store = FreshCopy();
  ASSERT_TRUE(fs::remove(store + "/CURRENT"));
  for (const auto& entry : fs::directory_iterator(store)) {
    if (absl::StartsWith(entry.path().filename().string(), "MANIFEST-")) {
      fs::remove(entry.path());
    }
  }
  ExpectEveryOpenRefused(store);
  const Snapshot damaged = TakeSnapshot(store);

  const std::string repaired = scratch_.Sub("repaired");
  absl::StatusOr<RepairReport> report = RepairStore(store, repaired);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(Differences(damaged, TakeSnapshot(store)), "");
  EXPECT_EQ(report->method, RepairReport::Method::kRepairDb);
  EXPECT_TRUE(report->set_aside.empty());
  EXPECT_EQ(report->sessions, kSessions);
  EXPECT_EQ(report->events, kSessions * kEventsPerSession);
  ExpectEverything(repaired);
  std::printf(
      "RESULT missing_current_test CURRENT and MANIFEST deleted: repair (%s) "
      "recovered %lld sessions and %lld of %lld events; %zu warnings\n",
      std::string(RepairMethodName(report->method)).c_str(),
      static_cast<long long>(report->sessions),
      static_cast<long long>(report->events),
      static_cast<long long>(kSessions * kEventsPerSession),
      report->warnings.size());
}

// CURRENT kept, the MANIFEST it names lost: RocksDB's own error ("No such
// file or directory") read like a missing store; the open names what is
// damaged, and repair rebuilds the store from the tables and the log.
TEST_F(MissingCurrentTest, ALostManifestIsNamedAndRepaired) {
  const std::string store = FreshCopy();
  std::string named;
  std::getline(std::ifstream(store + "/CURRENT"), named);
  ASSERT_TRUE(absl::StartsWith(named, "MANIFEST-")) << named;
  ASSERT_TRUE(fs::remove(store + "/" + named));
  ExpectEveryOpenRefused(store);
  auto driver = OpenRocksDbDriver(store, Options());
  EXPECT_TRUE(absl::StrContains(driver.status().message(),
                                absl::StrCat(named, ", which is missing")))
      << driver.status();
  EXPECT_TRUE(absl::StrContains(driver.status().message(), "sessionlog repair"))
      << driver.status();
  const Snapshot damaged = TakeSnapshot(store);

  const std::string repaired = scratch_.Sub("repaired");
  absl::StatusOr<RepairReport> report = RepairStore(store, repaired);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(Differences(damaged, TakeSnapshot(store)), "");
  ASSERT_FALSE(report->problems.empty());
  EXPECT_TRUE(absl::StrContains(report->problems.front(), named))
      << report->problems.front();
  EXPECT_EQ(report->sessions, kSessions);
  EXPECT_EQ(report->events, kSessions * kEventsPerSession);
  ExpectEverything(repaired);
}

// Repairing a healthy store copies it and reads everything back.
TEST_F(MissingCurrentTest, AHealthyStoreNeedsNoRepair) {
  const std::string store = FreshCopy();
  const std::string repaired = scratch_.Sub("repaired");
  absl::StatusOr<RepairReport> report = RepairStore(store, repaired);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->method, RepairReport::Method::kNothingToRepair);
  EXPECT_TRUE(report->problems.empty());
  EXPECT_EQ(report->events, kSessions * kEventsPerSession);
  EXPECT_EQ(Differences(*pristine_, TakeSnapshot(store)), "");
}

TEST_F(MissingCurrentTest, RepairRefusesABadTargetAndLeavesItAsItWas) {
  const std::string store = FreshCopy();
  ASSERT_TRUE(fs::remove(store + "/CURRENT"));
  // Not empty.
  const std::string full = scratch_.Sub("full");
  fs::create_directory(full);
  std::ofstream(full + "/keep.txt") << "mine";
  auto report = RepairStore(store, full);
  EXPECT_EQ(report.status().code(), absl::StatusCode::kFailedPrecondition)
      << report.status();
  EXPECT_TRUE(fs::exists(full + "/keep.txt"));
  // The store itself, or inside it.
  EXPECT_EQ(RepairStore(store, store).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(RepairStore(store, store + "/inside").status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(fs::exists(store + "/inside"));
  // A parent that does not exist.
  EXPECT_FALSE(RepairStore(store, scratch_.Sub("no/such/parent")).ok());
  // Nothing to repair.
  const std::string empty = scratch_.Sub("empty");
  fs::create_directory(empty);
  EXPECT_EQ(RepairStore(empty, scratch_.Sub("out")).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_FALSE(fs::exists(scratch_.Sub("out")));
}

}  // namespace
}  // namespace sessionlog
