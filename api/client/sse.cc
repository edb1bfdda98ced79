#include "api/client/sse.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"

namespace sessionlog {

void SseParser::Feed(
    absl::string_view chunk,
    const std::function<void(const std::string& data)>& on_message) {
  buffer_.append(chunk.data(), chunk.size());
  // A CR LF split across chunks pairs up here: the CR waits in the buffer.
  if (buffer_.find('\r') != std::string::npos) {
    buffer_ = absl::StrReplaceAll(buffer_, {{"\r\n", "\n"}});
  }
  size_t separator;
  while ((separator = buffer_.find("\n\n")) != std::string::npos) {
    std::string event = buffer_.substr(0, separator);
    buffer_.erase(0, separator + 2);
    std::string name = "message";
    std::vector<absl::string_view> data;
    for (absl::string_view line : absl::StrSplit(event, '\n')) {
      if (line.empty() || absl::StartsWith(line, ":")) continue;
      if (absl::ConsumePrefix(&line, "event:")) {
        name = std::string(absl::StripAsciiWhitespace(line));
      } else if (absl::ConsumePrefix(&line, "id:")) {
        last_event_id_ = std::string(absl::StripAsciiWhitespace(line));
      } else if (absl::ConsumePrefix(&line, "data:")) {
        data.push_back(absl::StripLeadingAsciiWhitespace(line));
      }
    }
    if (name != "message" || data.empty()) continue;
    std::string payload = absl::StrJoin(data, "\n");
    if (absl::StripAsciiWhitespace(payload).empty()) continue;
    on_message(payload);
  }
}

}  // namespace sessionlog
