// A parser for text/event-stream bodies, as the SDK's ACP transport reads
// them: events end at a blank line; "event:" and "id:" values are trimmed;
// "data:" lines lose leading spaces and join with "\n"; lines starting with
// ":" are comments. Only "message" events with data are delivered, but every
// "id:" seen becomes the last event id (sent back as Last-Event-ID when the
// stream is reopened, so that nothing is seen twice).
//
// Not thread-safe: one parser per stream.

#ifndef SESSIONLOG_API_CLIENT_SSE_H_
#define SESSIONLOG_API_CLIENT_SSE_H_

#include <functional>
#include <string>

#include "absl/strings/string_view.h"

namespace sessionlog {

class SseParser {
 public:
  // Feeds one chunk of the body, in any split; calls `on_message` with the
  // data of each complete message event.
  void Feed(absl::string_view chunk,
            const std::function<void(const std::string& data)>& on_message);

  // The last "id:" value seen; empty before any.
  const std::string& last_event_id() const { return last_event_id_; }

  // Forgets a partly received event (the stream was cut); keeps the last id.
  void Reset() { buffer_.clear(); }

 private:
  std::string buffer_;
  std::string last_event_id_;
};

}  // namespace sessionlog

#endif  // SESSIONLOG_API_CLIENT_SSE_H_
