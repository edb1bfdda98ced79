// `sessionlog migrate --catch-up` as a user runs it: a writer keeps appending
// to a rocksdb: store while the command copies it to another store, and the
// command's refusals of bad flags and of the same store.

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "engine/rocksdb/rocksdb_driver.h"
#include "engine/sqlite/sqlite_driver.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cli/cli_fixture.h"
#include "tests/cli/cli_harness.h"
#include "tests/cli/cli_runner.h"
#include "tools/migrate/catch_up_testing.h"

namespace sessionlog {
namespace cli_test {
namespace {

using ::testing::HasSubstr;

class MigrateCatchUpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = FreshDir("catch-up");
    from_ = "rocksdb:" + dir_ + "/source";
    to_path_ = dir_ + "/dest.db";
    to_ = "sqlite:" + to_path_;
  }

  // The destination, opened read-only.
  std::unique_ptr<SessionPersistDriver> Destination() {
    DriverOptions options;
    options.read_only = true;
    auto to = OpenSqliteDriver(to_path_, options);
    EXPECT_TRUE(to.ok()) << to.status();
    return to.ok() ? *std::move(to) : nullptr;
  }

  std::string dir_, from_, to_path_, to_;
};

TEST_F(MigrateCatchUpTest, CopiesAStoreWhileItIsWrittenAndReportsTheCutOver) {
  DriverOptions writer_options;
  writer_options.max_events_per_session = kNoLimit;
  auto store = OpenRocksDbDriver(dir_ + "/source", writer_options);
  ASSERT_TRUE(store.ok()) << store.status();
  test::AckingWriter writer(**store, 4);
  // Some history before the copy starts, and writes all through it.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CliResult live = RunCli({"migrate", "--from", from_, "--to", to_,
                           "--catch-up", "--max-passes", "3", "--json"});
  ASSERT_EQ(live.exit_code, 0) << live.err;
  Json report = Json::parse(live.out, nullptr, false);
  ASSERT_TRUE(report.is_object()) << live.out;
  EXPECT_EQ(report["passes"].size(), 3u) << live.out;
  EXPECT_EQ(report["caught_up"], false) << "the writer never paused";
  EXPECT_GT(report["passes"][1]["events_copied"].get<int64_t>(), 0);
  const absl::Time cut_over =
      absl::FromUnixMillis(report["cut_over_unix_ms"].get<int64_t>());
  {
    auto to = Destination();
    ASSERT_NE(to, nullptr);
    EXPECT_GT(test::ExpectCopiedBefore(writer.acked(), cut_over, *to), 0);
  }

  // The writer stops; one more run copies the rest and says it caught up.
  ASSERT_TRUE(writer.Stop().ok());
  store->reset();
  CliResult final_run =
      RunCli({"migrate", "--from", from_, "--to", to_, "--catch-up"});
  ASSERT_EQ(final_run.exit_code, 0) << final_run.err;
  EXPECT_THAT(final_run.out, HasSubstr("caught up after 2 passes"));
  EXPECT_THAT(final_run.out, HasSubstr("cut-over point: "));
  auto to = Destination();
  ASSERT_NE(to, nullptr);
  const std::vector<test::AckedEvent> acked = writer.acked();
  EXPECT_EQ(test::ExpectCopiedBefore(acked, absl::InfiniteFuture(), *to),
            static_cast<int64_t>(acked.size()));
  auto stats = to->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->events, static_cast<int64_t>(acked.size()));
}

TEST_F(MigrateCatchUpTest, RefusesBadFlagsBeforeCreatingAnything) {
  ASSERT_EQ(RunCli({"--db", from_, "demo"}).exit_code, 0);
  for (const std::vector<std::string>& flags :
       std::vector<std::vector<std::string>>{
           {"--max-passes", "5"},  // Without --catch-up.
           {"--catch-up", "--max-passes", "1"},
           {"--catch-up", "--max-passes", "0"},
           {"--catch-up", "--max-passes", "-3"},
           {"--catch-up", "--max-passes", "many"},
           {"--catch-up", "--max-passes"},
           {"--catch-up", "--max-passes", "1001"}}) {
    std::vector<std::string> args = {"migrate", "--from", from_, "--to", to_};
    args.insert(args.end(), flags.begin(), flags.end());
    CliResult r = RunCli(args);
    const std::string shown = ::testing::PrintToString(flags);
    EXPECT_EQ(r.exit_code, kUsage) << shown << "\n" << r.err;
    EXPECT_THAT(r.err, HasSubstr("max-passes")) << shown;
    EXPECT_FALSE(std::filesystem::exists(to_path_))
        << shown << " created the destination";
  }
}

TEST_F(MigrateCatchUpTest, RefusesTheSameStoreUnderAnotherSpelling) {
  ASSERT_EQ(RunCli({"--db", from_, "demo"}).exit_code, 0);
  const std::string before = TreeDigest(dir_ + "/source");
  for (const std::string& same :
       {from_, from_ + "/", "rocksdb:" + dir_ + "/./source"}) {
    CliResult r =
        RunCli({"migrate", "--from", from_, "--to", same, "--catch-up"});
    EXPECT_EQ(r.exit_code, kUsage) << same << "\n" << r.err;
    EXPECT_THAT(r.err, HasSubstr("the same store")) << same;
  }
  EXPECT_EQ(TreeDigest(dir_ + "/source"), before);
}

}  // namespace
}  // namespace cli_test
}  // namespace sessionlog
