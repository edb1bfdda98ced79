// A test fixture that gives each test a fresh store of one backend and runs
// the sessionlog binary against it.

#ifndef SESSIONLOG_TESTS_CLI_CLI_FIXTURE_H_
#define SESSIONLOG_TESTS_CLI_CLI_FIXTURE_H_

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/cli/cli_runner.h"
#include "tests/testing/pg_test_schema.h"

namespace sessionlog {
namespace cli_test {

// Exit codes as docs/CLI.md documents them.
inline constexpr int kUsage = 2, kStoreUnavailable = 3, kNotFound = 4,
                     kBadInput = 5, kVerifyFailed = 6;

using Json = nlohmann::json;

class CliStoreTest : public ::testing::Test {
 protected:
  // A fresh, empty store: "rocksdb" and "sqlite" in $TEST_TMPDIR, "postgres"
  // in a fresh schema of $SESSIONLOG_PG_URI (the test fails without it).
  void UseFreshStore(const std::string& backend);

  // --db <the store> [--pg-schema S] args...
  std::vector<std::string> WithStore(std::vector<std::string> args) const;
  // sessionlog --db <the store> [--pg-schema S] args...
  CliResult Run(std::vector<std::string> args, const std::string& in = "");

  // Imports testdata/sessions.jsonl.
  void ImportFixture();

  // The URI of another fresh store of `backend`, for migrate.
  std::string FreshUri(const std::string& backend);

  static std::string Golden(const std::string& name);
  static Json ParseJson(const CliResult& result);

  std::string backend_;
  std::string db_;
  std::vector<std::string> store_flags_;  // --db URI [--pg-schema S]

 private:
  std::vector<std::unique_ptr<PgTestSchema>> schemas_;
};

}  // namespace cli_test
}  // namespace sessionlog

#endif  // SESSIONLOG_TESTS_CLI_CLI_FIXTURE_H_
