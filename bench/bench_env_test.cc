#include "bench/bench_env.h"

#include <fcntl.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/testing/temp_dir.h"

namespace sessionlog::bench {
namespace {

TEST(BenchEnvTest, CpuTimeGrowsWithWork) {
  const int64_t before = ProcessCpuMicros();
  volatile uint64_t sink = 0;
  const int64_t until = before + 20000;
  while (ProcessCpuMicros() < until) {
    for (int i = 0; i < 100000; ++i) sink = sink + i;
  }
  EXPECT_GE(ProcessCpuMicros() - before, 20000);
}

TEST(BenchEnvTest, StorageWritesCountWhatWasSynced) {
  if (StorageWriteBytes() < 0) GTEST_SKIP() << "no /proc/self/io";
  TempDir dir;
  const int64_t before = StorageWriteBytes();
  const std::string path = dir.Sub("file");
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ASSERT_GE(fd, 0);
  std::vector<char> data(4 << 20, 'x');
  ASSERT_EQ(write(fd, data.data(), data.size()),
            static_cast<ssize_t>(data.size()));
  ASSERT_EQ(fdatasync(fd), 0);
  close(fd);
  const int64_t written = StorageWriteBytes() - before;
  // tmpfs dirties no block device; every other file system counts the pages.
  if (written == 0) GTEST_SKIP() << "the scratch directory is not on a disk";
  EXPECT_GE(written, static_cast<int64_t>(data.size()));
}

TEST(BenchEnvTest, SequentialWriteBandwidthIsMeasuredAndCleanedUp) {
  TempDir dir;
  absl::StatusOr<double> rate =
      SequentialWriteBytesPerSecond(dir.path(), 8 << 20);
  ASSERT_TRUE(rate.ok()) << rate.status();
  EXPECT_GT(*rate, 0);
  EXPECT_NE(access(dir.Sub("sequential-write-probe").c_str(), F_OK), 0);
}

TEST(BenchEnvTest, SequentialWriteRefusesBadInput) {
  TempDir dir;
  absl::StatusOr<double> none = SequentialWriteBytesPerSecond(dir.path(), 0);
  EXPECT_EQ(none.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string missing = dir.Sub("no/such/dir");
  absl::StatusOr<double> nowhere =
      SequentialWriteBytesPerSecond(missing, 1 << 20);
  ASSERT_FALSE(nowhere.ok());
  EXPECT_NE(nowhere.status().message().find(missing), std::string::npos)
      << nowhere.status();
}

}  // namespace
}  // namespace sessionlog::bench
