// The write-ahead logs of a damaged store, read without RocksDB's MANIFEST.
//
// RocksDB's RepairDB replays a log only into the column families its new
// MANIFEST knows, and with the MANIFEST gone it knows "default" alone: every
// write to the other families that was still only in the log (a store that
// never flushed: all of it) is dropped as "Invalid column family specified
// in write batch". The log itself names families by id; sessionlog makes
// its families in one order (sessions, by_age, handles, events after
// default), so their ids are known, and the records can be applied again.

#ifndef SESSIONLOG_ENGINE_ROCKSDB_REPAIR_WAL_H_
#define SESSIONLOG_ENGINE_ROCKSDB_REPAIR_WAL_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace sessionlog {
namespace repair_internal {

// The write batches (WriteBatch representations) of every *.log file in
// `dir`, oldest log first, in log order. A record whose checksum fails is
// skipped (as RepairDB skips it) and a torn tail ends its log; each is
// noted in `warnings`. Fails only when a log cannot be read.
absl::StatusOr<std::vector<std::string>> ReadLogBatches(
    const std::string& dir, std::vector<std::string>* warnings);

// Applies `batches` to the store in `dir` (opened for writing, every family
// of `families` created if missing), family id i being families[i]. Records
// for an unknown id are skipped with a warning.
absl::Status ApplyLogBatches(const std::string& dir,
                             const std::vector<std::string>& batches,
                             const std::vector<std::string>& families,
                             std::vector<std::string>* warnings);

}  // namespace repair_internal
}  // namespace sessionlog

#endif  // SESSIONLOG_ENGINE_ROCKSDB_REPAIR_WAL_H_
