#include "api/client/client.h"

#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "api/client/acp_connection.h"
#include "api/client/dispatcher.h"
#include "api/client/event_recorder.h"
#include "api/client/health.h"
#include "api/client/http.h"
#include "api/client/session_state.h"
#include "api/client/uuid.h"
#include "api/internal/validation.h"
#include "schema/replay.h"

namespace sessionlog {

struct Client::Listener {
  std::string session_id;  // Empty: every session.
  EventListener on_event;
  PermissionHandler on_permission;
};

struct Client::PendingPermission {
  std::string session_id;
  std::shared_ptr<AcpConnection> connection;
  Json request_id;
  Json params;
};

namespace {

// As the SDK's ACP PROTOCOL_VERSION.
constexpr int kAcpProtocolVersion = 1;

int64_t NowMillis() { return absl::ToUnixMillis(absl::Now()); }

std::string Trimmed(absl::string_view text) {
  return std::string(absl::StripAsciiWhitespace(text));
}

absl::StatusOr<Json> ParseObject(absl::string_view json, absl::string_view what) {
  if (json.empty()) return Json::object();
  Json value = Json::parse(json.begin(), json.end(), nullptr, false);
  if (!value.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, " must be a JSON object; got: ", json.substr(0, 100)));
  }
  return value;
}

// Waits for a reply that the connection delivers; the completion goes
// through the callback thread, behind the listeners of the events stored
// before it, unless the waiter is that thread.
class ReplyWaiter {
 public:
  explicit ReplyWaiter(Dispatcher* dispatcher)
      : dispatcher_(dispatcher),
        state_(std::make_shared<State>()),
        future_(state_->promise.get_future()) {
    state_->on_dispatcher = dispatcher->OnDispatcherThread();
  }

  AcpConnection::ReplyCallback Callback() {
    return [dispatcher = dispatcher_,
            state = state_](absl::StatusOr<Json> reply) {
      if (state->on_dispatcher) {
        state->promise.set_value(std::move(reply));
        return;
      }
      auto shared = std::make_shared<absl::StatusOr<Json>>(std::move(reply));
      dispatcher->Post([state, shared] {
        state->promise.set_value(std::move(*shared));
      });
    };
  }

  // DeadlineExceeded when `deadline` passes first.
  absl::StatusOr<Json> Wait(absl::Time deadline, absl::string_view method) {
    if (deadline != absl::InfiniteFuture() &&
        future_.wait_for(absl::ToChronoNanoseconds(deadline - absl::Now())) !=
            std::future_status::ready) {
      return absl::DeadlineExceededError(absl::StrCat(
          "no reply to ", method,
          " before the deadline; the request is still running (for a turn, "
          "Cancel ends it)"));
    }
    return future_.get();
  }

 private:
  struct State {
    std::promise<absl::StatusOr<Json>> promise;
    bool on_dispatcher = false;
  };
  Dispatcher* dispatcher_;
  std::shared_ptr<State> state_;
  std::future<absl::StatusOr<Json>> future_;
};

}  // namespace

absl::Status ValidateClientOptions(const ClientOptions& options) {
  if (options.base_url.empty()) {
    return absl::InvalidArgumentError(
        "ClientOptions::base_url is empty; e.g. http://127.0.0.1:2468");
  }
  if (options.driver == nullptr) {
    return absl::InvalidArgumentError(
        "ClientOptions::driver is null; give the client a store, e.g. "
        "sessionlog::Open(\"rocksdb:/var/lib/app/sessions\") or "
        "Open(\"memory:\") from engine/open.h");
  }
  if (options.replay_max_events < 1 ||
      options.replay_max_events > kMaxPageLimit) {
    return absl::InvalidArgumentError(
        absl::StrCat("ClientOptions::replay_max_events is ",
                     options.replay_max_events, "; use 1..", kMaxPageLimit));
  }
  if (options.replay_max_chars < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("ClientOptions::replay_max_chars is ",
                     options.replay_max_chars, "; use a positive number"));
  }
  if (options.health_deadline <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "ClientOptions::health_deadline must be positive");
  }
  if (options.health_monitor_interval < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "ClientOptions::health_monitor_interval must not be negative (zero "
        "switches the monitor off)");
  }
  if (options.request_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "ClientOptions::request_timeout must be positive");
  }
  if (options.prompt_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "ClientOptions::prompt_timeout must be positive (the default, "
        "absl::InfiniteDuration(), sets no limit)");
  }
  return absl::OkStatus();
}

Client::Client(ClientOptions options) : options_(std::move(options)) {}

absl::StatusOr<std::unique_ptr<Client>> Client::Connect(ClientOptions options) {
  absl::Status s = ValidateClientOptions(options);
  if (!s.ok()) return s;
  absl::StatusOr<HttpEndpoint> http = HttpEndpoint::Create(
      options.base_url, options.token, options.headers, options.ca_cert_path);
  if (!http.ok()) return http.status();
  std::unique_ptr<Client> client(new Client(std::move(options)));
  client->http_ = std::make_unique<HttpEndpoint>(*std::move(http));
  client->driver_ = client->options_.driver;
  client->recorder_ =
      std::make_unique<EventRecorder>(client->driver_.get(), nullptr);
  client->dispatcher_ = std::make_unique<Dispatcher>();
  client->health_ = std::make_unique<HealthMonitor>(
      client->http_.get(), client->options_.provider,
      client->options_.sandbox_id);
  s = client->health_->WaitHealthy(absl::Now() +
                                   client->options_.health_deadline);
  if (!s.ok()) return s;
  if (client->options_.health_monitor_interval > absl::ZeroDuration()) {
    client->health_->StartMonitor(client->options_.health_monitor_interval);
  }
  return client;
}

