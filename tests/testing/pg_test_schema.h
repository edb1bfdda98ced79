// For tests against a live Postgres (tag them "external"): the server named
// by the environment variable SESSIONLOG_PG_URI (tools/scripts/test.sh starts
// a throwaway one), and a fresh schema per object, dropped with everything in
// it when the object goes away, so that test runs never see each other.

#ifndef SESSIONLOG_TESTS_TESTING_PG_TEST_SCHEMA_H_
#define SESSIONLOG_TESTS_TESTING_PG_TEST_SCHEMA_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace sessionlog {

// SESSIONLOG_PG_URI, or FailedPrecondition saying how to provide it (CI
// always does, so a test must fail rather than skip without it).
absl::StatusOr<std::string> PgTestUri();

class PgTestSchema {
 public:
  // A schema name no other test uses: "sl_test_<pid>_<counter>_<random>".
  PgTestSchema();
  ~PgTestSchema();  // DROP SCHEMA ... CASCADE (errors ignored).
  PgTestSchema(const PgTestSchema&) = delete;
  PgTestSchema& operator=(const PgTestSchema&) = delete;

  const std::string& name() const { return name_; }

  // Whether the schema exists on the server (a driver has created it).
  absl::StatusOr<bool> Exists() const;

  // Runs one SQL statement on the test server outside any driver (for tests
  // that play another program writing the tables). Errors as Internal.
  static absl::Status Exec(const std::string& sql);
  // Runs one query on the test server and returns the first column of each
  // row as text ("NULL" for SQL NULL). Errors as Internal.
  static absl::StatusOr<std::vector<std::string>> Query(const std::string& sql);

 private:
  std::string name_;
};

}  // namespace sessionlog

#endif  // SESSIONLOG_TESTS_TESTING_PG_TEST_SCHEMA_H_
