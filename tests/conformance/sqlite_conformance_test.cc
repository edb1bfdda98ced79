// The conformance suite against SQLite ("sqlite:FILE"). Each test gets a
// fresh file in its own directory.

#include <filesystem>
#include <string>

#include "engine/sqlite/sqlite_driver.h"
#include "tests/conformance/driver_conformance.h"
#include "tests/testing/temp_dir.h"

namespace sessionlog {
namespace {

class SqliteHarness : public DriverHarness {
 public:
  static BackendCapabilities Capabilities() {
    BackendCapabilities caps = AllCapabilities();
    caps.records_no_limits = Supported();
    return caps;
  }

  absl::StatusOr<std::unique_ptr<SessionPersistDriver>> Open(
      const DriverOptions& options) override {
    return OpenSqliteDriver(file(), options);
  }

  absl::StatusOr<bool> StoreExists() override {
    return std::filesystem::exists(file());
  }

 private:
  std::string file() const { return dir_.Sub("store.sqlite"); }

  TempDir dir_;
};

}  // namespace

SESSIONLOG_CONFORMANCE_TEST(Sqlite, SqliteHarness);

}  // namespace sessionlog