Client::~Client() {
  health_->Stop();
  std::vector<std::shared_ptr<AcpConnection>> connections;
  std::vector<std::shared_ptr<PendingPermission>> permissions;
  std::vector<std::thread> workers;
  {
    std::lock_guard<std::mutex> lock(mu_);
    closing_ = true;
    for (auto& [agent, connection] : connections_) {
      connections.push_back(connection);
    }
    connections_.clear();
    for (auto& [id, pending] : permissions_) permissions.push_back(pending);
    permissions_.clear();
    workers.swap(workers_);
  }
  // As the SDK's dispose: pending permission requests are cancelled.
  for (auto& pending : permissions) {
    if (pending->connection->alive()) {
      pending->connection
          ->Respond(pending->request_id, CancelledPermissionResponse())
          .IgnoreError();
    }
  }
  // Closing waits for the server (up to 2 s each): close them all at once.
  std::vector<std::thread> closers;
  for (auto& connection : connections) {
    closers.emplace_back([c = connection.get()] { c->Close(); });
  }
  for (std::thread& t : closers) t.join();
  for (std::thread& t : workers) t.join();
  dispatcher_->Stop();
}

absl::Status Client::AwaitHealthy() {
  return health_->AwaitHealthy(absl::Now() + options_.health_deadline);
}

absl::Status Client::Observe(absl::Status status) {
  if (absl::IsUnavailable(status)) health_->ReportFailure(status);
  return status;
}

std::mutex& Client::SessionMutex(const std::string& session_id) {
  std::lock_guard<std::mutex> lock(mu_);
  std::unique_ptr<std::mutex>& m = session_mu_[session_id];
  if (m == nullptr) m = std::make_unique<std::mutex>();
  return *m;
}

// ---- Agents ----

namespace {

std::string AgentPath(absl::string_view agent, absl::string_view suffix,
                      bool config) {
  std::string encoded;
  for (unsigned char c : agent) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' ||
        c == '~') {
      encoded.push_back(static_cast<char>(c));
    } else {
      absl::StrAppend(&encoded, "%", absl::Hex(c, absl::kZeroPad2));
    }
  }
  return absl::StrCat("/v1/agents/", encoded, suffix,
                      config ? "?config=true" : "");
}

}  // namespace

absl::StatusOr<std::string> Client::ListAgents(bool config) {
  absl::Status s = AwaitHealthy();
  if (!s.ok()) return s;
  std::string path = config ? "/v1/agents?config=true" : "/v1/agents";
  absl::StatusOr<HttpReply> reply =
      http_->Send("GET", path, "", options_.request_timeout);
  if (!reply.ok()) return Observe(reply.status());
  if (reply->status != 200) return ReplyError("GET " + path, *reply);
  return reply->body;
}

absl::StatusOr<std::string> Client::GetAgent(absl::string_view agent,
                                             bool config) {
  absl::Status s = AwaitHealthy();
  if (!s.ok()) return s;
  std::string path = AgentPath(agent, "", config);
  absl::StatusOr<HttpReply> reply =
      http_->Send("GET", path, "", options_.request_timeout);
  if (!reply.ok()) return Observe(reply.status());
  if (reply->status == 200) return reply->body;
  absl::Status error = ReplyError("GET " + path, *reply);
  if (reply->status != 404) return error;
  // As the SDK: an agent the route does not know may still be listed.
  absl::StatusOr<std::string> listed = ListAgents(config);
  if (!listed.ok()) return error;
  Json agents = Json::parse(*listed, nullptr, false);
  if (agents.is_object() && agents.contains("agents") &&
      agents["agents"].is_array()) {
    for (const Json& entry : agents["agents"]) {
      if (entry.is_object() && entry.value("id", Json()) == Json(agent)) {
        return entry.dump();
      }
    }
  }
  return error;
}

absl::StatusOr<std::string> Client::InstallAgent(absl::string_view agent,
                                                 absl::string_view request_json) {
  absl::StatusOr<Json> body = ParseObject(request_json, "the install request");
  if (!body.ok()) return body.status();
  absl::Status s = AwaitHealthy();
  if (!s.ok()) return s;
  std::string path = AgentPath(agent, "/install", false);
  // Installing downloads an agent: allow it time.
  absl::StatusOr<HttpReply> reply = http_->Send(
      "POST", path, body->dump(), std::max(options_.request_timeout,
                                           absl::Minutes(10)));
  if (!reply.ok()) return Observe(reply.status());
  if (reply->status < 200 || reply->status > 299) {
    return ReplyError("POST " + path, *reply);
  }
  return reply->body;
}

// ---- Connections and storing ----

