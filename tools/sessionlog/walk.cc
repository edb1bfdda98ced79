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

}  // namespace cli
}  // namespace sessionlog
