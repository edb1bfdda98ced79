// The sessionlog CLI over every backend it opens by URI: the same commands,
// the same input, the same output (the golden tables are shared).

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cli/cli_fixture.h"

namespace sessionlog {
namespace cli_test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class CliBackendTest : public CliStoreTest,
                       public ::testing::WithParamInterface<std::string> {
 protected:
  void SetUp() override { UseFreshStore(GetParam()); }
};

TEST_P(CliBackendTest, ImportThenExportGivesTheSameLines) {
  ImportFixture();
  CliResult r = Run({"export"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, ReadFile(TestdataPath("sessions.jsonl")));
  EXPECT_EQ(r.err, "");  // No progress bar or summary when not a terminal.

  // Importing it again changes nothing: identical events are no-ops.
  ImportFixture();
  EXPECT_EQ(Run({"export"}).out, r.out);
}

TEST_P(CliBackendTest, ImportReadsStdinAndExportWritesOneSession) {
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

TEST_P(CliBackendTest, EventsUnderAnIdWithNoRecordAreExportedById) {
  std::string orphan =
      R"({"event":{"id":"o1","eventIndex":7,"sessionId":"orphan","createdAt":5,"connectionId":"c","sender":"agent","payload":{"x":1}}})"
      "\n";
  ASSERT_EQ(Run({"import", "-"}, orphan).exit_code, 0);
  CliResult all = Run({"export"});
  EXPECT_EQ(all.out, "");  // Not reachable by listing sessions...
  // ...which export says, where the backend counts its events exactly.
  if (ParseJson(Run({"stats", "--json"}))["backendEventsIsEstimate"] == false) {
    EXPECT_THAT(all.err, HasSubstr("1 events are stored under ids with no "
                                   "session record"));
  }
  EXPECT_EQ(Run({"export", "--session", "orphan"}).out, orphan);
  CliResult show = Run({"show", "orphan"});
  EXPECT_EQ(show.exit_code, kNotFound);
  EXPECT_THAT(show.err, HasSubstr("1 events are stored under this id"));
}

TEST_P(CliBackendTest,
       BadLineStopsImportNamingLineAndFieldAndKeepsEarlierLines) {
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

TEST_P(CliBackendTest, ImportAppliesTheLimits) {
  CliResult r = Run({"--max-events-per-session", "2", "--max-sessions", "2",
                     "import", TestdataPath("sessions.jsonl")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json sessions =
      ParseJson(Run({"--max-events-per-session", "2", "ls", "--json"}));
  ASSERT_EQ(sessions.size(), 2u);  // s-alpha, the oldest, was evicted.
  EXPECT_EQ(sessions[0]["id"], "s-beta");
  EXPECT_EQ(sessions[0]["events"], 2);
}

TEST_P(CliBackendTest, TablesMatchTheGoldenFiles) {
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

TEST_P(CliBackendTest, TimesFollowTheLocalZone) {
  ImportFixture();
  CliResult r = RunCli(WithStore({"ls"}), "", {"TZ=Asia/Kolkata"});
  EXPECT_THAT(r.out, HasSubstr("2023-11-15T03:43:20.000+05:30"));
}

TEST_P(CliBackendTest, EventsPagesWithFromAndLimit) {
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

TEST_P(CliBackendTest, JsonShapes) {
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
  if (backend_ != "postgres") {  // Embedded stores know their size.
    ASSERT_TRUE(stats["diskBytes"].is_number()) << stats;
    EXPECT_NEAR(
        stats["spaceAmplification"].get<double>(),
        stats["diskBytes"].get<double>() / stats["logicalBytes"].get<double>(),
        1e-9);
  }

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

TEST_P(CliBackendTest, ReplayIsTheSdkTextOfTheNewestEvents) {
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

TEST_P(CliBackendTest, MigrateCopiesEverythingAndIsIdempotent) {
  ImportFixture();
  // Across backends: each store moves to another kind.
  std::string to = FreshUri(backend_ == "rocksdb" ? "sqlite" : "rocksdb");
  CliResult r =
      RunCli(WithStore({"migrate", "--from", db_, "--to", to, "--json"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ParseJson(r), Json::parse(R"({"sessions":3,"events":5})"));
  EXPECT_EQ(RunCli({"--db", to, "export"}).out,
            ReadFile(TestdataPath("sessions.jsonl")));
  r = RunCli(WithStore({"migrate", "--from", db_, "--to", to}));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(RunCli({"--db", to, "export"}).out,
            ReadFile(TestdataPath("sessions.jsonl")));
  EXPECT_EQ(RunCli({"migrate", "--from", db_}).exit_code, kUsage);
}

// The same store under another spelling of its URI is still itself: a
// migration onto it is refused and changes nothing.
TEST_P(CliBackendTest, MigrateRefusesTheSameStoreUnderAnotherSpelling) {
  ImportFixture();
  std::string other;
  if (backend_ == "rocksdb") other = db_ + "/";
  if (backend_ == "sqlite") {
    size_t slash = db_.rfind('/');
    other = db_.substr(0, slash) + "/." + db_.substr(slash);
  }
  if (backend_ == "postgres") {
    other = db_ + (db_.find('?') == std::string::npos ? "?" : "&") +
            "application_name=another-spelling";
  }
  std::string before = Run({"export"}).out;
  CliResult r = RunCli(WithStore({"migrate", "--from", db_, "--to", other}));
  EXPECT_EQ(r.exit_code, kUsage) << r.err;
  EXPECT_THAT(r.err, HasSubstr("name the same store"));
  EXPECT_EQ(Run({"export"}).out, before);
}

TEST_P(CliBackendTest, CompactKeepsTheDataAndReportsSizes) {
  ImportFixture();
  Json json = ParseJson(Run({"compact", "--json"}));
  ASSERT_TRUE(json["diskBytesAfter"].is_number()) << json;
  if (backend_ != "postgres") {
    EXPECT_GT(json["diskBytesBefore"].get<int64_t>(), 0);
    EXPECT_GT(json["diskBytesAfter"].get<int64_t>(), 0);
  }
  EXPECT_EQ(Run({"export"}).out, ReadFile(TestdataPath("sessions.jsonl")));
}

TEST_P(CliBackendTest, ForkCopiesAndRewindDrops) {
  ImportFixture();
  CliResult r = Run({"fork", "s-alpha", "s-alpha-2", "--through", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "forked s-alpha through event 2 into s-alpha-2: 2 events "
            "copied\n");
  Json events = ParseJson(Run({"events", "s-alpha-2", "--json"}));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1]["eventIndex"], 2);
  EXPECT_EQ(events[1]["sessionId"], "s-alpha-2");
  EXPECT_NE(events[1]["id"], "e-a2");
  Json show = ParseJson(Run({"show", "s-alpha-2", "--json"}));
  EXPECT_FALSE(show["session"].contains("agentSessionId")) << show;
  EXPECT_EQ(show["session"]["agent"], "claude");

  Json rewound = ParseJson(Run({"rewind", "s-alpha", "--to", "1", "--json"}));
  EXPECT_EQ(rewound, Json::parse(R"({"id":"s-alpha","throughIndex":1,
      "dropped":2,"highestIndex":1})"));
  events = ParseJson(Run({"events", "s-alpha", "--json"}));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["id"], "e-a1");
  r = Run({"rewind", "s-beta", "--to", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "rewound s-beta to event 2: 0 events dropped\n");
}

// A fork is a new session: past --max-sessions it evicts the oldest, and
// says so; but never its own source or itself (the fork takes the source's
// createdAt, so both may be among the oldest): that is refused.
TEST_P(CliBackendTest, AForkNamesTheSessionsItEvictedAndNeverItsSource) {
  ImportFixture();
  const std::string before = Run({"export"}).out;
  CliResult r = Run({"--max-sessions", "3", "fork", "s-alpha", "s-alpha-2",
                     "--through", "2"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr("would evict \"s-alpha\""));
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(Run({"export"}).out, before);

  // s-beta's fork takes s-beta's age: s-alpha, older, goes.
  Json forked = ParseJson(Run({"--max-sessions", "3", "fork", "s-beta",
                               "s-beta-2", "--through", "1", "--json"}));
  EXPECT_EQ(forked["evicted"], false) << forked;
  EXPECT_EQ(forked["evictedSessions"], Json::parse(R"(["s-alpha"])"));
  EXPECT_EQ(Run({"show", "s-alpha"}).exit_code, kNotFound);
  r = Run({"--max-sessions", "3", "fork", "s-gamma", "s-gamma-2", "--through",
           "0"});
  Json ls = ParseJson(Run({"ls", "--json"}));
  ASSERT_EQ(ls.size(), 3u);
}

TEST_P(CliBackendTest, BadForksAndRewindsChangeNothing) {
  ImportFixture();
  const std::string before = Run({"export"}).out;
  struct Case {
    std::vector<std::string> args;
    int exit_code;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"fork", "s-alpha", "s-beta", "--through", "1"}, 1, "already exists"},
      {{"fork", "nope", "new", "--through", "1"}, kNotFound, "not found"},
      {{"fork", "s-alpha", "new", "--through", "4"},
       kUsage,
       "--through: 4 is past the highest event index 3"},
      {{"fork", "s-alpha", "new"}, kUsage, "--through N is required"},
      {{"fork", "s-alpha", "new", "--through", "-1"}, kUsage, "--through"},
      {{"rewind", "nope", "--to", "0"}, kNotFound, "not found"},
      {{"rewind", "s-alpha", "--to", "9"},
       kUsage,
       "--to: 9 is past the highest event index 3"},
      {{"rewind", "s-gamma", "--to", "0"}, kUsage, "has no events"},
      {{"rewind", "s-alpha"}, kUsage, "--to N is required"},
  };
  for (const Case& c : cases) {
    CliResult r = Run(c.args);
    EXPECT_EQ(r.exit_code, c.exit_code) << absl::StrJoin(c.args, " ") << "\n"
                                        << r.err;
    EXPECT_THAT(r.err, HasSubstr(c.message)) << absl::StrJoin(c.args, " ");
    EXPECT_EQ(r.out, "") << absl::StrJoin(c.args, " ");
  }
  EXPECT_EQ(Run({"export"}).out, before);
  // The flags are checked before the store is opened: a bad one is a usage
  // error even where there is no store at all.
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{
           {"fork", "a", "b", "--through", "-1"},
           {"rewind", "a", "--to", "x"},
           {"prune", "--idle-before", "2999-01-01T00:00:00Z"}}) {
    std::vector<std::string> full = {"--db", "rocksdb:/nonexistent/store"};
    full.insert(full.end(), args.begin(), args.end());
    CliResult r = RunCli(full);
    EXPECT_EQ(r.exit_code, kUsage) << absl::StrJoin(args, " ") << r.err;
  }
}

TEST_P(CliBackendTest, PruneRemovesDestroyedAndIdleSessions) {
  ImportFixture();
  const std::string before = Run({"export"}).out;
  // s-beta was destroyed at 1700000200000; s-alpha was last active at
  // 1700000002000 (2023-11-14T22:13:22Z); s-gamma was created at
  // 1700000300000 and has no events.
  Json dry = ParseJson(
      Run({"prune", "--destroyed-before", "1700000200001", "--idle-before",
           "2023-11-14T22:13:23Z", "--dry-run", "--json"}));
  EXPECT_EQ(dry, Json::parse(R"({"dryRun":true,"sessions":[
      {"id":"s-alpha","reason":"idle","events":3,"lastActivityAt":1700000002000},
      {"id":"s-beta","reason":"destroyed","events":2,
       "lastActivityAt":1700000200000}],
      "removedSessions":0,"removedEvents":0})"));
  // An age: everything in the fixture is years old.
  CliResult r = Run({"prune", "--idle-before", "30d", "--dry-run"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("would remove 3 sessions (5 events); nothing "
                               "changed (--dry-run)\n"));
  EXPECT_EQ(Run({"export"}).out, before);

  r = Run({"prune", "--destroyed-before", "1700000200001"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("removed 1 session (2 events)\n"));
  Json ls = ParseJson(Run({"ls", "--json"}));
  ASSERT_EQ(ls.size(), 2u);
  EXPECT_EQ(ls[0]["id"], "s-alpha");
  EXPECT_EQ(ls[1]["id"], "s-gamma");
  EXPECT_EQ(Run({"events", "s-beta"}).exit_code, kNotFound);
  // The boundary is strict: s-gamma was active at exactly 1700000300000.
  Json pruned =
      ParseJson(Run({"prune", "--idle-before", "1700000300000", "--json"}));
  EXPECT_EQ(pruned["removedSessions"], 1);
  EXPECT_EQ(pruned["removedEvents"], 3);
  EXPECT_EQ(pruned["sessions"][0]["id"], "s-alpha");

  const std::string after = Run({"export"}).out;
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{
           {"prune"},
           {"prune", "--idle-before", "soon"},
           {"prune", "--destroyed-before", "-5"},
           // The future would select everything.
           {"prune", "--idle-before", "2999-01-01T00:00:00Z"},
           {"prune", "--destroyed-before", "32503680000000", "--dry-run"}}) {
    r = Run(args);
    EXPECT_EQ(r.exit_code, kUsage) << absl::StrJoin(args, " ") << r.err;
    EXPECT_EQ(r.out, "") << absl::StrJoin(args, " ");
  }
  EXPECT_EQ(Run({"export"}).out, after);
}

// Postgres needs a live server, so it runs in its own target, tagged
// "external" (cli_postgres_test); the embedded backends run here.
#ifdef SESSIONLOG_CLI_TEST_POSTGRES
INSTANTIATE_TEST_SUITE_P(Postgres, CliBackendTest,
                         ::testing::Values("postgres"));
#else
INSTANTIATE_TEST_SUITE_P(Embedded, CliBackendTest,
                         ::testing::Values("rocksdb", "sqlite"));
#endif

}  // namespace
}  // namespace cli_test
}  // namespace sessionlog