absl::StatusOr<std::shared_ptr<AcpConnection>> Client::LiveConnection(
    const std::string& agent) {
  std::shared_ptr<AcpConnection> dead;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closing_) return absl::CancelledError("the client is closing");
    auto it = connections_.find(agent);
    if (it != connections_.end()) {
      if (it->second->alive()) return it->second;
      dead = it->second;
      connections_.erase(it);
    }
  }
  if (dead != nullptr) dead->Close();
  absl::Status s = AwaitHealthy();
  if (!s.ok()) return s;
  auto self = std::make_shared<std::weak_ptr<AcpConnection>>();
  std::string connection_id = NewUuidV4();
  AcpConnection::Options connection_options;
  connection_options.unavailable_after = options_.health_deadline;
  auto connection = std::make_shared<AcpConnection>(
      http_.get(), agent, connection_id,
      [this, connection_id](const std::string& session_id, Sender sender,
                            const Json& envelope, const std::string& text) {
        return StoreEnvelope(connection_id, session_id, sender, envelope,
                             text);
      },
      [this, self](const std::string& session_id, const Json& request) {
        if (std::shared_ptr<AcpConnection> c = self->lock()) {
          HandleAgentRequest(c, session_id, request);
        }
      },
      connection_options);
  *self = connection;
  Json params = {
      {"protocolVersion", kAcpProtocolVersion},
      {"clientInfo", {{"name", options_.client_name}, {"version", "v1"}}}};
  absl::StatusOr<Json> reply = connection->CallAndWait(
      "", "initialize", std::move(params),
      absl::Now() + options_.request_timeout);
  if (reply.ok()) {
    s = RpcErrorStatus("initialize", *reply);
    if (!s.ok()) reply = s;
  }
  if (!reply.ok()) {
    connection->Close();
    return Observe(reply.status());
  }
  // The SDK's autoAuthenticate: an API-key method the agent offers is used;
  // its failure is ignored.
  const Json& result = (*reply)["result"];
  if (result.is_object() && result.contains("authMethods") &&
      result["authMethods"].is_array()) {
    for (const Json& method : result["authMethods"]) {
      if (!method.is_object() || !method.contains("id")) continue;
      const Json& id = method["id"];
      if (id == "codex-api-key" || id == "openai-api-key" ||
          id == "anthropic-api-key") {
        connection
            ->CallAndWait("", "authenticate", {{"methodId", id}},
                          absl::Now() + options_.request_timeout)
            .status()
            .IgnoreError();
        break;
      }
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (closing_) {
    // The destructor no longer sees it: close it here.
    std::thread([connection] { connection->Close(); }).detach();
    return absl::CancelledError("the client is closing");
  }
  auto [it, inserted] = connections_.emplace(agent, connection);
  if (!inserted) {
    // Another thread opened one at the same time: keep the first.
    std::thread closer([connection] { connection->Close(); });
    closer.join();
    return it->second;
  }
  return connection;
}

absl::Status Client::StoreEnvelope(const std::string& connection_id,
                                   const std::string& session_id,
                                   Sender sender, const Json& envelope,
                                   const std::string& text) {
  if (session_id.empty()) return absl::OkStatus();  // As the SDK: not stored.
  absl::StatusOr<SessionEvent> event =
      recorder_->Record(session_id, connection_id, sender, text);
  if (!event.ok()) return event.status();
  if (sender == Sender::kAgent) {
    std::lock_guard<std::mutex> lock(record_mu_);
    absl::StatusOr<SessionRecord> record = driver_->GetSession(session_id);
    if (record.ok() && ApplySessionUpdate(envelope, &*record)) {
      absl::Status s = driver_->UpdateSession(*record);
      if (!s.ok()) return s;
    }
  }
  auto shared = std::make_shared<SessionEvent>(*std::move(event));
  // The listeners subscribed now hear it, unless they unsubscribe first.
  std::vector<std::pair<SubscriptionId, std::shared_ptr<Listener>>> targets;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [id, listener] : listeners_) {
      if (listener->on_event && (listener->session_id.empty() ||
                                 listener->session_id == session_id)) {
        targets.emplace_back(id, listener);
      }
    }
  }
  if (targets.empty()) return absl::OkStatus();
  dispatcher_->Post([this, shared, targets = std::move(targets)]() mutable {
    std::sort(targets.begin(), targets.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto& [id, listener] : targets) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (!listeners_.contains(id)) continue;  // Unsubscribed meanwhile.
      }
      {
        std::lock_guard<std::mutex> lock(callback_mu_);
        running_subscription_ = id;
      }
      listener->on_event(*shared);
      {
        std::lock_guard<std::mutex> lock(callback_mu_);
        running_subscription_ = 0;
        callback_cv_.notify_all();
      }
    }
  });
  return absl::OkStatus();
}

void Client::HandleAgentRequest(const std::shared_ptr<AcpConnection>& connection,
                                const std::string& session_id,
                                const Json& request) {
  const std::string method = request["method"].get<std::string>();
  const Json& id = request["id"];
  const Json params = request.value("params", Json());
  if (method == "session/request_permission") {
    std::vector<std::pair<SubscriptionId, std::shared_ptr<Listener>>> handlers;
    std::string permission_id;
    if (!session_id.empty()) {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto& [sub, listener] : listeners_) {
        if (listener->on_permission && listener->session_id == session_id) {
          handlers.emplace_back(sub, listener);
        }
      }
      if (!handlers.empty() && !closing_) {
        permission_id = NewUuidV4();
        auto pending = std::make_shared<PendingPermission>();
        pending->session_id = session_id;
        pending->connection = connection;
        pending->request_id = id;
        pending->params = params;
        permissions_[permission_id] = std::move(pending);
      }
    }
    if (permission_id.empty()) {
      // No handler: the SDK's answer.
      connection->Respond(id, CancelledPermissionResponse()).IgnoreError();
      return;
    }
    auto shared = std::make_shared<PermissionRequest>();
    shared->id = permission_id;
    shared->created_at = NowMillis();
    shared->session_id = session_id;
    shared->agent_session_id =
        params.is_object() && params.contains("sessionId") &&
                params["sessionId"].is_string()
            ? params["sessionId"].get<std::string>()
            : "";
    Json options = params.is_object() ? params.value("options", Json::array())
                                      : Json::array();
    shared->available_replies = AvailablePermissionReplies(options);
    Json cloned_options = Json::array();
    if (options.is_array()) {
      for (const Json& option : options) {
        Json o = Json::object();
        o["optionId"] = option.value("optionId", Json());
        o["name"] = option.value("name", Json());
        o["kind"] = option.value("kind", Json());
        cloned_options.push_back(std::move(o));
      }
    }
    shared->options_json = cloned_options.dump();
    shared->tool_call_json =
        params.is_object() ? params.value("toolCall", Json()).dump() : "null";
    shared->raw_request_json = params.dump();
    std::sort(handlers.begin(), handlers.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    dispatcher_->Post([this, shared, handlers] {
      for (auto& [sub, listener] : handlers) {
        {
          std::lock_guard<std::mutex> lock(mu_);
          if (!listeners_.contains(sub)) continue;
        }
        {
          std::lock_guard<std::mutex> lock(callback_mu_);
          running_subscription_ = sub;
        }
        listener->on_permission(*shared);
        {
          std::lock_guard<std::mutex> lock(callback_mu_);
          running_subscription_ = 0;
          callback_cv_.notify_all();
        }
      }
    });
    return;
  }
  // The SDK gives fs/* and terminal/* no handler: result null, or {} for
  // release and kill; parameters that are not an object are invalid.
  static const char* const kNullResult[] = {
      "fs/read_text_file", "fs/write_text_file", "terminal/create",
      "terminal/output", "terminal/wait_for_exit"};
  static const char* const kEmptyResult[] = {"terminal/release",
                                             "terminal/kill"};
  bool known = false;
  Json result;
  for (const char* m : kNullResult) known = known || method == m;
  for (const char* m : kEmptyResult) {
    if (method == m) {
      known = true;
      result = Json::object();
    }
  }
  if (known) {
    if (!params.is_object() || !params.contains("sessionId") ||
        !params["sessionId"].is_string()) {
      Json error = {{"code", -32602}, {"message", "Invalid params"}};
      connection->Respond(id, nullptr, std::move(error)).IgnoreError();
      return;
    }
    connection->Respond(id, std::move(result)).IgnoreError();
    return;
  }
  Json error = {{"code", -32601},
                {"message", absl::StrCat("\"Method not found\": ", method)},
                {"data", {{"method", method}}}};
  connection->Respond(id, nullptr, std::move(error)).IgnoreError();
}

