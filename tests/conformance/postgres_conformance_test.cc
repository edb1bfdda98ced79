// The conformance suite against Postgres (SESSIONLOG_PG_URI), persistence
// across reopen included. Each test gets a fresh schema on the shared server.

#include <string>

#include "engine/postgres/pg_test_schema.h"
#include "engine/postgres/postgres_driver.h"
#include "tests/conformance/driver_conformance.h"

namespace sessionlog {
namespace {

class PostgresHarness : public DriverHarness {
 public:
  absl::StatusOr<std::unique_ptr<SessionPersistDriver>> Open(
      const DriverOptions& options) override {
    absl::StatusOr<std::string> uri = PgTestUri();
    if (!uri.ok()) return uri.status();
    DriverOptions local = options;
    local.postgres_schema = schema_.name();
    return OpenPostgresDriver(*uri, local);
  }

 private:
  PgTestSchema schema_;
};

}  // namespace

SESSIONLOG_DURABLE_CONFORMANCE_TEST(Postgres, PostgresHarness);

}  // namespace sessionlog
