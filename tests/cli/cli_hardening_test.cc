// The CLI as a careless or hostile user meets it: a test per way it once lost
// data, leaked stored bytes to a terminal, or answered with the wrong hint or
// exit code. (The sweep of every command and flag over hostile paths is
// cli_hostile_test.cc.)

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "tests/cli/cli_fixture.h"
#include "tests/cli/cli_harness.h"

namespace sessionlog {
namespace cli_test {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kSafeMax[] = "9007199254740991";  // 2^53 - 1.

class CliHardeningTest : public CliStoreTest {
 protected:
  void SetUp() override { UseFreshStore("rocksdb"); }

  // The directory or file behind a rocksdb: or sqlite: URI.
  static std::string PathOf(const std::string& uri) {
    return uri.substr(uri.find(':') + 1);
  }
  std::string StorePath() const { return PathOf(db_); }

  // Corrupts the largest table file of a compacted store.
  void CorruptLargestTable() {
    ASSERT_EQ(Run({"compact"}).exit_code, 0);
    std::string largest;
    uintmax_t largest_size = 0;
    for (const auto& entry : fs::directory_iterator(StorePath())) {
      if (entry.path().extension() == ".sst" &&
          entry.file_size() > largest_size) {
        largest = entry.path();
        largest_size = entry.file_size();
      }
    }
    ASSERT_GT(largest_size, 300u);
    std::string bytes = ReadFile(largest);
    for (int i = 100; i < 200; ++i) bytes[i] = static_cast<char>(~bytes[i]);
    std::ofstream(largest, std::ios::binary | std::ios::trunc) << bytes;
  }
};

// ---- Data loss ----

TEST_F(CliHardeningTest, DemoNeverTouchesAStoreThatHoldsData) {
  for (const std::string backend : {"rocksdb", "sqlite"}) {
    SCOPED_TRACE(backend);
    UseFreshStore(backend);
    ImportFixture();
    std::string before = TreeDigest(fs::path(StorePath()).parent_path());
    CliResult r = Run({"demo"});
    EXPECT_EQ(r.exit_code, kUsage) << r.err;
    EXPECT_THAT(r.err, HasSubstr(db_));
    EXPECT_THAT(r.err, HasSubstr("holds 3 sessions"));
    EXPECT_EQ(TreeDigest(fs::path(StorePath()).parent_path()), before);
  }
  // Events alone (no record) are data too.
  UseFreshStore("rocksdb");
  ASSERT_EQ(
      Run({"import", "-"},
          R"({"event":{"id":"o","eventIndex":1,"sessionId":"orphan","createdAt":1,"connectionId":"c","sender":"agent","payload":{}}})")
          .exit_code,
      0);
  std::string before = TreeDigest(StorePath());
  EXPECT_EQ(Run({"demo"}).exit_code, kUsage);
  EXPECT_EQ(TreeDigest(StorePath()), before);
}

TEST_F(CliHardeningTest,
       DemoRefusesADirectoryThatIsNotAStoreButTakesAnEmptyOne) {
  std::string dir = FreshDir("notes");
  std::ofstream(dir + "/notes.txt") << "mine\n";
  std::string before = TreeDigest(dir);
  CliResult r = RunCli({"--db", "rocksdb:" + dir, "demo"});
  EXPECT_EQ(r.exit_code, kUsage) << r.err;
  EXPECT_THAT(r.err, HasSubstr("not empty"));
  EXPECT_EQ(TreeDigest(dir), before);

  std::string empty = FreshDir("empty");
  r = RunCli({"--db", "rocksdb:" + empty, "demo", "--at", "1700000000000"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // A fresh path, and an empty store, are fine too.
  EXPECT_EQ(Run({"demo", "--at", "1700000000000"}).exit_code, 0);
}

// A store that lost its CURRENT file is never taken for a new one: every
// command refuses it and changes nothing (an import used to write a fresh
// CURRENT, and a second one let RocksDB delete the tables and log), verify
// reports it, and repair recovers it into a new directory.
TEST_F(CliHardeningTest, AStoreMissingCurrentIsRefusedReportedAndRepaired) {
  ImportFixture();
  const std::string exported = Run({"export"}).out;
  ASSERT_TRUE(fs::remove(StorePath() + "/CURRENT"));
  const std::string before = TreeDigest(StorePath());
  for (int attempt = 0; attempt < 2; ++attempt) {
    CliResult r = Run({"import", TestdataPath("sessions.jsonl")});
    EXPECT_EQ(r.exit_code, kStoreUnavailable) << r.err;
    EXPECT_THAT(r.err, HasSubstr("CURRENT"));
    EXPECT_THAT(r.err, Not(HasSubstr("create one")));
  }
  CliResult ls = Run({"ls"});
  EXPECT_EQ(ls.exit_code, kStoreUnavailable);
  EXPECT_THAT(ls.err, HasSubstr("sessionlog repair"));
  CliResult verify = Run({"verify"});
  EXPECT_EQ(verify.exit_code, kVerifyFailed);
  EXPECT_THAT(verify.out, HasSubstr("CURRENT"));
  EXPECT_EQ(TreeDigest(StorePath()), before);

  const std::string out = FreshDir("repaired") + "/store";
  CliResult repair = Run({"repair", "--output", out});
  ASSERT_EQ(repair.exit_code, 0) << repair.err;
  EXPECT_THAT(repair.out, HasSubstr("recovered 3 sessions and 5 events"));
  Json report =
      ParseJson(Run({"repair", "--output", FreshDir("again"), "--json"}));
  EXPECT_EQ(report["method"], "rewrote CURRENT");
  EXPECT_EQ(report["events"], 5);
  EXPECT_EQ(TreeDigest(StorePath()), before);  // Only ever read.
  EXPECT_EQ(RunCli({"--db", "rocksdb:" + out, "export"}).out, exported);
  EXPECT_EQ(RunCli({"--db", "rocksdb:" + out, "verify"}).exit_code, 0);

  // Never over something, never on another backend, never without --output.
  CliResult taken = Run({"repair", "--output", out});
  EXPECT_EQ(taken.exit_code, kUsage);
  EXPECT_EQ(RunCli({"--db", "sqlite:/x.db", "repair", "--output", "/tmp/y"})
                .exit_code,
            kUsage);
  EXPECT_EQ(Run({"repair"}).exit_code, kUsage);
  // Nor inside the damaged store, where even a scratch directory would be a
  // write to it.
  CliResult inside = Run({"repair", "--output", StorePath() + "/recovered"});
  EXPECT_EQ(inside.exit_code, kUsage) << inside.err;
  EXPECT_THAT(inside.err, HasSubstr("inside it"));
  EXPECT_EQ(TreeDigest(StorePath()), before);
}

TEST_F(CliHardeningTest, ExportOutputKeepsTheOldFileUntilTheNewOneIsComplete) {
  ImportFixture();
  std::string dir = FreshDir("backup");
  std::string file = dir + "/backup.jsonl";
  std::ofstream(file) << "the good backup\n";
  chmod(file.c_str(), 0600);

  // Fails before any line: an unknown session.
  CliResult r = Run({"export", "--session", "nope", "--output", file});
  EXPECT_EQ(r.exit_code, kNotFound);
  EXPECT_EQ(ReadFile(file), "the good backup\n");

  // Fails midway: a damaged table.
  UseFreshStore("rocksdb");
  ASSERT_EQ(RunCli({"--db", db_, "demo", "--at", "1700000000000"}).exit_code,
            0);
  CorruptLargestTable();
  r = Run({"export", "--output", file});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(ReadFile(file), "the good backup\n");
  // No temporary file is left behind.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), {}), 1);

  // Success replaces it whole, keeping its mode.
  UseFreshStore("rocksdb");
  ImportFixture();
  r = Run({"export", "--output", file});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReadFile(file), ReadFile(TestdataPath("sessions.jsonl")));
  struct stat st;
  ASSERT_EQ(stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), {}), 1);
}

TEST_F(CliHardeningTest, ExportNeverWritesOverOrIntoItsOwnStore) {
  for (const std::string backend : {"rocksdb", "sqlite"}) {
    SCOPED_TRACE(backend);
    UseFreshStore(backend);
    ImportFixture();
    const fs::path dir = fs::path(StorePath()).parent_path();
    const std::string before = TreeDigest(dir);
    std::string into =
        backend == "rocksdb" ? StorePath() + "/export.jsonl" : StorePath();
    CliResult r = Run({"export", "--output", into});
    EXPECT_EQ(r.exit_code, kUsage) << r.err;
    EXPECT_THAT(r.err, HasSubstr("is the store itself, or inside it"));
    EXPECT_EQ(TreeDigest(dir), before);
  }
}

// The check looks where the write would land: through a symbolic link (to
// a file of the store, or dangling into its directory) and at the files
// SQLite writes as part of a database, which hold committed transactions.
TEST_F(CliHardeningTest, ExportNeverWritesIntoItsStoreThroughALinkOrSideFile) {
  ImportFixture();
  const std::string links = FreshDir("links");
  std::string log;
  for (const auto& entry : fs::directory_iterator(StorePath())) {
    if (entry.path().extension() == ".log") log = entry.path();
  }
  ASSERT_FALSE(log.empty());
  fs::create_symlink(log, links + "/to-log");
  fs::create_symlink(StorePath() + "/not-yet", links + "/dangling");
  fs::create_symlink(links + "/to-log", links + "/to-link");
  const std::string before = TreeDigest(StorePath());
  for (const char* name : {"to-log", "dangling", "to-link"}) {
    SCOPED_TRACE(name);
    CliResult r = Run({"export", "--output", links + "/" + name});
    EXPECT_EQ(r.exit_code, kUsage) << r.err;
    EXPECT_THAT(r.err, HasSubstr("is the store itself, or inside it"));
    EXPECT_EQ(TreeDigest(StorePath()), before);
    EXPECT_EQ(Run({"export"}).out, ReadFile(TestdataPath("sessions.jsonl")));
  }

  UseFreshStore("sqlite");
  ImportFixture();
  const fs::path dir = fs::path(StorePath()).parent_path();
  fs::create_symlink(StorePath() + "-wal", links + "/to-wal");
  const std::string sqlite_before = TreeDigest(dir);
  for (const std::string& side :
       {StorePath() + "-wal", StorePath() + "-shm", StorePath() + "-journal",
        links + "/to-wal"}) {
    SCOPED_TRACE(side);
    CliResult r = Run({"export", "--output", side});
    EXPECT_EQ(r.exit_code, kUsage) << r.err;
    EXPECT_THAT(r.err, HasSubstr("is the store itself, or inside it"));
    // Nor is a side file taken for a database of its own.
    r = RunCli(
        {"--db", "sqlite:" + side, "import", TestdataPath("sessions.jsonl")});
    EXPECT_EQ(r.exit_code, kStoreUnavailable) << r.err;
    EXPECT_THAT(r.err, HasSubstr("beside the database"));
    r = RunCli({"migrate", "--from", db_, "--to", "sqlite:" + side});
    EXPECT_EQ(r.exit_code, kUsage) << r.err;
    EXPECT_EQ(TreeDigest(dir), sqlite_before);
  }
}

// migrate never creates a store among the files of the other one.
TEST_F(CliHardeningTest, MigrateRefusesAStoreInsideTheOther) {
  ImportFixture();
  const std::string before = TreeDigest(StorePath());
  for (const std::string& inside :
       {"sqlite:" + StorePath() + "/copy.db", "rocksdb:" + StorePath() + "/sub",
        "sqlite:" + StorePath() + "/000004.log"}) {
    SCOPED_TRACE(inside);
    for (const auto& [from, to] :
         {std::pair(db_, inside), std::pair(inside, db_)}) {
      CliResult r = RunCli({"migrate", "--from", from, "--to", to});
      EXPECT_EQ(r.exit_code, kUsage) << r.err;
      EXPECT_THAT(r.err, HasSubstr("one is inside the other"));
    }
    EXPECT_EQ(TreeDigest(StorePath()), before);
  }
}

// A FIFO or a device is written in place: renaming a regular file over it
// turned /dev/null into a file holding the sessions.
TEST_F(CliHardeningTest, ExportToAFifoOrDeviceWritesInPlace) {
  ImportFixture();
  const std::string dir = FreshDir("special");
  const std::string fifo = dir + "/fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  fs::create_symlink(fifo, dir + "/to-fifo");
  const std::string expected = ReadFile(TestdataPath("sessions.jsonl"));
  for (const std::string& target : {fifo, dir + "/to-fifo"}) {
    SCOPED_TRACE(target);
    // The reading end is open before the export starts (the export fits in
    // the pipe's buffer), so a run that replaced the FIFO cannot hang here.
    int reader = open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
    ASSERT_GE(reader, 0);
    CliResult r = Run({"export", "--output", target});
    std::string read;
    char buffer[4096];
    for (ssize_t n; (n = ::read(reader, buffer, sizeof(buffer))) > 0;) {
      read.append(buffer, static_cast<size_t>(n));
    }
    close(reader);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(read, expected);
    EXPECT_TRUE(fs::is_fifo(fifo));
  }
  // Devices of our own (as root), never the machine's /dev nodes.
  const std::string null = dir + "/null", full = dir + "/full";
  if (mknod(null.c_str(), S_IFCHR | 0666, makedev(1, 3)) != 0 ||
      mknod(full.c_str(), S_IFCHR | 0666, makedev(1, 7)) != 0) {
    GTEST_SKIP() << "mknod needs root";
  }
  CliResult r = Run({"export", "--output", null});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::is_character_file(null));
  r = Run({"export", "--output", full});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr("No space left"));
  EXPECT_TRUE(fs::is_character_file(full));
  // Nothing beside them: no temporary file.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), {}), 4);
}

