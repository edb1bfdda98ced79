// What opening a rocksdb: store refuses before RocksDB may change anything,
// and the errors it gives: a path that is not a directory, RocksDB files
// without CURRENT (a damaged store, never a new one), a LOCK held by another
// writer, and a LOCK this process may not open.
//
// argv[1]: the path of open_store_helper.

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/rocksdb/rocksdb_driver.h"
#include "engine/rocksdb/rocksdb_status.h"
#include "engine/rocksdb/store_directory.h"
#include "gtest/gtest.h"
#include "tests/testing/temp_dir.h"

namespace sessionlog {

std::string g_helper;  // argv[1]

namespace {

namespace fs = std::filesystem;

// Every file of a directory (recursively) and its bytes.
std::map<std::string, std::string> Contents(const std::string& dir) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    files[entry.path().string()] = bytes.str();
  }
  return files;
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// Opens for writing (creating), read-only, and without creating.
std::vector<absl::Status> OpenEveryWay(const std::string& path) {
  DriverOptions create, read_only, no_create;
  read_only.read_only = true;
  no_create.create_if_missing = false;
  std::vector<absl::Status> out;
  for (const DriverOptions& options : {create, create, read_only, no_create}) {
    out.push_back(OpenRocksDbDriver(path, options).status());
  }
  return out;
}

TEST(OpenRefusalTest, ARegularFileIsNotAStore) {
  TempDir dir;
  const std::string file = dir.Sub("sessions.db");
  WriteFile(file, "someone's file\n");
  for (const absl::Status& s : OpenEveryWay(file)) {
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
    EXPECT_TRUE(absl::StrContains(s.message(), "is a regular file")) << s;
    EXPECT_TRUE(absl::StrContains(s.message(),
                                  "a rocksdb: store is a "
                                  "directory"))
        << s;
  }
  for (const absl::Status& s : OpenEveryWay(file + "/store")) {
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
    EXPECT_TRUE(absl::StrContains(s.message(), "not a directory")) << s;
  }
  EXPECT_EQ(Contents(dir.path()),
            (std::map<std::string, std::string>{{file, "someone's file\n"}}));
}

// Any one RocksDB file without CURRENT makes a damaged store: refused with
// DataLoss that names what is there, and nothing changed.
TEST(OpenRefusalTest, RocksDbFilesWithoutCurrentAreADamagedStore) {
  for (const char* name : {"000012.sst", "000013.log", "MANIFEST-000009",
                           "OPTIONS-000011", "IDENTITY", "000014.blob"}) {
    TempDir dir;
    const std::string store = dir.Sub("store");
    fs::create_directory(store);
    WriteFile(store + "/" + name, "data");
    WriteFile(store + "/LOG", "an old info log");
    const auto before = Contents(dir.path());
    for (const absl::Status& s : OpenEveryWay(store)) {
      EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << name << ": " << s;
      EXPECT_TRUE(absl::StrContains(s.message(), "CURRENT")) << s;
      EXPECT_TRUE(absl::StrContains(s.message(), "sessionlog repair")) << s;
    }
    EXPECT_EQ(Contents(dir.path()), before) << name;
  }
  // Also with sessionlog's marker: a store that got past its first MANIFEST.
  TempDir dir;
  const std::string store = dir.Sub("store");
  fs::create_directory(store);
  for (const char* name : {kCreationMarker, "IDENTITY", "MANIFEST-000001",
                           "MANIFEST-000005", "000004.log"}) {
    WriteFile(store + "/" + name, "x");
  }
  const auto before = Contents(dir.path());
  const absl::Status s = OpenRocksDbDriver(store, DriverOptions()).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
  EXPECT_TRUE(
      absl::StrContains(s.message(),
                        "IDENTITY, MANIFEST-000001, MANIFEST-000005 and 1 "
                        "write-ahead log (*.log)"))
      << s;
  EXPECT_EQ(Contents(dir.path()), before);
}

// A CURRENT that names no MANIFEST (empty, garbage, or a MANIFEST that is
// not there) is a damaged store: DataLoss saying so, and nothing changed.
TEST(OpenRefusalTest, ACurrentNamingNoManifestIsADamagedStore) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "names \"\", not a MANIFEST"},
      {"hello\n", "names \"hello\", not a MANIFEST"},
      {"MANIFEST-000042\n", "names MANIFEST-000042, which is missing"}};
  for (const auto& [current, expected] : cases) {
    TempDir dir;
    const std::string store = dir.Sub("store");
    fs::create_directory(store);
    WriteFile(store + "/CURRENT", current);
    WriteFile(store + "/MANIFEST-000007", "x");
    WriteFile(store + "/000012.sst", "data");
    const auto before = Contents(dir.path());
    for (const absl::Status& s : OpenEveryWay(store)) {
      EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << current << s;
      EXPECT_TRUE(absl::StrContains(s.message(), expected)) << s;
      EXPECT_TRUE(absl::StrContains(s.message(), "sessionlog repair")) << s;
    }
    EXPECT_EQ(Contents(dir.path()), before) << current;
  }
}

