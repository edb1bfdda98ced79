#include "tests/scaleout/scaleout_support.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <pqxx/pqxx>
#include <random>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"

extern char** environ;

namespace sessionlog::scaleout {

absl::StatusOr<std::string> RequiredEnv(const char* name, const char* how) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') {
    return absl::FailedPreconditionError(
        absl::StrCat(name, " is not set: ", how));
  }
  return std::string(value);
}

std::string UniqueSchemaName(const std::string& prefix) {
  return absl::StrCat(prefix, "_", getpid(), "_",
                      std::random_device()() % 1000000);
}

absl::StatusOr<std::vector<std::vector<std::string>>> Query(
    const std::string& uri, const std::string& sql) {
  try {
    pqxx::connection c(uri);
    pqxx::nontransaction txn(c);
    pqxx::result result = txn.exec(sql);
    std::vector<std::vector<std::string>> rows;
    for (const pqxx::row& r : result) {
      std::vector<std::string> row;
      for (const pqxx::field& f : r) {
        row.push_back(f.is_null() ? "NULL" : f.c_str());
      }
      rows.push_back(std::move(row));
    }
    return rows;
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("`", sql, "`: ", e.what()));
  }
}

void DropSchema(const std::string& uri, const std::string& schema) {
  Query(uri, absl::StrCat("DROP SCHEMA IF EXISTS \"", schema, "\" CASCADE"))
      .IgnoreError();
}

Child::~Child() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    Wait();
  }
}

absl::Status Child::Start(const std::vector<std::string>& argv,
                          const std::map<std::string, std::string>& env,
                          const std::string& stdin_path,
                          const std::string& log_path) {
  // Everything the child needs is built before fork: after it, only
  // async-signal-safe calls.
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    absl::string_view entry(*e);
    std::string name(entry.substr(0, entry.find('=')));
    if (env.count(name) == 0) env_strings.emplace_back(entry);
  }
  for (const auto& [name, value] : env) {
    env_strings.push_back(absl::StrCat(name, "=", value));
  }
  std::vector<char*> envp, args;
  for (std::string& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_copy = argv;
  // A bare program name is looked up on PATH, as a shell would (node is not
  // in the same place on every machine).
  if (!argv_copy.empty() && argv_copy[0].find('/') == std::string::npos) {
    const char* path = std::getenv("PATH");
    for (absl::string_view dir :
         absl::StrSplit(path ? path : "/usr/local/bin:/usr/bin:/bin", ':',
                        absl::SkipEmpty())) {
      std::string candidate = absl::StrCat(dir, "/", argv_copy[0]);
      if (access(candidate.c_str(), X_OK) == 0) {
        argv_copy[0] = candidate;
        break;
      }
    }
  }
  for (std::string& s : argv_copy) args.push_back(s.data());
  args.push_back(nullptr);
  const std::string in = stdin_path.empty() ? "/dev/null" : stdin_path;
  const int in_fd = open(in.c_str(), O_RDONLY | O_CLOEXEC);
  const int out_fd =
      open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (in_fd < 0 || out_fd < 0) {
    if (in_fd >= 0) close(in_fd);
    if (out_fd >= 0) close(out_fd);
    return absl::InternalError(
        absl::StrCat("cannot open ", in, " or ", log_path));
  }
  const pid_t pid = fork();
  if (pid < 0) {
    close(in_fd);
    close(out_fd);
    return absl::InternalError("fork failed");
  }
  if (pid == 0) {
    dup2(in_fd, 0);
    dup2(out_fd, 1);
    dup2(out_fd, 2);
    execve(args[0], args.data(), envp.data());
    _exit(127);
  }
  close(in_fd);
  close(out_fd);
  pid_ = pid;
  return absl::OkStatus();
}

int Child::Wait() {
  if (pid_ <= 0) return -1;
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return -WTERMSIG(status);
  return -1;
}

absl::StatusOr<std::string> Bash(const std::string& command) {
  const std::string script = TempPath("bash-command");
  const std::string log = TempPath("bash-output");
  {
    std::ofstream f(script);
    f << command << "\n";
  }
  Child child;
  if (absl::Status s = child.Start({"/bin/bash", script}, {}, "", log);
      !s.ok()) {
    return s;
  }
  const int rc = child.Wait();
  std::string output = ReadFile(log);
  if (rc != 0) {
    return absl::InternalError(
        absl::StrCat("`", command, "` exited with ", rc, ": ", output));
  }
  return output;
}

std::string SelfPath() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  return n > 0 ? std::string(buf, n) : std::string();
}

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  static std::atomic<int> counter{0};
  return absl::StrCat(dir != nullptr ? dir : "/tmp", "/scaleout_", getpid(),
                      "_", counter++, "_", name);
}

std::string ReadFile(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

SessionEvent WriterEvent(const std::string& session_id, int64_t index,
                         int writer, int64_t seq) {
  SessionEvent e;
  e.id = absl::StrCat("w", writer, "-", seq, "-", session_id, "-", index);
  e.event_index = index;
  e.session_id = session_id;
  e.created_at = 1767225600000 + seq;
  e.connection_id = absl::StrCat("conn-", writer);
  e.sender = seq % 2 == 0 ? Sender::kClient : Sender::kAgent;
  nlohmann::ordered_json payload = {
      {"jsonrpc", "2.0"},
      {"method", "session/update"},
      {"params",
       {{"writer", writer},
        {"seq", seq},
        {"text", "a chunk of agent output, long enough to look like one"}}}};
  e.payload_json = payload.dump();
  return e;
}

std::optional<std::pair<int, int64_t>> WriterOf(const std::string& payload) {
  nlohmann::json j = nlohmann::json::parse(payload, nullptr, false);
  if (j.is_discarded() || !j.contains("params")) return std::nullopt;
  const nlohmann::json& p = j["params"];
  if (!p.contains("writer") || !p.contains("seq")) return std::nullopt;
  return std::make_pair(p["writer"].get<int>(), p["seq"].get<int64_t>());
}

SessionRecord Record(const std::string& id, int64_t created_at) {
  SessionRecord r;
  r.id = id;
  r.agent = "mock";
  r.agent_session_id = absl::StrCat("agent-", id);
  r.last_connection_id = "conn-0";
  r.created_at = created_at;
  return r;
}

std::string AckLine(const SessionEvent& event, int writer, int64_t seq) {
  return absl::StrCat(event.session_id, "\t", event.event_index, "\t", event.id,
                      "\t", writer, "\t", seq, "\n");
}

absl::StatusOr<std::vector<Ack>> ReadAcks(const std::string& path) {
  std::vector<Ack> acks;
  for (absl::string_view line :
       absl::StrSplit(ReadFile(path), '\n', absl::SkipEmpty())) {
    std::vector<std::string> f = absl::StrSplit(line, '\t');
    Ack a;
    if (f.size() != 5 || !absl::SimpleAtoi(f[1], &a.index) ||
        !absl::SimpleAtoi(f[3], &a.writer) || !absl::SimpleAtoi(f[4], &a.seq)) {
      return absl::DataLossError(
          absl::StrCat(path, ": bad ack line \"", line, "\""));
    }
    a.session_id = f[0];
    a.id = f[2];
    acks.push_back(std::move(a));
  }
  return acks;
}

}  // namespace sessionlog::scaleout
