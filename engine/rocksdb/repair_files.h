// The file work of RepairStore (repair.h), internal to it.

#ifndef SESSIONLOG_ENGINE_ROCKSDB_REPAIR_FILES_H_
#define SESSIONLOG_ENGINE_ROCKSDB_REPAIR_FILES_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "engine/rocksdb/repair.h"

namespace sessionlog {
namespace repair_internal {

// An error for the failed system call on `path`, from errno:
// PermissionDenied, ResourceExhausted (a full disk) or Unavailable.
absl::Status Errno(absl::string_view what, const std::string& path);

// FailedPrecondition if a process holds the store's LOCK file locked (a
// writer). Reads only: F_GETLK places no lock.
absl::Status CheckNoWriter(const std::string& source);

// The target: created if missing (its parent must exist; *created says so),
// else an empty directory. Not the source, nor inside it.
absl::Status PrepareTarget(const std::string& source, const std::string& target,
                           bool* created);

// Removes what is in `target`, and the directory itself if `remove_dir`.
void ClearTarget(const std::string& target, bool remove_dir);

// Copies the store's files (not LOCK, nor the info LOGs) into `target`,
// synced, and counts them in `report`.
absl::Status CopyStore(const std::string& source, const std::string& target,
                       RepairReport* report);

// The MANIFEST with the highest number in `dir`, or "".
std::string NewestManifest(const std::string& dir);

// The MANIFEST that `dir`/CURRENT names, if CURRENT is there and the MANIFEST
// it names exists; else "".
std::string LiveManifest(const std::string& dir);

// Points `dir`/CURRENT at `manifest`, as RocksDB writes it: via a temporary
// file, synced, renamed.
absl::Status WriteCurrent(const std::string& dir, const std::string& manifest);

}  // namespace repair_internal
}  // namespace sessionlog

#endif  // SESSIONLOG_ENGINE_ROCKSDB_REPAIR_FILES_H_
