#include "tests/testing/pg_test_schema.h"

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

absl::StatusOr<bool> PgTestSchema::Exists() const {
  absl::StatusOr<std::vector<std::string>> found = Query(
      absl::StrCat("SELECT 1 FROM pg_namespace WHERE nspname = '", name_, "'"));
  if (!found.ok()) return found.status();
  return !found->empty();
}

absl::StatusOr<std::vector<std::string>> PgTestSchema::Query(
    const std::string& sql) {
  absl::StatusOr<std::string> uri = PgTestUri();
  if (!uri.ok()) return uri.status();
  try {
    pqxx::connection conn(*uri);
    pqxx::nontransaction txn(conn);
    std::vector<std::string> column;
    for (const pqxx::row& row : txn.exec(sql)) {
      column.push_back(row[0].is_null() ? "NULL" : row[0].c_str());
    }
    return column;
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("postgres: ", e.what()));
  }
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