// ---- Sessions ----

absl::Status Client::NewRemoteSession(AcpConnection& connection,
                                      SessionRecord& record) {
  absl::StatusOr<Json> init =
      NormalizeSessionInit(record.session_init_json.value_or(""), "");
  if (!init.ok()) return init.status();
  absl::StatusOr<Json> reply = connection.CallAndWait(
      record.id, "session/new", *init,
      absl::Now() + options_.request_timeout);
  if (!reply.ok()) return Observe(reply.status());
  absl::Status s = RpcErrorStatus("session/new", *reply);
  if (!s.ok()) return s;
  ApplyNewSessionResult((*reply)["result"], &record);
  record.last_connection_id = connection.connection_id();
  // An agent that names no session id (the server's echo agent) is bound
  // all the same, so that each call does not resume it again (the SDK would).
  connection.Bind(record.id, record.agent_session_id.value_or(""));
  return absl::OkStatus();
}

absl::StatusOr<SessionRecord> Client::CreateSession(
    const CreateSessionRequest& request) {
  std::string agent = Trimmed(request.agent);
  if (agent.empty()) {
    return absl::InvalidArgumentError(
        "CreateSessionRequest::agent is empty; e.g. \"claude\" or \"mock\"");
  }
  std::string id = Trimmed(request.id);
  if (id.empty()) id = NewUuidV4();
  absl::Status s = ValidateId("session id", id);
  if (!s.ok()) return s;
  absl::StatusOr<Json> init =
      NormalizeSessionInit(request.session_init_json, request.cwd);
  if (!init.ok()) return init.status();
  SessionRecord record;
  {
    std::lock_guard<std::mutex> session_lock(SessionMutex(id));
    absl::StatusOr<SessionRecord> existing = driver_->GetSession(id);
    if (existing.ok()) {
      return absl::AlreadyExistsError(absl::StrCat(
          "session \"", id,
          "\" is already stored; resume it instead (ResumeSession, or "
          "ResumeOrCreateSession)"));
    }
    if (!absl::IsNotFound(existing.status())) return existing.status();
    absl::StatusOr<std::shared_ptr<AcpConnection>> connection =
        LiveConnection(agent);
    if (!connection.ok()) return connection.status();
    record.id = id;
    record.agent = agent;
    record.session_init_json = init->dump();
    if (!options_.sandbox_id.empty()) record.sandbox_id = options_.sandbox_id;
    s = NewRemoteSession(**connection, record);
    if (!s.ok()) return s;
    record.created_at = NowMillis();
    {
      std::lock_guard<std::mutex> lock(record_mu_);
      // Updates the agent sent right after session/new were stored with no
      // record to apply them to; there are none in the SDK either.
      s = driver_->UpdateSession(record);
    }
    if (!s.ok()) return s;
  }
  absl::StatusOr<std::string> set = std::string();
  if (!request.mode.empty()) set = SetMode(id, request.mode);
  if (set.ok() && !request.model.empty()) set = SetModel(id, request.model);
  if (set.ok() && !request.thought_level.empty()) {
    set = SetThoughtLevel(id, request.thought_level);
  }
  if (!set.ok()) {
    DestroySession(id).status().IgnoreError();
    return set.status();
  }
  return driver_->GetSession(id);
}