// CURRENT, or the MANIFEST it names, that is not a plain file of its own
// (reading a FIFO would wait for a writer forever; a link could name another
// store's files), that is empty, or a CURRENT that is more than the name and
// a newline: DataLoss saying which, never a hang, nothing changed.
TEST(OpenRefusalTest, ACurrentOrManifestThatIsNotAPlainFileIsRefused) {
  struct Case {
    std::string what;
    std::function<void(const std::string& store)> damage;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"CURRENT is a FIFO",
       [](const std::string& store) {
         ASSERT_EQ(mkfifo((store + "/CURRENT").c_str(), 0600), 0);
       },
       "CURRENT file is a pipe"},
      {"CURRENT is a directory",
       [](const std::string& store) {
         fs::create_directory(store + "/CURRENT");
       },
       "CURRENT file is a directory"},
      {"CURRENT is a link to a sound CURRENT",
       [](const std::string& store) {
         WriteFile(store + "/../OTHER", "MANIFEST-000007\n");
         fs::create_symlink(store + "/../OTHER", store + "/CURRENT");
       },
       "CURRENT file is a symbolic link"},
      {"CURRENT without its newline",
       [](const std::string& store) {
         WriteFile(store + "/CURRENT", "MANIFEST-000007");
       },
       "is not that name and one newline"},
      {"the MANIFEST is a FIFO",
       [](const std::string& store) {
         WriteFile(store + "/CURRENT", "MANIFEST-000009\n");
         ASSERT_EQ(mkfifo((store + "/MANIFEST-000009").c_str(), 0600), 0);
       },
       "names MANIFEST-000009, which is a pipe"},
      {"the MANIFEST is a link",
       [](const std::string& store) {
         WriteFile(store + "/CURRENT", "MANIFEST-000009\n");
         fs::create_symlink(store + "/MANIFEST-000007",
                            store + "/MANIFEST-000009");
       },
       "names MANIFEST-000009, which is a symbolic link"},
      {"the MANIFEST is empty",
       [](const std::string& store) {
         WriteFile(store + "/CURRENT", "MANIFEST-000009\n");
         WriteFile(store + "/MANIFEST-000009", "");
       },
       "names MANIFEST-000009, which is empty"},
  };
  for (const Case& c : cases) {
    TempDir dir;
    const std::string store = dir.Sub("store");
    fs::create_directory(store);
    WriteFile(store + "/MANIFEST-000007", "x");
    WriteFile(store + "/000012.sst", "data");
    c.damage(store);
    const auto before = Contents(dir.path());
    for (const absl::Status& s : OpenEveryWay(store)) {
      EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << c.what << ": " << s;
      EXPECT_TRUE(absl::StrContains(s.message(), c.expected))
          << c.what << ": " << s;
    }
    EXPECT_EQ(Contents(dir.path()), before) << c.what;
  }
}

// RocksDB writes IDENTITY, then MANIFEST-000001, then CURRENT: a creation by
// sessionlog stopped before CURRENT holds no data, and is finished.
TEST(OpenRefusalTest, AnUnfinishedCreationIsFinished) {
  TempDir dir;
  const std::string store = dir.Sub("store");
  fs::create_directory(store);
  for (const char* name : {kCreationMarker, "IDENTITY", "MANIFEST-000001"}) {
    WriteFile(store + "/" + name, "");
  }
  DriverOptions read_only;
  read_only.read_only = true;
  EXPECT_EQ(OpenRocksDbDriver(store, read_only).status().code(),
            absl::StatusCode::kNotFound);
  auto driver = OpenRocksDbDriver(store, DriverOptions());
  ASSERT_TRUE(driver.ok()) << driver.status();
  SessionEvent event;
  event.id = "e1";
  event.session_id = "s";
  event.event_index = 1;
  event.created_at = 1;
  event.connection_id = "c";
  event.sender = Sender::kClient;
  event.payload_json = "{}";
  EXPECT_TRUE((*driver)->InsertEvent(event).ok());
}

TEST(OpenRefusalTest, ADirectoryOfOtherFilesBecomesAStore) {
  TempDir dir;
  WriteFile(dir.Sub("notes.txt"), "mine");
  auto driver = OpenRocksDbDriver(dir.path(), DriverOptions());
  ASSERT_TRUE(driver.ok()) << driver.status();
  driver->reset();
  std::ifstream in(dir.Sub("notes.txt"));
  std::string text;
  in >> text;
  EXPECT_EQ(text, "mine");
}

