// Runs the `sessionlog` binary as a user would, for the CLI's system tests:
// arguments, stdin, environment in; exit code, stdout, stderr out.

#ifndef SESSIONLOG_TESTS_CLI_CLI_RUNNER_H_
#define SESSIONLOG_TESTS_CLI_CLI_RUNNER_H_

#include <sys/types.h>

#include <string>
#include <vector>

namespace sessionlog {
namespace cli_test {

struct CliResult {
  int exit_code = -1;  // 128 + signal when killed by a signal.
  std::string out;
  std::string err;
};

// The binary, from the test's runfiles.
std::string SessionlogPath();
// A file of tests/cli/testdata, from the runfiles.
std::string TestdataPath(const std::string& name);
// The whole content of a file ("" if it cannot be read).
std::string ReadFile(const std::string& path);
// A fresh, empty directory under $TEST_TMPDIR.
std::string FreshDir(const std::string& prefix);

// Runs sessionlog with `args`, `stdin_text` on stdin, and an environment of
// TZ=UTC (so times are deterministic), PATH, HOME, TMPDIR and `env`
// ("NAME=value" entries, which override). Stdout and stderr are files, not
// terminals.
CliResult RunCli(const std::vector<std::string>& args,
                 const std::string& stdin_text = "",
                 const std::vector<std::string>& env = {});

// Starts sessionlog in the background with stdin from `stdin_path` (which
// may be a FIFO), in the environment RunCli gives; returns its pid. Its
// output goes to `out_path` and `err_path`.
pid_t StartCli(const std::vector<std::string>& args,
               const std::string& stdin_path, const std::string& out_path,
               const std::string& err_path,
               const std::vector<std::string>& env = {});
// Waits for `pid`; returns its exit code as RunCli does.
int WaitCli(pid_t pid);

}  // namespace cli_test
}  // namespace sessionlog

#endif  // SESSIONLOG_TESTS_CLI_CLI_RUNNER_H_