absl::StatusOr<SessionRecord> Client::ResumeLocked(
    const std::string& session_id, AcpConnection& connection) {
  absl::StatusOr<SessionRecord> record = driver_->GetSession(session_id);
  if (!record.ok()) return record.status();
  // The history as it is before the new agent session adds to it.
  absl::StatusOr<std::optional<std::string>> replay =
      ReplayTextForSession(*driver_, session_id, options_.replay_max_events,
                           options_.replay_max_chars);
  if (!replay.ok()) return replay.status();
  SessionRecord updated = *record;
  absl::Status s = NewRemoteSession(connection, updated);
  if (!s.ok()) return s;
  updated.destroyed_at.reset();
  {
    std::lock_guard<std::mutex> lock(record_mu_);
    s = driver_->UpdateSession(updated);
  }
  if (!s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  if (replay->has_value() && !(*replay)->empty()) {
    pending_replay_[session_id] = **replay;
  } else {
    pending_replay_.erase(session_id);
  }
  return updated;
}

absl::StatusOr<SessionRecord> Client::ResumeSession(
    absl::string_view session_id) {
  std::string id(session_id);
  std::lock_guard<std::mutex> session_lock(SessionMutex(id));
  absl::StatusOr<SessionRecord> record = driver_->GetSession(id);
  if (!record.ok()) return record.status();
  absl::StatusOr<std::shared_ptr<AcpConnection>> connection =
      LiveConnection(record->agent);
  if (!connection.ok()) return connection.status();
  if (record->last_connection_id == (*connection)->connection_id() &&
      (*connection)->IsBound(id, record->agent_session_id.value_or(""))) {
    return record;
  }
  return ResumeLocked(id, **connection);
}

absl::StatusOr<std::shared_ptr<AcpConnection>> Client::BoundConnection(
    const std::string& session_id) {
  std::lock_guard<std::mutex> session_lock(SessionMutex(session_id));
  absl::StatusOr<SessionRecord> record = driver_->GetSession(session_id);
  if (!record.ok()) return record.status();
  absl::StatusOr<std::shared_ptr<AcpConnection>> connection =
      LiveConnection(record->agent);
  if (!connection.ok()) return connection.status();
  if (!(*connection)
           ->IsBound(session_id, record->agent_session_id.value_or(""))) {
    absl::StatusOr<SessionRecord> resumed =
        ResumeLocked(session_id, **connection);
    if (!resumed.ok()) return resumed.status();
  }
  return connection;
}

absl::StatusOr<SessionRecord> Client::ResumeOrCreateSession(
    const CreateSessionRequest& request) {
  std::string id = Trimmed(request.id);
  if (id.empty()) {
    return absl::InvalidArgumentError(
        "ResumeOrCreateSession needs CreateSessionRequest::id");
  }
  absl::StatusOr<SessionRecord> existing = driver_->GetSession(id);
  if (absl::IsNotFound(existing.status())) return CreateSession(request);
  if (!existing.ok()) return existing.status();
  absl::StatusOr<SessionRecord> resumed = ResumeSession(id);
  if (!resumed.ok()) return resumed.status();
  absl::StatusOr<std::string> set = std::string();
  if (!request.mode.empty()) set = SetMode(id, request.mode);
  if (set.ok() && !request.model.empty()) set = SetModel(id, request.model);
  if (set.ok() && !request.thought_level.empty()) {
    set = SetThoughtLevel(id, request.thought_level);
  }
  if (!set.ok()) return set.status();
  return driver_->GetSession(id);
}

absl::StatusOr<std::string> Client::SessionRequest(
    const std::string& session_id, const std::string& method,
    const std::string& params_json, absl::Time deadline) {
  absl::StatusOr<Json> params = ParseObject(params_json, method + " params");
  if (!params.ok()) return params.status();
  absl::StatusOr<Json> reply;
  std::shared_ptr<AcpConnection> connection;
  for (int attempt = 0; attempt < 2; ++attempt) {
    // Calls made while the server is down wait for it, up to the deadline.
    absl::Status healthy = AwaitHealthy();
    if (!healthy.ok()) return healthy;
    absl::StatusOr<std::shared_ptr<AcpConnection>> bound =
        BoundConnection(session_id);
    if (!bound.ok()) {
      // The server forgot the connection while resuming on it: once more,
      // on a new one.
      if (absl::IsNotFound(bound.status()) && attempt == 0) {
        std::lock_guard<std::mutex> lock(mu_);
        absl::StatusOr<SessionRecord> record = driver_->GetSession(session_id);
        auto it = record.ok() ? connections_.find(record->agent)
                              : connections_.end();
        if (it != connections_.end() && !it->second->alive()) continue;
      }
      return Observe(bound.status());
    }
    connection = *bound;
    Json mapped = *params;
    std::optional<std::string> agent_session =
        connection->AgentSessionId(session_id);
    if (agent_session.has_value() && !agent_session->empty()) {
      mapped["sessionId"] = *agent_session;
    }
    if (method == "session/prompt") {
      // As the SDK's injectReplayPrompt: the history goes first, once.
      std::lock_guard<std::mutex> lock(mu_);
      auto it = pending_replay_.find(session_id);
      if (it != pending_replay_.end()) {
        Json prompt = mapped.contains("prompt") && mapped["prompt"].is_array()
                          ? mapped["prompt"]
                          : Json::array();
        prompt.insert(prompt.begin(),
                      Json{{"type", "text"}, {"text", it->second}});
        mapped["prompt"] = std::move(prompt);
        pending_replay_.erase(it);
      }
    }
    ReplyWaiter waiter(dispatcher_.get());
    absl::StatusOr<int64_t> id =
        connection->Call(session_id, method, mapped, waiter.Callback());
    if (!id.ok()) return id.status();
    reply = waiter.Wait(deadline, method);
    // The server forgot the connection (it restarted before the stream
    // noticed): the request reached no agent, so resume and send it again.
    if (!reply.ok() && absl::IsNotFound(reply.status()) &&
        !connection->alive() && attempt == 0) {
      continue;
    }
    break;
  }
  if (!reply.ok()) return Observe(reply.status());
  if (reply->contains("result")) {
    std::lock_guard<std::mutex> lock(record_mu_);
    absl::StatusOr<SessionRecord> record = driver_->GetSession(session_id);
    if (record.ok() &&
        ApplyMethodResult(method, *params, (*reply)["result"], &*record)) {
      absl::Status s = driver_->UpdateSession(*record);
      if (!s.ok()) return s;
    }
  }
  return reply->dump();
}

absl::StatusOr<SessionRecord> Client::DestroySession(
    absl::string_view session_id) {
  std::string id(session_id);
  CancelPermissions(id);
  absl::StatusOr<SessionRecord> record = driver_->GetSession(id);
  if (!record.ok()) return record.status();
  Cancel(id).IgnoreError();  // Best effort, as in the SDK.
  std::lock_guard<std::mutex> lock(record_mu_);
  record = driver_->GetSession(id);
  if (!record.ok()) return record.status();
  record->destroyed_at = NowMillis();
  absl::Status s = driver_->UpdateSession(*record);
  if (!s.ok()) return s;
  return record;
}

// ---- Turns ----

absl::StatusOr<PromptResult> Client::Prompt(absl::string_view session_id,
                                            absl::string_view text) {
  Json blocks = Json::array({{{"type", "text"}, {"text", std::string(text)}}});
  std::string blocks_json;
  try {
    blocks_json = blocks.dump();
  } catch (const Json::exception&) {
    return absl::InvalidArgumentError("the prompt text is not valid UTF-8");
  }
  return PromptBlocks(session_id, blocks_json);
}

absl::StatusOr<PromptResult> Client::PromptBlocks(
    absl::string_view session_id, absl::string_view blocks_json) {
  Json blocks = Json::parse(blocks_json.begin(), blocks_json.end(), nullptr,
                            false);
  if (!blocks.is_array()) {
    return absl::InvalidArgumentError(
        "the prompt must be a JSON array of ACP content blocks, e.g. "
        "[{\"type\":\"text\",\"text\":\"hi\"}]");
  }
  Json params = {{"prompt", std::move(blocks)}};
  absl::Time deadline = options_.prompt_timeout == absl::InfiniteDuration()
                            ? absl::InfiniteFuture()
                            : absl::Now() + options_.prompt_timeout;
  absl::StatusOr<std::string> reply = SessionRequest(
      std::string(session_id), "session/prompt", params.dump(), deadline);
  if (!reply.ok()) return reply.status();
  Json envelope = Json::parse(*reply);
  absl::Status s = RpcErrorStatus("session/prompt", envelope);
  if (!s.ok()) return s;
  PromptResult result;
  result.reply_json = *reply;
  const Json& r = envelope["result"];
  if (r.is_object() && r.contains("stopReason") &&
      r["stopReason"].is_string()) {
    result.stop_reason = r["stopReason"];
  }
  return result;
}

std::shared_future<absl::StatusOr<PromptResult>> Client::PromptAsync(
    absl::string_view session_id, absl::string_view blocks_json,
    PromptCallback done) {
  auto promise = std::make_shared<std::promise<absl::StatusOr<PromptResult>>>();
  std::shared_future<absl::StatusOr<PromptResult>> future =
      promise->get_future().share();
  std::lock_guard<std::mutex> lock(mu_);
  if (closing_) {
    promise->set_value(absl::CancelledError("the client is closing"));
    return future;
  }
  workers_.emplace_back([this, id = std::string(session_id),
                         blocks = std::string(blocks_json), promise,
                         done = std::move(done)]() mutable {
    absl::StatusOr<PromptResult> result = PromptBlocks(id, blocks);
    if (done) {
      auto shared = std::make_shared<absl::StatusOr<PromptResult>>(result);
      dispatcher_->Post([done = std::move(done), shared] { done(*shared); });
    }
    promise->set_value(std::move(result));
  });
  return future;
}

absl::Status Client::Cancel(absl::string_view session_id) {
  std::string id(session_id);
  absl::StatusOr<SessionRecord> record = driver_->GetSession(id);
  if (!record.ok()) return record.status();
  CancelPermissions(id);
  std::shared_ptr<AcpConnection> connection;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = connections_.find(record->agent);
    if (it != connections_.end()) connection = it->second;
  }
  if (connection == nullptr || !connection->alive()) return absl::OkStatus();
  std::optional<std::string> agent_session = connection->AgentSessionId(id);
  if (!agent_session.has_value()) return absl::OkStatus();  // Not bound here.
  return connection->Notify(id, "session/cancel",
                            Json{{"sessionId", *agent_session}});
}