TEST(OpenRefusalTest, ALockHeldByAnotherProcessIsAnotherWriter) {
  TempDir dir;
  const std::string store = dir.Sub("store");
  { ASSERT_TRUE(OpenRocksDbDriver(store, DriverOptions()).ok()); }
  int ready[2], release[2];
  ASSERT_EQ(pipe(ready), 0);
  ASSERT_EQ(pipe(release), 0);
  const std::string lock = store + "/LOCK";
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {     // Only async-signal-safe calls here.
    close(release[1]);  // Else the read below never sees the end.
    int fd = open(lock.c_str(), O_RDWR);
    struct flock f = {};
    f.l_type = F_WRLCK;
    f.l_whence = SEEK_SET;
    char c = fd >= 0 && fcntl(fd, F_SETLK, &f) == 0 ? 'y' : 'n';
    if (write(ready[1], &c, 1) != 1) _exit(1);
    (void)!read(release[0], &c, 1);
    _exit(0);
  }
  char c = 0;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  ASSERT_EQ(c, 'y');
  const absl::Status s = OpenRocksDbDriver(store, DriverOptions()).status();
  close(release[1]);
  waitpid(child, nullptr, 0);
  for (int fd : {ready[0], ready[1], release[0]}) close(fd);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "another process")) << s;
  // A read-only open takes no lock.
  DriverOptions read_only;
  read_only.read_only = true;
  EXPECT_TRUE(OpenRocksDbDriver(store, read_only).ok());
}

// What open_store_helper says about `path`.
std::string OpenAsNobody(const std::string& mode, const std::string& path) {
  const std::string command =
      absl::StrCat(g_helper, " ", mode, " '", path, "' 2>&1");
  FILE* out = popen(command.c_str(), "r");
  if (out == nullptr) return "popen failed";
  std::string text;
  std::array<char, 512> buffer;
  while (fgets(buffer.data(), buffer.size(), out) != nullptr) {
    text += buffer.data();
  }
  pclose(out);
  return text;
}

// A store that nobody may read but not write: its LOCK file cannot be opened
// for writing. That is a permission problem, not another writer.
TEST(OpenRefusalTest, PermissionDeniedOnTheLockIsNotAnotherWriter) {
  // Under /tmp, which nobody can reach ($TEST_TMPDIR may not be).
  char base[] = "/tmp/sessionlog-permissions.XXXXXX";
  ASSERT_NE(mkdtemp(base), nullptr);
  ASSERT_EQ(chmod(base, 0755), 0);
  const std::string store = absl::StrCat(base, "/store");
  { ASSERT_TRUE(OpenRocksDbDriver(store, DriverOptions()).ok()); }
  ASSERT_EQ(chmod((store + "/LOCK").c_str(), 0444), 0);
  ASSERT_EQ(chmod(store.c_str(), 0555), 0);
  const std::string write = OpenAsNobody("write", store);
  const std::string read = OpenAsNobody("read", store);
  chmod(store.c_str(), 0755);
  RemoveTree(base);
  EXPECT_TRUE(absl::StartsWith(write, "PERMISSION_DENIED ")) << write;
  EXPECT_TRUE(absl::StrContains(write, "LOCK")) << write;
  EXPECT_FALSE(absl::StrContains(write, "another process")) << write;
  EXPECT_TRUE(absl::StartsWith(read, "OK ")) << read;
}

TEST(OpenRefusalTest, RocksDbErrorsMapToClearCodes) {
  auto code = [](const rocksdb::Status& s) {
    return FromRocksDb(s, "rocksdb:/x: open").code();
  };
  EXPECT_EQ(code(rocksdb::Status::IOError("While open a file for lock",
                                          "/x/LOCK: Permission denied")),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(
      code(rocksdb::Status::IOError(
          "While lock file", "/x/LOCK: Resource temporarily unavailable")),
      absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(code(rocksdb::Status::IOError(
                "lock hold by current process, acquire time 1 acquiring "
                "thread 2",
                "/x/LOCK: No locks available")),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(code(rocksdb::Status::IOError("While appending to file",
                                          "/x/000012.log: Input/output error")),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(code(rocksdb::Status::Corruption("bad block")),
            absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace sessionlog

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (argc < 2) {
    std::fprintf(stderr, "usage: open_refusal_test OPEN_STORE_HELPER\n");
    return 2;
  }
  sessionlog::g_helper = argv[1];
  return RUN_ALL_TESTS();
}
