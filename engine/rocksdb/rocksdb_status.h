// rocksdb::Status -> absl::Status, with context that names the store.

#ifndef SESSIONLOG_ENGINE_ROCKSDB_ROCKSDB_STATUS_H_
#define SESSIONLOG_ENGINE_ROCKSDB_ROCKSDB_STATUS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "rocksdb/status.h"

namespace sessionlog {

// Corruption -> DataLoss (RocksDB's message names the file); a full disk ->
// ResourceExhausted; a LOCK file held by another writer -> FailedPrecondition;
// permission denied (on the LOCK file too) -> PermissionDenied; other I/O
// errors -> Unavailable. `context` says what was being done, e.g. "rocksdb:/x:
// read".
absl::Status FromRocksDb(const rocksdb::Status& status,
                         absl::string_view context);

}  // namespace sessionlog

#endif  // SESSIONLOG_ENGINE_ROCKSDB_ROCKSDB_STATUS_H_
