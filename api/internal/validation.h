// Input validation shared by every backend, so that all of them accept and
// refuse exactly the same input. Messages name the field with the SDK's JSON
// name (e.g. "event.eventIndex") and say what is expected.

#ifndef SESSIONLOG_API_INTERNAL_VALIDATION_H_
#define SESSIONLOG_API_INTERNAL_VALIDATION_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "api/options.h"
#include "api/session.h"

namespace sessionlog {

// A session or event id: non-empty, at most kMaxIdBytes, valid UTF-8, no NUL.
absl::Status ValidateId(absl::string_view field, absl::string_view id);

// Free text (agent, connection ids...): at most kMaxTextFieldBytes, valid
// UTF-8, no NUL. May be empty.
absl::Status ValidateText(absl::string_view field, absl::string_view text);

// What a JSON-typed field must hold.
enum class JsonShape { kAny, kObject, kArray, kObjectOrNull };

// `json` parses as one JSON value of `shape`, in at most `max_bytes`.
absl::Status ValidateJson(absl::string_view field, absl::string_view json,
                          JsonShape shape, int64_t max_bytes);

absl::Status ValidateSessionRecord(const SessionRecord& record);
absl::Status ValidateSessionEvent(const SessionEvent& event,
                                  const DriverOptions& options);

// What inserting `incoming` means when `stored` already holds its
// (session_id, event_index): OK (a retry of the identical event, nothing to
// write) or AlreadyExists. The message carries SQLite's unique-constraint text,
// which the SDK's retry logic matches.
absl::Status CheckDuplicateEvent(const SessionEvent& stored,
                                 const SessionEvent& incoming);

// Page limits: 0 means the default; otherwise 1..kMaxPageLimit. Returns the
// effective limit.
absl::StatusOr<int64_t> NormalizePageLimit(int64_t limit);

}  // namespace sessionlog

#endif  // SESSIONLOG_API_INTERNAL_VALIDATION_H_
