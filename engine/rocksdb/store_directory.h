// What a rocksdb: path holds, found before RocksDB is let near it.
//
// RocksDB creates a new, empty database in any directory without a CURRENT
// file when asked to create one, and then deletes every table and log the new
// MANIFEST does not name: a store that lost its CURRENT file would be wiped by
// the first open that may create. So a directory that holds RocksDB files but
// no CURRENT is never a new store; only a path that does not exist, a
// directory without RocksDB files, or a creation by sessionlog that stopped
// half-way (its marker, and at most IDENTITY and the first MANIFEST, which
// hold no data) may become one.

#ifndef SESSIONLOG_ENGINE_ROCKSDB_STORE_DIRECTORY_H_
#define SESSIONLOG_ENGINE_ROCKSDB_STORE_DIRECTORY_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace sessionlog {

// Written (and synced) before RocksDB creates a store, so that a store whose
// creation failed half-way is told apart from a foreign RocksDB database.
inline constexpr char kCreationMarker[] = "SESSIONLOG";

struct StoreDirectory {
  enum class Kind {
    kMissing,             // Nothing at the path.
    kNoRocksDbFiles,      // A directory without RocksDB files.
    kUnfinishedCreation,  // Created by sessionlog, stopped before CURRENT.
    kHasCurrent,          // A RocksDB database (sessionlog's or not).
    kMissingCurrent,      // RocksDB files without CURRENT: damaged.
  };
  Kind kind = Kind::kMissing;
  bool has_creation_marker = false;
  // Names of the RocksDB files in the directory (tables, logs, MANIFESTs,
  // OPTIONS, IDENTITY; not CURRENT, LOCK or LOG), sorted.
  std::vector<std::string> rocksdb_files;
  // kHasCurrent only: what is wrong with CURRENT, as the rest of a sentence
  // "its CURRENT file ...": it names a MANIFEST that is not there (lost), or
  // names no MANIFEST (its bytes, escaped), or is not a regular file. Empty
  // for a sound CURRENT.
  std::string bad_current;
};

// Looks at `path` without changing anything. FailedPrecondition if it is not
// a directory (a regular file, ...); PermissionDenied if it cannot be read;
// Unavailable on other errors. `context` names the store in messages, e.g.
// "rocksdb:/var/lib/x".
absl::StatusOr<StoreDirectory> InspectStoreDirectory(const std::string& path,
                                                     absl::string_view context);

// True for a file name RocksDB writes that holds data or names it: *.sst,
// *.ldb, *.log, *.blob, MANIFEST-*, OPTIONS-*, IDENTITY.
bool IsRocksDbFileName(absl::string_view name);

// "MANIFEST-000009, OPTIONS-000011, IDENTITY, 2 table files (*.sst) and 1
// write-ahead log (*.log)": what a damaged directory holds, for messages.
std::string DescribeRocksDbFiles(const std::vector<std::string>& names);

// DataLoss for kMissingCurrent: what is missing, that nothing was changed,
// and what to do.
absl::Status MissingCurrentError(absl::string_view context,
                                 const StoreDirectory& dir);

// What changes whenever a writer records anything (a flush, a compaction,
// its own open, which writes a new MANIFEST): CURRENT's bytes and the size of
// the MANIFEST they name. Empty if CURRENT is missing or not a regular file.
// Never blocks, and changes nothing.
std::string ManifestState(const std::string& path);

// DataLoss for a CURRENT that names no MANIFEST of the directory
// (dir.bad_current non-empty): the same advice.
absl::Status BadCurrentError(absl::string_view context,
                             const StoreDirectory& dir);

}  // namespace sessionlog

#endif  // SESSIONLOG_ENGINE_ROCKSDB_STORE_DIRECTORY_H_
