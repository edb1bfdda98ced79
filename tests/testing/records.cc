#include "tests/testing/records.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace sessionlog {
namespace test {

SessionRecord MakeSession(absl::string_view id, int64_t created_at) {
  SessionRecord record;
  record.id = std::string(id);
  record.agent = "mock";
  record.agent_session_id = absl::StrCat("agent-", id);
  record.last_connection_id = "conn-1";
  record.created_at = created_at;
  return record;
}

SessionRecord MakeFullSession(absl::string_view id, int64_t created_at) {
  SessionRecord record = MakeSession(id, created_at);
  record.agent = "claude \xc3\xa9\xe2\x9c\x93";  // "claude é✓"
  record.destroyed_at = created_at + 5000;
  record.sandbox_id = "docker/\xf0\x9f\x98\x80-raw";  // An emoji.
  record.session_init_json =
      R"({"cwd":"/work/\u00e9","mcpServers":[{"name":"fs","command":"npx"}]})";
  record.config_options_json = R"([{"id":"model","value":"opus"},1,null])";
  record.modes_json = R"({"currentModeId":"plan","availableModes":[]})";
  return record;
}

SessionEvent MakeEvent(absl::string_view session_id, int64_t index) {
  SessionEvent event;
  event.id = absl::StrCat(session_id, "/e", index);
  event.event_index = index;
  event.session_id = std::string(session_id);
  event.created_at = 1700000000000 + index;
  event.connection_id = "conn-1";
  event.sender = index % 2 == 0 ? Sender::kAgent : Sender::kClient;
  event.payload_json = absl::StrCat(
      R"({"jsonrpc":"2.0","id":)", index,
      R"(,"method":"session/prompt","params":{"text":"hi )", index, R"("}})");
  return event;
}

SessionEvent MakeEventOfSize(absl::string_view session_id, int64_t index,
                             int64_t payload_bytes) {
  SessionEvent event = MakeEvent(session_id, index);
  event.payload_json =
      absl::StrCat(R"({"jsonrpc":"2.0","method":"session/update","text":")",
                   std::string(payload_bytes, 'x'), "\"}");
  return event;
}

}  // namespace test
}  // namespace sessionlog
