// Options of the thin client (api/client/client.h). Each states its default.

#ifndef SESSIONLOG_API_CLIENT_CLIENT_OPTIONS_H_
#define SESSIONLOG_API_CLIENT_CLIENT_OPTIONS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "api/driver.h"
#include "schema/replay.h"

namespace sessionlog {

// What runs the server: e.g. a sandbox that can be restarted. The SDK's
// SandboxProvider.ensureServer, reduced to what the client calls.
class ServerProvider {
 public:
  virtual ~ServerProvider() = default;

  // Makes sure the server of sandbox `sandbox_id` runs, starting it again if
  // needed. Called by the health rule after 3 consecutive failed checks, from
  // the client's monitor thread or from a thread waiting for health; never
  // twice at once. Its error is ignored (best effort), as in the SDK.
  virtual absl::Status EnsureServer(absl::string_view sandbox_id) = 0;
};

struct ClientOptions {
  // ---- The server ----

  // http://host[:port][/prefix]; https:// works too (OpenSSL). Required.
  std::string base_url;

  // Sent as "Authorization: Bearer <token>" on every request when not empty.
  // Never printed.
  std::string token;

  // For https: a PEM file of the certificate authorities to trust. Empty:
  // the system's. The server's certificate is always verified.
  std::string ca_cert_path;

  // Sent on every request. A header named like one the client sets
  // (Authorization, Accept, Content-Type) is replaced by the client's.
  std::vector<std::pair<std::string, std::string>> headers;

  // ---- Persistence ----

  // Where sessions and events go. Required: e.g. Open("rocksdb:DIR") or
  // Open("memory:") (engine/open.h). Shared: several clients may use one.
  std::shared_ptr<SessionPersistDriver> driver;

  // Restoring a session replays its newest replay_max_events events, in at
  // most replay_max_chars UTF-16 units (see api/replay.h). 1..kMaxPageLimit
  // and >= 1.
  int64_t replay_max_events = kDefaultReplayMaxEvents;
  int64_t replay_max_chars = kDefaultReplayMaxChars;

  // ---- Health ----

  // Optional (not owned; must outlive the client). Its EnsureServer is
  // called with sandbox_id after 3 consecutive failed health checks.
  ServerProvider* provider = nullptr;
  std::string sandbox_id;

  // How long Connect, and each call made while the server is unhealthy, wait
  // for health before failing with Unavailable.
  absl::Duration health_deadline = absl::Seconds(30);

  // A background thread checks health this often while connected, and runs
  // the health rule (with EnsureServer) as soon as a check fails.
  // absl::ZeroDuration() switches it off; calls then check health only after
  // a request failed to reach the server.
  absl::Duration health_monitor_interval = absl::Seconds(2);

  // ---- Requests ----

  // How long a turn (session/prompt) may run before the call returns
  // DeadlineExceeded (the turn goes on; Cancel ends it). Default: no limit,
  // as in the SDK: coding agents' turns often run for many minutes.
  absl::Duration prompt_timeout = absl::InfiniteDuration();

  // Bounds every other request to the agent (initialize, session/new,
  // set_mode, ...) and the server's plain HTTP routes.
  absl::Duration request_timeout = absl::Seconds(120);

  // Sent in ACP initialize as clientInfo.name (initialize is not stored).
  std::string client_name = "sessionlog";
};

// InvalidArgument naming the first option out of range.
absl::Status ValidateClientOptions(const ClientOptions& options);

}  // namespace sessionlog

#endif  // SESSIONLOG_API_CLIENT_CLIENT_OPTIONS_H_