// Another application's SQLite database is not a store: import used to add
// sessionlog's tables to it (exit 0) while read commands failed with "no
// such table". An empty file is no store to read, and a place to create one.
TEST_F(CliHardeningTest, AForeignSqliteDatabaseIsNotAStore) {
  const std::string dir = FreshDir("foreign");
  const std::string app = dir + "/app.db";
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(app.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE foo(x); INSERT INTO foo VALUES (1);",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  const std::string empty = dir + "/empty.db";
  std::ofstream(empty).close();
  std::string other = FreshUri("rocksdb");
  ASSERT_EQ(RunCli({"--db", other, "import", TestdataPath("sessions.jsonl")})
                .exit_code,
            0);
  const std::string before = TreeDigest(dir);
  const std::vector<std::vector<std::string>> commands = {
      {"import", TestdataPath("sessions.jsonl")},
      {"ls"},
      {"show", "s-alpha"},
      {"events", "s-alpha"},
      {"export"},
      {"stats"},
      {"compact"},
      {"verify"},
  };
  for (const std::string& file : {app, empty}) {
    for (const auto& command : commands) {
      const bool writes = command[0] == "import";
      if (file == empty && writes) continue;  // Below.
      std::vector<std::string> args = {"--db", "sqlite:" + file};
      args.insert(args.end(), command.begin(), command.end());
      SCOPED_TRACE(absl::StrJoin(args, " "));
      CliResult r = RunCli(args);
      EXPECT_EQ(r.exit_code, kStoreUnavailable) << r.err << r.out;
      EXPECT_THAT(r.err + r.out, Not(HasSubstr("no such table")));
      if (file == app) EXPECT_THAT(r.err + r.out, HasSubstr("not a session"));
      EXPECT_EQ(TreeDigest(dir), before);
    }
  }
  CliResult r = RunCli({"migrate", "--from", other, "--to", "sqlite:" + app});
  EXPECT_EQ(r.exit_code, kStoreUnavailable) << r.err;
  EXPECT_EQ(TreeDigest(dir), before);
  // A 0-byte file takes a new store.
  r = RunCli(
      {"--db", "sqlite:" + empty, "import", TestdataPath("sessions.jsonl")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(RunCli({"--db", "sqlite:" + empty, "export"}).out,
            ReadFile(TestdataPath("sessions.jsonl")));
}

// A kill while a new store is being created can leave sessionlog's marker
// and only some column families. Read commands answered exit 2 (usage) with
// RocksDB's "Column family not found"; it is no store yet (exit 3), and the
// first write finishes it.
TEST_F(CliHardeningTest, AStoreWhoseCreationWasKilledIsNoStoreYet) {
  const std::string dir = StorePath();
  {
    rocksdb::Options options;
    options.create_if_missing = true;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(options, dir, &db).ok());
    rocksdb::ColumnFamilyHandle* sessions = nullptr;
    ASSERT_TRUE(db->CreateColumnFamily(rocksdb::ColumnFamilyOptions(),
                                       "sessions", &sessions)
                    .ok());
    ASSERT_TRUE(db->DestroyColumnFamilyHandle(sessions).ok());
    delete db;
  }
  std::ofstream(dir + "/SESSIONLOG") << "sessionlog store\n";
  const std::string before = TreeDigest(dir);
  for (const char* command : {"ls", "stats", "export", "verify"}) {
    SCOPED_TRACE(command);
    CliResult r = Run({command});
    EXPECT_EQ(r.exit_code, kStoreUnavailable) << r.err << r.out;
    EXPECT_THAT(r.err + r.out, HasSubstr("creation stopped"));
    EXPECT_EQ(TreeDigest(dir), before);
  }
  CliResult r = Run({"import", TestdataPath("sessions.jsonl")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Run({"export"}).out, ReadFile(TestdataPath("sessions.jsonl")));
}

// A store that never flushed holds everything in its log. Without its
// MANIFEST, RepairDB replayed the log into "default" alone and the repair
// reported 0 sessions and 0 events, exit 0; and a repair that recovers
// nothing must fail and leave no directory.
TEST_F(CliHardeningTest, RepairRecoversAStoreWhoseDataIsOnlyInItsLog) {
  ImportFixture();
  for (const auto& entry : fs::directory_iterator(StorePath())) {
    ASSERT_NE(entry.path().extension(), ".sst");
    if (absl::StartsWith(entry.path().filename().string(), "MANIFEST-")) {
      fs::remove(entry.path());
    }
  }
  const std::string repaired = FreshDir("repaired");
  const std::string out = repaired + "/store";
  CliResult r = Run({"repair", "--output", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Made in a hidden sibling and renamed into place: nothing else is left.
  EXPECT_EQ(
      std::distance(fs::directory_iterator(repaired), fs::directory_iterator()),
      1);
  EXPECT_THAT(r.out, HasSubstr("recovered 3 sessions and 5 events"));
  EXPECT_EQ(RunCli({"--db", "rocksdb:" + out, "export"}).out,
            ReadFile(TestdataPath("sessions.jsonl")));
  EXPECT_EQ(RunCli({"--db", "rocksdb:" + out, "verify"}).exit_code, 0);

  // A log of noise: nothing to recover.
  for (const auto& entry : fs::directory_iterator(StorePath())) {
    if (entry.path().extension() == ".log") {
      std::ofstream(entry.path(), std::ios::binary | std::ios::trunc)
          << std::string(5000, '\x5a');
    }
  }
  const std::string none_parent = FreshDir("none");
  const std::string none = none_parent + "/store";
  r = Run({"repair", "--output", none});
  EXPECT_EQ(r.exit_code, 1) << r.err << r.out;
  EXPECT_THAT(r.err, HasSubstr("nothing usable was recovered"));
  EXPECT_FALSE(fs::exists(none));
  EXPECT_TRUE(fs::is_empty(none_parent)) << "a staging directory was left";
}

TEST_F(CliHardeningTest, EveryCommandFailsWhenItsOutputCannotBeWritten) {
  ImportFixture();
  std::string other = FreshUri("rocksdb");
  const std::vector<std::vector<std::string>> commands = {
      {"ls"},
      {"ls", "--json"},
      {"show", "s-alpha"},
      {"events", "s-alpha"},
      {"events", "s-alpha", "--json"},
      {"tail", "s-alpha"},
      {"tail", "s-alpha", "--json"},
      {"replay", "s-alpha"},
      {"export"},
      {"export", "--session", "s-alpha"},
      {"stats"},
      {"verify"},
      {"compact"},
      {"import", TestdataPath("sessions.jsonl")},
      {"migrate", "--from", db_, "--to", other},
      {"--help"},
      {"ls", "--help"},
  };
  for (const auto& command : commands) {
    SCOPED_TRACE(absl::StrJoin(command, " "));
    RunOptions options;
    options.stdout_path = "/dev/full";
    RunResult r = RunCliWith(WithStore(command), options);
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_THAT(r.err, HasSubstr("cannot write the output"));
  }
  RunOptions options;
  options.stdout_path = "/dev/full";
  RunResult demo =
      RunCliWith({"--db", FreshUri("rocksdb"), "demo", "--at", "1"}, options);
  EXPECT_EQ(demo.exit_code, 1) << demo.err;
}

// ---- Output ----

TEST_F(CliHardeningTest, StoredControlCharactersNeverReachTheTerminalRaw) {
  // An id with a newline (a forged row), ESC sequences (clear screen, window
  // title), BEL, BS, CR, TAB, DEL and the C1 CSI; the same in the agent, the
  // method and the text.
  const std::string evil =
      R"(ev\u001b[2J\u001b]0;pwned\u0007il\nforged  claude\r\t\b\u007f\u009b31m)";
  const std::string lines = absl::StrCat(
      R"({"session":{"id":")", evil, R"(","agent":")", evil,
      R"(","lastConnectionId":"c","createdAt":1700000000000,"sessionInit":{"cwd":")",
      evil, R"("}}})", "\n",
      R"({"event":{"id":"e1","eventIndex":1,"sessionId":")", evil,
      R"(","createdAt":1700000000001,"connectionId":"c","sender":"client","payload":{"jsonrpc":"2.0","id":1,"method":")",
      evil, R"(","params":{"prompt":[{"type":"text","text":")", evil,
      R"(\u0000"}]}}}})", "\n",
      R"({"event":{"id":"e2","eventIndex":2,"sessionId":")", evil,
      R"(","createdAt":1700000000002,"connectionId":"c","sender":"agent","payload":{"jsonrpc":"2.0","id":1,"error":{"code":1,"message":")",
      evil, R"("}}}})", "\n");
  CliResult imported = Run({"import", "-"}, lines);
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  const std::string id =
      "ev\x1b[2J\x1b]0;pwned\x07il\nforged  claude\r\t\b\x7f\xc2\x9b"
      "31m";

  Json ls = ParseJson(Run({"ls", "--json"}));
  ASSERT_EQ(ls.size(), 1u);
  EXPECT_EQ(ls[0]["id"], id);  // JSON stays exact.
  EXPECT_EQ(ls[0]["agent"], id);

  for (const std::vector<std::string>& command :
       std::vector<std::vector<std::string>>{{"ls"},
                                             {"show", id},
                                             {"events", id},
                                             {"events", id, "--wide"},
                                             {"tail", id},
                                             {"stats"},
                                             {"verify"},
                                             {"show", id + "x"},
                                             {"events", id + "x"},
                                             {"replay", id + "x"}}) {
    SCOPED_TRACE(command[0]);
    CliResult r = Run(command);
    EXPECT_EQ(RawControls(r.out), "") << r.out;
    EXPECT_EQ(RawControls(r.err), "") << r.err;
  }
  CliResult table = Run({"ls"});
  // One header and one row: the newline in the id forges no row.
  EXPECT_EQ(std::count(table.out.begin(), table.out.end(), '\n'), 2);
  EXPECT_THAT(table.out, HasSubstr(R"(ev\x1b[2J\x1b]0;pwned\x07il\nforged)"));
  EXPECT_THAT(table.out, HasSubstr(R"(\r\t\x08\x7f\u009b31m)"));
  // The replay text is the SDK's JSON, byte for byte: escaped as JSON.
  CliResult replay = Run({"replay", id});
  EXPECT_EQ(RawControls(replay.out), "");
}

