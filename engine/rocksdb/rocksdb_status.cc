#include "engine/rocksdb/rocksdb_status.h"

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace sessionlog {

absl::Status FromRocksDb(const rocksdb::Status& status,
                         absl::string_view context) {
  if (status.ok()) return absl::OkStatus();
  std::string message = absl::StrCat(context, ": ", status.ToString());
  if (status.IsCorruption()) return absl::DataLossError(message);
  if (status.IsNotFound()) return absl::NotFoundError(message);
  if (status.IsInvalidArgument()) return absl::InvalidArgumentError(message);
  if (status.IsNotSupported()) return absl::UnimplementedError(message);
  if (status.IsNoSpace()) {
    return absl::ResourceExhaustedError(
        absl::StrCat(message, " (the disk is full: free space and reopen)"));
  }
  if (status.IsIOError()) {
    std::string text = status.ToString();
    // Checked first: permission denied on the LOCK file (a writer needs to
    // open it for writing) is not a lock held by someone else.
    if (absl::StrContains(text, "Permission denied")) {
      return absl::PermissionDeniedError(absl::StrCat(
          message,
          " (this process may not open a file of the store: check the owner "
          "and mode of the store directory and its files; a writer needs "
          "write access, a read-only open needs read access)"));
    }
    // RocksDB's messages for a LOCK file that another process has locked
    // (fcntl: EAGAIN), and for one this process already holds.
    if ((absl::StrContains(text, "While lock file") &&
         absl::StrContains(text, "LOCK")) ||
        absl::StrContains(text, "lock hold")) {
      return absl::FailedPreconditionError(absl::StrCat(
          message,
          " (the store is open for writing in another process or handle; "
          "only one writer may open a rocksdb: store at a time, open it "
          "read-only to inspect it while it is in use)"));
    }
    return absl::UnavailableError(message);
  }
  if (status.IsBusy() || status.IsTryAgain() || status.IsTimedOut()) {
    return absl::UnavailableError(message);
  }
  return absl::InternalError(message);
}

}  // namespace sessionlog
