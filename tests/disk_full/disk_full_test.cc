// Full disk, on a small tmpfs that the test mounts (root only; CI runs as
// root). The free-space guard must trip before RocksDB meets ENOSPC: writes
// get ResourceExhausted, the process lives, nothing acknowledged is lost, and
// once space is freed writing goes on, before and after a reopen.

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "engine/rocksdb/rocksdb_driver.h"
#include "gtest/gtest.h"
#include "tests/durability/workload.h"
#include "tests/testing/temp_dir.h"

namespace sessionlog {
namespace {

using durability::Ack;
using durability::Acked;

constexpr int64_t kMiB = 1 << 20;
constexpr int64_t kTmpfsBytes = 256 * kMiB;

// A tmpfs of kTmpfsBytes mounted on a fresh directory for the test's life.
class Tmpfs {
 public:
  Tmpfs() {
    if (geteuid() != 0) {
      error_ = "disk_full_test mounts a tmpfs and must run as root (CI does)";
      return;
    }
    // A private mount namespace: the mount disappears with the process,
    // however it ends (an abort, a death-test child), and never shows in the
    // host's mount table.
    static const int unshared =
        unshare(CLONE_NEWNS) == 0 &&
                mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0
            ? 0
            : errno;
    if (unshared != 0) {
      error_ = absl::StrCat("unshare(CLONE_NEWNS): ", std::strerror(unshared));
      return;
    }
    std::string options = absl::StrCat("size=", kTmpfsBytes);
    if (mount("tmpfs", dir_.path().c_str(), "tmpfs", 0, options.c_str()) != 0) {
      error_ = absl::StrCat("mount tmpfs on ", dir_.path(), ": ",
                            std::strerror(errno),
                            " (run as root, outside a sandbox that forbids "
                            "mounts: the target is tagged no-sandbox)");
      return;
    }
    mounted_ = true;
  }
  ~Tmpfs() {
    if (mounted_) umount2(dir_.path().c_str(), MNT_DETACH);
  }
  const std::string& error() const { return error_; }
  std::string Sub(const std::string& name) const { return dir_.Sub(name); }

 private:
  TempDir dir_;
  bool mounted_ = false;
  std::string error_;
};

// Writes `bytes` of incompressible data to `path`, or until the disk is full.
// Returns the bytes written.
int64_t WriteBallast(const std::string& path, int64_t bytes) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return 0;
  std::vector<char> chunk(kMiB);
  uint64_t x = 88172645463325252ull;
  for (char& c : chunk) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    c = static_cast<char>(x);
  }
  int64_t written = 0;
  while (written < bytes) {
    ssize_t n = write(fd, chunk.data(),
                      std::min<int64_t>(chunk.size(), bytes - written));
    if (n <= 0) break;
    written += n;
  }
  close(fd);
  return written;
}

// Free bytes of the file system holding `path`.
int64_t FreeBytes(const std::string& path) {
  struct statvfs fs;
  if (statvfs(path.c_str(), &fs) != 0) return 0;
  return static_cast<int64_t>(fs.f_bavail) * static_cast<int64_t>(fs.f_frsize);
}

// Runs the workload until a write fails or `max_steps`; returns the failure.
absl::Status WriteUntilRefused(SessionPersistDriver& driver, Acked* acked,
                               int max_steps, int64_t* steps_done) {
  auto writer = durability::Writer::Resume(driver, *steps_done + 1);
  if (!writer.ok()) return writer.status();
  for (int i = 0; i < max_steps; ++i) {
    absl::Status s =
        writer->Step(driver, [acked](const Ack& ack) { acked->Apply(ack); });
    if (!s.ok()) return s;
    ++*steps_done;
  }
  return absl::OkStatus();
}

void ExpectConsistent(SessionPersistDriver& driver, const Acked& acked) {
  durability::CheckResult check = durability::Check(driver, acked);
  EXPECT_TRUE(check.ok()) << check.Summary();
}

DriverOptions Options() {
  DriverOptions options =
      durability::WorkloadOptions(Durability::kProcessCrash);
  options.min_free_disk_bytes = 64 * kMiB;  // The default, stated.
  return options;
}

TEST(DiskFullTest, GuardTripsThenWritingResumesWhenSpaceIsFreed) {
  Tmpfs fs;
  ASSERT_TRUE(fs.error().empty()) << fs.error();
  const std::string store = fs.Sub("store");
  Acked acked;
  int64_t steps = 0;
  auto driver = OpenRocksDbDriver(store, Options());
  ASSERT_TRUE(driver.ok()) << driver.status();
  // Leave 20 MiB above the guard (RocksDB has already preallocated its WAL).
  const int64_t ballast =
      FreeBytes(store) - Options().min_free_disk_bytes - 20 * kMiB;
  ASSERT_GT(ballast, 0);
  ASSERT_EQ(WriteBallast(fs.Sub("ballast"), ballast), ballast);
  absl::SleepFor(absl::Milliseconds(250));  // The guard re-measures at 100 ms.
  absl::Status refused = WriteUntilRefused(**driver, &acked, 2'000'000, &steps);
  ASSERT_EQ(refused.code(), absl::StatusCode::kResourceExhausted) << refused;
  EXPECT_NE(refused.message().find("min_free_disk_bytes"), std::string::npos);
  const int64_t steps_before_full = steps;
  EXPECT_GT(steps_before_full, 1000);
  // Still refused, still alive, nothing lost.
  EXPECT_EQ(WriteUntilRefused(**driver, &acked, 10, &steps).code(),
            absl::StatusCode::kResourceExhausted);
  ExpectConsistent(**driver, acked);

  // Free space: writing goes on with the same handle...
  ASSERT_EQ(unlink(fs.Sub("ballast").c_str()), 0);
  absl::SleepFor(absl::Milliseconds(250));  // The guard re-measures at 100 ms.
  EXPECT_TRUE(WriteUntilRefused(**driver, &acked, 2000, &steps).ok());
  // ...and after a reopen.
  driver->reset();
  driver = OpenRocksDbDriver(store, Options());
  ASSERT_TRUE(driver.ok()) << driver.status();
  ExpectConsistent(**driver, acked);
  EXPECT_TRUE(WriteUntilRefused(**driver, &acked, 2000, &steps).ok());
  ExpectConsistent(**driver, acked);
  std::printf(
      "RESULT disk_full_test guard: tmpfs %lld MiB, %lld writes acknowledged "
      "before ResourceExhausted, %lld in all, 0 lost, resumed after freeing "
      "space\n",
      static_cast<long long>(kTmpfsBytes / kMiB),
      static_cast<long long>(steps_before_full), static_cast<long long>(steps));
}

