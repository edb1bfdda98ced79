// MigrateStore: copies every session record and its events from one driver to
// another (any backends: rocksdb, sqlite, postgres, memory). The CLI's
// `sessionlog migrate --from URI --to URI` is a thin wrapper over this.
//
// What is copied:
//  * every session record, in the source's list order ((created_at, id));
//  * right after each record, all of that session's events, in event_index
//    order, in batches of MigrateOptions::batch_size (InsertEvents is atomic
//    per batch).
//  * NOT copied: events stored under a session id that has no record. The
//    driver contract offers no way to enumerate such ids, so they cannot be
//    found; MigrateProgress::events_total (from Stats) makes the gap visible
//    when the source counts them.
//
// Idempotent: re-running a finished migration is a no-op. Session writes are
// full-replace upserts and re-inserting an identical event is a successful
// no-op (api/driver.h). A destination event that differs from the source at
// the same (session_id, event_index) is a conflict: AlreadyExists, naming it.
//
// Resumable: after an interruption, run it again. Passing the last
// MigrateProgress::resume_cursor seen as MigrateOptions::resume_cursor skips
// the sessions already completed; without it, the whole store is walked again
// and everything already copied is a no-op. A session that was cut off midway
// is copied again from its start; the events already there are identical
// no-ops.
//
// Limits: the destination must be opened with limits off (kNoLimit for
// max_sessions and max_events_per_session), or eviction and retention would
// drop data mid-copy. MigrateStore refuses a destination with limits on
// (FailedPrecondition) unless allow_destination_limits is set;
// MigrationDriverOptions() gives such options. Open the source with its own
// limits (kLimitFromStore, as `sessionlog migrate` does): a rocksdb: store
// opened with larger limits than its writer's, or none, can show events its
// writer already trimmed but compaction has not yet removed.
//
// Thread safety: the drivers may be used by other threads meanwhile; what they
// write concurrently may or may not be copied.

#ifndef SESSIONLOG_TOOLS_MIGRATE_MIGRATE_H_
#define SESSIONLOG_TOOLS_MIGRATE_MIGRATE_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "api/driver.h"
#include "api/options.h"

namespace sessionlog {

struct MigrateProgress {
  int64_t sessions_copied = 0;  // Records written (this run).
  int64_t events_copied = 0;    // Events passed to the destination (this run).
  // From the source's Stats() at the start; events_total may be an estimate
  // and counts events under ids without a record. -1 when Stats failed.
  int64_t sessions_total = -1;
  int64_t events_total = -1;
  std::string current_session_id;  // The session being copied.
  // Pass as MigrateOptions::resume_cursor to continue after the last
  // completed session. Empty until one session is complete.
  std::string resume_cursor;
};

struct MigrateOptions {
  // Events per InsertEvents call and records per ListSessions page.
  int64_t batch_size = 500;
  // Continue after this cursor (a MigrateProgress::resume_cursor); empty
  // starts from the beginning.
  std::string resume_cursor;
  // Copy into a destination whose limits are on (then eviction and retention
  // apply as they would to any writer).
  bool allow_destination_limits = false;
  // Called after each batch of events and after each completed session, on
  // the calling thread. May be empty.
  std::function<void(const MigrateProgress&)> on_progress;
};

// DriverOptions for opening the destination of a migration: `base` with both
// limits switched off.
DriverOptions MigrationDriverOptions(DriverOptions base = DriverOptions());

// Copies `from` into `to` as described above. On error, returns the first
// failure (the message names the session and, where relevant, the event);
// what was copied before it stays, and a re-run continues.
absl::Status MigrateStore(SessionPersistDriver& from, SessionPersistDriver& to,
                          const MigrateOptions& options = MigrateOptions());

}  // namespace sessionlog

#endif  // SESSIONLOG_TOOLS_MIGRATE_MIGRATE_H_
