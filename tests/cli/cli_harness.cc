#include "tests/cli/cli_harness.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"

namespace sessionlog {
namespace cli_test {
namespace {

namespace fs = std::filesystem;

constexpr char kRunuser[] = "/usr/sbin/runuser";

std::string EnvOr(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value && *value ? value : fallback;
}

uint64_t Fnv1a(const std::string& bytes) {
  uint64_t hash = 1469598103934665603ull;
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

}  // namespace

RunResult RunCliWith(const std::vector<std::string>& args,
                     const RunOptions& options) {
  std::string dir = FreshDir("run");
  std::string in = options.stdin_path;
  if (in.empty()) {
    in = dir + "/stdin";
    std::ofstream(in, std::ios::binary) << options.stdin_text;
  }
  std::string out =
      options.stdout_path.empty() ? dir + "/stdout" : options.stdout_path;
  std::string err = dir + "/stderr";
  std::string binary =
      options.binary.empty() ? SessionlogPath() : options.binary;

  std::vector<std::string> argv;
  if (!options.user.empty()) {
    argv = {kRunuser, "-u", options.user, "--"};
  }
  argv.push_back(binary);
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<std::string> env = options.env;
  for (std::string entry :
       {std::string("TZ=UTC"), "PATH=" + EnvOr("PATH", "/usr/bin:/bin"),
        "HOME=" + EnvOr("HOME", "/tmp"),
        "TMPDIR=" + EnvOr("TEST_TMPDIR", "/tmp")}) {
    env.push_back(entry);
  }

  pid_t pid = fork();
  if (pid == 0) {
    int fd_in = open(in.c_str(), O_RDONLY);
    int fd_out = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int fd_err = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd_in < 0 || fd_out < 0 || fd_err < 0) _exit(126);
    dup2(fd_in, 0);
    dup2(fd_out, 1);
    dup2(fd_err, 2);
    if (!options.cwd.empty() && chdir(options.cwd.c_str()) != 0) _exit(125);
    std::vector<char*> cargv;
    for (std::string& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    std::vector<char*> cenv;
    for (std::string& e : env) cenv.push_back(e.data());
    cenv.push_back(nullptr);
    execve(cargv[0], cargv.data(), cenv.data());
    _exit(127);
  }
  RunResult result;
  absl::Time deadline =
      absl::Now() + absl::Seconds(std::max(1, options.timeout_seconds));
  int status = 0;
  struct rusage usage = {};
  while (true) {
    pid_t done = wait4(pid, &status, WNOHANG, &usage);
    if (done == pid) break;
    if (done < 0) return result;
    if (absl::Now() > deadline && !result.timed_out) {
      result.timed_out = true;
      kill(pid, SIGKILL);
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.exit_code = 128 + WTERMSIG(status);
  result.max_rss_kb = usage.ru_maxrss;
  if (options.stdout_path.empty()) result.out = ReadFile(out);
  result.err = ReadFile(err);
  return result;
}

std::string PublicCopyOfCli() {
  char dir[] = "/tmp/sessionlog-cli-XXXXXX";
  if (mkdtemp(dir) == nullptr || chmod(dir, 0755) != 0) return "";
  std::string copy = std::string(dir) + "/sessionlog";
  std::error_code error;
  fs::copy_file(SessionlogPath(), copy, error);
  if (error || chmod(copy.c_str(), 0755) != 0) return "";
  return copy;
}

bool CanRunAs(const std::string& user) {
  if (geteuid() != 0 || access(kRunuser, X_OK) != 0) return false;
  RunOptions options;
  options.user = user;
  options.binary = PublicCopyOfCli();
  options.cwd = "/tmp";
  return !options.binary.empty() &&
         RunCliWith({"--help"}, options).exit_code == 0;
}

std::string RawControls(const std::string& text) {
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = text[i];
    bool c1 = c == 0xC2 && i + 1 < text.size() &&
              static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
              static_cast<unsigned char>(text[i + 1]) <= 0x9F;
    if ((c < 0x20 && c != '\n') || c == 0x7F || c1) {
      return absl::StrCat("byte ", static_cast<int>(c), " at offset ", i);
    }
  }
  return "";
}

std::string WithoutColour(const std::string& text) {
  static const std::regex kSgr("\x1b\\[[0-9;]*m");
  return std::regex_replace(text, kSgr, "");
}

std::string TreeDigest(const std::string& path) {
  std::error_code error;
  if (!fs::exists(fs::symlink_status(path, error))) return "";
  std::vector<std::string> lines;
  auto describe = [&](const fs::path& p) {
    struct stat st;
    if (lstat(p.c_str(), &st) != 0) return;
    // A read-only SQLite connection to a database in WAL mode leaves its
    // shared-memory index and an empty log beside the file: they hold no
    // data.
    std::string name = p.filename().string();
    if (absl::EndsWith(name, "-shm") ||
        (absl::EndsWith(name, "-wal") && st.st_size == 0)) {
      return;
    }
    std::string relative = fs::relative(p, path, error).string();
    std::string content;
    if (S_ISREG(st.st_mode)) {
      content = ReadFile(p.string());
    } else if (S_ISLNK(st.st_mode)) {
      content = fs::read_symlink(p, error).string();
    }
    lines.push_back(absl::StrFormat("%s %o %d %016x", relative, st.st_mode,
                                    static_cast<int64_t>(st.st_size),
                                    Fnv1a(content)));
  };
  describe(path);
  if (fs::is_directory(fs::symlink_status(path, error))) {
    for (auto it = fs::recursive_directory_iterator(
             path, fs::directory_options::skip_permission_denied, error);
         it != fs::recursive_directory_iterator(); it.increment(error)) {
      if (error) break;
      describe(it->path());
    }
  }
  std::sort(lines.begin(), lines.end());
  std::string digest;
  for (const std::string& line : lines) absl::StrAppend(&digest, line, "\n");
  return digest;
}

}  // namespace cli_test
}  // namespace sessionlog
