#include "tests/cli/cli_fixture.h"

namespace sessionlog {
namespace cli_test {

void CliStoreTest::UseFreshStore(const std::string& backend) {
  backend_ = backend;
  db_ = FreshUri(backend);
  store_flags_ = {"--db", db_};
  if (backend == "postgres") {
    store_flags_.push_back("--pg-schema");
    store_flags_.push_back(schemas_.back()->name());
  }
}

std::string CliStoreTest::FreshUri(const std::string& backend) {
  if (backend == "rocksdb") return "rocksdb:" + FreshDir("store") + "/db";
  if (backend == "sqlite") return "sqlite:" + FreshDir("store") + "/db.sqlite";
  if (backend == "postgres") {
    absl::StatusOr<std::string> uri = PgTestUri();
    // A fatal failure in SetUp skips the test body: no point running every
    // command against a server that is not there.
    if (!uri.ok()) [&] { FAIL() << uri.status(); }();
    schemas_.push_back(std::make_unique<PgTestSchema>());
    return uri.ok() ? *uri : "postgresql://missing-SESSIONLOG_PG_URI";
  }
  ADD_FAILURE() << "unknown backend " << backend;
  return "";
}

std::vector<std::string> CliStoreTest::WithStore(
    std::vector<std::string> args) const {
  args.insert(args.begin(), store_flags_.begin(), store_flags_.end());
  return args;
}

CliResult CliStoreTest::Run(std::vector<std::string> args,
                            const std::string& in) {
  return RunCli(WithStore(std::move(args)), in);
}

void CliStoreTest::ImportFixture() {
  CliResult r = Run({"import", TestdataPath("sessions.jsonl")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

std::string CliStoreTest::Golden(const std::string& name) {
  return ReadFile(TestdataPath("golden/" + name));
}

Json CliStoreTest::ParseJson(const CliResult& result) {
  Json json = Json::parse(result.out, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(json.is_discarded())
      << "not JSON: " << result.out << "\nstderr: " << result.err;
  return json;
}

}  // namespace cli_test
}  // namespace sessionlog
