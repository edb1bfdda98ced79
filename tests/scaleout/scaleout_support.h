// What the scale-out tests share (tests/scaleout, docs/SCALE-OUT.md): child
// processes, raw SQL against the server beside the driver, a schema of their
// own, and events that say who wrote them.

#ifndef SESSIONLOG_TESTS_SCALEOUT_SCALEOUT_SUPPORT_H_
#define SESSIONLOG_TESTS_SCALEOUT_SCALEOUT_SUPPORT_H_

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "api/session.h"

namespace sessionlog::scaleout {

// The value of environment variable `name`, or FailedPrecondition saying what
// provides it (`how`). CI always provides them, so tests fail rather than skip.
absl::StatusOr<std::string> RequiredEnv(const char* name, const char* how);

// A schema name no other run uses: "<prefix>_<pid>_<random>".
std::string UniqueSchemaName(const std::string& prefix);

// Runs `sql` (no parameters) on the server at `uri` in a connection of its
// own; each row's columns as text, "NULL" for SQL NULL.
absl::StatusOr<std::vector<std::vector<std::string>>> Query(
    const std::string& uri, const std::string& sql);

// Drops `schema` and everything in it; errors ignored.
void DropSchema(const std::string& uri, const std::string& schema);

// A child process. Start() runs `argv` (argv[0] a path, or a name looked up
// on PATH) with `env` added to this process's environment, stdin from
// `stdin_path` (or /dev/null), stdout and stderr to `log_path`.
class Child {
 public:
  Child() = default;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child();  // Kills and reaps a child still running.

  absl::Status Start(const std::vector<std::string>& argv,
                     const std::map<std::string, std::string>& env,
                     const std::string& stdin_path,
                     const std::string& log_path);
  // Waits for it to exit: its exit status, or -signal if a signal ended it.
  int Wait();

 private:
  pid_t pid_ = -1;
};

// Runs `command` under bash -c (errors: its output and status).
absl::StatusOr<std::string> Bash(const std::string& command);

// This test binary's own path (to start copies of it as child processes).
std::string SelfPath();

// A file under TEST_TMPDIR (or /tmp), unique to this process.
std::string TempPath(const std::string& name);

std::string ReadFile(const std::string& path);

// An event whose payload records who wrote it: {"jsonrpc":"2.0","method":
// "session/update","params":{"writer":W,"seq":N,"text":"..."}}.
SessionEvent WriterEvent(const std::string& session_id, int64_t index,
                         int writer, int64_t seq);
// The writer and seq of an event made by WriterEvent, from its payload.
std::optional<std::pair<int, int64_t>> WriterOf(const std::string& payload);

SessionRecord Record(const std::string& id, int64_t created_at);

// One acknowledged event, as the writers log it:
// "session\tindex\tid\twriter\tseq".
struct Ack {
  std::string session_id;
  int64_t index = 0;
  std::string id;
  int writer = 0;
  int64_t seq = 0;
};
std::string AckLine(const SessionEvent& event, int writer, int64_t seq);
absl::StatusOr<std::vector<Ack>> ReadAcks(const std::string& path);

}  // namespace sessionlog::scaleout

#endif  // SESSIONLOG_TESTS_SCALEOUT_SCALEOUT_SUPPORT_H_
