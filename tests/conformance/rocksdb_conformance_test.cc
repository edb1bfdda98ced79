// The conformance suite against the embedded RocksDB event log, persistence
// across reopen included. Each test gets a fresh store in its own directory.

#include <string>

#include "engine/rocksdb/rocksdb_driver.h"
#include "tests/conformance/driver_conformance.h"
#include "tests/fault/temp_dir.h"

namespace sessionlog {
namespace {

class RocksDbHarness : public DriverHarness {
 public:
  absl::StatusOr<std::unique_ptr<SessionPersistDriver>> Open(
      const DriverOptions& options) override {
    DriverOptions local = options;
    // Test machines may have little free disk; the free-space guard has its
    // own tests.
    local.min_free_disk_bytes = 0;
    return OpenRocksDbDriver(dir_.path() + "/store", local);
  }

 private:
  TempDir dir_;
};

}  // namespace

SESSIONLOG_DURABLE_CONFORMANCE_TEST(RocksDb, RocksDbHarness);

}  // namespace sessionlog
