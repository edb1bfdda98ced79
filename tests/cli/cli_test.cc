// The sessionlog CLI driven as a user drives it: a real binary, real
// RocksDB stores on disk, one process per command. What is the same on every
// backend is in cli_backend_test.cc; this is the rest: help and usage errors,
// the demo, corruption, and a store held by a live writer.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cli/cli_fixture.h"

namespace sessionlog {
namespace cli_test {
namespace {

using ::testing::HasSubstr;

class CliTest : public CliStoreTest {
 protected:
  void SetUp() override { UseFreshStore("rocksdb"); }
};

TEST_F(CliTest, EveryCommandHasHelpWithExamples) {
  CliResult main_help = RunCli({"--help"});
  ASSERT_EQ(main_help.exit_code, 0);
  for (const char* command :
       {"demo", "ls", "show", "events", "tail", "replay", "export", "import",
        "migrate", "verify", "repair", "stats", "compact"}) {
    EXPECT_THAT(main_help.out, HasSubstr(std::string("\n  ") + command + " "));
    CliResult help = RunCli({command, "--help"});
    EXPECT_EQ(help.exit_code, 0) << command;
    EXPECT_THAT(help.out,
                HasSubstr(std::string("Usage: sessionlog ") + command));
    EXPECT_THAT(help.out, HasSubstr("Examples:\n  sessionlog "));
    EXPECT_EQ(RunCli({"help", command}).out, help.out);
  }
}

TEST_F(CliTest, BadCommandLinesAreUsageErrors) {
  CliResult r = RunCli({"lss"});
  EXPECT_EQ(r.exit_code, kUsage);
  EXPECT_THAT(r.err,
              HasSubstr("unknown command \"lss\"; did you mean \"ls\"?"));

  r = Run({"ls", "--bogus"});
  EXPECT_EQ(r.exit_code, kUsage);
  EXPECT_THAT(r.err, HasSubstr("sessionlog ls: error: unknown flag --bogus"));

  r = Run({"events"});
  EXPECT_EQ(r.exit_code, kUsage);
  EXPECT_THAT(r.err,
              HasSubstr("missing argument\nUsage: sessionlog events ID"));

  r = Run({"events", "a", "b"});
  EXPECT_EQ(r.exit_code, kUsage);
  EXPECT_THAT(r.err, HasSubstr("unexpected argument \"b\""));

  r = Run({"--max-sessions", "lots", "ls"});
  EXPECT_EQ(r.exit_code, kUsage);
  EXPECT_THAT(r.err, HasSubstr("--max-sessions=lots"));

  r = RunCli({});
  EXPECT_EQ(r.exit_code, kUsage);
  EXPECT_THAT(r.err, HasSubstr("Commands:"));
}

TEST_F(CliTest, MalformedUriAndMissingStoreAreClearErrors) {
  CliResult r = RunCli({"--db", "mongo://x", "ls"});
  EXPECT_EQ(r.exit_code, kUsage);
  EXPECT_THAT(r.err, HasSubstr("unknown scheme"));
  EXPECT_THAT(r.err, HasSubstr("rocksdb:PATH"));

  r = Run({"ls"});  // Nothing was ever written there.
  EXPECT_EQ(r.exit_code, kStoreUnavailable);
  EXPECT_THAT(r.err, HasSubstr("check --db"));
  // A read never creates the store it was pointed at by mistake.
  EXPECT_EQ(Run({"ls"}).exit_code, kStoreUnavailable);
}

TEST_F(CliTest, DemoWritesReopensAndShowsAReplay) {
  CliResult r = Run({"demo", "--at", "1700000000000"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("Wrote 5 sessions"));
  EXPECT_THAT(r.out, HasSubstr("reopened it read-only"));
  EXPECT_THAT(r.out, HasSubstr("fix-flaky-test   claude"));
  EXPECT_THAT(r.out, HasSubstr("Previous session history is replayed"));
  EXPECT_THAT(r.out, HasSubstr("session/update:tool_call"));
  // What it wrote stays, and is consistent.
  Json verify = ParseJson(Run({"verify", "--json"}));
  EXPECT_EQ(verify["ok"], true);
  EXPECT_EQ(verify["sessions"], 5);
  Json agents = ParseJson(Run({"stats", "--json"}))["sessionsPerAgent"];
  EXPECT_EQ(agents.size(), 4u);
  // Without --db it makes its own temporary store and says where.
  Json demo = ParseJson(RunCli({"demo", "--json"}));
  EXPECT_TRUE(absl::StartsWith(demo["db"].get<std::string>(), "rocksdb:"));
  EXPECT_EQ(RunCli({"--db", demo["db"], "ls", "--json"}).exit_code, 0);
  EXPECT_EQ(RunCli({"--db", "memory:", "demo"}).exit_code, kUsage);
  // A second demo into the same store, which now holds data, is refused.
  CliResult again = Run({"demo"});
  EXPECT_EQ(again.exit_code, kUsage);
  EXPECT_THAT(again.err, HasSubstr("holds 5 sessions"));
}

// Flips bytes in the largest table file of a compacted store: verify must
// find it, name the file, and exit with 6.
TEST_F(CliTest, VerifyFindsCorruption) {
  ASSERT_EQ(Run({"demo", "--at", "1700000000000"}).exit_code, 0);
  ASSERT_EQ(Run({"compact"}).exit_code, 0);
  std::string dir = db_.substr(std::string("rocksdb:").size());
  std::string largest;
  int64_t largest_size = -1;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".sst" &&
        static_cast<int64_t>(entry.file_size()) > largest_size) {
      largest = entry.path();
      largest_size = static_cast<int64_t>(entry.file_size());
    }
  }
  ASSERT_GT(largest_size, 300);
  std::string bytes = ReadFile(largest);
  for (int i = 100; i < 200; ++i) bytes[i] = static_cast<char>(~bytes[i]);
  std::ofstream(largest, std::ios::binary | std::ios::trunc) << bytes;

