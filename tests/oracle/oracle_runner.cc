#include "tests/oracle/oracle_runner.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "tests/testing/temp_dir.h"

namespace sessionlog {

namespace {

// The harness named by SESSIONLOG_ORACLE, else the one in the runfiles (a
// data dependency of this library), so that a plain `bazel test` of a
// differential test needs nothing but the installed npm packages.
absl::StatusOr<std::string> HarnessPath() {
  const char* set = std::getenv("SESSIONLOG_ORACLE");
  if (set != nullptr && *set != '\0') {
    if (access(set, R_OK) != 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          "SESSIONLOG_ORACLE=", set,
          " is not a readable file; it names the SDK harness, "
          "tests/sdk/sdk_harness.mjs of a checkout, by an absolute path"));
    }
    return std::string(set);
  }
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  if (srcdir != nullptr && workspace != nullptr) {
    std::string path =
        absl::StrCat(srcdir, "/", workspace, "/tests/sdk/sdk_harness.mjs");
    if (access(path.c_str(), R_OK) == 0) return path;
  }
  return absl::FailedPreconditionError(
      "the SDK harness tests/sdk/sdk_harness.mjs is not in the runfiles "
      "(run the test with `bazel test`) and SESSIONLOG_ORACLE is not set: pass "
      "--test_env=SESSIONLOG_ORACLE=$PWD/tests/sdk/sdk_harness.mjs");
}

}  // namespace

absl::StatusOr<std::vector<nlohmann::json>> RunOracle(
    const std::vector<std::string>& op_lines) {
  absl::StatusOr<std::string> harness = HarnessPath();
  if (!harness.ok()) return harness.status();
  const std::string& oracle = *harness;
  const std::string dir = MakeTempDirectory("oracle");
  const std::string in_path = dir + "/in.jsonl";
  const std::string out_path = dir + "/out.jsonl";
  const std::string err_path = dir + "/err";
  {
    std::ofstream in(in_path, std::ios::binary);
    for (const std::string& line : op_lines) in << line << '\n';
    if (!in) return absl::InternalError("cannot write " + in_path);
  }
  std::string command =
      absl::StrCat("node '", oracle, "' < '", in_path, "' > '", out_path,
                   "' 2> '", err_path, "'");
  int rc = std::system(command.c_str());
  auto slurp = [](const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  };
  if (rc != 0) {
    return absl::InternalError(absl::StrCat(
        "the SDK harness failed (`", command, "` returned ", rc,
        "; is node on PATH, and have the npm packages been installed with "
        "`source tools/scripts/services.sh; install_node_packages $PWD`?): ",
        slurp(err_path)));
  }
  std::vector<nlohmann::json> results;
  std::ifstream out(out_path, std::ios::binary);
  std::string line;
  while (std::getline(out, line)) {
    if (line.empty()) continue;
    nlohmann::json parsed = nlohmann::json::parse(line, nullptr, false);
    if (parsed.is_discarded()) {
      return absl::InternalError(
          "the SDK harness printed a line that is not JSON: " +
          line.substr(0, 200));
    }
    results.push_back(std::move(parsed));
  }
  if (results.size() != op_lines.size()) {
    return absl::InternalError(absl::StrCat(
        "the SDK harness answered ", results.size(), " lines for ",
        op_lines.size(), " operations; stderr: ", slurp(err_path)));
  }
  std::remove(in_path.c_str());
  std::remove(out_path.c_str());
  std::remove(err_path.c_str());
  return results;
}

}  // namespace sessionlog
