// The TS peers run under node (bench/node/ts_peer.mjs): the SDK's own
// InMemorySessionPersistDriver, and the SDK's SQLite example driver on
// better-sqlite3. This file finds node, the npm packages (installing them
// into a cache when missing) and the script, and writes the workload as JSON
// Lines for them to read.

#ifndef SESSIONLOG_BENCH_COMPARE_NODE_PEERS_H_
#define SESSIONLOG_BENCH_COMPARE_NODE_PEERS_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "bench/compare/phases.h"
#include "nlohmann/json.hpp"

namespace sessionlog::bench {

// A node_modules directory holding sandbox-agent@0.4.2 and better-sqlite3@12:
// `wanted` if given, else the oracle's cache when it has both, else
// $HOME/.cache/sessionlog-bench, installed there with npm when missing.
// FailedPrecondition when node or npm is missing or the install fails.
absl::StatusOr<std::string> EnsureNodeModules(const std::string& wanted);

// Path of bench/node/ts_peer.mjs: `wanted` if given, else from the runfiles
// or the workspace. NotFound, saying what to do, when there is none.
absl::StatusOr<std::string> NodePeerScript(const std::string& wanted);

// The JSON Lines files a node peer reads for a phase, written once per
// distinct workload and shared by the node peers.
class NodeWorkloadFiles {
 public:
  explicit NodeWorkloadFiles(std::string dir) : dir_(std::move(dir)) {}

  // standard: {"workload": FILE}; replay: {"lengths": [{"length", "file"}]}.
  absl::StatusOr<nlohmann::json> For(const std::string& phase,
                                     const PhaseConfig& config);

 private:
  absl::StatusOr<std::string> File(const WorkloadSpec& spec, int64_t rounds);

  std::string dir_;
  std::map<std::string, std::string> written_;  // workload key -> file
};

}  // namespace sessionlog::bench

#endif  // SESSIONLOG_BENCH_COMPARE_NODE_PEERS_H_
