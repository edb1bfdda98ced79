// The conformance suite against SQLite ("sqlite:FILE"), persistence across
// reopen included. Each test gets a fresh file in its own directory.

#include <string>

#include "engine/sqlite/sqlite_driver.h"
#include "tests/conformance/driver_conformance.h"
#include "tests/fault/temp_dir.h"

namespace sessionlog {
namespace {

class SqliteHarness : public DriverHarness {
 public:
  absl::StatusOr<std::unique_ptr<SessionPersistDriver>> Open(
      const DriverOptions& options) override {
    return OpenSqliteDriver(dir_.path() + "/store.sqlite", options);
  }

 private:
  TempDir dir_;
};

}  // namespace

SESSIONLOG_DURABLE_CONFORMANCE_TEST(Sqlite, SqliteHarness);

}  // namespace sessionlog
