// The file work of RepairStore: the writer check, the target, the copy and
// CURRENT. The source is only ever opened for reading.

#include "engine/rocksdb/repair_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace sessionlog {
namespace repair_internal {

namespace fs = std::filesystem;

absl::Status Errno(absl::string_view what, const std::string& path) {
  const int error = errno;
  std::string message = absl::StrCat(what, " ", path, ": ", strerror(error));
  if (error == EACCES || error == EPERM) {
    return absl::PermissionDeniedError(message);
  }
  if (error == ENOSPC) return absl::ResourceExhaustedError(message);
  return absl::UnavailableError(message);
}

// FailedPrecondition if a process holds the store's LOCK file locked (a
// writer). Reads only: F_GETLK places no lock.
absl::Status CheckNoWriter(const std::string& source) {
  const std::string lock_path = source + "/LOCK";
  int fd = open(lock_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return absl::OkStatus();
    return Errno("cannot open", lock_path);
  }
  struct flock probe = {};
  probe.l_type = F_WRLCK;
  probe.l_whence = SEEK_SET;
  const int rc = fcntl(fd, F_GETLK, &probe);
  close(fd);
  if (rc != 0) return Errno("cannot test the lock of", lock_path);
  if (probe.l_type == F_UNLCK) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "rocksdb:", source, " is open for writing by process ", probe.l_pid,
      ": a copy of a live store is not consistent; stop the writer, then "
      "repair"));
}

// The target: created if missing (its parent must exist), else an empty
// directory. Not the source, nor inside it.
absl::Status PrepareTarget(const std::string& source, const std::string& target,
                           bool* created) {
  std::error_code ec;
  const fs::path canonical_source = fs::weakly_canonical(source, ec);
  const fs::path canonical_target = fs::weakly_canonical(target, ec);
  const std::string s = canonical_source.string(),
                    t = canonical_target.string();
  if (t == s || absl::StartsWith(t, s + "/")) {
    return absl::FailedPreconditionError(
        absl::StrCat("the repair target ", target, " is the damaged store ",
                     source, " or lies inside it; give a new directory"));
  }
  *created = false;
  struct stat st;
  if (stat(target.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the repair target ", target, " exists and is not a directory"));
    }
    if (!fs::is_empty(target, ec) || ec) {
      return absl::FailedPreconditionError(
          absl::StrCat("the repair target ", target,
                       " is not empty; give a new or an empty directory"));
    }
    return absl::OkStatus();
  }
  if (errno != ENOENT) return Errno("cannot look at", target);
  if (mkdir(target.c_str(), 0755) != 0) return Errno("cannot create", target);
  *created = true;
  return absl::OkStatus();
}

// Removes what is in `target` (and the directory itself if `remove_dir`).
void ClearTarget(const std::string& target, bool remove_dir) {
  std::error_code ec;
  if (remove_dir) {
    fs::remove_all(target, ec);
    return;
  }
  for (const auto& entry : fs::directory_iterator(target, ec)) {
    fs::remove_all(entry.path(), ec);
  }
}

static absl::Status SyncPath(const std::string& path, int flags) {
  int fd = open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return Errno("cannot open", path);
  const bool ok = fsync(fd) == 0;
  close(fd);
  return ok ? absl::OkStatus() : Errno("cannot sync", path);
}

namespace {

// Copies one file, synced. Reads `from` only.
absl::Status CopyFile(const std::string& from, const std::string& to,
                      int64_t* bytes) {
  int in = open(from.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) return Errno("cannot read", from);
  int out = open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (out < 0) {
    absl::Status s = Errno("cannot create", to);
    close(in);
    return s;
  }
  absl::Status status;
  char buffer[1 << 16];
  while (status.ok()) {
    ssize_t n = read(in, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      status = Errno("cannot read", from);
      break;
    }
    if (n == 0) break;
    for (ssize_t done = 0; done < n;) {
      ssize_t w = write(out, buffer + done, n - done);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) {
        status = Errno("cannot write", to);
        break;
      }
      done += w;
      *bytes += w;
    }
  }
  if (status.ok() && fsync(out) != 0) status = Errno("cannot sync", to);
  close(in);
  close(out);
  return status;
}

}  // namespace

// Copies the store's files (not LOCK, nor the info LOGs) into `target`.
absl::Status CopyStore(const std::string& source, const std::string& target,
                       RepairReport* report) {
  report->files_copied = report->bytes_copied = 0;
  report->table_files = report->log_files = 0;
  std::error_code ec;
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(source, ec)) {
    if (!entry.is_regular_file(ec)) continue;
    std::string name = entry.path().filename().string();
    if (name == "LOCK" || name == "LOG" || absl::StartsWith(name, "LOG.old")) {
      continue;
    }
    names.push_back(std::move(name));
  }
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("cannot list ", source, ": ", ec.message()));
  }
  for (const std::string& name : names) {
    if (absl::EndsWith(name, ".sst")) ++report->table_files;
    if (absl::EndsWith(name, ".log")) ++report->log_files;
    absl::Status s = CopyFile(source + "/" + name, target + "/" + name,
                              &report->bytes_copied);
    if (!s.ok()) return s;
    ++report->files_copied;
  }
  return SyncPath(target, O_RDONLY | O_DIRECTORY);
}

// The MANIFEST with the highest number in `dir`, or "".
std::string NewestManifest(const std::string& dir) {
  std::string newest;
  uint64_t newest_number = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    absl::string_view number = name;
    if (!absl::ConsumePrefix(&number, "MANIFEST-")) continue;
    uint64_t n = 0;
    if (!absl::SimpleAtoi(number, &n)) continue;
    if (newest.empty() || n > newest_number) {
      newest = name;
      newest_number = n;
    }
  }
  return newest;
}

// The MANIFEST that `dir`/CURRENT names, if CURRENT is there and the MANIFEST
// it names exists; else "".
std::string LiveManifest(const std::string& dir) {
  std::error_code ec;
  std::string text;
  {
    int fd = open((dir + "/CURRENT").c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return "";
    char buffer[256];
    ssize_t n = read(fd, buffer, sizeof(buffer));
    close(fd);
    if (n <= 0) return "";
    text.assign(buffer, n);
  }
  absl::string_view name = absl::StripTrailingAsciiWhitespace(text);
  if (!absl::StartsWith(name, "MANIFEST-") ||
      !fs::exists(dir + "/" + std::string(name), ec)) {
    return "";
  }
  return std::string(name);
}

// Points `dir`/CURRENT at `manifest`, as RocksDB writes it: via a temporary
// file, synced, renamed.
absl::Status WriteCurrent(const std::string& dir, const std::string& manifest) {
  const std::string temp = dir + "/CURRENT.repair";
  const std::string text = manifest + "\n";
  int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("cannot create", temp);
  const bool ok = write(fd, text.data(), text.size()) ==
                      static_cast<ssize_t>(text.size()) &&
                  fsync(fd) == 0;
  close(fd);
  if (!ok) return Errno("cannot write", temp);
  if (rename(temp.c_str(), (dir + "/CURRENT").c_str()) != 0) {
    return Errno("cannot rename", temp);
  }
  return SyncPath(dir, O_RDONLY | O_DIRECTORY);
}

}  // namespace repair_internal
}  // namespace sessionlog