  CliResult r = Run({"verify"});
  EXPECT_EQ(r.exit_code, kVerifyFailed) << r.out << r.err;
  Json json = ParseJson(Run({"verify", "--json"}));
  EXPECT_EQ(json["ok"], false);
  EXPECT_FALSE(json["findings"].empty());
  EXPECT_THAT(r.out + r.err, HasSubstr("Corruption"));
  EXPECT_THAT(r.out + r.err,
              HasSubstr(std::filesystem::path(largest).filename().string()));
}

// A store held open for writing by another process: reads go on through a
// read-only instance, writes are refused with a clear "locked" error.
TEST_F(CliTest, LiveStoreIsReadableAndLockedForWriters) {
  std::string dir = FreshDir("live");
  std::string fifo = dir + "/in";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  pid_t writer =
      StartCli({"--db", db_, "import", "-"}, fifo, dir + "/out", dir + "/err");
  int fd = open(fifo.c_str(), O_WRONLY);  // Blocks until the writer opens it.
  ASSERT_GE(fd, 0);
  std::string line =
      R"({"session":{"id":"s-live","agent":"mock","lastConnectionId":"c","createdAt":1}})"
      "\n";
  ASSERT_EQ(write(fd, line.data(), line.size()),
            static_cast<ssize_t>(line.size()));

  // The writer applies the line soon; poll the read-only view for it.
  Json sessions;
  for (int i = 0; i < 300; ++i) {  // Up to 30 s on a loaded machine.
    CliResult r = Run({"ls", "--json"});
    if (r.exit_code == 0) sessions = Json::parse(r.out, nullptr, false);
    if (sessions.is_array() && sessions.size() == 1) break;
    usleep(100 * 1000);
  }
  ASSERT_TRUE(sessions.is_array() && sessions.size() == 1)
      << "the live writer's session never became visible";
  EXPECT_EQ(sessions[0]["id"], "s-live");

  // An event line from the live writer shows up too, although the writer
  // keeps the store open and its input open: import writes what it has read
  // when its input pauses, and a read-only open sees the writer's log.
  std::string event =
      R"({"event":{"id":"e1","eventIndex":1,"sessionId":"s-live","createdAt":2,"connectionId":"c","sender":"agent","payload":{"live":true}}})"
      "\n";
  ASSERT_EQ(write(fd, event.data(), event.size()),
            static_cast<ssize_t>(event.size()));
  Json events;
  for (int i = 0; i < 300; ++i) {  // Up to 30 s on a loaded machine.
    CliResult r = Run({"events", "s-live", "--json"});
    if (r.exit_code == 0) events = Json::parse(r.out, nullptr, false);
    if (events.is_array() && events.size() == 1) break;
    usleep(100 * 1000);
  }
  ASSERT_TRUE(events.is_array() && events.size() == 1)
      << "the live writer's event never became visible";
  EXPECT_EQ(events[0]["payload"]["live"], true);

  CliResult locked = Run({"compact"});
  EXPECT_EQ(locked.exit_code, kStoreUnavailable);
  EXPECT_THAT(locked.err, HasSubstr("lock"));
  CliResult import = Run({"import", "-"}, "");
  EXPECT_EQ(import.exit_code, kStoreUnavailable);

  close(fd);  // End of input: the writer finishes.
  EXPECT_EQ(WaitCli(writer), 0) << ReadFile(dir + "/err");
}

}  // namespace
}  // namespace cli_test
}  // namespace sessionlog