TEST_F(CliHardeningTest, LongMethodsAreCutAndTailRowsEndWithoutBlanks) {
  std::string method(5000, 'm');
  std::string lines = absl::StrCat(
      R"({"event":{"id":"e1","eventIndex":1,"sessionId":"s","createdAt":1,"connectionId":"c","sender":"client","payload":{"jsonrpc":"2.0","id":1,"method":")",
      method, R"("}}})", "\n",
      R"({"event":{"id":"e2","eventIndex":2,"sessionId":"s","createdAt":2,"connectionId":"c","sender":"agent","payload":{"jsonrpc":"2.0","id":1,"result":{}}}})",
      "\n");
  ASSERT_EQ(Run({"import", "-"}, lines).exit_code, 0);
  for (const std::vector<std::string>& command :
       std::vector<std::vector<std::string>>{
           {"events", "s"}, {"events", "s", "--wide"}, {"tail", "s"}}) {
    SCOPED_TRACE(command[0]);
    CliResult r = Run(command);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (absl::string_view line : absl::StrSplit(r.out, '\n')) {
      EXPECT_LT(line.size(), 160u) << line.substr(0, 200);
      EXPECT_FALSE(absl::EndsWith(line, " ")) << "[" << line << "]";
    }
  }
}

TEST_F(CliHardeningTest, LimitZeroMeansNoRows) {
  ImportFixture();
  EXPECT_EQ(Run({"ls", "--limit", "0"}).out,
            "ID  AGENT  CREATED  DESTROYED  EVENTS  LAST ACTIVITY\n");
  EXPECT_EQ(ParseJson(Run({"ls", "--limit", "0", "--json"})), Json::array());
  EXPECT_EQ(Run({"events", "s-alpha", "--limit", "0"}).out,
            "INDEX  TIME  SENDER  METHOD  TEXT\n");
  EXPECT_EQ(ParseJson(Run({"events", "s-alpha", "--limit", "0", "--json"})),
            Json::array());
  EXPECT_EQ(Run({"tail", "s-alpha", "-n", "0"}).out, "");
  // A session that does not exist is still not found.
  EXPECT_EQ(Run({"events", "nope", "--limit", "0"}).exit_code, kNotFound);
}

