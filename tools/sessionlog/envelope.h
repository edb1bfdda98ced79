// What a person wants to see of a JSON-RPC envelope in one line: its method
// (or that it is a result or an error) and its text content.

#ifndef SESSIONLOG_TOOLS_SESSIONLOG_ENVELOPE_H_
#define SESSIONLOG_TOOLS_SESSIONLOG_ENVELOPE_H_

#include <string>

#include "absl/strings/string_view.h"

namespace sessionlog {
namespace cli {

struct EnvelopeSummary {
  // "session/prompt"; "result #3" or "error #3" for a response to request 3;
  // for session/update, "session/update:<kind>", e.g. agent_message_chunk.
  std::string method;
  // The human-readable content: prompt and message text, a tool call's title
  // and status, a result's stopReason, an error's message. Empty if none.
  std::string text;
};

// Never fails: a payload that is not a JSON-RPC envelope gets method "?" and
// its JSON text as text.
EnvelopeSummary SummarizeEnvelope(absl::string_view payload_json);

}  // namespace cli
}  // namespace sessionlog

#endif  // SESSIONLOG_TOOLS_SESSIONLOG_ENVELOPE_H_
