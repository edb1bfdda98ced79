// The two records that sessionlog stores: a SessionRecord per session and a
// SessionEvent per JSON-RPC envelope seen on a session's connection.
//
// Field names follow the sandbox-agent TypeScript SDK (see the JSON codec in
// schema/json_codec.h for the exact interchange form). JSON-typed fields hold
// the JSON text that the caller gave; sessionlog validates it but never
// rewrites it.

#ifndef SESSIONLOG_API_SESSION_H_
#define SESSIONLOG_API_SESSION_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace sessionlog {

// The largest integer JavaScript represents exactly (2^53 - 1). Integers the
// SDK would read back differently are refused.
inline constexpr int64_t kMaxSafeInteger = (int64_t{1} << 53) - 1;

// Who sent an envelope: the SDK side ("client") or the agent ("agent").
enum class Sender : uint8_t { kClient = 0, kAgent = 1 };

// "client" or "agent".
absl::string_view SenderName(Sender sender);

// Parses "client" or "agent"; anything else is InvalidArgument.
absl::StatusOr<Sender> ParseSender(absl::string_view name);

struct SessionRecord {
  std::string id;     // Local session id. Non-empty.
  std::string agent;  // Agent name, e.g. "claude", "codex", "mock".
  // The id the agent process gave the session. A mock agent may give none.
  std::optional<std::string> agent_session_id;
  std::string last_connection_id;  // Connection that last bound the session.
  int64_t created_at = 0;          // Milliseconds since the Unix epoch.
  std::optional<int64_t> destroyed_at;    // Set by destroy, cleared by resume.
  std::optional<std::string> sandbox_id;  // "provider/rawId".
  // JSON object text, e.g. {"cwd":"/w","mcpServers":[]}.
  std::optional<std::string> session_init_json;
  // JSON array text of the agent's config options.
  std::optional<std::string> config_options_json;
  // JSON object text, or the text "null": a null `modes` is distinct from an
  // absent one.
  std::optional<std::string> modes_json;

  friend bool operator==(const SessionRecord& a, const SessionRecord& b);
  friend bool operator!=(const SessionRecord& a, const SessionRecord& b) {
    return !(a == b);
  }
};

struct SessionEvent {
  std::string id;  // Unique per insert attempt (the SDK uses a v4 UUID).
  int64_t event_index = 0;  // Per-session ordering key, >= 0.
  std::string session_id;   // The session the event belongs to. Non-empty.
  int64_t created_at = 0;   // Milliseconds since the Unix epoch.
  std::string connection_id;
  Sender sender = Sender::kClient;
  std::string payload_json;  // The JSON-RPC 2.0 envelope, as JSON text.

  friend bool operator==(const SessionEvent& a, const SessionEvent& b);
  friend bool operator!=(const SessionEvent& a, const SessionEvent& b) {
    return !(a == b);
  }
};

}  // namespace sessionlog

#endif  // SESSIONLOG_API_SESSION_H_
