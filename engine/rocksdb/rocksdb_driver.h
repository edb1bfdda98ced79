// The embedded default ("rocksdb:PATH"): an append-only event log on RocksDB
// with FlatBuffers values. The contract is api/driver.h; the layout is
// described in engine/rocksdb/keys.h.
//
// Durability (DriverOptions::durability):
//  * kProcessCrash: every write goes through the write-ahead log before it is
//    acknowledged, so kill -9 loses nothing; the log is fsync'ed every
//    background_sync_interval, which bounds what a power cut can lose.
//  * kFsync: the log is fsync'ed before each write is acknowledged; RocksDB's
//    group commit shares one fsync among concurrent writers.
//
// Opening: FailedPrecondition if another process holds the store open for
// writing, if it was written by a newer format version, or if the path is not
// a directory (a regular file, ...); PermissionDenied if this process may not
// open the store's files (its LOCK file included); NotFound if it is missing
// and create_if_missing is false; DataLoss if a file is corrupt (the message
// names the file), or if the directory holds RocksDB files (tables, logs,
// MANIFEST, OPTIONS, IDENTITY) but no CURRENT: such a store is damaged, never
// new, and is left exactly as it is (repair.h recovers it into a copy).
// Opening never scans the whole store.
//
// Writes are refused with ResourceExhausted while the file system has less
// than min_free_disk_bytes free: this RocksDB aborts the process when a log
// append hits a full disk, so the guard must trip first.

#ifndef SESSIONLOG_ENGINE_ROCKSDB_ROCKSDB_DRIVER_H_
#define SESSIONLOG_ENGINE_ROCKSDB_ROCKSDB_DRIVER_H_

#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "api/driver.h"

namespace rocksdb {
class Env;
}

namespace sessionlog {

absl::StatusOr<std::unique_ptr<SessionPersistDriver>> OpenRocksDbDriver(
    absl::string_view path, const DriverOptions& options);

// For fault-injection tests: the same, over a custom Env (e.g. one that drops
// unsynced writes or fails the k-th file operation). `env` must outlive the
// driver.
absl::StatusOr<std::unique_ptr<SessionPersistDriver>> OpenRocksDbDriverWithEnv(
    absl::string_view path, const DriverOptions& options, rocksdb::Env* env);

}  // namespace sessionlog

#endif  // SESSIONLOG_ENGINE_ROCKSDB_ROCKSDB_DRIVER_H_
