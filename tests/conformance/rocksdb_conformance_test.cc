// The conformance suite against the embedded RocksDB event log. Each test gets
// a fresh store in its own directory.

#include <filesystem>
#include <string>

#include "engine/rocksdb/rocksdb_driver.h"
#include "tests/conformance/driver_conformance.h"
#include "tests/testing/temp_dir.h"

namespace sessionlog {
namespace {

class RocksDbHarness : public DriverHarness {
 public:
  static BackendCapabilities Capabilities() { return AllCapabilities(); }

  absl::StatusOr<std::unique_ptr<SessionPersistDriver>> Open(
      const DriverOptions& options) override {
    DriverOptions local = options;
    // Test machines may have little free disk; the free-space guard has its
    // own tests.
    local.min_free_disk_bytes = 0;
    return OpenRocksDbDriver(store(), local);
  }

  absl::StatusOr<bool> StoreExists() override {
    return std::filesystem::exists(store());
  }

 private:
  std::string store() const { return dir_.Sub("store"); }

  TempDir dir_;
};

}  // namespace

SESSIONLOG_CONFORMANCE_TEST(RocksDb, RocksDbHarness);

}  // namespace sessionlog
