// Client: a C++ service's connection to a sandbox-agent server, with
// sessionlog persistence. It does what the TS SDK's SandboxAgent does, and
// stores exactly what the SDK stores:
//
//   * waits for the server's health with the SDK's backoff, calling the
//     provider's EnsureServer after 3 consecutive failures, and keeps
//     watching health in the background while connected;
//   * runs one ACP connection, so one agent process, per agent, shared by
//     that agent's sessions; sends `initialize` on it (not stored) and, when
//     the agent offers an API-key auth method, `authenticate` (the SDK's
//     autoAuthenticate; its failure is ignored);
//   * stores every envelope of a session (its requests and notifications,
//     the agent's replies, notifications and requests) as a SessionEvent, in
//     the true order: every update of a turn before the turn's result;
//   * answers the agent's requests as the SDK does: permission requests go
//     to the session's permission handlers (none: "cancelled"); fs/* and
//     terminal/* get result null ({} for terminal/release and terminal/kill);
//     anything else JSON-RPC error -32601. The answers are not stored;
//   * keeps the record as the SDK does: modes (null when the agent reports
//     none), configOptions, agentSessionId and lastConnectionId at create
//     and resume, updated from current_mode_update / config_option_update
//     and from the replies to set_mode / set_config_option;
//   * restores a session whose connection is gone (another client created
//     it, or the server restarted) with a new agent session, and puts the
//     replay text of its history first in the next prompt, once.
//
// Example (docs/CLIENT.md has the whole program):
//
//   ClientOptions options;
//   options.base_url = "http://127.0.0.1:2468";
//   options.driver = std::move(*Open("rocksdb:/var/lib/app/sessions"));
//   auto client = Client::Connect(options);
//   auto session = (*client)->CreateSession({.agent = "claude"});
//   (*client)->AddEventListener(session->id, [](const SessionEvent& e) {...});
//   auto result = (*client)->Prompt(session->id, "Summarize README.md");
//   // result->stop_reason == "end_turn"
//
// Errors (absl::Status; no exception leaves the client): InvalidArgument
// naming a bad argument; NotFound for an unknown session or permission id;
// Unauthenticated when the server refuses the token (the message says
// whether one was sent, never what it is); Unavailable when the server
// cannot be reached and is not healthy again within health_deadline;
// Unknown for a JSON-RPC error from the agent (whose reply is stored);
// Internal for a malformed message (nothing of it is stored); otherwise the
// driver's errors.
//
// Thread safety: every method may be called from any thread at once. Calls
// do not wait for each other: a turn runs while the same session is
// cancelled, set to another mode or destroyed, and other sessions prompt.
// Callbacks (event listeners, permission handlers, completion callbacks) run
// one at a time on the client's callback thread, never while the client
// holds a lock, in the order their events were stored. A callback may call
// any method, including blocking ones; a blocking call made from a callback
// waits on the stream, not on other callbacks.

#ifndef SESSIONLOG_API_CLIENT_CLIENT_H_
#define SESSIONLOG_API_CLIENT_CLIENT_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "api/client/client_options.h"
#include "api/driver.h"
#include "api/page.h"
#include "api/session.h"
#include "nlohmann/json_fwd.hpp"

