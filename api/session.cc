#include "api/session.h"

#include <tuple>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace sessionlog {

absl::string_view SenderName(Sender sender) {
  return sender == Sender::kAgent ? "agent" : "client";
}

absl::StatusOr<Sender> ParseSender(absl::string_view name) {
  if (name == "client") return Sender::kClient;
  if (name == "agent") return Sender::kAgent;
  return absl::InvalidArgumentError(absl::StrCat(
      "sender: expected \"client\" or \"agent\", got \"", name, "\""));
}

bool operator==(const SessionRecord& a, const SessionRecord& b) {
  auto tie = [](const SessionRecord& r) {
    return std::tie(r.id, r.agent, r.agent_session_id, r.last_connection_id,
                    r.created_at, r.destroyed_at, r.sandbox_id,
                    r.session_init_json, r.config_options_json, r.modes_json);
  };
  return tie(a) == tie(b);
}

bool operator==(const SessionEvent& a, const SessionEvent& b) {
  auto tie = [](const SessionEvent& e) {
    return std::tie(e.id, e.event_index, e.session_id, e.created_at,
                    e.connection_id, e.sender, e.payload_json);
  };
  return tie(a) == tie(b);
}

}  // namespace sessionlog
