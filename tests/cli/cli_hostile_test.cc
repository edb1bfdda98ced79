// Every command, with its flags and bad values of them, against hostile
// places to keep a store: healthy stores holding control characters, fresh
// and empty paths, regular files, directories given as SQLite files, foreign
// RocksDB and SQLite databases, damaged stores, symbolic-link loops, paths
// through a file, a read-only store and an unreadable one (as another user).
//
// After each run: the exit code is a documented one and the process was not
// killed; a failure says "error:" on stderr and a success does not; human
// output (stdout, and stderr always) holds no raw control character; and a
// digest of every file of the place is unchanged, unless the command writes
// and the place may take writes. Each command's output is also sent to a
// full device once: a command that printed something must then fail.

#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "tests/cli/cli_fixture.h"
#include "tests/cli/cli_harness.h"

namespace sessionlog {
namespace cli_test {
namespace {

namespace fs = std::filesystem;

// The id of the session of testdata/hostile.jsonl.
const std::string kEvilId =
    "ev\x1b[2J\x1b]0;pwned\x07il\nforged  claude\r\t\b\x7f\xc2\x9b"
    "31m\xc2\x85";

// A place to point --db at.
struct Place {
  std::string uri;
  std::string home;  // Everything of the place is under it: what is digested.
  bool healthy = false;   // A store with data: reads succeed.
  bool writable = false;  // Writing commands may change it.
  bool may_fail = false;  // Exit 1 is allowed (the backend fails a read).
  std::string user;       // Run as this user; empty: as we are.
};

// One invocation. Placeholders: {DB} the place's URI, {EVIL} kEvilId,
// {OUT} a fresh path outside the place, {FIXTURE} and {BAD} import files,
// {SOURCE} another healthy store.
struct Case {
  std::vector<std::string> args;
  bool writes = false;  // May change the store when the place is writable.
  bool json = false;    // Output is JSON: exact, so it may hold DEL and C1.
};

std::vector<Case> Cases() {
  std::vector<Case> cases;
  auto read = [&](std::vector<std::string> args, bool json = false) {
    cases.push_back({std::move(args), false, json});
  };
  auto write = [&](std::vector<std::string> args) {
    cases.push_back({std::move(args), true, false});
  };
  for (const char* limit : {"0", "1", "-1", "x", "99999999999999999999"}) {
    read({"ls", "--limit", limit});
  }
  read({"ls"});
  read({"ls", "--json"}, true);
  read({"ls", "--bogus"});
  read({"ls", "--help"});
  read({"--max-sessions", "0", "ls"});
  read({"--max-sessions", "none", "--max-events-per-session", "1", "ls"});
  read({"--max-events-per-session", "x", "ls"});
  read({"--color", "always", "ls"});
  read({"--color", "sometimes", "ls"});
  read({"--pg-schema", "nope", "ls"});
  for (const char* id : {"s-alpha", "nope", "{EVIL}", ""}) {
    read({"show", id});
    read({"events", id});
    read({"tail", id});
    read({"replay", id});
  }
  read({"show", "s-alpha", "--json"}, true);
  for (const char* from :
       {"0", "2", "9007199254740991", "9007199254740992", "-1", "x"}) {
    read({"events", "{EVIL}", "--from", from});
  }
  for (const char* limit : {"0", "1", "x"}) {
    read({"events", "{EVIL}", "--limit", limit});
  }
  read({"events", "{EVIL}", "--wide"});
  read({"events", "{EVIL}", "--json"}, true);
  for (const char* n : {"0", "1", "10000", "10001", "x"}) {
    read({"tail", "{EVIL}", "-n", n});
  }
  read({"tail", "{EVIL}", "--interval", "0"});
  read({"tail", "{EVIL}", "--wide"});
  read({"tail", "{EVIL}", "--json"}, true);
  for (const char* n : {"0", "1", "10000", "10001"}) {
    read({"replay", "{EVIL}", "--max-events", n});
  }
  for (const char* n : {"0", "1"}) {
    read({"replay", "{EVIL}", "--max-chars", n});
  }
  read({"replay", "{EVIL}", "--json"}, true);
  read({"export"}, true);
  read({"export", "--session", "{EVIL}"}, true);
  read({"export", "--session", "nope"}, true);
  read({"export", "--output", "{OUT}"});
  read({"export", "--output", "-"}, true);
  read({"verify"});
  read({"verify", "--json"}, true);
  read({"stats"});
  read({"stats", "--json"}, true);
  read({"--quiet", "stats"});
  read({"repair", "--output", "{OUT}"});
  read({"repair", "--output", "{OUT}", "--json"}, true);
  read({"migrate", "--from", "{DB}", "--to", "rocksdb:{OUT}"});
  read({"migrate", "--from", "{DB}", "--to", "{DB}"});
  read({"migrate", "--from", "{DB}", "--to", "rocksdb:{OUT}", "--resume",
        "garbage"});
  read({"demo", "--at", "-1"});
  // Writing commands last, so that the reads above see the place as made.
  write({"import", "{BAD}"});
  write({"import", "-"});
  write({"import", "/dev/zero"});
  write({"import", "{FIXTURE}"});
  write({"compact"});
  write({"demo", "--at", "1700000000000"});
  write({"migrate", "--from", "{SOURCE}", "--to", "{DB}"});
  return cases;
}

void MakeForeignRocksDb(const std::string& path) {
  rocksdb::Options options;
  options.create_if_missing = true;
  rocksdb::DB* db = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(options, path, &db).ok());
  ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), "someone", "else's").ok());
  delete db;
}

