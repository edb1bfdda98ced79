// More control over a sessionlog run than RunCli gives, for the hardening and
// hostile-input suites: the working directory, where stdout goes (a full
// device, say), another user, a time limit and the peak memory; and a digest
// of every file under a store, to check that nothing stored changed.

#ifndef SESSIONLOG_TESTS_CLI_CLI_HARNESS_H_
#define SESSIONLOG_TESTS_CLI_CLI_HARNESS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "tests/cli/cli_runner.h"

namespace sessionlog {
namespace cli_test {

struct RunOptions {
  std::string stdin_text;
  std::string stdin_path;   // Instead of stdin_text when set.
  std::string stdout_path;  // Where stdout goes; empty: a file read back.
  std::string cwd;          // Empty: this process's.
  std::string user;         // Run as this user (runuser); empty: as we are.
  std::string binary;       // Empty: SessionlogPath().
  std::vector<std::string> env;  // "NAME=value", over TZ=UTC, PATH, ...
  int timeout_seconds = 120;     // Then SIGKILL.
};

struct RunResult : CliResult {
  int64_t max_rss_kb = 0;  // The child's peak resident memory.
  bool timed_out = false;
};

RunResult RunCliWith(const std::vector<std::string>& args,
                     const RunOptions& options = RunOptions());

// The binary copied to a fresh directory under /tmp that every user can
// read and run (the runfiles are under root's home); "" on failure.
std::string PublicCopyOfCli();

// True when this process can run commands as `user` (we are root, and
// runuser exists).
bool CanRunAs(const std::string& user);

// Where `text` holds a byte a terminal acts on (a C0 control but newline,
// DEL, or a C1 control as UTF-8), a description of the first; "" if none.
std::string RawControls(const std::string& text);

// `text` without the colour sequences sessionlog itself writes (--color
// always): ESC [ digits m.
std::string WithoutColour(const std::string& text);

// One line per file or directory under `path` (itself included): its path
// relative to `path`, type, mode, size and a hash of its content, sorted.
// Equal digests mean nothing was created, removed or changed. SQLite's
// "-shm" index and an empty "-wal" log, which a read-only connection leaves
// beside a WAL-mode database, are left out. "" if `path` does not exist.
std::string TreeDigest(const std::string& path);

}  // namespace cli_test
}  // namespace sessionlog

#endif  // SESSIONLOG_TESTS_CLI_CLI_HARNESS_H_
