#include "engine/postgres/pg_test_schema.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <exception>
#include <pqxx/pqxx>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"

namespace sessionlog {

absl::StatusOr<std::string> PgTestUri() {
  const char* uri = std::getenv("SESSIONLOG_PG_URI");
  if (uri == nullptr || *uri == '\0') {
    return absl::FailedPreconditionError(
        "SESSIONLOG_PG_URI is not set: this test needs a live Postgres. Run "
        "`source tools/scripts/services.sh; start_postgres` and pass "
        "--test_env=SESSIONLOG_PG_URI=$SESSIONLOG_PG_URI "
        "(tools/scripts/test.sh "
        "does both)");
  }
  return std::string(uri);
}

PgTestSchema::PgTestSchema() {
  static std::atomic<int> counter{0};
  absl::BitGen gen;
  name_ = absl::StrCat("sl_test_", getpid(), "_", counter++, "_",
                       absl::Uniform<uint32_t>(gen));
}

PgTestSchema::~PgTestSchema() {
  Exec(absl::StrCat("DROP SCHEMA IF EXISTS \"", name_, "\" CASCADE"))
      .IgnoreError();
}

absl::Status PgTestSchema::Exec(const std::string& sql) {
  absl::StatusOr<std::string> uri = PgTestUri();
  if (!uri.ok()) return uri.status();
  try {
    pqxx::connection conn(*uri);
    pqxx::nontransaction txn(conn);
    txn.exec(sql);
    return absl::OkStatus();
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("postgres: ", e.what()));
  }
}

}  // namespace sessionlog
