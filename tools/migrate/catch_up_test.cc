// Migrating a store while it is written (catch_up.h): a writer appends to a
// rocksdb: store while MigrateAndCatchUp copies it through read-only views;
// everything acknowledged before the reported cut-over point is in the
// destination, and once the writer stops a run catches up to all of it.

#include "tools/migrate/catch_up.h"

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/memory/memory_driver.h"
#include "engine/rocksdb/rocksdb_driver.h"
#include "gtest/gtest.h"
#include "tests/testing/records.h"
#include "tests/testing/temp_dir.h"
#include "tools/migrate/catch_up_testing.h"

namespace sessionlog {
namespace {

class CatchUpTest : public ::testing::Test {
 protected:
  std::string Path() const { return dir_.Sub("store"); }

  OpenSource ReadOnlyViews() {
    return [this]() {
      // With the limits its writer recorded, as `sessionlog migrate` opens
      // a source.
      DriverOptions options;
      options.read_only = true;
      options.max_sessions = kLimitFromStore;
      options.max_events_per_session = kLimitFromStore;
      return OpenRocksDbDriver(Path(), options);
    };
  }

  TempDir dir_;
};

TEST_F(CatchUpTest, CopiesWhileWrittenThenCatchesUp) {
  DriverOptions writer_options;
  writer_options.max_events_per_session = kNoLimit;
  auto store = OpenRocksDbDriver(Path(), writer_options);
  ASSERT_TRUE(store.ok()) << store.status();
  test::AckingWriter writer(**store, 5);

  auto to = OpenMemoryDriver(MigrationDriverOptions());
  ASSERT_TRUE(to.ok());
  CatchUpOptions options;
  options.max_passes = 4;
  options.pause = absl::Milliseconds(100);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto live = MigrateAndCatchUp(ReadOnlyViews(), **to, options);
  ASSERT_TRUE(live.ok()) << live.status();
  ASSERT_EQ(live->passes.size(), 4u) << "the writer never paused";
  EXPECT_FALSE(live->caught_up);
  EXPECT_GT(live->passes[1].events_copied, 0);
  // The cut-over point holds: what was acknowledged before it is there.
  EXPECT_GT(test::ExpectCopiedBefore(writer.acked(), live->cut_over, **to), 0);

  ASSERT_TRUE(writer.Stop().ok());
  auto final_run = MigrateAndCatchUp(ReadOnlyViews(), **to, options);
  ASSERT_TRUE(final_run.ok()) << final_run.status();
  EXPECT_TRUE(final_run->caught_up);
  // The full copy again is all no-ops; the pass after it finds nothing.
  EXPECT_EQ(final_run->passes.size(), 2u);
  const std::vector<test::AckedEvent> acked = writer.acked();
  EXPECT_EQ(test::ExpectCopiedBefore(acked, absl::InfiniteFuture(), **to),
            static_cast<int64_t>(acked.size()));
  for (int s = 0; s < writer.sessions(); ++s) {
    const std::string id = absl::StrCat("s", s);
    EXPECT_EQ(*(*to)->GetSession(id), *(*store)->GetSession(id)) << id;
  }
  auto stats = (*to)->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->events, static_cast<int64_t>(acked.size()));
}

TEST_F(CatchUpTest, APassCopiesOnlyWhatIsNew) {
  auto source = OpenMemoryDriver(MigrationDriverOptions());
  auto to = OpenMemoryDriver(MigrationDriverOptions());
  ASSERT_TRUE(source.ok() && to.ok());
  ASSERT_TRUE((*source)->UpdateSession(test::MakeSession("a", 1)).ok());
  for (int i = 1; i <= 10; ++i) {
    ASSERT_TRUE((*source)->InsertEvent(test::MakeEvent("a", i)).ok());
  }
  auto first = CatchUpOnce(**source, **to, 4);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->sessions_written, 1);
  EXPECT_EQ(first->events_copied, 10);
  for (int i = 11; i <= 13; ++i) {
    ASSERT_TRUE((*source)->InsertEvent(test::MakeEvent("a", i)).ok());
  }
  ASSERT_TRUE((*source)->UpdateSession(test::MakeSession("b", 2)).ok());
  auto second = CatchUpOnce(**source, **to, 4);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->sessions_seen, 2);
  EXPECT_EQ(second->sessions_written, 1);  // b only.
  EXPECT_EQ(second->events_copied, 3);
  auto third = CatchUpOnce(**source, **to, 4);
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->sessions_written, 0);
  EXPECT_EQ(third->events_copied, 0);
}

TEST_F(CatchUpTest, RefusesNoPasses) {
  auto to = OpenMemoryDriver(MigrationDriverOptions());
  ASSERT_TRUE(to.ok());
  CatchUpOptions options;
  options.max_passes = 0;
  EXPECT_TRUE(absl::IsInvalidArgument(
      MigrateAndCatchUp(ReadOnlyViews(), **to, options).status()));
}

}  // namespace
}  // namespace sessionlog