// ---- Modes and config options ----

absl::StatusOr<std::string> Client::SetMode(absl::string_view session_id,
                                            absl::string_view mode_id) {
  std::string mode = Trimmed(mode_id);
  if (mode.empty()) {
    return absl::InvalidArgumentError("SetMode needs a non-empty mode id");
  }
  absl::StatusOr<SessionRecord> record = driver_->GetSession(session_id);
  if (!record.ok()) return record.status();
  std::vector<std::string> known =
      KnownModeIds(ParseField(record->modes_json).value_or(Json()));
  if (!known.empty() &&
      std::find(known.begin(), known.end(), mode) == known.end()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "session \"", session_id, "\" has no mode \"", mode,
        "\"; its modes: ", absl::StrJoin(known, ", ")));
  }
  absl::StatusOr<std::string> reply =
      SessionRequest(std::string(session_id), "session/set_mode",
                     Json{{"modeId", mode}}.dump(),
                     absl::Now() + options_.request_timeout);
  if (!reply.ok()) return reply.status();
  Json envelope = Json::parse(*reply);
  if (envelope.contains("error")) {
    const Json& error = envelope["error"];
    if (error.is_object() && error.value("code", Json()) == Json(-32601)) {
      // The agent has no set_mode: as the SDK, try the mode config option.
      return SetCategoryValue(session_id, "mode", mode);
    }
    return RpcErrorStatus("session/set_mode", envelope);
  }
  return envelope["result"].dump();
}

