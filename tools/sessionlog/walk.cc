#include "tools/sessionlog/walk.h"

#include <algorithm>

#include "api/internal/cursor.h"

namespace sessionlog {
namespace cli {

absl::Status ForEachSession(
    SessionPersistDriver& store,
    const std::function<absl::Status(const SessionRecord&)>& visit) {
  ListSessionsRequest request;
  request.limit = kWalkPageSize;
  while (true) {
    absl::StatusOr<Page<SessionRecord>> page = store.ListSessions(request);
    if (!page.ok()) return page.status();
    for (const SessionRecord& record : page->items) {
      if (absl::Status s = visit(record); !s.ok()) return s;
    }
    if (!page->next_cursor) return absl::OkStatus();
    request.cursor = *page->next_cursor;
  }
}

absl::Status ForEachEvent(
    SessionPersistDriver& store, absl::string_view session_id,
    std::optional<int64_t> after_index,
    const std::function<absl::Status(const SessionEvent&)>& visit) {
  ListEventsRequest request;
  request.session_id = std::string(session_id);
  request.limit = kWalkPageSize;
  // An events cursor is "after this index": the API's own encoding lets a
  // walk start mid-session without reading what comes before.
  if (after_index) request.cursor = EncodeEventCursor(session_id, *after_index);
  while (true) {
    absl::StatusOr<Page<SessionEvent>> page = store.ListEvents(request);
    if (!page.ok()) return page.status();
    for (const SessionEvent& event : page->items) {
      if (absl::Status s = visit(event); !s.ok()) return s;
    }
    if (!page->next_cursor) return absl::OkStatus();
    request.cursor = *page->next_cursor;
  }
}

absl::StatusOr<EventSummary> SummarizeEvents(SessionPersistDriver& store,
                                             absl::string_view session_id) {
  EventSummary summary;
  absl::Status s = ForEachEvent(store, session_id, std::nullopt,
                                [&](const SessionEvent& event) {
                                  ++summary.count;
                                  if (!summary.first_index)
                                    summary.first_index = event.event_index;
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
