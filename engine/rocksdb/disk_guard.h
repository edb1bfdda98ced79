// A free-space guard in front of every write.
//
// This librocksdb aborts the process (an assertion) when a WAL append hits a
// full disk, instead of returning an error. So writes are refused with
// ResourceExhausted while the file system holding the store has less than
// `min_free_bytes` free, well before RocksDB could meet ENOSPC.

#ifndef SESSIONLOG_ENGINE_ROCKSDB_DISK_GUARD_H_
#define SESSIONLOG_ENGINE_ROCKSDB_DISK_GUARD_H_

#include <atomic>
#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace sessionlog {

class DiskGuard {
 public:
  // min_free_bytes == 0 switches the guard off.
  DiskGuard(std::string path, int64_t min_free_bytes)
      : path_(std::move(path)), min_free_bytes_(min_free_bytes) {}

  // OK if `bytes` more can be written. statvfs is asked again after every
  // kRecheckBytes written and at least every kRecheckNanos, so the guard costs
  // one atomic add on most writes.
  absl::Status Admit(int64_t bytes);

  static constexpr int64_t kRecheckBytes = 256 << 10;
  static constexpr int64_t kRecheckNanos = 100'000'000;

 private:
  const std::string path_;
  const int64_t min_free_bytes_;
  std::atomic<int64_t> free_bytes_{-1};  // -1: not measured yet.
  std::atomic<int64_t> written_since_check_{0};
  std::atomic<int64_t> last_check_nanos_{0};
};

}  // namespace sessionlog

#endif  // SESSIONLOG_ENGINE_ROCKSDB_DISK_GUARD_H_