TEST_F(CliHardeningTest, ExportToDashWritesStdout) {
  ImportFixture();
  std::string cwd = FreshDir("cwd");
  RunOptions options;
  options.cwd = cwd;
  RunResult r = RunCliWith(WithStore({"export", "--output", "-"}), options);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, ReadFile(TestdataPath("sessions.jsonl")));
  EXPECT_FALSE(fs::exists(cwd + "/-"));
}

// ---- Ranges, hints and exit codes ----

TEST_F(CliHardeningTest, NumbersOutOfRangeSayWhatTheRangeIs) {
  ImportFixture();
  for (const char* from :
       {"9007199254740992", "99999999999999999999", "-1", "x"}) {
    CliResult r = Run({"events", "s-alpha", "--from", from});
    EXPECT_EQ(r.exit_code, kUsage) << from;
    EXPECT_THAT(r.err, HasSubstr(absl::StrCat("from 0 to ", kSafeMax))) << from;
    EXPECT_THAT(r.err, Not(HasSubstr("cursor")));
  }
  EXPECT_EQ(ParseJson(Run({"events", "s-alpha", "--from", kSafeMax, "--json"})),
            Json::array());
  CliResult r = Run({"ls", "--limit", "99999999999999999999"});
  EXPECT_EQ(r.exit_code, kUsage);
  EXPECT_THAT(r.err, HasSubstr("from 0 to"));
  r = Run({"replay", "s-alpha", "--max-events", "0"});
  EXPECT_EQ(r.exit_code, kUsage);
  EXPECT_THAT(r.err, HasSubstr("from 1 to 10000"));
}

