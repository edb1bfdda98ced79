// Runs the SDK harness (tests/sdk/sdk_harness.mjs: the real sandbox-agent SDK
// under node) over a batch of operations, for differential tests. One node
// process serves a whole batch, so thousands of cases cost about a second.
//
// The harness is the one in this test's runfiles, or the file named by the
// environment variable SESSIONLOG_ORACLE (an absolute path) when it is set;
// tools/scripts/test.sh sets it to the harness of the checkout it runs. The
// npm packages come from install_node_packages (tools/scripts/services.sh),
// which installs tests/sdk/package-lock.json under
// $HOME/.cache/sessionlog-oracle, where the harness looks unless
// SESSIONLOG_NODE_MODULES says otherwise. A test that needs the harness fails,
// saying what is missing, without them: CI always provides them.

#ifndef SESSIONLOG_TESTS_ORACLE_ORACLE_RUNNER_H_
#define SESSIONLOG_TESTS_ORACLE_ORACLE_RUNNER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace sessionlog {

// Feeds `op_lines` (one JSON operation each, see tests/sdk/sdk_harness.mjs)
// to the harness and returns its output lines, parsed, one per operation in
// order. FailedPrecondition when the harness cannot be found; Internal when
// node or the npm packages are missing, the harness exits abnormally, or it
// answers a different number of lines.
absl::StatusOr<std::vector<nlohmann::json>> RunOracle(
    const std::vector<std::string>& op_lines);

}  // namespace sessionlog

#endif  // SESSIONLOG_TESTS_ORACLE_ORACLE_RUNNER_H_
