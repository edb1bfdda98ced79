// Runs the reference oracle (../shared/oracle/oracle.mjs: the real
// sandbox-agent SDK under node) over a batch of operations, for differential
// tests. One node process serves a whole batch, so thousands of cases cost
// about a second.
//
// The oracle is found through the environment variable SESSIONLOG_ORACLE (an
// absolute path to oracle.mjs), which tools/scripts/test.sh passes to every
// test; the SDK itself is under $HOME/.cache/sessionlog-oracle. A test that
// needs the oracle fails, naming the variable, when it is missing: CI always
// provides it.

#ifndef SESSIONLOG_TESTS_ORACLE_ORACLE_RUNNER_H_
#define SESSIONLOG_TESTS_ORACLE_ORACLE_RUNNER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace sessionlog {

// Feeds `op_lines` (one JSON operation each, see the oracle's README) to the
// oracle and returns its output lines, parsed, one per operation in order.
// FailedPrecondition when SESSIONLOG_ORACLE or node is missing; Internal when
// the oracle exits abnormally or answers a different number of lines.
absl::StatusOr<std::vector<nlohmann::json>> RunOracle(
    const std::vector<std::string>& op_lines);

}  // namespace sessionlog

#endif  // SESSIONLOG_TESTS_ORACLE_ORACLE_RUNNER_H_