TEST_F(CliHardeningTest, ADirectoryAsSqliteGivesTheSameCodeFromEveryCommand) {
  std::string dir = FreshDir("a-directory");
  std::string uri = "sqlite:" + dir;
  std::string before = TreeDigest(dir);
  for (const std::vector<std::string>& command :
       std::vector<std::vector<std::string>>{
           {"ls"},
           {"show", "s"},
           {"events", "s"},
           {"tail", "s"},
           {"replay", "s"},
           {"export"},
           {"import", TestdataPath("sessions.jsonl")},
           {"stats"},
           {"verify"},
           {"compact"},
           {"demo"},
           {"migrate", "--from", uri, "--to", FreshUri("rocksdb")},
           {"migrate", "--from", db_, "--to", uri}}) {
    SCOPED_TRACE(command[0]);
    if (command[0] == "migrate" && command[2] == db_) ImportFixture();
    std::vector<std::string> args = {"--db", uri};
    args.insert(args.end(), command.begin(), command.end());
    CliResult r = RunCli(args);
    EXPECT_EQ(r.exit_code, kStoreUnavailable) << r.err;
    EXPECT_THAT(r.err, HasSubstr("is a directory"));
  }
  EXPECT_EQ(TreeDigest(dir), before);
}

TEST_F(CliHardeningTest, ARegularFileAsARocksDbStoreIsNotToldToCreateOne) {
  std::string file = FreshDir("file") + "/plain";
  std::ofstream(file) << "not a store\n";
  for (const char* command : {"ls", "verify", "import"}) {
    std::vector<std::string> args = {"--db", "rocksdb:" + file, command};
    if (std::string(command) == "import") args.push_back("-");
    CliResult r = RunCli(args);
    EXPECT_EQ(r.exit_code, kStoreUnavailable) << command << r.err;
    EXPECT_THAT(r.err, Not(HasSubstr("create one"))) << command;
  }
  EXPECT_EQ(ReadFile(file), "not a store\n");
}

