#include "tests/e2e/server_process.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "httplib.h"
#include "tests/testing/temp_dir.h"

namespace sessionlog {
namespace {

absl::StatusOr<int> FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return absl::InternalError("socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    return absl::InternalError("cannot bind a free port on 127.0.0.1");
  }
  int port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

std::string Slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace

absl::StatusOr<std::unique_ptr<ServerProcess>> ServerProcess::Start(
    std::string token) {
  const char* binary = std::getenv("SANDBOX_AGENT_BIN");
  if (binary == nullptr || *binary == '\0') {
    return absl::FailedPreconditionError(
        "SANDBOX_AGENT_BIN is not set: pass --test_env=SANDBOX_AGENT_BIN=/abs/"
        "path/to/sandbox-agent (tools/scripts/test.sh does; `source "
        "tools/scripts/services.sh; install_node_packages $PWD` installs it "
        "under ~/.cache/sessionlog-server)");
  }
  if (access(binary, X_OK) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("SANDBOX_AGENT_BIN=", binary, " is not executable"));
  }
  std::unique_ptr<ServerProcess> server(new ServerProcess());
  server->binary_ = binary;
  server->token_ = std::move(token);
  server->home_ = MakeTempDirectory("sandbox-agent");
  server->log_path_ = server->home_ + "/server.log";
  absl::StatusOr<int> port = FreePort();
  if (!port.ok()) return port.status();
  server->port_ = *port;
  absl::Status s = server->Launch();
  if (!s.ok()) return s;
  // The built-in echo agent; it stays installed in this HOME across restarts.
  httplib::Client http(absl::StrCat("http://127.0.0.1:", server->port_));
  httplib::Headers headers;
  if (!server->token_.empty()) {
    headers.emplace("Authorization", "Bearer " + server->token_);
  }
  httplib::Result installed =
      http.Post("/v1/agents/mock/install", headers, "{}", "application/json");
  if (!installed || installed->status != 200) {
    return absl::InternalError(absl::StrCat(
        "installing the mock agent failed: ",
        installed ? installed->body : httplib::to_string(installed.error())));
  }
  return server;
}

absl::Status ServerProcess::Launch() {
  std::string port = std::to_string(port_);
  std::vector<std::string> args = {binary_,  "server",    "--no-telemetry",
                                   "--host", "127.0.0.1", "--port",
                                   port};
  if (token_.empty()) {
    args.push_back("--no-token");
  } else {
    args.push_back("--token");
    args.push_back(token_);
  }
  pid_t pid = fork();
  if (pid < 0) return absl::InternalError("fork failed");
  if (pid == 0) {
    // Its own process group, so that Kill also takes the agent processes.
    setpgid(0, 0);
    setenv("HOME", home_.c_str(), 1);
    FILE* log = fopen(log_path_.c_str(), "a");
    if (log != nullptr) {
      dup2(fileno(log), 1);
      dup2(fileno(log), 2);
    }
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(binary_.c_str(), argv.data());
    _exit(127);
  }
  pid_ = pid;
  // Ready when /v1/health answers (any status: with a token, 401 is ready).
  httplib::Client http(absl::StrCat("http://127.0.0.1:", port_));
  http.set_connection_timeout(0, 200000);
  absl::Time give_up = absl::Now() + absl::Seconds(20);
  while (absl::Now() < give_up) {
    if (httplib::Result r = http.Get("/v1/health")) return absl::OkStatus();
    int status;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return absl::InternalError(
          absl::StrCat("sandbox-agent exited at start: ", Slurp(log_path_)));
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  Kill();
  return absl::DeadlineExceededError(absl::StrCat(
      "sandbox-agent did not answer within 20 s: ", Slurp(log_path_)));
}

void ServerProcess::Kill() {
  if (pid_ <= 0) return;
  kill(-pid_, SIGKILL);
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

absl::Status ServerProcess::Restart() {
  Kill();
  return Launch();
}

namespace {

std::string FindOnPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path != nullptr ? path
                                         : "/usr/local/bin:/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    std::string candidate = dir + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

}  // namespace

absl::Status ServerProcess::InstallScriptedAgent() {
  const char* node_env = std::getenv("SESSIONLOG_NODE");
  std::string node = node_env != nullptr && *node_env != '\0'
                         ? std::string(node_env)
                         : FindOnPath("node");
  if (node.empty()) {
    return absl::FailedPreconditionError(
        "node is not on PATH (set SESSIONLOG_NODE to its path)");
  }
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  std::string script =
      absl::StrCat(srcdir != nullptr ? srcdir : ".", "/",
                   workspace != nullptr ? workspace : "sessionlog",
                   "/tests/agent/scripted_agent.mjs");
  if (access(script.c_str(), R_OK) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(script,
                     " is missing: add //tests/agent:scripted_agent "
                     "to the test's data"));
  }
  std::string dir = home_ + "/.local/share/sandbox-agent/bin/agent_processes";
  std::string shim = dir + "/mock-acp";
  std::string tmp = shim + ".tmp";
  {
    std::ofstream out(tmp);
    out << "#!/bin/sh\nexec \"" << node << "\" \"" << script << "\" \"$@\"\n";
    if (!out) return absl::InternalError("cannot write " + tmp);
  }
  if (chmod(tmp.c_str(), 0755) != 0 || rename(tmp.c_str(), shim.c_str()) != 0) {
    return absl::InternalError("cannot install " + shim);
  }
  return absl::OkStatus();
}

ServerProcess::~ServerProcess() { Kill(); }

std::string ServerProcess::base_url() const {
  return absl::StrCat("http://127.0.0.1:", port_);
}

}  // namespace sessionlog
