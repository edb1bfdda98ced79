#include "tools/migrate/migrate.h"

#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "api/internal/cursor.h"

namespace sessionlog {
namespace {

// Prefixes a failure with the session it happened in, so that the user knows
// where a re-run will pick up.
absl::Status InSession(const absl::Status& s, absl::string_view what,
                       absl::string_view session_id) {
  return absl::Status(s.code(), absl::StrCat(what, " of session \"",
                                             absl::CHexEscape(session_id),
                                             "\": ", s.message()));
}

void Report(const MigrateOptions& options, const MigrateProgress& progress) {
  if (options.on_progress) options.on_progress(progress);
}

// Copies the events of one session, page by page, in event_index order.
absl::Status CopyEvents(SessionPersistDriver& from, SessionPersistDriver& to,
                        const std::string& session_id,
                        const MigrateOptions& options,
                        MigrateProgress& progress) {
  ListEventsRequest request;
  request.session_id = session_id;
  request.limit = options.batch_size;
  while (true) {
    absl::StatusOr<Page<SessionEvent>> page = from.ListEvents(request);
    if (!page.ok()) {
      return InSession(page.status(), "reading the events", session_id);
    }
    if (!page->items.empty()) {
      if (absl::Status s = to.InsertEvents(page->items); !s.ok()) {
        return InSession(s, "writing the events", session_id);
      }
      progress.events_copied += static_cast<int64_t>(page->items.size());
      Report(options, progress);
    }
    if (!page->next_cursor) return absl::OkStatus();
    request.cursor = *std::move(page->next_cursor);
  }
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
  ListSessionsRequest request;
  request.limit = options.batch_size;
  request.cursor = options.resume_cursor;
  while (true) {
    absl::StatusOr<Page<SessionRecord>> page = from.ListSessions(request);
    if (!page.ok()) {
      return absl::Status(page.status().code(),
                          absl::StrCat("listing the source's sessions: ",
                                       page.status().message()));
    }
    for (const SessionRecord& record : page->items) {
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
      ++progress.sessions_copied;
      progress.resume_cursor =
          EncodeSessionCursor({record.created_at, record.id});
      Report(options, progress);
    }
    if (!page->next_cursor) break;
    request.cursor = *std::move(page->next_cursor);
  }
  progress.current_session_id.clear();
  return absl::OkStatus();
}

}  // namespace sessionlog