namespace sessionlog {

class AcpConnection;
class Dispatcher;
class EventRecorder;
class HealthMonitor;
class HttpEndpoint;

struct CreateSessionRequest {
  std::string agent;  // Required, e.g. "claude", "codex", "mock".
  std::string id;     // The local session id; empty: a new UUID.
  // The ACP session/new parameters as a JSON object, e.g.
  // {"cwd":"/work","mcpServers":[]}. Missing cwd: `cwd` below, else the
  // process's working directory; missing mcpServers: [].
  std::string session_init_json;
  std::string cwd;
  // Set after creation, as the SDK's createSession does (a failure destroys
  // the new session and is returned). Empty: left as the agent chose.
  std::string mode;
  std::string model;
  std::string thought_level;
};

// The end of a turn.
struct PromptResult {
  std::string stop_reason;  // "end_turn", "cancelled", ...; empty if none.
  std::string reply_json;   // The whole reply envelope, as stored.
};

// A permission request of the agent, as the SDK's onPermissionRequest gives
// it. Answer with Client::RespondPermission(id, ...).
struct PermissionRequest {
  std::string id;  // Local, unique: a v4 UUID.
  int64_t created_at = 0;
  std::string session_id;        // The local session.
  std::string agent_session_id;  // The agent's.
  // The replies that map to one of the options: "once", "always", "reject".
  std::vector<std::string> available_replies;
  std::string options_json;      // [{optionId, name, kind}, ...]
  std::string tool_call_json;    // The tool call the agent wants to make.
  std::string raw_request_json;  // The request's params, whole.
};

// The SDK's permission replies, mapped to the request's options by kind:
// once -> allow_once; always -> allow_always, else allow_once; reject ->
// reject_once, else reject_always.
enum class PermissionReply { kOnce, kAlways, kReject };

using EventListener = std::function<void(const SessionEvent& event)>;
using PermissionHandler = std::function<void(const PermissionRequest& request)>;
using PromptCallback =
    std::function<void(const absl::StatusOr<PromptResult>& result)>;

// Returned by AddEventListener and AddPermissionHandler, for Unsubscribe.
using SubscriptionId = uint64_t;

class Client {
 public:
  // Checks the options (InvalidArgument naming a bad one; options.driver is
  // required), waits for the server's health (Unavailable after
  // options.health_deadline, Unauthenticated at once on a 401), and starts
  // the health monitor.
  static absl::StatusOr<std::unique_ptr<Client>> Connect(ClientOptions options);

  // Answers pending permission requests "cancelled", fails running calls
  // with Cancelled, closes every ACP connection (best effort) and stops the
  // monitor. Must not be called from a callback. The stored sessions stay in
  // the driver, to be resumed by another client.
  ~Client();

  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // ---- Agents (the server's /v1/agents routes; JSON as the server gives) --

  // {"agents":[...]}. With `config`, each agent's configOptions too.
  absl::StatusOr<std::string> ListAgents(bool config = false);
  // One agent; NotFound when the server has no such agent.
  absl::StatusOr<std::string> GetAgent(absl::string_view agent,
                                       bool config = false);
  // Installs it; `request_json` is the body (e.g. {"reinstall":true}).
  absl::StatusOr<std::string> InstallAgent(
      absl::string_view agent, absl::string_view request_json = "{}");

  // ---- Sessions ----

  // session/new on the agent's connection, then stores the record. Then
  // request.mode/model/thought_level, if set. AlreadyExists when a session
  // with request.id is stored.
  absl::StatusOr<SessionRecord> CreateSession(
      const CreateSessionRequest& request);

  // Binds a stored session to a new agent session (session/new with its
  // stored sessionInit), clears destroyedAt, and keeps its replay text
  // (computed before anything new is stored) for the next prompt. A session
  // bound to the agent's live connection is returned as it is, unless its
  // stored history was rewound (SessionPersistDriver::RewindSession) below
  // what that agent session has heard: then it is bound anew, and only what
  // is left is replayed. A fork (SessionPersistDriver::ForkSession) is
  // bound to no agent session: resuming it replays the forked history.
  // NotFound when no such session is stored.
  absl::StatusOr<SessionRecord> ResumeSession(absl::string_view session_id);

  // ResumeSession (then mode/model/thought_level) when request.id is stored,
  // else CreateSession.
  absl::StatusOr<SessionRecord> ResumeOrCreateSession(
      const CreateSessionRequest& request);

  // Cancels pending permission requests ("cancelled"), sends session/cancel
  // (stored; best effort) and sets destroyedAt. A running turn ends as the
  // agent ends it. The record and its events stay; as in the SDK, the
  // session stays bound, so a later prompt goes to the same agent session.
  absl::StatusOr<SessionRecord> DestroySession(absl::string_view session_id);

  // ---- Turns ----

  // Sends session/prompt with one text block and waits for the end of the
  // turn, however long (ClientOptions::prompt_timeout bounds it when set:
  // DeadlineExceeded, and the turn goes on). A session not bound to a live
  // connection is resumed first; pending replay text goes first, as its own
  // text block. Returns after every event of the turn was stored and given
  // to the listeners. A JSON-RPC error reply is Unknown (and stored).
  absl::StatusOr<PromptResult> Prompt(absl::string_view session_id,
                                      absl::string_view text);
  // The same with the prompt as a JSON array of ACP content blocks.
  absl::StatusOr<PromptResult> PromptBlocks(absl::string_view session_id,
                                            absl::string_view blocks_json);
  // The same, returning at once. `done` (may be empty) is called on the
  // callback thread with the result; the future gets it too.
  std::shared_future<absl::StatusOr<PromptResult>> PromptAsync(
      absl::string_view session_id, absl::string_view blocks_json,
      PromptCallback done = nullptr);

