// What a store URI points at on this machine, looked at without opening it:
// whether anything is there, whether it can be a store of its scheme at all,
// and whether two URIs name the same store.

#ifndef SESSIONLOG_TOOLS_SESSIONLOG_STORE_LOCATION_H_
#define SESSIONLOG_TOOLS_SESSIONLOG_STORE_LOCATION_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/open.h"

namespace sessionlog {
namespace cli {

// For rocksdb: and sqlite: URIs, whether anything exists at the path
// (following symbolic links); nullopt for the other schemes.
std::optional<bool> LocationExists(const StoreUri& uri);

// FailedPrecondition, saying what is there instead, when the path of a
// sqlite: URI is a directory (RocksDB's own open says as much for a file
// given as rocksdb:); PermissionDenied or FailedPrecondition when a path
// component is unreadable or a symbolic-link loop. When `creating`, also
// FailedPrecondition for a rocksdb: directory that holds files of its own
// and no store: a new store goes in a new or empty directory, never among
// someone's files. FailedPrecondition too for a sqlite: path that is the
// -wal, -shm or -journal file of an existing database: opening it as a
// database would overwrite that database's committed transactions. OK
// otherwise, and for the other schemes.
absl::Status CheckLocation(const StoreUri& uri, absl::string_view text,
                           bool creating);

// Whether `a` and `b` are one store. rocksdb: and sqlite: compare the file
// system object behind the path (device and inode), so "X", "X/", "./X",
// another relative spelling and a symbolic link or hard link to X are all
// X; a path that does not exist is no store. They are one store too when
// either is inside the other (InsideStore): a sqlite: file among a rocksdb:
// store's files or in its directory, a rocksdb: store under another, or a
// SQLite database's -wal, -shm or -journal file. postgresql:// connects to both
// and compares the server (its system identifier, or its start time and
// port) and the database (the schema, --pg-schema, is the same for both).
// memory: is never another store. Errors only where a connection fails.
absl::StatusOr<bool> SameStore(absl::string_view a, absl::string_view b);

// The absolute path that opening `path` for writing reaches: symbolic links
// are followed, the last component's included (also one whose target does
// not exist yet, as the shell's `>` creates it), and the directory is
// canonical. Nothing is created. `path` itself when a link cannot be read.
std::string ResolvePath(const std::string& path);

// Whether writing the file `path` would write the store of `uri`: for
// sqlite:, the database file or its -wal, -shm or -journal file; for
// rocksdb:, the store's directory or anything under it. `path` is resolved
// first (ResolvePath), so a symbolic link into the store is inside it; then
// compared as file system objects where they exist, and as canonical paths
// where they do not yet. False for the other schemes and for a store that
// does not exist.
absl::StatusOr<bool> InsideStore(absl::string_view uri,
                                 const std::string& path);

}  // namespace cli
}  // namespace sessionlog

#endif  // SESSIONLOG_TOOLS_SESSIONLOG_STORE_LOCATION_H_
