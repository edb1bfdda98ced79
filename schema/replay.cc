#include "schema/replay.h"

#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "schema/js_json.h"
#include "api/options.h"

namespace sessionlog {

const char kReplayPrefix[] =
    "Previous session history is replayed below as JSON-RPC envelopes. Use it "
    "as context before responding to the latest user prompt.\n";
const char kReplayTruncatedMarker[] = "\n[history truncated]";

absl::StatusOr<std::optional<std::string>> BuildReplayText(
    absl::Span<const SessionEvent> events, int64_t max_chars) {
  if (events.empty()) return std::nullopt;
  std::string text = kReplayPrefix;
  int64_t text_length = Utf16Length(text);
  std::string line;
  for (const SessionEvent& event : events) {
    // JSON.stringify({createdAt, sender, payload}); createdAt goes through a
    // double, as a JavaScript number does.
    line.assign("{\"createdAt\":");
    line.append(JsNumberToString(static_cast<double>(event.created_at)));
    line.append(",\"sender\":");
    AppendJsStringLiteral(SenderName(event.sender), &line);
    line.append(",\"payload\":");
    absl::Status s = AppendJsRestringified(event.payload_json, &line);
    if (!s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("event ", event.event_index, " of session \"",
                       event.session_id, "\": payload: ", s.message()));
    }
    line.push_back('}');
    int64_t line_length = Utf16Length(line);
    if (text_length + line_length + 1 > max_chars) {
      text.append(kReplayTruncatedMarker);
      break;
    }
    text.append(line);
    text.push_back('\n');
    text_length += line_length + 1;
  }
  return text;
}

absl::StatusOr<std::optional<std::string>> ReplayTextForSession(
    SessionPersistDriver& driver, absl::string_view session_id,
    int64_t max_events, int64_t max_chars) {
  if (max_events < 1 || max_events > kMaxPageLimit) {
    return absl::InvalidArgumentError(absl::StrCat(
        "replay max events is ", max_events, "; use 1..", kMaxPageLimit,
        " (the SDK's default is ", kDefaultReplayMaxEvents, ")"));
  }
  if (max_chars < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("replay max chars is ", max_chars,
                     "; use a positive number (the SDK's default is ",
                     kDefaultReplayMaxChars, ")"));
  }
  absl::StatusOr<std::vector<SessionEvent>> events =
      driver.LastEvents(session_id, max_events);
  if (!events.ok()) return events.status();
  return BuildReplayText(*events, max_chars);
}

}  // namespace sessionlog
