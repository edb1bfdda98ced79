// Read-only opens beside a writer that keeps reopening the store (each open
// writes a new MANIFEST and deletes the old one) and compacting it (tables
// deleted): a reader must never take the writer's deletions for damage, and
// must read a whole store. A hostile review found 20-25% of CLI reads failing
// with "Corruption: Can't access ...sst: No such file" in this situation.

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/rocksdb/rocksdb_driver.h"
#include "gtest/gtest.h"
#include "tests/durability/workload.h"
#include "tests/testing/temp_dir.h"

namespace sessionlog {
namespace {

constexpr int kSessions = 10;

TEST(ReadOnlyBesideWriterTest, ReadersNeverTakeTheWritersDeletionsForDamage) {
  TempDir dir;
  const std::string store = dir.Sub("store");
  DriverOptions options;
  options.max_events_per_session = kNoLimit;
  {
    auto writer = OpenRocksDbDriver(store, options);
    ASSERT_TRUE(writer.ok()) << writer.status();
    for (int s = 0; s < kSessions; ++s) {
      ASSERT_TRUE((*writer)->UpdateSession(durability::MakeRecord(s)).ok());
    }
  }
  std::atomic<bool> stop{false};
  std::atomic<int> rounds{0};
  std::thread writer_thread([&] {
    std::vector<int64_t> next(kSessions, 1);
    for (int round = 0; !stop.load(); ++round) {
      auto writer = OpenRocksDbDriver(store, options);
      if (!writer.ok()) {
        ADD_FAILURE() << "writer open: " << writer.status();
        return;
      }
      const int s = round % kSessions;
      std::vector<SessionEvent> events;
      for (int i = 0; i < 100; ++i)
        events.push_back(durability::MakeEvent(s, next[s]++));
      absl::Status st = (*writer)->InsertEvents(events);
      if (st.ok()) st = (*writer)->Compact();
      if (!st.ok()) {
        ADD_FAILURE() << "writer: " << st;
        return;
      }
      rounds.fetch_add(1);
      // A writer that reopens and compacts 50 times a second: far busier
      // than a real one, which opens once.
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  int failures = 0, reads = 0;
  std::string first_failure;
  DriverOptions read_only = options;
  read_only.read_only = true;
  while (reads < 150 || rounds.load() < 20) {
    ++reads;
    auto reader = OpenRocksDbDriver(store, read_only);
    absl::Status st = reader.status();
    int sessions = 0;
    if (st.ok()) {
      st = ForEachSession(**reader, [&](const SessionRecord& r) {
        ++sessions;
        int64_t expected = 1;
        return ForEachEvent(
            **reader, r.id, [&](const SessionEvent& e) -> absl::Status {
              if (e.event_index != expected++) {
                return absl::DataLossError(
                    absl::StrCat(r.id, ": event ", e.event_index, " where ",
                                 expected - 1, " was due"));
              }
              return absl::OkStatus();
            });
      });
    }
    if (st.ok() && sessions != kSessions) {
      st = absl::DataLossError(absl::StrCat(sessions, " sessions"));
    }
    if (!st.ok() && failures++ == 0) first_failure = st.ToString();
  }
  stop = true;
  writer_thread.join();
  std::printf(
      "RESULT read_only_beside_writer: %d read-only opens and full "
      "reads beside %d writer reopens and compactions, %d failed\n",
      reads, rounds.load(), failures);
  EXPECT_EQ(failures, 0) << "first: " << first_failure;
}

}  // namespace
}  // namespace sessionlog