TEST_F(CliHardeningTest, VerifyReportsAStoreItCannotOpenWithExit6) {
  ImportFixture();
  ASSERT_TRUE(fs::remove(StorePath() + "/CURRENT"));
  std::string before = TreeDigest(StorePath());
  CliResult r = Run({"verify"});
  EXPECT_EQ(r.exit_code, kVerifyFailed) << r.err;
  EXPECT_THAT(r.out, HasSubstr("CURRENT"));
  Json json = ParseJson(Run({"verify", "--json"}));
  EXPECT_EQ(json["ok"], false);
  EXPECT_EQ(TreeDigest(StorePath()), before);

  std::string garbage = FreshDir("garbage") + "/db.sqlite";
  std::ofstream(garbage) << std::string(4096, 'x');
  EXPECT_EQ(RunCli({"--db", "sqlite:" + garbage, "verify"}).exit_code,
            kVerifyFailed);
  // Nothing there at all is a mistyped path, not a damaged store.
  EXPECT_EQ(RunCli({"--db", "rocksdb:" + FreshDir("x") + "/none", "verify"})
                .exit_code,
            kStoreUnavailable);
}

TEST_F(CliHardeningTest, PermissionDeniedIsNotCalledALock) {
  if (!CanRunAs("nobody")) GTEST_SKIP() << "needs root and runuser";
  std::string binary = PublicCopyOfCli();
  char dir[] = "/tmp/sessionlog-perm-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  chmod(dir, 0755);
  std::string uri = absl::StrCat("rocksdb:", dir, "/store");
  ASSERT_EQ(
      RunCli({"--db", uri, "import", TestdataPath("sessions.jsonl")}).exit_code,
      0);
  std::string before = TreeDigest(dir);
  RunOptions options;
  options.user = "nobody";
  options.binary = binary;
  options.cwd = "/tmp";
  for (const char* command : {"compact", "import"}) {
    std::vector<std::string> args = {"--db", uri, command};
    if (std::string(command) == "import") args.push_back("-");
    RunResult r = RunCliWith(args, options);
    EXPECT_EQ(r.exit_code, kStoreUnavailable) << command << r.err;
    EXPECT_THAT(r.err, HasSubstr("ermission denied")) << command;
    EXPECT_THAT(r.err, Not(HasSubstr("another process"))) << command;
  }
  EXPECT_EQ(TreeDigest(dir), before);
  fs::remove_all(dir);
  fs::remove_all(fs::path(binary).parent_path());
}

