// Replay text: the history that a restored session gets as context.
//
// When a stored session is no longer bound to a live agent session, the
// sandbox-agent SDK creates a new agent session and puts this text in the
// first {type:"text"} block of the next session/prompt. sessionlog builds the
// same text, byte for byte (checked against the SDK in
// api/replay_oracle_test.cc):
//
//   kReplayPrefix
//   {"createdAt":...,"sender":"client","payload":{...}}\n    one line per
//   event,
//   ...                                                       oldest first
//
// Each line is JSON.stringify({createdAt, sender, payload}) (see js_json.h).
// A line is added only while the text's length, plus the line's, plus 1
// stays within max_chars; the first line that would pass it is replaced by
// "\n[history truncated]" and the rest are dropped. Lengths are JavaScript
// lengths (UTF-16 code units).

#ifndef SESSIONLOG_SCHEMA_REPLAY_H_
#define SESSIONLOG_SCHEMA_REPLAY_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "api/driver.h"
#include "api/session.h"

namespace sessionlog {

inline constexpr int64_t kDefaultReplayMaxEvents = 50;    // As the SDK.
inline constexpr int64_t kDefaultReplayMaxChars = 12000;  // As the SDK.

// The first line of every replay text, newline included.
extern const char kReplayPrefix[];
// What replaces the first line that does not fit.
extern const char kReplayTruncatedMarker[];

// The SDK's buildReplayText(events, max_chars): nullopt when `events` is
// empty, otherwise the text above, for the events in the order given.
// InvalidArgument naming the event (its session id and index) whose payload is
// not JSON text that JSON.parse accepts. Any max_chars is accepted, as in the
// SDK (one below the prefix's length gives the prefix and the marker).
absl::StatusOr<std::optional<std::string>> BuildReplayText(
    absl::Span<const SessionEvent> events, int64_t max_chars);

// The replay text that restoring `session_id` injects: the newest
// `max_events` retained events of the session (read with
// driver.LastEvents, so O(max_events), not a scan of the session), through
// BuildReplayText. nullopt when the session has no events (also when it is
// unknown). InvalidArgument when max_events is outside 1..kMaxPageLimit or
// max_chars is below 1; otherwise what the driver returns.
absl::StatusOr<std::optional<std::string>> ReplayTextForSession(
    SessionPersistDriver& driver, absl::string_view session_id,
    int64_t max_events = kDefaultReplayMaxEvents,
    int64_t max_chars = kDefaultReplayMaxChars);

}  // namespace sessionlog

#endif  // SESSIONLOG_SCHEMA_REPLAY_H_
