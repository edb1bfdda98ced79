// The sessionlog CLI driven as a user drives it: a real binary, real
// RocksDB stores on disk, one process per command.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/cli/cli_runner.h"

namespace sessionlog {
namespace cli_test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using Json = nlohmann::json;

// Exit codes as docs/CLI.md documents them.
constexpr int kUsage = 2, kStoreUnavailable = 3, kNotFound = 4, kBadInput = 5,
              kVerifyFailed = 6;

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override { db_ = "rocksdb:" + FreshDir("store") + "/db"; }

  // sessionlog --db <this test's store> args...
  CliResult Run(std::vector<std::string> args, const std::string& in = "") {
    args.insert(args.begin(), {"--db", db_});
    return RunCli(args, in);
  }

  void ImportFixture() {
    CliResult r = Run({"import", TestdataPath("sessions.jsonl")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  static std::string Golden(const std::string& name) {
    return ReadFile(TestdataPath("golden/" + name));
  }

  static Json ParseJson(const CliResult& r) {
    Json json = Json::parse(r.out, nullptr, /*allow_exceptions=*/false);
    EXPECT_FALSE(json.is_discarded()) << "not JSON: " << r.out;
    return json;
  }

  std::string db_;
};

TEST_F(CliTest, EveryCommandHasHelpWithExamples) {
  CliResult main_help = RunCli({"--help"});
  ASSERT_EQ(main_help.exit_code, 0);
  for (const char* command :
       {"demo", "ls", "show", "events", "tail", "replay", "export", "import",
        "migrate", "verify", "stats", "compact"}) {
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
  EXPECT_THAT(r.err, HasSubstr("Usage: sessionlog events ID"));

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

TEST_F(CliTest, ImportThenExportGivesTheSameLines) {
  ImportFixture();
  CliResult r = Run({"export"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, ReadFile(TestdataPath("sessions.jsonl")));
  EXPECT_EQ(r.err, "");  // No progress bar or summary when not a terminal.

  // Importing it again changes nothing: identical events are no-ops.
  ImportFixture();
  EXPECT_EQ(Run({"export"}).out, r.out);
}

TEST_F(CliTest, ImportReadsStdinAndExportWritesOneSession) {
  CliResult r =
      Run({"import", "-", "--json"}, ReadFile(TestdataPath("sessions.jsonl")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json summary = ParseJson(r);
  EXPECT_EQ(summary["lines"], 8);
  EXPECT_EQ(summary["sessions"], 3);
  EXPECT_EQ(summary["events"], 5);

  std::string file = FreshDir("out") + "/beta.jsonl";
  r = Run({"export", "--session", "s-beta", "--output", file});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines =
      absl::StrSplit(ReadFile(file), '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_THAT(lines[0], HasSubstr("{\"session\":{\"id\":\"s-beta\""));
  EXPECT_THAT(lines[2], HasSubstr("\"eventIndex\":2"));

  EXPECT_EQ(Run({"export", "--session", "nope"}).exit_code, kNotFound);
}

TEST_F(CliTest, EventsUnderAnIdWithNoRecordAreExportedById) {
  std::string orphan =
      R"({"event":{"id":"o1","eventIndex":7,"sessionId":"orphan","createdAt":5,"connectionId":"c","sender":"agent","payload":{"x":1}}})"
      "\n";
  ASSERT_EQ(Run({"import", "-"}, orphan).exit_code, 0);
  EXPECT_EQ(Run({"export"}).out, "");  // Not reachable by listing sessions.
  EXPECT_EQ(Run({"export", "--session", "orphan"}).out, orphan);
  CliResult show = Run({"show", "orphan"});
  EXPECT_EQ(show.exit_code, kNotFound);
  EXPECT_THAT(show.err, HasSubstr("1 events are stored under this id"));
}

TEST_F(CliTest, BadLineStopsImportNamingLineAndFieldAndKeepsEarlierLines) {
  CliResult r = Run({"import", TestdataPath("bad_line.jsonl")});
  EXPECT_EQ(r.exit_code, kBadInput);
  EXPECT_THAT(r.err, HasSubstr("bad_line.jsonl:4: event.eventIndex"));
  EXPECT_THAT(r.err, HasSubstr("1 sessions and 2 events before this line"));
  Json events = ParseJson(Run({"events", "s-ok", "--json"}));
  ASSERT_EQ(events.size(), 2u);  // Lines 2 and 3; never line 5.
  EXPECT_EQ(events[1]["eventIndex"], 2);

  // A line that is not JSON at all, and a valid line the driver refuses.
  r = Run({"import", "-"}, "\n{\"session\":\n");
  EXPECT_EQ(r.exit_code, kBadInput);
  EXPECT_THAT(r.err, HasSubstr("stdin:2: "));
  r = Run(
      {"import", "-"},
      R"({"event":{"id":"z","eventIndex":-1,"sessionId":"s","createdAt":1,"connectionId":"c","sender":"agent","payload":{}}})");
  EXPECT_EQ(r.exit_code, kBadInput);
  EXPECT_THAT(r.err, HasSubstr("stdin:1: event.eventIndex"));
}

TEST_F(CliTest, ImportAppliesTheLimits) {
  CliResult r = Run({"--max-events-per-session", "2", "--max-sessions", "2",
                     "import", TestdataPath("sessions.jsonl")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json sessions =
      ParseJson(Run({"--max-events-per-session", "2", "ls", "--json"}));
  ASSERT_EQ(sessions.size(), 2u);  // s-alpha, the oldest, was evicted.
  EXPECT_EQ(sessions[0]["id"], "s-beta");
  EXPECT_EQ(sessions[0]["events"], 2);
}

TEST_F(CliTest, TablesMatchTheGoldenFiles) {
  ImportFixture();
  EXPECT_EQ(Run({"ls"}).out, Golden("ls.txt"));
  EXPECT_EQ(Run({"events", "s-alpha"}).out, Golden("events_s-alpha.txt"));
  EXPECT_EQ(Run({"events", "s-beta"}).out, Golden("events_s-beta.txt"));
  EXPECT_EQ(Run({"show", "s-alpha"}).out, Golden("show_s-alpha.txt"));
  EXPECT_EQ(Run({"tail", "s-alpha", "-n", "2"}).out,
            Golden("tail_s-alpha.txt"));
  EXPECT_EQ(Run({"verify"}).out, Golden("verify.txt"));
  // No colour when stdout is not a terminal; --color=always forces it.
  EXPECT_THAT(Run({"ls"}).out, Not(HasSubstr("\x1b[")));
  EXPECT_THAT(Run({"ls", "--color=always"}).out, HasSubstr("\x1b[1mID"));
}

TEST_F(CliTest, TimesFollowTheLocalZone) {
  ImportFixture();
  CliResult r = RunCli({"--db", db_, "ls"}, "", {"TZ=Asia/Kolkata"});
  EXPECT_THAT(r.out, HasSubstr("2023-11-15T03:43:20.000+05:30"));
}

TEST_F(CliTest, EventsPagesWithFromAndLimit) {
  ImportFixture();
  Json events = ParseJson(Run({"events", "s-alpha", "--from", "2", "--json"}));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0]["eventIndex"], 2);
  events = ParseJson(
      Run({"events", "s-alpha", "--from", "1", "--limit", "1", "--json"}));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["payload"]["method"], "session/prompt");
  EXPECT_EQ(Run({"events", "nope"}).exit_code, kNotFound);
  // A session with a record and no events is an empty table, not an error.
  CliResult r = Run({"events", "s-gamma"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "INDEX  TIME  SENDER  METHOD  TEXT\n");
}

TEST_F(CliTest, JsonShapes) {
  ImportFixture();
  Json ls = ParseJson(Run({"ls", "--json"}));
  ASSERT_TRUE(ls.is_array());
  ASSERT_EQ(ls.size(), 3u);
  EXPECT_EQ(ls[0], Json::parse(R"({"id":"s-alpha","agent":"claude",
      "createdAt":1700000000000,"destroyedAt":null,"events":3,
      "lastActivityAt":1700000002000})"));
  EXPECT_EQ(ls[1]["destroyedAt"], 1700000200000);

  Json show = ParseJson(Run({"show", "s-alpha", "--json"}));
  EXPECT_EQ(show["session"]["modes"], nullptr);  // null, kept distinct.
  EXPECT_TRUE(show["session"].contains("modes"));
  EXPECT_EQ(show["events"],
            Json::parse(R"({"count":3,"firstIndex":1,"lastIndex":3})"));

  Json stats = ParseJson(Run({"stats", "--json"}));
  EXPECT_EQ(stats["sessions"], 3);
  EXPECT_EQ(stats["destroyedSessions"], 1);
  EXPECT_EQ(stats["events"], 5);
  EXPECT_EQ(stats["eventsPerSession"]["min"], 0);
  EXPECT_EQ(stats["eventsPerSession"]["max"], 3);
  EXPECT_EQ(stats["eventsPerSession"]["p50"], 2);
  EXPECT_EQ(stats["oldestSessionAt"], 1700000000000);
  EXPECT_EQ(stats["newestEventAt"], 1700000100200);
  EXPECT_EQ(stats["sessionsPerAgent"]["mock"], 1);
  EXPECT_GT(stats["logicalBytes"].get<int64_t>(), 0);
  ASSERT_TRUE(stats["diskBytes"].is_number());  // RocksDB knows its size.
  EXPECT_NEAR(
      stats["spaceAmplification"].get<double>(),
      stats["diskBytes"].get<double>() / stats["logicalBytes"].get<double>(),
      1e-9);

  Json verify = ParseJson(Run({"verify", "--json"}));
  EXPECT_EQ(verify["ok"], true);
  EXPECT_EQ(verify["sessions"], 3);
  EXPECT_EQ(verify["events"], 5);
  EXPECT_EQ(verify["findings"], Json::array());

  Json tail = Json::parse(
      absl::StrSplit(Run({"tail", "s-alpha", "-n", "1", "--json"}).out, '\n')
          .begin()
          ->data(),
      nullptr, false);
  EXPECT_EQ(tail["eventIndex"], 3);
}

TEST_F(CliTest, ReplayIsTheSdkTextOfTheNewestEvents) {
  ImportFixture();
  CliResult r = Run({"replay", "s-alpha", "--max-events", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines = absl::StrSplit(r.out, '\n');
  ASSERT_EQ(lines.size(), 4u);  // Prefix, two events, and the final newline.
  EXPECT_THAT(lines[0], HasSubstr("Previous session history is replayed"));
  EXPECT_EQ(Json::parse(lines[1])["payload"]["method"], "session/update");
  EXPECT_EQ(Json::parse(lines[2])["createdAt"], 1700000002000);

  Json json = ParseJson(Run({"replay", "s-gamma", "--json"}));
  EXPECT_EQ(json["text"], nullptr);  // No events, no replay text.
  EXPECT_EQ(Run({"replay", "nope"}).exit_code, kNotFound);
  EXPECT_EQ(Run({"replay", "s-alpha", "--max-events", "0"}).exit_code, kUsage);
}

TEST_F(CliTest, MigrateCopiesEverythingAndIsIdempotent) {
  ImportFixture();
  std::string to = "rocksdb:" + FreshDir("migrated") + "/db";
  CliResult r = RunCli({"migrate", "--from", db_, "--to", to, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ParseJson(r), Json::parse(R"({"sessions":3,"events":5})"));
  EXPECT_EQ(RunCli({"--db", to, "export"}).out,
            ReadFile(TestdataPath("sessions.jsonl")));
  r = RunCli({"migrate", "--from", db_, "--to", to});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(RunCli({"--db", to, "export"}).out,
            ReadFile(TestdataPath("sessions.jsonl")));
  EXPECT_EQ(RunCli({"migrate", "--from", db_}).exit_code, kUsage);
}

TEST_F(CliTest, CompactKeepsTheDataAndReportsSizes) {
  ImportFixture();
  Json json = ParseJson(Run({"compact", "--json"}));
  EXPECT_GT(json["diskBytesBefore"].get<int64_t>(), 0);
  EXPECT_GT(json["diskBytesAfter"].get<int64_t>(), 0);
  EXPECT_EQ(Run({"export"}).out, ReadFile(TestdataPath("sessions.jsonl")));
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
  for (int i = 0; i < 100; ++i) {
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
  for (int i = 0; i < 100; ++i) {
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
