// Walking a whole store through the public driver API, page by page, with
// keyset cursors: what ls, export, verify and stats share.

#ifndef SESSIONLOG_TOOLS_SESSIONLOG_WALK_H_
#define SESSIONLOG_TOOLS_SESSIONLOG_WALK_H_

#include <cstdint>
#include <functional>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "api/driver.h"

namespace sessionlog {
namespace cli {

// The largest page the API serves; fewer round trips for a full walk.
inline constexpr int64_t kWalkPageSize = kMaxPageLimit;

// Calls `visit` for every session record in (created_at, id) order. Stops at
// the first error, from the driver or from `visit`, and returns it.
absl::Status ForEachSession(
    SessionPersistDriver& store,
    const std::function<absl::Status(const SessionRecord&)>& visit);

// Calls `visit` for the session's retained events in event_index order,
// starting after `after_index` when it is set.
absl::Status ForEachEvent(
    SessionPersistDriver& store, absl::string_view session_id,
    std::optional<int64_t> after_index,
    const std::function<absl::Status(const SessionEvent&)>& visit);

// What `ls` and `show` print about a session's events.
struct EventSummary {
  int64_t count = 0;
  std::optional<int64_t> first_index;
  std::optional<int64_t> last_index;
  std::optional<int64_t> last_created_at;  // Of the highest-index event.
};
absl::StatusOr<EventSummary> SummarizeEvents(SessionPersistDriver& store,
                                             absl::string_view session_id);

// The latest of the record's created/destroyed times and its last event's.
int64_t LastActivity(const SessionRecord& record, const EventSummary& events);

}  // namespace cli
}  // namespace sessionlog

#endif  // SESSIONLOG_TOOLS_SESSIONLOG_WALK_H_
