// The conformance suite's stress run (tests/conformance/stress.h) at full
// scale on the embedded RocksDB store and the memory store: 8 writer threads
// on 3 shared sessions with the limits on, 2 readers and a churn thread that
// keeps eviction running. Also the ThreadSanitizer target (--config=tsan, see
// docs/RELIABILITY.md).

#include "tests/conformance/stress.h"

#include "engine/memory/memory_driver.h"
#include "engine/rocksdb/rocksdb_driver.h"
#include "gtest/gtest.h"
#include "tests/testing/temp_dir.h"

namespace sessionlog {
namespace {

TEST(StressTest, RocksDbSharedSessionsUnderLimitsLoseAndDuplicateNothing) {
  TempDir dir;
  const conformance::StressConfig config;
  DriverOptions options = conformance::StressOptions(config);
  options.min_free_disk_bytes = 0;  // The free-space guard has its own tests.
  auto opened = OpenRocksDbDriver(dir.Sub("store"), options);
  ASSERT_TRUE(opened.ok()) << opened.status();
  conformance::RunStress(**opened, config);
}

TEST(StressTest, MemorySharedSessionsUnderLimitsLoseAndDuplicateNothing) {
  const conformance::StressConfig config;
  auto opened = OpenMemoryDriver(conformance::StressOptions(config));
  ASSERT_TRUE(opened.ok()) << opened.status();
  conformance::RunStress(**opened, config);
}

}  // namespace
}  // namespace sessionlog
