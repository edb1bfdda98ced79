#include "tools/sessionlog/output_file.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "tools/sessionlog/store_location.h"

namespace sessionlog {
namespace cli {
namespace {

// The temporary file to remove if a signal ends the process; written before
// the handlers can see it, and read by them only.
char g_temp[PATH_MAX + 1];
volatile std::sig_atomic_t g_temp_set = 0;
constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};

void RemoveTempAndDie(int signal) {
  if (g_temp_set) unlink(g_temp);
  std::signal(signal, SIG_DFL);
  raise(signal);
}

absl::Status Errno(absl::string_view what, const std::string& path) {
  return absl::UnknownError(absl::StrCat("cannot ", what, " --output ", path,
                                         ": ", std::strerror(errno)));
}

std::string Directory(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

absl::StatusOr<std::unique_ptr<ReplacingFile>> ReplacingFile::Create(
    const std::string& path) {
  // A link is followed, to a target that does not exist yet too: what it
  // points to is the file to write (and what the caller checked).
  const std::string target = ResolvePath(path);
  struct stat st;
  int mode;
  if (stat(target.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) {
      errno = EISDIR;
      return Errno("write", path);
    }
    if (!S_ISREG(st.st_mode)) {
      // A FIFO, a device or a socket is written in place: renaming a file
      // over it would put a regular file where the device or pipe was, and
      // the reader at the other end would never see a byte.
      auto file = std::unique_ptr<ReplacingFile>(
          new ReplacingFile(target, /*temp=*/"", /*mode=*/0));
      if (!file->stream_) return Errno("write", path);
      return file;
    }
    mode = st.st_mode & 07777;
  } else {
    mode_t mask = umask(0);
    umask(mask);
    mode = 0666 & ~mask;
  }
  std::string slash_name = target.substr(target.rfind('/') + 1);
  std::string temp =
      absl::StrCat(Directory(target), "/.", slash_name, ".sessionlog-XXXXXX");
  if (temp.size() > PATH_MAX) {
    errno = ENAMETOOLONG;
    return Errno("write", path);
  }
  int fd = mkstemp(temp.data());
  if (fd < 0) return Errno("create a file beside", path);
  close(fd);
  std::strncpy(g_temp, temp.c_str(), PATH_MAX);
  g_temp_set = 1;
  for (int signal : kSignals) std::signal(signal, RemoveTempAndDie);
  auto file =
      std::unique_ptr<ReplacingFile>(new ReplacingFile(target, temp, mode));
  if (!file->stream_) return Errno("write", path);
  return file;
}

ReplacingFile::ReplacingFile(std::string target, std::string temp, int mode)
    : target_(std::move(target)),
      temp_(std::move(temp)),
      mode_(mode),
      stream_(temp_.empty() ? target_ : temp_,
              std::ios::out | std::ios::trunc | std::ios::binary) {}

ReplacingFile::~ReplacingFile() {
  if (temp_.empty()) return;  // Written in place: no temporary file.
  if (!committed_) {
    stream_.close();
    unlink(temp_.c_str());
  }
  g_temp_set = 0;
  for (int signal : kSignals) std::signal(signal, SIG_DFL);
}

absl::Status ReplacingFile::Commit() {
  stream_.close();
  if (!stream_) return Errno("write", target_);
  if (temp_.empty()) {
    committed_ = true;
    return absl::OkStatus();  // Every byte went to the FIFO or device.
  }
  int fd = open(temp_.c_str(), O_RDONLY);
  if (fd < 0) return Errno("write", target_);
  bool synced = fchmod(fd, mode_) == 0 && fsync(fd) == 0;
  close(fd);
  if (!synced) return Errno("write", target_);
  if (rename(temp_.c_str(), target_.c_str()) != 0) {
    return Errno("replace", target_);
  }
  committed_ = true;
  g_temp_set = 0;
  // The rename is durable once the directory is.
  int dir = open(Directory(target_).c_str(), O_RDONLY | O_DIRECTORY);
  if (dir >= 0) {
    fsync(dir);
    close(dir);
  }
  return absl::OkStatus();
}

}  // namespace cli
}  // namespace sessionlog