void MakeForeignSqlite(const std::string& path) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "CREATE TABLE invoices(id INTEGER PRIMARY KEY, "
                         "total REAL); INSERT INTO invoices VALUES (1, 9.5);",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
}

// A directory under /tmp that another user can enter (the test's own
// temporary directory is under root's home).
std::string PublicDir(const std::string& prefix) {
  std::string dir = "/tmp/sessionlog-" + prefix + "-XXXXXX";
  if (mkdtemp(dir.data()) == nullptr) return "";
  chmod(dir.c_str(), 0755);
  return dir;
}

class CliHostileTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    scratch_ = FreshDir("scratch");
    fixture_ = TestdataPath("sessions.jsonl");
    bad_ = TestdataPath("bad_line.jsonl");
    source_ = "rocksdb:" + scratch_ + "/source";
    ASSERT_EQ(RunCli({"--db", source_, "import", fixture_}).exit_code, 0);
    ASSERT_NO_FATAL_FAILURE(MakePlace(GetParam()));
  }

  void TearDown() override {
    for (const std::string& dir : public_dirs_) fs::remove_all(dir);
  }

  // A healthy store of `scheme` at `uri`: the fixture and the hostile lines.
  void Fill(const std::string& uri) {
    for (const std::string& file : {fixture_, TestdataPath("hostile.jsonl")}) {
      CliResult r = RunCli({"--db", uri, "import", file});
      ASSERT_EQ(r.exit_code, 0) << r.err;
    }
  }

  void MakePlace(const std::string& name) {
    Place& p = place_;
    p.home = FreshDir(name);
    const std::string& home = p.home;
    if (name == "healthy_rocksdb" || name == "healthy_sqlite") {
      p.uri = name == "healthy_rocksdb" ? "rocksdb:" + home + "/store"
                                        : "sqlite:" + home + "/store.db";
      ASSERT_NO_FATAL_FAILURE(Fill(p.uri));
      p.healthy = p.writable = true;
    } else if (name == "fresh_path") {
      p.uri = "rocksdb:" + home + "/not-yet";
      p.writable = true;
    } else if (name == "empty_directory") {
      p.uri = "rocksdb:" + home;
      p.writable = true;
    } else if (name == "regular_file_as_rocksdb") {
      std::ofstream(home + "/file") << "a file\n";
      p.uri = "rocksdb:" + home + "/file";
    } else if (name == "text_file_as_sqlite") {
      std::ofstream(home + "/notes.db") << "not a database, just notes\n";
      p.uri = "sqlite:" + home + "/notes.db";
    } else if (name == "directory_as_sqlite") {
      fs::create_directory(home + "/dir");
      p.uri = "sqlite:" + home + "/dir";
    } else if (name == "foreign_directory") {
      std::ofstream(home + "/thesis.tex") << "\\chapter{One}\n";
      p.uri = "rocksdb:" + home;
    } else if (name == "foreign_rocksdb") {
      ASSERT_NO_FATAL_FAILURE(MakeForeignRocksDb(home + "/db"));
      p.uri = "rocksdb:" + home + "/db";
    } else if (name == "foreign_sqlite") {
      ASSERT_NO_FATAL_FAILURE(MakeForeignSqlite(home + "/app.db"));
      // The application's tables and no store: refused by every command,
      // writing ones included, and never changed.
      p.uri = "sqlite:" + home + "/app.db";
    } else if (name == "empty_sqlite_file") {
      // No store to read; a writing command may create one in it.
      std::ofstream(home + "/empty.db").close();
      p.uri = "sqlite:" + home + "/empty.db";
      p.writable = true;
    } else if (name == "rocksdb_missing_current") {
      p.uri = "rocksdb:" + home + "/store";
      ASSERT_NO_FATAL_FAILURE(Fill(p.uri));
      ASSERT_TRUE(fs::remove(home + "/store/CURRENT"));
    } else if (name == "rocksdb_damaged_table") {
      p.uri = "rocksdb:" + home + "/store";
      ASSERT_NO_FATAL_FAILURE(Fill(p.uri));
      ASSERT_EQ(RunCli({"--db", p.uri, "compact"}).exit_code, 0);
      for (const auto& entry : fs::directory_iterator(home + "/store")) {
        if (entry.path().extension() != ".sst") continue;
        std::string bytes = ReadFile(entry.path());
        for (size_t i = 0; i < bytes.size() / 2; ++i) bytes[i] ^= 0x5A;
        std::ofstream(entry.path(), std::ios::binary | std::ios::trunc)
            << bytes;
      }
      // It opens; reads of the damaged table fail. Writes go to the log.
      p.writable = p.may_fail = true;
    } else if (name == "sqlite_truncated") {
      std::string whole = home + "/whole.db";
      ASSERT_NO_FATAL_FAILURE(Fill("sqlite:" + whole));
      std::string bytes = ReadFile(whole);
      fs::remove(whole);
      std::ofstream(home + "/cut.db", std::ios::binary)
          << bytes.substr(0, bytes.size() / 2);
      p.uri = "sqlite:" + home + "/cut.db";
      p.may_fail = true;
    } else if (name == "symlink_loop_rocksdb" ||
               name == "symlink_loop_sqlite") {
      fs::create_symlink(home + "/b", home + "/a");
      fs::create_symlink(home + "/a", home + "/b");
      p.uri = (name == "symlink_loop_rocksdb" ? "rocksdb:" : "sqlite:") + home +
              "/a";
    } else if (name == "path_through_a_file") {
      std::ofstream(home + "/file") << "x\n";
      p.uri = "rocksdb:" + home + "/file/store";
    } else if (name == "read_only_store" || name == "unreadable_store") {
      if (!CanRunAs("nobody")) GTEST_SKIP() << "needs root and runuser";
      binary_ = PublicCopyOfCli();
      public_dirs_.push_back(fs::path(binary_).parent_path());
      p.home = PublicDir(name);
      public_dirs_.push_back(p.home);
      p.uri = "rocksdb:" + p.home + "/store";
      ASSERT_NO_FATAL_FAILURE(Fill(p.uri));
      // Files the other user can read (or, for the unreadable one, not
      // even list), in a directory it cannot write.
      chmod((p.home + "/store").c_str(),
            name == "read_only_store" ? 0755 : 0700);
      p.healthy = name == "read_only_store";
      p.user = "nobody";
      // Its own files: the inputs, and somewhere to write.
      scratch_ = PublicDir("scratch");
      public_dirs_.push_back(scratch_);
      chmod(scratch_.c_str(), 0777);
      fs::copy_file(fixture_, scratch_ + "/sessions.jsonl");
      fs::copy_file(bad_, scratch_ + "/bad_line.jsonl");
      fixture_ = scratch_ + "/sessions.jsonl";
      bad_ = scratch_ + "/bad_line.jsonl";
      chmod(fixture_.c_str(), 0644);
      chmod(bad_.c_str(), 0644);
      source_ = "rocksdb:" + scratch_ + "/source";
      ASSERT_EQ(RunCli({"--db", source_, "import", fixture_}).exit_code, 0);
      for (const auto& entry : fs::recursive_directory_iterator(scratch_)) {
        chmod(entry.path().c_str(), entry.is_directory() ? 0755 : 0644);
      }
    } else {
      FAIL() << "unknown place " << name;
    }
  }

  std::vector<std::string> Expand(const std::vector<std::string>& args) {
    std::vector<std::string> out = {"--db", place_.uri};
    std::string fresh = absl::StrCat(scratch_, "/out-", ++outputs_);
    for (const std::string& arg : args) {
      out.push_back(absl::StrReplaceAll(arg, {{"{DB}", place_.uri},
                                              {"{EVIL}", kEvilId},
                                              {"{OUT}", fresh},
                                              {"{FIXTURE}", fixture_},
                                              {"{BAD}", bad_},
                                              {"{SOURCE}", source_}}));
    }
    return out;
  }

  RunResult Run(const std::vector<std::string>& args,
                const std::string& stdout_path = "") {
    RunOptions options;
    options.user = place_.user;
    options.binary = binary_;
    options.stdout_path = stdout_path;
    options.timeout_seconds = 60;
    if (!place_.user.empty()) options.cwd = "/tmp";
    return RunCliWith(args, options);
  }

  Place place_;
  std::string scratch_, fixture_, bad_, source_, binary_;
  std::vector<std::string> public_dirs_;
  int outputs_ = 0;
};

