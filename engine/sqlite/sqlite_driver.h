// SQLite ("sqlite:FILE"): the sandbox-agent TS SDK's SQLite tables
// (engine/sql/statements.h), so that a file written by the TS example driver
// reads here and the other way round. The contract is api/driver.h; the logic
// is shared with Postgres (engine/sql/sql_driver.h).
//
//  * WAL journal; several processes may share one file. Writers take the
//    write lock at the start of each transaction and wait for it up to a
//    busy timeout of 5 s, then get Unavailable.
//  * Durability: kProcessCrash is synchronous=NORMAL (a committed write is in
//    the WAL file before the call returns; a background thread fsyncs it every
//    background_sync_interval), kFsync is synchronous=FULL (fsync per commit).
//    Flush() fsyncs the WAL and the database file.
//  * CheckIntegrity() runs PRAGMA integrity_check: DataLoss naming the file.
//  * Opening: NotFound if FILE is missing and create_if_missing is false;
//    DataLoss if FILE is not a SQLite database; FailedPrecondition if the
//    existing events hold two events at one (session_id, event_index), which
//    the unique index this driver adds cannot accept. read_only opens FILE
//    read-only (no schema changes; writes are FailedPrecondition).
//  * Thread-safe: one writing connection, used by one write at a time, and up
//    to 4 read-only connections, so reads run beside writes (WAL).

#ifndef SESSIONLOG_ENGINE_SQLITE_SQLITE_DRIVER_H_
#define SESSIONLOG_ENGINE_SQLITE_SQLITE_DRIVER_H_

#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "api/driver.h"

namespace sessionlog {

absl::StatusOr<std::unique_ptr<SessionPersistDriver>> OpenSqliteDriver(
    absl::string_view path, const DriverOptions& options);

}  // namespace sessionlog

#endif  // SESSIONLOG_ENGINE_SQLITE_SQLITE_DRIVER_H_
