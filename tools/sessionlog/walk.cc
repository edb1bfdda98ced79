#include "tools/sessionlog/walk.h"

#include <algorithm>

namespace sessionlog {
namespace cli {

absl::StatusOr<EventSummary> SummarizeEvents(SessionPersistDriver& store,
                                             absl::string_view session_id) {
  EventSummary summary;
  absl::Status s =
      ForEachEvent(store, session_id, [&](const SessionEvent& event) {
        ++summary.count;
        if (!summary.first_index) summary.first_index = event.event_index;
        summary.last_index = event.event_index;
        summary.last_created_at = event.created_at;
        return absl::OkStatus();
      });
  if (!s.ok()) return s;
  return summary;
}

int64_t LastActivity(const SessionRecord& record, const EventSummary& events) {
  int64_t last = std::max(record.created_at, record.destroyed_at.value_or(0));
  return std::max(last, events.last_created_at.value_or(0));
}

}  // namespace cli
}  // namespace sessionlog
