// The real sandbox-agent server binary, run by a test on a free port of
// 127.0.0.1, with a HOME of its own (where it installs agents), and killed
// at the end.
//
// The binary is found through SANDBOX_AGENT_BIN, which tools/scripts/test.sh
// passes to every test (the npm package @sandbox-agent/cli-linux-x64@0.4.2).
// Start fails with FailedPrecondition, naming the variable, when it is
// missing: CI always provides it.

#ifndef SESSIONLOG_TESTS_E2E_SERVER_PROCESS_H_
#define SESSIONLOG_TESTS_E2E_SERVER_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace sessionlog {

class ServerProcess {
 public:
  // Starts the server (with --token when `token` is not empty, else
  // --no-token), waits until it answers /v1/health, and installs the built-in
  // mock agent.
  static absl::StatusOr<std::unique_ptr<ServerProcess>> Start(
      std::string token = "");

  ~ServerProcess();  // Kill().

  // kill -9, and waits for the process. Idempotent.
  void Kill();

  // Starts it again on the same port and HOME (after Kill).
  absl::Status Restart();

  // Replaces the mock agent with tests/agent/scripted_agent.mjs (a data
  // dependency of the test), run by node (SESSIONLOG_NODE, else `node` on
  // PATH). Agent processes started afterwards run it.
  absl::Status InstallScriptedAgent();

  // The server's HOME.
  const std::string& home() const { return home_; }

  bool running() const { return pid_ > 0; }
  int port() const { return port_; }
  std::string base_url() const;

 private:
  ServerProcess() = default;
  absl::Status Launch();

  std::string binary_;
  std::string token_;
  std::string home_;
  std::string log_path_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace sessionlog

#endif  // SESSIONLOG_TESTS_E2E_SERVER_PROCESS_H_
