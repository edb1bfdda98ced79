#include "engine/rocksdb/disk_guard.h"

#include <sys/statvfs.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace sessionlog {

absl::Status DiskGuard::Admit(int64_t bytes) {
  if (min_free_bytes_ == 0) return absl::OkStatus();
  int64_t written = written_since_check_.fetch_add(bytes) + bytes;
  int64_t now = absl::GetCurrentTimeNanos();
  if (free_bytes_.load() < 0 || written >= kRecheckBytes ||
      now - last_check_nanos_.load() >= kRecheckNanos) {
    struct statvfs fs;
    if (statvfs(path_.c_str(), &fs) != 0) {
      return absl::UnavailableError(absl::StrCat(
          "cannot measure free space of ", path_, ": ", std::strerror(errno)));
    }
    free_bytes_.store(static_cast<int64_t>(fs.f_bavail) *
                      static_cast<int64_t>(fs.f_frsize));
    written_since_check_.store(0);
    last_check_nanos_.store(now);
    written = 0;
  }
  int64_t free_bytes = free_bytes_.load() - written;
  if (free_bytes < min_free_bytes_) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "the file system holding ", path_, " has ", free_bytes,
        " bytes free, below min_free_disk_bytes (", min_free_bytes_,
        "); writes are refused so that RocksDB never meets a full disk. "
        "Free some space (or lower the guard) and retry"));
  }
  return absl::OkStatus();
}

}  // namespace sessionlog
