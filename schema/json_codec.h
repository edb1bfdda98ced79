// struct <-> JSON, with the sandbox-agent SDK's field names: the interchange
// format of `sessionlog export/import` and of everything that talks to the TS
// SDK.
//
//   SessionRecord: {"id","agent","agentSessionId","lastConnectionId",
//                   "createdAt","destroyedAt","sandboxId","sessionInit",
//                   "configOptions","modes"}
//   SessionEvent:  {"id","eventIndex","sessionId","createdAt","connectionId",
//                   "sender","payload"}
//
// Optional fields are omitted when absent, as JSON.stringify does; "modes":
// null is kept distinct from an absent modes. JSON-typed fields are embedded
// as JSON values (not strings), so the output is what the SDK writes.

#ifndef SESSIONLOG_SCHEMA_JSON_CODEC_H_
#define SESSIONLOG_SCHEMA_JSON_CODEC_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "api/session.h"

namespace sessionlog {

// One line of JSON (no newline), keys in the SDK's order.
std::string SessionRecordToJson(const SessionRecord& record);
std::string SessionEventToJson(const SessionEvent& event);

// Parses one JSON object. InvalidArgument names the field at fault, with the
// SDK's field names: e.g. "session.createdAt: must be an integer". Unknown
// fields are refused rather than silently dropped. Only the shape is checked
// here; the driver validates the values (api/validation.h).
absl::StatusOr<SessionRecord> SessionRecordFromJson(absl::string_view json);
absl::StatusOr<SessionEvent> SessionEventFromJson(absl::string_view json);

// A JSON Lines record of `sessionlog export/import`: exactly one of
// {"session":{...}} or {"event":{...}}.
struct JsonLine {
  std::optional<SessionRecord> session;
  std::optional<SessionEvent> event;
};
absl::StatusOr<JsonLine> JsonLineFromJson(absl::string_view json);
std::string JsonLineToJson(const SessionRecord& record);
std::string JsonLineToJson(const SessionEvent& event);

}  // namespace sessionlog

#endif  // SESSIONLOG_SCHEMA_JSON_CODEC_H_
