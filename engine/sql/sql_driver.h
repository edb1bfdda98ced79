// The driver contract (api/driver.h) over any SQL backend (sql_backend.h),
// written once for SQLite and Postgres.
//
// How it keeps the contract in SQL:
//  * Event identity: the UNIQUE (session_id, event_index) index. An insert
//    that conflicts is a no-op; the stored row is then compared with the
//    incoming event (identical: OK; else AlreadyExists with SQLite's unique
//    constraint text). An event id already used at another (session_id,
//    event_index) is stored under an alias id (row_mapping.h), since the TS
//    layout makes events.id the PRIMARY KEY.
//  * Limits inside the writing transaction: after its inserts, an
//    InsertEvents deletes each touched session's events below its newest
//    max_events_per_session (one index probe with OFFSET on the session's
//    index range); an UpdateSession finds the (max_sessions+1)-th newest
//    record by (created_at, id) and deletes it and everything older, with
//    their events.
//  * Paging: keyset (WHERE (created_at, id) > cursor / event_index > cursor,
//    then LIMIT); no OFFSET and no COUNT(*).
//  * Writers serialize per store across processes (SQLite: BEGIN IMMEDIATE;
//    Postgres: transaction advisory locks, exclusive for session writes and
//    shared plus per-session for event writes). Transactions that lose a race
//    (Aborted) are retried a few times.
//  * Writes that need no answer before their commit (record updates and
//    deletes, appends) go to the backend as one batch (SqlBackend::RunBatch;
//    Postgres pipelines it into one round trip). Where the dialect has
//    batched appends (Postgres), concurrent InsertEvents calls are grouped
//    (group_commit.h) into one transaction of three statements: the locks,
//    one multi-row INSERT without ON CONFLICT, one trim. A group that is
//    refused (any conflict, even an identical retry) runs again call by
//    call, statement by statement, as described above.
//  * read_only: writes are FailedPrecondition.

#ifndef SESSIONLOG_ENGINE_SQL_SQL_DRIVER_H_
#define SESSIONLOG_ENGINE_SQL_SQL_DRIVER_H_

#include <memory>

#include "api/driver.h"
#include "engine/sql/sql_backend.h"
#include "engine/sql/statements.h"

namespace sessionlog {

// `options` must have passed ValidateOptions; `backend` has created the
// schema (SchemaStatements) already.
std::unique_ptr<SessionPersistDriver> NewSqlDriver(
    const DriverOptions& options, const SqlDialect& dialect,
    std::unique_ptr<SqlBackend> backend);

}  // namespace sessionlog

#endif  // SESSIONLOG_ENGINE_SQL_SQL_DRIVER_H_
