// Keyset cursors, encoded as opaque text.
//
// A sessions cursor holds the (created_at, id) of the last record of a page;
// an events cursor holds the last event_index of a page and a fingerprint of
// the session id, so that a cursor from another session is refused instead of
// silently paging the wrong session.
//
// Format (subject to change; callers must treat cursors as opaque):
//   sessions: "s1." <created_at, decimal> "." <id, web-safe base64>
//   events:   "e1." <event_index, decimal> "." <fingerprint, 16 hex digits>

#ifndef SESSIONLOG_API_INTERNAL_CURSOR_H_
#define SESSIONLOG_API_INTERNAL_CURSOR_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "api/page.h"

namespace sessionlog {

std::string EncodeSessionCursor(const SessionCursor& cursor);

// InvalidArgument, naming the cursor, if `text` is not a sessions cursor.
absl::StatusOr<SessionCursor> DecodeSessionCursor(absl::string_view text);

std::string EncodeEventCursor(absl::string_view session_id, int64_t last_index);

// The last event_index of the previous page. InvalidArgument if `text` is not
// an events cursor, or belongs to another session.
absl::StatusOr<int64_t> DecodeEventCursor(absl::string_view session_id,
                                          absl::string_view text);

}  // namespace sessionlog

#endif  // SESSIONLOG_API_INTERNAL_CURSOR_H_