TEST(DiskFullTest, AnotherProcessFillingTheDiskIsSurvived) {
  Tmpfs fs;
  ASSERT_TRUE(fs.error().empty()) << fs.error();
  const std::string store = fs.Sub("store");
  Acked acked;
  int64_t steps = 0;
  auto driver = OpenRocksDbDriver(store, Options());
  ASSERT_TRUE(driver.ok()) << driver.status();
  ASSERT_TRUE(WriteUntilRefused(**driver, &acked, 5000, &steps).ok());
  // Someone else takes every last byte.
  WriteBallast(fs.Sub("ballast"), kTmpfsBytes);
  absl::SleepFor(absl::Milliseconds(250));
  EXPECT_EQ(WriteUntilRefused(**driver, &acked, 10, &steps).code(),
            absl::StatusCode::kResourceExhausted);
  (*driver)->Flush().IgnoreError();  // May fail; must not abort.
  ExpectConsistent(**driver, acked);
  // Space comes back: the same handle writes again.
  ASSERT_EQ(unlink(fs.Sub("ballast").c_str()), 0);
  absl::SleepFor(absl::Milliseconds(250));
  EXPECT_TRUE(WriteUntilRefused(**driver, &acked, 100, &steps).ok());
  driver->reset();
  driver = OpenRocksDbDriver(store, Options());
  ASSERT_TRUE(driver.ok()) << driver.status();
  ExpectConsistent(**driver, acked);
  EXPECT_TRUE(WriteUntilRefused(**driver, &acked, 2000, &steps).ok());
  ExpectConsistent(**driver, acked);
}

// Regression: without the guard, RocksDB itself meets ENOSPC. It used to
// abort: RocksDB's info LOG lives on the same disk, its first failed append
// marked the logger's WritableFileWriter failed, and the next log line hit
// WritableFileWriter::AssertFalseAndGetStatusForPrevError, an assert() that is
// compiled in on Debian. The engine now logs through a logger that ignores
// write errors (engine/rocksdb/info_log.h). Runs in a child process, so that
// an abort fails this test instead of killing the suite.
TEST(DiskFullDeathTest, WithoutTheGuardAFullDiskIsAnErrorNotAnAbort) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  Tmpfs fs;
  ASSERT_TRUE(fs.error().empty()) << fs.error();
  const std::string store = fs.Sub("store");
  auto scenario = [&] {
    DriverOptions options = Options();
    options.min_free_disk_bytes = 0;  // Guard off.
    Acked acked;
    int64_t steps = 0;
    {
      auto driver = OpenRocksDbDriver(store, options);
      if (!driver.ok()) std::_Exit(2);
      WriteBallast(fs.Sub("ballast"), kTmpfsBytes);  // Every last byte.
      absl::Status s = WriteUntilRefused(**driver, &acked, 10'000'000, &steps);
      if (s.ok()) std::_Exit(3);  // The disk never filled.
      (*driver)->Flush().IgnoreError();
    }
    unlink(fs.Sub("ballast").c_str());
    auto driver = OpenRocksDbDriver(store, options);
    if (!driver.ok()) std::_Exit(4);
    if (!durability::Check(**driver, acked).ok()) std::_Exit(5);
    std::_Exit(0);
  };
  EXPECT_EXIT(scenario(), ::testing::ExitedWithCode(0), "");
}

// Regression: closing a store while another process has filled the disk
// aborted in DBImpl::CloseHelper's log lines (the same assert as above).
TEST(DiskFullDeathTest, ClosingOnAFullDiskIsNotAnAbort) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  Tmpfs fs;
  ASSERT_TRUE(fs.error().empty()) << fs.error();
  const std::string store = fs.Sub("store");
  auto scenario = [&] {
    Acked acked;
    int64_t steps = 0;
    auto driver = OpenRocksDbDriver(store, Options());
    if (!driver.ok()) std::_Exit(2);
    if (!WriteUntilRefused(**driver, &acked, 1000, &steps).ok()) std::_Exit(3);
    WriteBallast(fs.Sub("ballast"), kTmpfsBytes);
    driver->reset();
    std::_Exit(0);
  };
  EXPECT_EXIT(scenario(), ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace sessionlog
