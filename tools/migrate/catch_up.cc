#include "tools/migrate/catch_up.h"

#include <thread>
#include <utility>
#include <vector>

#include "tools/migrate/in_session.h"

namespace sessionlog {

using migrate_internal::InSession;

absl::StatusOr<CatchUpPass> CatchUpOnce(SessionPersistDriver& from,
                                        SessionPersistDriver& to,
                                        int64_t batch_size) {
  CatchUpPass pass;
  std::vector<SessionEvent> batch;
  std::string session;  // The session being copied, for errors.
  auto flush = [&]() -> absl::Status {
    if (batch.empty()) return absl::OkStatus();
    if (absl::Status s = to.InsertEvents(batch); !s.ok()) {
      return InSession(s, "writing the events", session);
    }
    pass.events_copied += static_cast<int64_t>(batch.size());
    batch.clear();
    return absl::OkStatus();
  };
  SessionWalkOptions walk;
  walk.page_size = batch_size;
  absl::Status s = ForEachSession(
      from,
      [&](const SessionRecord& record) -> absl::Status {
        session = record.id;
        ++pass.sessions_seen;
        absl::StatusOr<SessionRecord> held = to.GetSession(record.id);
        if (!held.ok() && !absl::IsNotFound(held.status())) {
          return InSession(held.status(), "reading the record", record.id);
        }
        if (!held.ok() || *held != record) {
          if (absl::Status w = to.UpdateSession(record); !w.ok()) {
            return InSession(w, "writing the record", record.id);
          }
          ++pass.sessions_written;
        }
        absl::StatusOr<std::optional<int64_t>> high =
            to.HighestEventIndex(record.id);
        if (!high.ok()) {
          return InSession(high.status(), "reading the highest index",
                           record.id);
        }
        EventWalkOptions events;
        events.page_size = batch_size;
        events.after_index = *high;
        absl::Status e = ForEachEvent(
            from, record.id,
            [&](const SessionEvent& event) {
              batch.push_back(event);
              return static_cast<int64_t>(batch.size()) < batch_size
                         ? absl::OkStatus()
                         : flush();
            },
            events);
        if (!e.ok()) return e;
        return flush();
      },
      walk);
  if (!s.ok()) return s;
  return pass;
}

absl::StatusOr<CatchUpReport> MigrateAndCatchUp(const OpenSource& open_source,
                                                SessionPersistDriver& to,
                                                const CatchUpOptions& options) {
  if (options.max_passes < 1) {
    return absl::InvalidArgumentError("max_passes: must be at least 1");
  }
  CatchUpReport report;
  for (int n = 0; n < options.max_passes; ++n) {
    if (n > 0)
      std::this_thread::sleep_for(absl::ToChronoNanoseconds(options.pause));
    const absl::Time view = absl::Now();
    absl::StatusOr<std::unique_ptr<SessionPersistDriver>> from = open_source();
    if (!from.ok()) return from.status();
    CatchUpPass pass;
    if (n == 0) {
      MigrateOptions first = options.first_pass;
      MigrateProgress last;
      auto user = first.on_progress;
      first.on_progress = [&](const MigrateProgress& p) {
        last = p;
        if (user) user(p);
      };
      if (absl::Status s = MigrateStore(**from, to, first); !s.ok()) return s;
      pass.sessions_written = last.sessions_copied;
      pass.sessions_seen = last.sessions_copied;
      pass.events_copied = last.events_copied;
    } else {
      absl::StatusOr<CatchUpPass> p =
          CatchUpOnce(**from, to, options.first_pass.batch_size);
      if (!p.ok()) return p.status();
      pass = *p;
    }
    pass.source_view = view;
    pass.took = absl::Now() - view;
    report.passes.push_back(pass);
    report.cut_over = view;
    if (options.on_pass) options.on_pass(pass);
    if (n > 0 && pass.sessions_written == 0 && pass.events_copied == 0) {
      report.caught_up = true;
      break;
    }
  }
  return report;
}

}  // namespace sessionlog