TEST_P(CliHostileTest, EveryCommandAndFlag) {
  const Place& p = place_;
  for (const Case& c : Cases()) {
    std::vector<std::string> args = Expand(c.args);
    const std::string shown = absl::CEscape(absl::StrJoin(args, " "));
    SCOPED_TRACE(shown);
    const std::string before = TreeDigest(p.home);
    RunResult r = Run(args);
    ASSERT_FALSE(r.timed_out);
    r.out = WithoutColour(r.out);
    r.err = WithoutColour(r.err);
    EXPECT_GE(r.exit_code, 0);
    EXPECT_LE(r.exit_code, 6) << r.err;
    if (r.exit_code == 0) {
      EXPECT_FALSE(absl::StrContains(r.err, "error:")) << r.err;
    } else {
      EXPECT_TRUE(absl::StrContains(r.err, "error:")) << r.err;
    }
    // (repair reads a damaged store to recover it.)
    if (!p.healthy && !(c.writes && p.writable) && c.args[0] != "repair") {
      // Nothing to read: a usage error, no store, a damaged store (verify:
      // 6), or, where the backend itself fails the read, a failure.
      std::set<int> expected = {2, 3, 6};
      if (p.may_fail) expected.insert({0, 1, 4, 5});
      if (c.args.back() == "--help") expected = {0};
      EXPECT_TRUE(expected.count(r.exit_code))
          << "exit " << r.exit_code << ": " << r.err;
    }
    if (!c.json) {
      EXPECT_EQ(RawControls(r.out), "") << r.out;
    }
    EXPECT_EQ(RawControls(r.err), "") << r.err;
    if (!c.writes || !p.writable) {
      EXPECT_EQ(TreeDigest(p.home), before) << "the place changed";
    }
    // The same into a full device: what printed something must fail.
    if (!c.writes && !r.out.empty()) {
      RunResult full = Run(Expand(c.args), "/dev/full");
      EXPECT_NE(full.exit_code, 0) << "writing to a full device succeeded";
      EXPECT_TRUE(absl::StrContains(full.err, "error:")) << full.err;
      if (r.exit_code == 0) {
        EXPECT_EQ(full.exit_code, 1) << full.err;
      }
      if (!c.writes || !p.writable) {
        EXPECT_EQ(TreeDigest(p.home), before) << "the place changed";
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Places, CliHostileTest,
    ::testing::Values("healthy_rocksdb", "healthy_sqlite", "fresh_path",
                      "empty_directory", "regular_file_as_rocksdb",
                      "text_file_as_sqlite", "directory_as_sqlite",
                      "foreign_directory", "foreign_rocksdb", "foreign_sqlite",
                      "empty_sqlite_file",
                      "rocksdb_missing_current", "rocksdb_damaged_table",
                      "sqlite_truncated", "symlink_loop_rocksdb",
                      "symlink_loop_sqlite", "path_through_a_file",
                      "read_only_store", "unreadable_store"),
    [](const ::testing::TestParamInfo<std::string>& info) {
      return info.param;
    });

}  // namespace
}  // namespace cli_test
}  // namespace sessionlog