TEST_F(CliHardeningTest, MigrateRefusesTheSameStoreUnderAnotherName) {
  for (const std::string backend : {"rocksdb", "sqlite"}) {
    SCOPED_TRACE(backend);
    UseFreshStore(backend);
    ImportFixture();
    const std::string scheme = backend + ":";
    const fs::path path = StorePath();
    const fs::path dir = path.parent_path();
    const std::string link = FreshDir("link") + "/to-store";
    fs::create_symlink(path, link);
    std::vector<std::string> names = {
        scheme + path.string() + (backend == "rocksdb" ? "/" : ""),
        scheme + (dir / "." / path.filename()).string(),
        scheme + (dir / ".." / dir.filename() / path.filename()).string(),
        scheme + fs::relative(path).string(),
        scheme + link,
    };
    if (backend == "sqlite") {
      const std::string hard = FreshDir("hard") + "/same.sqlite";
      fs::create_hard_link(path, hard);
      names.push_back(scheme + hard);
    }
    const std::string before = TreeDigest(dir);
    for (const std::string& name : names) {
      SCOPED_TRACE(name);
      for (const auto& [from, to] :
           {std::pair(db_, name), std::pair(name, db_)}) {
        CliResult r = RunCli({"migrate", "--from", from, "--to", to});
        EXPECT_EQ(r.exit_code, kUsage) << r.err;
        EXPECT_THAT(r.err, HasSubstr("name the same store"));
      }
    }
    EXPECT_EQ(TreeDigest(dir), before);
  }
}

