// The conformance suite against Postgres (SESSIONLOG_PG_URI). Each test gets
// a fresh schema on the shared server.

#include <string>

#include "engine/postgres/postgres_driver.h"
#include "tests/conformance/driver_conformance.h"
#include "tests/testing/pg_test_schema.h"

namespace sessionlog {
namespace {

class PostgresHarness : public DriverHarness {
 public:
  static BackendCapabilities Capabilities() {
    BackendCapabilities caps;
    caps.durable = Supported();
    caps.read_only = Supported();
    caps.records_no_limits = Supported();
    caps.create_if_missing = NotSupported(
        "create_if_missing is for embedded stores: a Postgres writer always "
        "creates its schema and tables (a read-only open never does)");
    caps.compact_reclaims_disk = NotSupported(
        "Compact runs plain VACUUM, which keeps the space of deleted rows in "
        "the tables for reuse instead of giving it back");
    return caps;
  }

  absl::StatusOr<std::unique_ptr<SessionPersistDriver>> Open(
      const DriverOptions& options) override {
    absl::StatusOr<std::string> uri = PgTestUri();
    if (!uri.ok()) return uri.status();
    DriverOptions local = options;
    local.postgres_schema = schema_.name();
    return OpenPostgresDriver(*uri, local);
  }

  absl::StatusOr<bool> StoreExists() override { return schema_.Exists(); }

 private:
  PgTestSchema schema_;
};

}  // namespace

SESSIONLOG_CONFORMANCE_TEST(Postgres, PostgresHarness);

}  // namespace sessionlog