  // Sends session/cancel for the session's running turn (stored), and
  // answers its pending permission requests "cancelled". The turn ends with
  // the agent's stopReason ("cancelled"). OK when nothing runs.
  absl::Status Cancel(absl::string_view session_id);

  // ---- Modes and config options (the SDK's rules) ----

  // session/set_mode; the record's modes.currentModeId (and the mode config
  // option) follow. InvalidArgument for a mode the agent did not list.
  // Falls back to the "mode" config option when the agent answers -32601.
  // Returns the reply's result (JSON).
  absl::StatusOr<std::string> SetMode(absl::string_view session_id,
                                      absl::string_view mode_id);
  // session/set_config_option; the record's configOptions follow (the
  // reply's, else the value applied). InvalidArgument for an unknown option
  // or a value it does not list.
  absl::StatusOr<std::string> SetConfigOption(absl::string_view session_id,
                                              absl::string_view config_id,
                                              absl::string_view value);
  // The config option of category "model" / "thought_level".
  absl::StatusOr<std::string> SetModel(absl::string_view session_id,
                                       absl::string_view model);
  absl::StatusOr<std::string> SetThoughtLevel(absl::string_view session_id,
                                              absl::string_view level);
  // The record's configOptions (JSON array); when it has none, the agent's
  // from GET /v1/agents/{agent}?config=true, stored into the record.
  absl::StatusOr<std::string> GetConfigOptions(absl::string_view session_id);
  // The record's modes (JSON object, or "null"); derived from the mode
  // config option, and stored, when the agent reported no modes.
  absl::StatusOr<std::string> GetModes(absl::string_view session_id);

  // ---- Raw ACP ----

  // Any session method (params: a JSON object; sessionId is set to the
  // agent's); returns the reply's result. session/cancel goes through
  // Cancel. A JSON-RPC error is Unknown.
  absl::StatusOr<std::string> RawRequest(absl::string_view session_id,
                                         absl::string_view method,
                                         absl::string_view params_json = "{}");
  absl::Status RawNotify(absl::string_view session_id, absl::string_view method,
                         absl::string_view params_json = "{}");

  // ---- Callbacks ----

  // Calls `listener` with each event stored for `session_id` (empty: every
  // session), both directions, on the callback thread.
  SubscriptionId AddEventListener(absl::string_view session_id,
                                  EventListener listener);
  // Calls `handler` with each permission request of the session's agent.
  // With no handler, requests are answered "cancelled" at once, as the SDK
  // does.
  SubscriptionId AddPermissionHandler(absl::string_view session_id,
                                      PermissionHandler handler);
  // Removes a listener or handler. Once it returns, the callback is not
  // running and will not run again (from a callback, the callback itself
  // may still be running). Unknown ids are ignored.
  void Unsubscribe(SubscriptionId id);

  // Answers a pending permission request. NotFound for an unknown (or
  // already answered) id; InvalidArgument when no option has the kind the
  // reply needs (the request is then rejected with that error, as the SDK
  // does).
  absl::Status RespondPermission(absl::string_view permission_id,
                                 PermissionReply reply);
  // Answers with the given RequestPermissionResponse (a JSON object).
  absl::Status RawRespondPermission(absl::string_view permission_id,
                                    absl::string_view response_json);

  // ---- The store ----

  absl::StatusOr<SessionRecord> GetSession(absl::string_view session_id);
  absl::StatusOr<Page<SessionRecord>> ListSessions(
      const ListSessionsRequest& request);
  absl::StatusOr<Page<SessionEvent>> ListEvents(
      const ListEventsRequest& request);
  // The replay text that a resume of the session would inject now.
  absl::StatusOr<std::optional<std::string>> ReplayText(
      absl::string_view session_id);

  // The first error met while handling the agent's stream (a malformed
  // message, a store error) on the connection of `agent`, or OK.
  absl::Status StreamStatus(absl::string_view agent);

  // Whether the last health check passed, and how often the provider's
  // EnsureServer was called.
  bool healthy() const;
  int ensure_server_calls() const;

