#include "tools/migrate/migrate.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api/internal/cursor.h"
#include "tools/migrate/in_session.h"

namespace sessionlog {
namespace {

using migrate_internal::InSession;

void Report(const MigrateOptions& options, const MigrateProgress& progress) {
  if (options.on_progress) options.on_progress(progress);
}

// Copies the events of one session in event_index order, in batches of
// options.batch_size (one atomic InsertEvents each).
absl::Status CopyEvents(SessionPersistDriver& from, SessionPersistDriver& to,
                        const std::string& session_id,
                        const MigrateOptions& options,
                        MigrateProgress& progress) {
  std::vector<SessionEvent> batch;
  bool write_failed = false;
  auto write_batch = [&]() -> absl::Status {
    if (batch.empty()) return absl::OkStatus();
    if (absl::Status s = to.InsertEvents(batch); !s.ok()) {
      write_failed = true;
      return InSession(s, "writing the events", session_id);
    }
    progress.events_copied += static_cast<int64_t>(batch.size());
    batch.clear();
    Report(options, progress);
    return absl::OkStatus();
  };
  EventWalkOptions walk;
  walk.page_size = options.batch_size;
  absl::Status s = ForEachEvent(
      from, session_id,
      [&](const SessionEvent& event) {
        batch.push_back(event);
        if (static_cast<int64_t>(batch.size()) < options.batch_size) {
          return absl::OkStatus();
        }
        return write_batch();
      },
      walk);
  if (!s.ok()) {
    return write_failed ? s : InSession(s, "reading the events", session_id);
  }
  return write_batch();
}

}  // namespace

DriverOptions MigrationDriverOptions(DriverOptions base) {
  base.max_sessions = kNoLimit;
  base.max_events_per_session = kNoLimit;
  return base;
}

absl::Status MigrateStore(SessionPersistDriver& from, SessionPersistDriver& to,
                          const MigrateOptions& options) {
  if (options.batch_size < 1 || options.batch_size > kMaxPageLimit) {
    return absl::InvalidArgumentError(
        absl::StrCat("batch_size: must be in [1, ", kMaxPageLimit, "], got ",
                     options.batch_size));
  }
  if (!options.allow_destination_limits &&
      (to.options().max_sessions != kNoLimit ||
       to.options().max_events_per_session != kNoLimit)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "destination has limits on (max_sessions=", to.options().max_sessions,
        ", max_events_per_session=", to.options().max_events_per_session,
        "): eviction would drop data mid-copy; open it with "
        "MigrationDriverOptions() (limits off) or set "
        "allow_destination_limits"));
  }
  MigrateProgress progress;
  if (absl::StatusOr<DriverStats> stats = from.Stats(); stats.ok()) {
    progress.sessions_total = stats->sessions;
    progress.events_total = stats->events;
  }
  progress.resume_cursor = options.resume_cursor;
  SessionWalkOptions walk;
  walk.page_size = options.batch_size;
  walk.cursor = options.resume_cursor;
  bool in_session = false;  // Whether an error came from copying a session.
  absl::Status s = ForEachSession(
      from,
      [&](const SessionRecord& record) {
        in_session = true;
        progress.current_session_id = record.id;
        // The record goes first so that, if the copy stops midway, the
        // destination already knows the session its events belong to.
        if (absl::Status s = to.UpdateSession(record); !s.ok()) {
          return InSession(s, "writing the record", record.id);
        }
        if (absl::Status s = CopyEvents(from, to, record.id, options, progress);
            !s.ok()) {
          return s;
        }
        in_session = false;
        ++progress.sessions_copied;
        progress.resume_cursor =
            EncodeSessionCursor({record.created_at, record.id});
        Report(options, progress);
        return absl::OkStatus();
      },
      walk);
  if (!s.ok()) {
    if (in_session) return s;
    return absl::Status(
        s.code(), absl::StrCat("listing the source's sessions: ", s.message()));
  }
  progress.current_session_id.clear();
  return absl::OkStatus();
}

}  // namespace sessionlog