absl::StatusOr<std::string> Client::SetConfigOption(
    absl::string_view session_id, absl::string_view config_id,
    absl::string_view value) {
  std::string id = Trimmed(config_id);
  std::string v = Trimmed(value);
  if (id.empty() || v.empty()) {
    return absl::InvalidArgumentError(
        "SetConfigOption needs a non-empty config id and value");
  }
  absl::StatusOr<std::string> options_json = GetConfigOptions(session_id);
  if (!options_json.ok()) return options_json.status();
  Json options = Json::parse(*options_json);
  const Json* option = FindConfigOptionById(options, id);
  if (option == nullptr) {
    std::vector<std::string> ids;
    for (const Json& o : options) ids.push_back(o.value("id", ""));
    return absl::InvalidArgumentError(absl::StrCat(
        "session \"", session_id, "\" has no config option \"", id,
        "\"; its options: ", absl::StrJoin(ids, ", ")));
  }
  std::vector<std::string> allowed = ConfigValues(*option);
  if (!allowed.empty() &&
      std::find(allowed.begin(), allowed.end(), v) == allowed.end()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "config option \"", id, "\" of session \"", session_id,
        "\" has no value \"", v, "\"; its values: ",
        absl::StrJoin(allowed, ", ")));
  }
  absl::StatusOr<std::string> reply = SessionRequest(
      std::string(session_id), "session/set_config_option",
      Json{{"configId", id}, {"value", v}}.dump(),
      absl::Now() + options_.request_timeout);
  if (!reply.ok()) return reply.status();
  Json envelope = Json::parse(*reply);
  absl::Status s = RpcErrorStatus("session/set_config_option", envelope);
  if (!s.ok()) return s;
  return envelope["result"].dump();
}

absl::StatusOr<std::string> Client::SetCategoryValue(
    absl::string_view session_id, absl::string_view category,
    absl::string_view value) {
  std::string v = Trimmed(value);
  if (v.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("setting the ", category, " needs a non-empty value"));
  }
  absl::StatusOr<std::string> options_json = GetConfigOptions(session_id);
  if (!options_json.ok()) return options_json.status();
  Json options = Json::parse(*options_json);
  const Json* option = FindConfigOptionByCategory(options, category);
  if (option == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "session \"", session_id, "\" has no config option of category \"",
        category, "\"; its categories: ",
        absl::StrJoin(UniqueCategories(options), ", ")));
  }
  std::vector<std::string> allowed = ConfigValues(*option);
  if (!allowed.empty() &&
      std::find(allowed.begin(), allowed.end(), v) == allowed.end()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the ", category, " of session \"", session_id, "\" cannot be \"", v,
        "\"; its values: ", absl::StrJoin(allowed, ", ")));
  }
  return SetConfigOption(session_id, (*option)["id"].get<std::string>(), v);
}

absl::StatusOr<std::string> Client::SetModel(absl::string_view session_id,
                                             absl::string_view model) {
  return SetCategoryValue(session_id, "model", model);
}

absl::StatusOr<std::string> Client::SetThoughtLevel(
    absl::string_view session_id, absl::string_view level) {
  return SetCategoryValue(session_id, "thought_level", level);
}

absl::StatusOr<std::string> Client::GetConfigOptions(
    absl::string_view session_id) {
  absl::StatusOr<SessionRecord> record = driver_->GetSession(session_id);
  if (!record.ok()) return record.status();
  if (record->config_options_json.has_value()) {
    return *record->config_options_json;
  }
  // As the SDK's hydrateSessionConfigOptions: the agent's options.
  absl::StatusOr<std::string> info = GetAgent(record->agent, true);
  if (!info.ok()) return info.status();
  Json agent = Json::parse(*info, nullptr, false);
  Json options =
      NormalizeConfigOptions(agent.is_object()
                                 ? agent.value("configOptions", Json())
                                 : Json())
          .value_or(Json::array());
  std::lock_guard<std::mutex> lock(record_mu_);
  record = driver_->GetSession(session_id);
  if (!record.ok()) return record.status();
  Json modes = ParseField(record->modes_json).value_or(Json());
  if (modes.is_object() && modes.contains("currentModeId") &&
      modes["currentModeId"].is_string() &&
      !modes["currentModeId"].get<std::string>().empty()) {
    if (const Json* mode = FindConfigOptionByCategory(options, "mode")) {
      options = ApplyConfigOptionValue(options, (*mode)["id"],
                                       modes["currentModeId"])
                    .value_or(options);
    }
  }
  record->config_options_json = options.dump();
  Json derived = DeriveModesFromConfigOptions(options);
  if (!derived.is_null()) record->modes_json = derived.dump();
  absl::Status s = driver_->UpdateSession(*record);
  if (!s.ok()) return s;
  return options.dump();
}

absl::StatusOr<std::string> Client::GetModes(absl::string_view session_id) {
  auto has_modes = [](const Json& modes) {
    return modes.is_object() && modes.contains("availableModes") &&
           modes["availableModes"].is_array() &&
           !modes["availableModes"].empty();
  };
  absl::StatusOr<SessionRecord> record = driver_->GetSession(session_id);
  if (!record.ok()) return record.status();
  Json modes = ParseField(record->modes_json).value_or(Json());
  if (has_modes(modes)) return modes.dump();
  absl::StatusOr<std::string> options_json = GetConfigOptions(session_id);
  if (!options_json.ok()) return options_json.status();
  record = driver_->GetSession(session_id);
  if (!record.ok()) return record.status();
  modes = ParseField(record->modes_json).value_or(Json());
  if (has_modes(modes)) return modes.dump();
  Json derived = DeriveModesFromConfigOptions(Json::parse(*options_json));
  if (derived.is_null()) return modes.dump();
  std::lock_guard<std::mutex> lock(record_mu_);
  record = driver_->GetSession(session_id);
  if (!record.ok()) return record.status();
  record->modes_json = derived.dump();
  absl::Status s = driver_->UpdateSession(*record);
  if (!s.ok()) return s;
  return derived.dump();
}

// ---- Raw ACP ----

