// What ls and show print about a session's events, from one walk over them
// (ForEachEvent, api/driver.h).

#ifndef SESSIONLOG_TOOLS_SESSIONLOG_WALK_H_
#define SESSIONLOG_TOOLS_SESSIONLOG_WALK_H_

#include <cstdint>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "api/driver.h"

namespace sessionlog {
namespace cli {

// What `ls` and `show` print about a session's events.
struct EventSummary {
  int64_t count = 0;
  std::optional<int64_t> first_index;
  std::optional<int64_t> last_index;
  std::optional<int64_t> last_created_at;  // Of the highest-index event.
};
absl::StatusOr<EventSummary> SummarizeEvents(SessionPersistDriver& store,
                                             absl::string_view session_id);

}  // namespace cli
}  // namespace sessionlog

#endif  // SESSIONLOG_TOOLS_SESSIONLOG_WALK_H_
