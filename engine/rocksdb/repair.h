// Recovering a damaged rocksdb: store into a new directory.
//
// RepairStore(source, target) never changes the source. It copies the
// source's files into `target`, recovers the copy there, opens the recovered
// copy, reads back every session record and every event, and reports what it
// found. This is the library behind `sessionlog repair` (and what `sessionlog
// verify` points to when a store cannot be opened).
//
// Contract:
//  * `source` is a directory that holds a rocksdb: store, damaged or not: its
//    CURRENT file missing, a MANIFEST missing or damaged, damaged records in a
//    write-ahead log, damaged tables. No file in it is created, written,
//    renamed or deleted, whatever happens (it is opened for reading only).
//    Not a directory: FailedPrecondition. No RocksDB file in it: NotFound.
//    Unreadable: PermissionDenied.
//  * If another process holds `source` open for writing (its LOCK file is
//    locked), FailedPrecondition and nothing is done: a copy of a live store
//    is not consistent. Stop the writer first. (A writer in this same process
//    is not detected.)
//  * `target` must not exist, or be an empty directory; otherwise
//    FailedPrecondition. It must not be `source` or lie inside it. Its parent
//    must exist.
//  * Recovery, on the copy:
//      1. If CURRENT is missing (or names a MANIFEST that is not there) and a
//         MANIFEST is present, CURRENT is rewritten to name the newest one
//         (the highest number) and the copy is opened as is: this keeps
//         everything, since the MANIFEST lists every table and the logs
//         replay as on any open.
//      2. If that is not possible, or the copy still does not open, the copy
//         is made afresh and RocksDB's RepairDB rebuilds a MANIFEST from what
//         the files hold: every readable table is kept; every write-ahead log
//         is replayed, skipping records that fail their checksum; tables that
//         cannot be read are set aside in `target`/lost/. Best effort: what
//         was in skipped records or set-aside tables is lost, and events
//         trimmed by retention since the last sync may reappear (as after a
//         crash).
//  * Success means the recovered copy opens with OpenRocksDbDriver and every
//    session record and every event reads back through it (under the limits
//    the store's writer recorded) and CheckIntegrity() passes. The report
//    then says how it was recovered and what it holds; `target` is a store
//    that can be used, or copied back over the damaged one by the operator.
//  * On any error, the target is removed if this call created it (emptied if
//    it was an empty directory), and the source is as it was.
//  * Not thread-safe with respect to the two paths: nothing else may write
//    `target` meanwhile. Takes time and disk space in proportion to the
//    store (one full copy, and one full read).

#ifndef SESSIONLOG_ENGINE_ROCKSDB_REPAIR_H_
#define SESSIONLOG_ENGINE_ROCKSDB_REPAIR_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace sessionlog {

struct RepairReport {
  enum class Method {
    kRewroteCurrent,  // Step 1: CURRENT rewritten to name the newest MANIFEST.
    kRepairDb,        // Step 2: RocksDB's RepairDB.
    kNothingToRepair  // The copy opened as it was.
  };
  Method method = Method::kNothingToRepair;

  // What was wrong with the source, found before recovering, e.g. "CURRENT
  // is missing" or the error that opening the source's copy gave.
  std::vector<std::string> problems;
  // kRewroteCurrent: the MANIFEST that CURRENT now names.
  std::string manifest;

  int64_t files_copied = 0;  // Files copied from the source.
  int64_t bytes_copied = 0;
  int64_t table_files = 0;  // Tables (*.sst) in the source.
  int64_t log_files = 0;    // Write-ahead logs (*.log) in the source.

  // kRepairDb: files RepairDB set aside in `target`/lost/ and could not use
  // (tables it could not read). Logs it replayed and old MANIFESTs also go to
  // lost/ and are not listed here.
  std::vector<std::string> set_aside;
  // kRepairDb: RepairDB's warnings and errors, one line each (e.g. "Log #12:
  // dropping 4096 bytes; Corruption: checksum mismatch").
  std::vector<std::string> warnings;

  // Read back from the recovered copy.
  int64_t sessions = 0;              // Session records.
  int64_t sessions_with_events = 0;  // Session ids that have events.
  int64_t events = 0;                // Events (within the recorded limits).
};

// See above. `source` and `target` are directory paths (not store URIs).
absl::StatusOr<RepairReport> RepairStore(absl::string_view source,
                                         absl::string_view target);

// "rewrote CURRENT", "RepairDB" or "nothing to repair".
absl::string_view RepairMethodName(RepairReport::Method method);

}  // namespace sessionlog

#endif  // SESSIONLOG_ENGINE_ROCKSDB_REPAIR_H_