absl::StatusOr<std::string> Client::RawRequest(absl::string_view session_id,
                                               absl::string_view method,
                                               absl::string_view params_json) {
  if (method == "session/cancel") {
    return absl::InvalidArgumentError(
        "session/cancel is a notification: use Client::Cancel");
  }
  absl::Time deadline = method == "session/prompt" &&
                                options_.prompt_timeout ==
                                    absl::InfiniteDuration()
                            ? absl::InfiniteFuture()
                            : absl::Now() + (method == "session/prompt"
                                                 ? options_.prompt_timeout
                                                 : options_.request_timeout);
  absl::StatusOr<std::string> reply =
      SessionRequest(std::string(session_id), std::string(method),
                     std::string(params_json), deadline);
  if (!reply.ok()) return reply.status();
  Json envelope = Json::parse(*reply);
  absl::Status s = RpcErrorStatus(method, envelope);
  if (!s.ok()) return s;
  return envelope["result"].dump();
}

absl::Status Client::RawNotify(absl::string_view session_id,
                               absl::string_view method,
                               absl::string_view params_json) {
  if (method == "session/cancel") return Cancel(session_id);
  absl::StatusOr<Json> params =
      ParseObject(params_json, absl::StrCat(method, " params"));
  if (!params.ok()) return params.status();
  std::string id(session_id);
  absl::StatusOr<std::shared_ptr<AcpConnection>> connection =
      BoundConnection(id);
  if (!connection.ok()) return connection.status();
  std::optional<std::string> agent_session = (*connection)->AgentSessionId(id);
  if (agent_session.has_value()) (*params)["sessionId"] = *agent_session;
  return Observe((*connection)->Notify(id, method, *std::move(params)));
}

// ---- Callbacks ----

SubscriptionId Client::AddEventListener(absl::string_view session_id,
                                        EventListener listener) {
  auto entry = std::make_shared<Listener>();
  entry->session_id = std::string(session_id);
  entry->on_event = std::move(listener);
  std::lock_guard<std::mutex> lock(mu_);
  SubscriptionId id = next_subscription_++;
  listeners_[id] = std::move(entry);
  return id;
}

SubscriptionId Client::AddPermissionHandler(absl::string_view session_id,
                                            PermissionHandler handler) {
  auto entry = std::make_shared<Listener>();
  entry->session_id = std::string(session_id);
  entry->on_permission = std::move(handler);
  std::lock_guard<std::mutex> lock(mu_);
  SubscriptionId id = next_subscription_++;
  listeners_[id] = std::move(entry);
  return id;
}

void Client::Unsubscribe(SubscriptionId id) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    listeners_.erase(id);
  }
  if (dispatcher_->OnDispatcherThread()) return;
  std::unique_lock<std::mutex> lock(callback_mu_);
  callback_cv_.wait(lock, [&] { return running_subscription_ != id; });
}

absl::Status Client::RespondPermission(absl::string_view permission_id,
                                       PermissionReply reply) {
  std::shared_ptr<PendingPermission> pending;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = permissions_.find(permission_id);
    if (it == permissions_.end()) {
      return absl::NotFoundError(absl::StrCat(
          "permission \"", permission_id,
          "\" is not pending (unknown, or already answered)"));
    }
    pending = it->second;
    permissions_.erase(it);
  }
  const char* name = reply == PermissionReply::kOnce     ? "once"
                     : reply == PermissionReply::kAlways ? "always"
                                                         : "reject";
  absl::StatusOr<Json> response =
      PermissionReplyToResponse(pending->params, name);
  if (!response.ok()) {
    // As the SDK: the agent's request fails with the same error.
    Json error = {{"code", -32603},
                  {"message", "Internal error"},
                  {"data", {{"details", std::string(response.status().message())}}}};
    pending->connection->Respond(pending->request_id, nullptr, std::move(error))
        .IgnoreError();
    return response.status();
  }
  return pending->connection->Respond(pending->request_id, *response);
}

absl::Status Client::RawRespondPermission(absl::string_view permission_id,
                                          absl::string_view response_json) {
  absl::StatusOr<Json> response =
      ParseObject(response_json, "the permission response");
  if (!response.ok()) return response.status();
  std::shared_ptr<PendingPermission> pending;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = permissions_.find(permission_id);
    if (it == permissions_.end()) {
      return absl::NotFoundError(absl::StrCat(
          "permission \"", permission_id,
          "\" is not pending (unknown, or already answered)"));
    }
    pending = it->second;
    permissions_.erase(it);
  }
  return pending->connection->Respond(pending->request_id, *response);
}

void Client::CancelPermissions(const std::string& session_id) {
  std::vector<std::shared_ptr<PendingPermission>> cancelled;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = permissions_.begin(); it != permissions_.end();) {
      if (it->second->session_id == session_id) {
        cancelled.push_back(it->second);
        permissions_.erase(it++);
      } else {
        ++it;
      }
    }
  }
  for (auto& pending : cancelled) {
    pending->connection
        ->Respond(pending->request_id, CancelledPermissionResponse())
        .IgnoreError();
  }
}

// ---- The store ----

absl::StatusOr<std::optional<std::string>> Client::ReplayText(
    absl::string_view session_id) {
  return ReplayTextForSession(*driver_, session_id, options_.replay_max_events,
                              options_.replay_max_chars);
}

absl::StatusOr<SessionRecord> Client::GetSession(absl::string_view session_id) {
  return driver_->GetSession(session_id);
}

absl::StatusOr<Page<SessionRecord>> Client::ListSessions(
    const ListSessionsRequest& request) {
  return driver_->ListSessions(request);
}

absl::StatusOr<Page<SessionEvent>> Client::ListEvents(
    const ListEventsRequest& request) {
  return driver_->ListEvents(request);
}

absl::Status Client::StreamStatus(absl::string_view agent) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = connections_.find(agent);
  return it != connections_.end() ? it->second->stream_status()
                                  : absl::OkStatus();
}

bool Client::healthy() const { return health_->healthy(); }

int Client::ensure_server_calls() const {
  return health_->ensure_server_calls();
}

}  // namespace sessionlog
