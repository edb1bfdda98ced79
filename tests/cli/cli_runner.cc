#include "tests/cli/cli_runner.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "tests/testing/temp_dir.h"

namespace sessionlog {
namespace cli_test {
namespace {

std::string Env(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value && *value ? value : fallback;
}

std::string Runfile(const std::string& path) {
  return Env("TEST_SRCDIR", ".") + "/sessionlog/" + path;
}

std::vector<std::string> ChildEnvironment(const std::vector<std::string>& env) {
  // getenv finds the first entry of a name, so `env` goes first to override.
  std::vector<std::string> all = env;
  for (std::string entry :
       {std::string("TZ=UTC"), "PATH=" + Env("PATH", "/usr/bin:/bin"),
        "HOME=" + Env("HOME", "/tmp"),
        "TMPDIR=" + Env("TEST_TMPDIR", "/tmp")}) {
    all.push_back(entry);
  }
  return all;
}

[[noreturn]] void ExecCli(const std::vector<std::string>& args,
                          const std::vector<std::string>& env) {
  std::string binary = SessionlogPath();
  std::vector<char*> argv = {binary.data()};
  std::vector<std::string> args_copy = args;
  for (std::string& arg : args_copy) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_copy = ChildEnvironment(env);
  std::vector<char*> envp;
  for (std::string& entry : env_copy) envp.push_back(entry.data());
  envp.push_back(nullptr);
  execve(binary.c_str(), argv.data(), envp.data());
  _exit(127);
}

void Redirect(const std::string& path, int fd, int flags) {
  int file = open(path.c_str(), flags, 0644);
  if (file < 0) _exit(126);
  dup2(file, fd);
  close(file);
}

}  // namespace

std::string SessionlogPath() { return Runfile("tools/sessionlog/sessionlog"); }

std::string TestdataPath(const std::string& name) {
  return Runfile("tests/cli/testdata/" + name);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::string FreshDir(const std::string& prefix) {
  return MakeTempDirectory(prefix);
}

CliResult RunCli(const std::vector<std::string>& args,
                 const std::string& stdin_text,
                 const std::vector<std::string>& env) {
  std::string dir = FreshDir("run");
  std::string in = dir + "/stdin", out = dir + "/stdout", err = dir + "/stderr";
  std::ofstream(in, std::ios::binary) << stdin_text;
  pid_t pid = StartCli(args, in, out, err, env);
  CliResult result;
  result.exit_code = WaitCli(pid);
  result.out = ReadFile(out);
  result.err = ReadFile(err);
  return result;
}

pid_t StartCli(const std::vector<std::string>& args,
               const std::string& stdin_path, const std::string& out_path,
               const std::string& err_path,
               const std::vector<std::string>& env) {
  pid_t pid = fork();
  if (pid == 0) {
    Redirect(stdin_path, 0, O_RDONLY);
    Redirect(out_path, 1, O_WRONLY | O_CREAT | O_TRUNC);
    Redirect(err_path, 2, O_WRONLY | O_CREAT | O_TRUNC);
    ExecCli(args, env);
  }
  return pid;
}

int WaitCli(pid_t pid) {
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace cli_test
}  // namespace sessionlog