  SessionPersistDriver& driver() { return *driver_; }

 private:
  struct Listener;
  struct PendingPermission;

  explicit Client(ClientOptions options);

  absl::Status AwaitHealthy();
  // Notes a failure to reach the server, for the health monitor.
  absl::Status Observe(absl::Status status);
  std::mutex& SessionMutex(const std::string& session_id);
  // The live connection of `agent`, opened (initialize, authenticate) if
  // there is none or it died.
  absl::StatusOr<std::shared_ptr<AcpConnection>> LiveConnection(
      const std::string& agent);
  // session/new for `record` on `connection`; fills the record from the
  // reply and binds the session.
  absl::Status NewRemoteSession(AcpConnection& connection,
                                SessionRecord& record);
  // The connection the session is bound to, resuming it there if needed
  // (not bound, or rewound below what its agent session heard).
  absl::StatusOr<std::shared_ptr<AcpConnection>> BoundConnection(
      const std::string& session_id);
  // Whether `record`'s session is bound on `connection` to an agent session
  // that has heard no more than the store's history holds. False when the
  // history was rewound under the client (it ends below heard_through_):
  // that agent session remembers turns the store no longer has.
  absl::StatusOr<bool> BoundToStoredHistory(const SessionRecord& record,
                                            AcpConnection& connection);
  // Callers hold the session's mutex.
  absl::StatusOr<SessionRecord> ResumeLocked(const std::string& session_id,
                                             AcpConnection& connection);
  // Sends a session method, waits for its reply envelope (returned as text,
  // a JSON-RPC error included), and updates the record from it.
  absl::StatusOr<std::string> SessionRequest(const std::string& session_id,
                                             const std::string& method,
                                             const std::string& params_json,
                                             absl::Time deadline);
  absl::StatusOr<std::string> SetCategoryValue(absl::string_view session_id,
                                               absl::string_view category,
                                               absl::string_view value);
  // Called by the connections for every envelope, in order.
  absl::Status StoreEnvelope(const std::string& connection_id,
                             const std::string& session_id, Sender sender,
                             const nlohmann::ordered_json& envelope,
                             const std::string& text);
  // Called on a connection's stream thread for each request of the agent.
  void HandleAgentRequest(const std::shared_ptr<AcpConnection>& connection,
                          const std::string& session_id,
                          const nlohmann::ordered_json& request);
  void CancelPermissions(const std::string& session_id);
  // Removes and returns the pending permission request `permission_id`;
  // NotFound when it is unknown or already answered.
  absl::StatusOr<std::shared_ptr<PendingPermission>> TakePendingPermission(
      absl::string_view permission_id);

  ClientOptions options_;
  std::shared_ptr<SessionPersistDriver> driver_;
  std::unique_ptr<HttpEndpoint> http_;
  std::unique_ptr<HealthMonitor> health_;
  std::unique_ptr<EventRecorder> recorder_;
  std::unique_ptr<Dispatcher> dispatcher_;

  // Read-modify-write of records (stream updates, set_mode replies,
  // destroy) one at a time.
  std::mutex record_mu_;

  std::mutex mu_;  // Guards what follows.
  bool closing_ = false;
  absl::flat_hash_map<std::string, std::shared_ptr<AcpConnection>>
      connections_;  // By agent.
  absl::flat_hash_map<std::string, std::unique_ptr<std::mutex>> session_mu_;
  absl::flat_hash_map<std::string, std::string> pending_replay_;
  // By session: the highest event index its agent session has heard, as
  // replay or since it was bound. Appends only raise a session's highest
  // index, so only a rewind brings it below this.
  absl::flat_hash_map<std::string, int64_t> heard_through_;
  absl::flat_hash_map<SubscriptionId, std::shared_ptr<Listener>> listeners_;
  absl::flat_hash_map<std::string, std::shared_ptr<PendingPermission>>
      permissions_;
  SubscriptionId next_subscription_ = 1;
  std::vector<std::thread> workers_;

  // The callback thread's current subscription, for Unsubscribe.
  std::mutex callback_mu_;
  std::condition_variable callback_cv_;
  SubscriptionId running_subscription_ = 0;
};

}  // namespace sessionlog

#endif  // SESSIONLOG_API_CLIENT_CLIENT_H_
