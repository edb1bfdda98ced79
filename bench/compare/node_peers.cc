#include "bench/compare/node_peers.h"

#include <cstdlib>
#include <filesystem>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "bench/event_stream.h"

namespace sessionlog::bench {
namespace {

bool HasPackages(const std::string& node_modules) {
  return std::filesystem::exists(node_modules +
                                 "/sandbox-agent/package.json") &&
         std::filesystem::exists(node_modules + "/better-sqlite3/package.json");
}

std::string Home() {
  const char* home = getenv("HOME");
  return home ? home : "/root";
}

}  // namespace

absl::StatusOr<std::string> EnsureNodeModules(const std::string& wanted) {
  if (system("command -v node >/dev/null 2>&1") != 0) {
    return absl::FailedPreconditionError("node is not on PATH");
  }
  if (!wanted.empty()) {
    if (HasPackages(wanted)) return wanted;
    return absl::FailedPreconditionError(absl::StrCat(
        "--node_modules=", wanted,
        " lacks sandbox-agent or better-sqlite3; install them with npm "
        "install --prefix <parent> sandbox-agent@0.4.2 better-sqlite3@12"));
  }
  // Where tools/scripts/services.sh installs tests/sdk's lockfile: the same
  // pinned SDK and driver versions the tests use, never an unpinned install.
  const char* cache = getenv("SESSIONLOG_CACHE");
  const std::string pinned = absl::StrCat(cache ? cache : Home() + "/.cache",
                                          "/sessionlog-oracle/node_modules");
  if (HasPackages(pinned)) return pinned;
  return absl::FailedPreconditionError(absl::StrCat(
      pinned,
      " lacks the pinned sandbox-agent and better-sqlite3: install them with "
      "`source tools/scripts/services.sh; install_node_packages $PWD` (from "
      "tests/sdk/package-lock.json), or pass --node_modules=DIR"));
}

absl::StatusOr<std::string> NodePeerScript(const std::string& wanted) {
  if (!wanted.empty()) {
    if (std::filesystem::exists(wanted)) return wanted;
    return absl::NotFoundError(
        absl::StrCat("--node_script=", wanted, ": no such file"));
  }
  const std::string relative = "sessionlog/bench/node/ts_peer.mjs";
  std::vector<std::string> candidates;
  if (const char* dir = getenv("RUNFILES_DIR")) {
    candidates.push_back(absl::StrCat(dir, "/", relative));
  }
  std::error_code ec;
  const std::string self =
      std::filesystem::read_symlink("/proc/self/exe", ec).string();
  candidates.push_back(absl::StrCat(self, ".runfiles/", relative));
  if (const char* ws = getenv("BUILD_WORKSPACE_DIRECTORY")) {
    candidates.push_back(absl::StrCat(ws, "/bench/node/ts_peer.mjs"));
  }
  candidates.push_back("bench/node/ts_peer.mjs");  // Run from the workspace.
  for (const std::string& c : candidates) {
    if (std::filesystem::exists(c)) return std::filesystem::absolute(c);
  }
  return absl::NotFoundError(
      "bench/node/ts_peer.mjs not found (looked in the runfiles and the "
      "current directory); run the harness with `bazel run`, from the "
      "workspace, or pass --node_script");
}

absl::StatusOr<std::string> NodeWorkloadFiles::File(const WorkloadSpec& spec,
                                                    int64_t rounds) {
  const std::string key =
      absl::StrCat(spec.sessions, "x", spec.events_per_session, "-",
                   spec.payload_bytes, "-", spec.seed, "-", rounds);
  auto it = written_.find(key);
  if (it != written_.end()) return it->second;
  const std::string path = absl::StrCat(dir_, "/workload-", key, ".jsonl");
  const Workload workload(spec);
  EventStream stream(workload, rounds);
  if (absl::Status st = stream.WriteJsonLines(spec.total_events(), path);
      !st.ok()) {
    return st;
  }
  written_[key] = path;
  return path;
}

absl::StatusOr<nlohmann::json> NodeWorkloadFiles::For(
    const std::string& phase, const PhaseConfig& config) {
  if (phase == "standard") {
    absl::StatusOr<std::string> file = File(config.spec, config.rounds_in_pool);
    if (!file.ok()) return file.status();
    return nlohmann::json{{"workload", *file}};
  }
  if (phase == "replay") {
    nlohmann::json lengths = nlohmann::json::array();
    for (int64_t length : config.replay_lengths) {
      absl::StatusOr<std::string> file =
          File(ReplaySpec(config, length), ReplayRounds(config, length));
      if (!file.ok()) return file.status();
      lengths.push_back({{"length", length}, {"file", *file}});
    }
    return nlohmann::json{{"lengths", lengths}};
  }
  return absl::InvalidArgumentError(
      absl::StrCat("node peers do not run phase ", phase));
}

}  // namespace sessionlog::bench
