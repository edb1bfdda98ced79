// Client: a C++ service's connection to a sandbox-agent server, with
// sessionlog persistence. It does what the TS SDK's SandboxAgent.connect does:
//
//   * waits for the server's health, with the SDK's backoff, calling the
//     provider's EnsureServer after 3 consecutive failures; and keeps
//     watching health in the background while connected;
//   * creates, prompts, resumes and destroys agent sessions over the server's
//     ACP routes (see acp_connection.h), one ACP connection per session;
//   * stores every JSON-RPC envelope sent or received on a session's
//     connection as a SessionEvent (see event_recorder.h), in order, before
//     acting on it;
//   * restores a session whose connection is gone (a new client, or a server
//     that restarted) with a new agent session, and puts the replay text of
//     its history (api/replay.h) first in the next prompt.
//
// Example (docs/CLIENT.md has the whole program):
//
//   ClientOptions options;
//   options.base_url = "http://127.0.0.1:2468";
//   options.driver = std::move(*Open("rocksdb:/var/lib/app/sessions"));
//   auto client = Client::Connect(options);
//   auto session = (*client)->CreateSession({.agent = "claude"});
//   auto reply = (*client)->Prompt(session->id, "Summarize README.md");
//
// Errors: Unauthenticated when the server refuses the token (the message
// says whether one was sent, never what it is); Unavailable when the server
// cannot be reached and is not healthy again within
// ClientOptions::health_deadline; Internal for a malformed reply (nothing of
// it is stored); NotFound for an unknown session; otherwise the driver's
// errors, or the server's (see http.h ReplyError).
//
// Thread-safe: calls on different sessions run in parallel; calls on one
// session are serialized.

#ifndef SESSIONLOG_API_CLIENT_CLIENT_H_
#define SESSIONLOG_API_CLIENT_CLIENT_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "api/client/client_options.h"
#include "api/driver.h"
#include "api/page.h"
#include "api/session.h"

namespace sessionlog {

class AcpConnection;
class EventRecorder;
class HealthMonitor;
class HttpEndpoint;

struct CreateSessionRequest {
  std::string agent;  // Required, e.g. "claude", "codex", "mock".
  std::string id;     // The local session id; empty: a new UUID.
  // The ACP session/new parameters as a JSON object, e.g.
  // {"cwd":"/work","mcpServers":[]}. Empty: {"cwd": cwd, "mcpServers": []}.
  std::string session_init_json;
  std::string cwd;  // Empty: the process's working directory.
};

class Client {
 public:
  // Checks the options, waits for the server's health (Unavailable after
  // options.health_deadline, Unauthenticated at once on a 401), and starts
  // the health monitor. InvalidArgument naming a bad option.
  static absl::StatusOr<std::unique_ptr<Client>> Connect(ClientOptions options);

  // Closes every ACP connection (best effort) and stops the monitor. The
  // stored sessions stay in the driver, to be resumed by another client.
  ~Client();

  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // ACP initialize and session/new on a new connection, then stores the
  // record (agentSessionId, configOptions and modes from the agent's reply).
  // AlreadyExists when a session with request.id is stored.
  absl::StatusOr<SessionRecord> CreateSession(
      const CreateSessionRequest& request);

  // Sends session/prompt with one text block and returns the reply envelope
  // (JSON text). A session not bound to a live connection is resumed first,
  // and so is one whose connection the server turns out to have forgotten
  // (it restarted): then the prompt is sent once more, on the new one. When a
  // resume left replay text, it goes first, as its own text block.
  absl::StatusOr<std::string> Prompt(absl::string_view session_id,
                                     absl::string_view text);

  // The same with the prompt given as a JSON array of ACP content blocks.
  absl::StatusOr<std::string> PromptBlocks(absl::string_view session_id,
                                           absl::string_view blocks_json);

  // Binds a stored session to a new agent session on a new connection
  // (session/new with its stored sessionInit), clears destroyedAt, and keeps
  // its replay text (computed before anything new is stored) for the next
  // prompt. A session already bound to a live connection is returned as is.
  // NotFound when no such session is stored.
  absl::StatusOr<SessionRecord> ResumeSession(absl::string_view session_id);

  // Sends session/cancel (best effort), closes the session's connection and
  // sets destroyedAt. The record and its events stay. NotFound when unknown.
  absl::StatusOr<SessionRecord> DestroySession(absl::string_view session_id);

  // The replay text that a resume of the session would inject now.
  absl::StatusOr<std::optional<std::string>> ReplayText(
      absl::string_view session_id);

  // Through the driver.
  absl::StatusOr<SessionRecord> GetSession(absl::string_view session_id);
  absl::StatusOr<Page<SessionRecord>> ListSessions(
      const ListSessionsRequest& request);
  absl::StatusOr<Page<SessionEvent>> ListEvents(
      const ListEventsRequest& request);

  // Called with every stored event, on the thread that stored it (a caller's,
  // or a connection's stream reader for notifications). Set it before
  // creating sessions; it must not call back into the Client.
  void SetEventListener(std::function<void(const SessionEvent&)> listener);

  // The first error met while reading a session's notification stream (a
  // malformed envelope, a driver error), or OK.
  absl::Status StreamStatus(absl::string_view session_id);

  // Whether the last health check passed, and how often the provider's
  // EnsureServer was called.
  bool healthy() const;
  int ensure_server_calls() const;

  SessionPersistDriver& driver() { return *driver_; }

 private:
  struct LiveSession;

  explicit Client(ClientOptions options);

  std::shared_ptr<LiveSession> SessionState(absl::string_view session_id);
  absl::Status AwaitHealthy();
  // Notes a failure to reach the server, for the health monitor.
  absl::Status Observe(absl::Status status);
  absl::StatusOr<std::unique_ptr<AcpConnection>> OpenConnection(
      const std::string& session_id, const std::string& agent);
  // Callers hold live.mu.
  absl::StatusOr<SessionRecord> ResumeLocked(LiveSession& live,
                                             absl::string_view session_id);

  ClientOptions options_;
  std::shared_ptr<SessionPersistDriver> driver_;
  std::unique_ptr<HttpEndpoint> http_;
  std::unique_ptr<HealthMonitor> health_;
  std::unique_ptr<EventRecorder> recorder_;

  absl::Mutex listener_mu_;
  std::function<void(const SessionEvent&)> listener_
      ABSL_GUARDED_BY(listener_mu_);

  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<LiveSession>> sessions_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace sessionlog

#endif  // SESSIONLOG_API_CLIENT_CLIENT_H_