// ---- Input ----

// A pipe given as FILE (`import <(...)`, a FIFO) cannot seek; it is read to
// its end like stdin (the failed seek once made it read as empty, exit 0).
TEST_F(CliHardeningTest, ImportReadsAPipeGivenAsAFileToItsEnd) {
  const std::string fifo = FreshDir("pipe") + "/input";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  std::thread writer([&] {
    std::ofstream(fifo, std::ios::binary)
        << ReadFile(TestdataPath("sessions.jsonl"));
  });
  CliResult r = Run({"import", fifo});
  writer.join();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("imported 3 sessions and 5 events from 8"));
  EXPECT_EQ(Run({"export"}).out, ReadFile(TestdataPath("sessions.jsonl")));
}

TEST_F(CliHardeningTest, ImportRefusesAnOverlongLineEarlyNamingIt) {
  std::string dir = FreshDir("long");
  std::string file = dir + "/long.jsonl";
  {
    std::ofstream out(file, std::ios::binary);
    out << ReadFile(TestdataPath("sessions.jsonl"));  // 8 good lines.
    out << R"({"event":{"id":")" << std::string(96 << 20, 'a');  // No end.
  }
  RunOptions options;
  options.timeout_seconds = 60;
  // Memory is judged against the same binary importing the good lines alone:
  // import may hold one line up to its 32 MiB cap, never the 96 MiB line.
  const std::string good = dir + "/good.jsonl";
  fs::copy_file(TestdataPath("sessions.jsonl"), good);
  UseFreshStore("rocksdb");
  const int64_t baseline_kb =
      RunCliWith(WithStore({"import", good}), options).max_rss_kb;
#if defined(__SANITIZE_ADDRESS__)
  // ASan's shadow and quarantine (freed buffers are kept) blur the measure.
  const int64_t limit_kb = std::numeric_limits<int64_t>::max();
#else
  const int64_t limit_kb = baseline_kb + 48 * 1024;
#endif
  UseFreshStore("rocksdb");
  RunResult r = RunCliWith(WithStore({"import", file}), options);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, kBadInput) << r.err;
  EXPECT_THAT(r.err, HasSubstr("long.jsonl:9: "));
  EXPECT_THAT(r.err, HasSubstr("longer than"));
  EXPECT_LT(r.max_rss_kb, limit_kb) << "KiB, against " << baseline_kb;
  // The lines before it stay imported.
  EXPECT_EQ(Run({"export"}).out, ReadFile(TestdataPath("sessions.jsonl")));

  UseFreshStore("rocksdb");
  r = RunCliWith(WithStore({"import", "/dev/zero"}), options);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, kBadInput) << r.err;
  EXPECT_THAT(r.err, HasSubstr("/dev/zero:1: "));
  EXPECT_LT(r.max_rss_kb, limit_kb) << "KiB, against " << baseline_kb;
}

}  // namespace
}  // namespace cli_test
}  // namespace sessionlog
