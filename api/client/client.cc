#include "api/client/client.h"

#include <unistd.h>

#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "api/client/acp_connection.h"
#include "api/client/event_recorder.h"
#include "api/client/health.h"
#include "api/client/http.h"
#include "api/client/uuid.h"
#include "api/replay.h"
#include "api/validation.h"
#include "engine/memory/memory_driver.h"
#include "nlohmann/json.hpp"

namespace sessionlog {

// The client's side of one session: its live connection, if any, and the
// replay text waiting for the next prompt.
struct Client::LiveSession {
  absl::Mutex mu;  // Serializes the calls on the session.
  std::unique_ptr<AcpConnection> connection ABSL_GUARDED_BY(mu);
  std::optional<std::string> agent_session_id ABSL_GUARDED_BY(mu);
  std::optional<std::string> pending_replay ABSL_GUARDED_BY(mu);
};

namespace {

// As the SDK's ACP PROTOCOL_VERSION.
constexpr int kAcpProtocolVersion = 1;

std::string WorkingDirectory() {
  char buf[4096];
  return getcwd(buf, sizeof(buf)) != nullptr ? std::string(buf) : "/";
}

// The SDK's normalizeSessionInit: the object given, with cwd and mcpServers
// filled in when missing.
absl::StatusOr<nlohmann::json> SessionInit(absl::string_view json,
                                           absl::string_view cwd) {
  nlohmann::json init = nlohmann::json::object();
  if (!json.empty()) {
    init = nlohmann::json::parse(json.begin(), json.end(), nullptr, false);
    if (!init.is_object()) {
      return absl::InvalidArgumentError(
          absl::StrCat("sessionInit must be a JSON object, e.g. "
                       "{\"cwd\":\"/work\",\"mcpServers\":[]}; got: ",
                       json.substr(0, 100)));
    }
  }
  if (!init.contains("cwd") || init["cwd"].is_null()) {
    init["cwd"] = cwd.empty() ? WorkingDirectory() : std::string(cwd);
  }
  if (!init.contains("mcpServers") || init["mcpServers"].is_null()) {
    init["mcpServers"] = nlohmann::json::array();
  }
  return init;
}

// Fills the record's fields that come from a session/new reply, as the SDK
// does: absent fields become absent.
void ApplyNewSessionReply(const nlohmann::json& reply, SessionRecord* record) {
  const nlohmann::json empty = nlohmann::json::object();
  const nlohmann::json& result =
      reply.contains("result") && reply["result"].is_object() ? reply["result"]
                                                              : empty;
  record->agent_session_id.reset();
  if (result.contains("sessionId") && result["sessionId"].is_string()) {
    record->agent_session_id = result["sessionId"].get<std::string>();
  }
  record->config_options_json.reset();
  if (result.contains("configOptions") && result["configOptions"].is_array()) {
    record->config_options_json = result["configOptions"].dump();
  }
  record->modes_json.reset();
  if (result.contains("modes") &&
      (result["modes"].is_object() || result["modes"].is_null())) {
    record->modes_json = result["modes"].dump();
  }
}

int64_t NowMillis() { return absl::ToUnixMillis(absl::Now()); }

}  // namespace

absl::Status ValidateClientOptions(const ClientOptions& options) {
  if (options.base_url.empty()) {
    return absl::InvalidArgumentError(
        "ClientOptions::base_url is empty; e.g. http://127.0.0.1:2468");
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
  if (client->driver_ == nullptr) {
    absl::StatusOr<std::unique_ptr<SessionPersistDriver>> memory =
        OpenMemoryDriver(DriverOptions());
    if (!memory.ok()) return memory.status();
    client->driver_ = std::move(*memory);
  }
  Client* self = client.get();
  client->recorder_ = std::make_unique<EventRecorder>(
      client->driver_.get(), [self](const SessionEvent& event) {
        absl::MutexLock lock(&self->listener_mu_);
        if (self->listener_) self->listener_(event);
      });
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
  std::vector<std::unique_ptr<AcpConnection>> connections;
  {
    absl::MutexLock lock(&mu_);
    for (auto& [id, live] : sessions_) {
      absl::MutexLock session_lock(&live->mu);
      if (live->connection != nullptr) {
        connections.push_back(std::move(live->connection));
      }
    }
  }
  // Closing waits for the server (up to 2 s each): close them all at once.
  std::vector<std::thread> closers;
  for (auto& connection : connections) {
    closers.emplace_back([c = connection.get()] { c->Close(); });
  }
  for (std::thread& t : closers) t.join();
}

std::shared_ptr<Client::LiveSession> Client::SessionState(
    absl::string_view session_id) {
  absl::MutexLock lock(&mu_);
  std::shared_ptr<LiveSession>& live = sessions_[session_id];
  if (live == nullptr) live = std::make_shared<LiveSession>();
  return live;
}

absl::Status Client::AwaitHealthy() {
  return health_->AwaitHealthy(absl::Now() + options_.health_deadline);
}

absl::Status Client::Observe(absl::Status status) {
  if (absl::IsUnavailable(status)) health_->ReportFailure(status);
  return status;
}

absl::StatusOr<std::unique_ptr<AcpConnection>> Client::OpenConnection(
    const std::string& session_id, const std::string& agent) {
  std::string connection_id = NewUuidV4();
  auto connection = std::make_unique<AcpConnection>(
      http_.get(), agent, connection_id,
      [this, session_id, connection_id](Sender sender,
                                        const std::string& envelope) {
        return recorder_->Record(session_id, connection_id, sender, envelope)
            .status();
      },
      options_.request_timeout);
  nlohmann::json params = {
      {"protocolVersion", kAcpProtocolVersion},
      {"clientInfo", {{"name", options_.client_name}, {"version", "v1"}}}};
  absl::StatusOr<nlohmann::json> reply =
      connection->Call("initialize", std::move(params));
  if (!reply.ok()) return Observe(reply.status());
  return connection;
}

absl::StatusOr<SessionRecord> Client::CreateSession(
    const CreateSessionRequest& request) {
  if (request.agent.empty()) {
    return absl::InvalidArgumentError(
        "CreateSessionRequest::agent is empty; e.g. \"claude\" or \"mock\"");
  }
  std::string id = request.id.empty() ? NewUuidV4() : request.id;
  absl::Status s = ValidateId("session id", id);
  if (!s.ok()) return s;
  absl::StatusOr<nlohmann::json> init =
      SessionInit(request.session_init_json, request.cwd);
  if (!init.ok()) return init.status();
  std::shared_ptr<LiveSession> live = SessionState(id);
  absl::MutexLock lock(&live->mu);
  absl::StatusOr<SessionRecord> existing = driver_->GetSession(id);
  if (existing.ok()) {
    return absl::AlreadyExistsError(absl::StrCat(
        "session \"", id, "\" is already stored; resume it instead"));
  }
  if (!absl::IsNotFound(existing.status())) return existing.status();
  s = AwaitHealthy();
  if (!s.ok()) return s;
  absl::StatusOr<std::unique_ptr<AcpConnection>> connection =
      OpenConnection(id, request.agent);
  if (!connection.ok()) return connection.status();
  absl::StatusOr<nlohmann::json> reply =
      (*connection)->Call("session/new", *init);
  if (!reply.ok()) return Observe(reply.status());
  SessionRecord record;
  record.id = id;
  record.agent = request.agent;
  record.last_connection_id = (*connection)->connection_id();
  record.created_at = NowMillis();
  if (!options_.sandbox_id.empty()) record.sandbox_id = options_.sandbox_id;
  record.session_init_json = init->dump();
  ApplyNewSessionReply(*reply, &record);
  s = driver_->UpdateSession(record);
  if (!s.ok()) return s;
  live->connection = *std::move(connection);
  live->agent_session_id = record.agent_session_id;
  live->pending_replay.reset();
  return record;
}

absl::StatusOr<SessionRecord> Client::ResumeLocked(
    LiveSession& live, absl::string_view session_id) {
  absl::StatusOr<SessionRecord> record = driver_->GetSession(session_id);
  if (!record.ok()) return record.status();
  if (live.connection != nullptr && live.connection->alive() &&
      record->last_connection_id == live.connection->connection_id()) {
    return record;
  }
  // The history as it is before the new connection adds to it.
  absl::StatusOr<std::optional<std::string>> replay =
      ReplayTextForSession(*driver_, session_id, options_.replay_max_events,
                           options_.replay_max_chars);
  if (!replay.ok()) return replay.status();
  if (live.connection != nullptr) {
    live.connection->Close();
    live.connection.reset();
  }
  absl::Status s = AwaitHealthy();
  if (!s.ok()) return s;
  absl::StatusOr<nlohmann::json> init =
      SessionInit(record->session_init_json.value_or(""), "");
  if (!init.ok()) return init.status();
  absl::StatusOr<std::unique_ptr<AcpConnection>> connection =
      OpenConnection(std::string(session_id), record->agent);
  if (!connection.ok()) return connection.status();
  absl::StatusOr<nlohmann::json> reply =
      (*connection)->Call("session/new", *init);
  if (!reply.ok()) return Observe(reply.status());
  SessionRecord updated = *record;
  updated.last_connection_id = (*connection)->connection_id();
  updated.destroyed_at.reset();
  ApplyNewSessionReply(*reply, &updated);
  s = driver_->UpdateSession(updated);
  if (!s.ok()) return s;
  live.connection = *std::move(connection);
  live.agent_session_id = updated.agent_session_id;
  live.pending_replay = *std::move(replay);
  return updated;
}

absl::StatusOr<SessionRecord> Client::ResumeSession(
    absl::string_view session_id) {
  std::shared_ptr<LiveSession> live = SessionState(session_id);
  absl::MutexLock lock(&live->mu);
  return ResumeLocked(*live, session_id);
}

absl::StatusOr<std::string> Client::Prompt(absl::string_view session_id,
                                           absl::string_view text) {
  nlohmann::json blocks =
      nlohmann::json::array({{{"type", "text"}, {"text", std::string(text)}}});
  std::string blocks_json;
  try {
    blocks_json = blocks.dump();
  } catch (const nlohmann::json::exception&) {
    return absl::InvalidArgumentError("the prompt text is not valid UTF-8");
  }
  return PromptBlocks(session_id, blocks_json);
}

absl::StatusOr<std::string> Client::PromptBlocks(
    absl::string_view session_id, absl::string_view blocks_json) {
  nlohmann::json blocks = nlohmann::json::parse(
      blocks_json.begin(), blocks_json.end(), nullptr, false);
  if (!blocks.is_array()) {
    return absl::InvalidArgumentError(
        "the prompt must be a JSON array of ACP content blocks, e.g. "
        "[{\"type\":\"text\",\"text\":\"hi\"}]");
  }
  std::shared_ptr<LiveSession> live = SessionState(session_id);
  absl::MutexLock lock(&live->mu);
  absl::StatusOr<nlohmann::json> reply;
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (live->connection == nullptr || !live->connection->alive()) {
      absl::StatusOr<SessionRecord> resumed = ResumeLocked(*live, session_id);
      if (!resumed.ok()) return resumed.status();
    }
    absl::Status s = AwaitHealthy();
    if (!s.ok()) return s;
    nlohmann::json prompt = blocks;
    if (live->pending_replay.has_value()) {
      // As the SDK's injectReplayPrompt: the history goes first, once.
      nlohmann::json replay_block = {{"type", "text"},
                                     {"text", *live->pending_replay}};
      prompt.insert(prompt.begin(), std::move(replay_block));
    }
    nlohmann::json params = {{"prompt", std::move(prompt)}};
    if (live->agent_session_id.has_value()) {
      params["sessionId"] = *live->agent_session_id;
    }
    reply = live->connection->Call("session/prompt", std::move(params));
    live->pending_replay.reset();
    // The server forgot the connection (it restarted before the stream
    // noticed): the prompt reached no agent, so resume and send it again.
    if (!reply.ok() && absl::IsNotFound(reply.status()) &&
        !live->connection->alive()) {
      continue;
    }
    break;
  }
  if (!reply.ok()) return Observe(reply.status());
  return reply->dump();
}

absl::StatusOr<SessionRecord> Client::DestroySession(
    absl::string_view session_id) {
  std::shared_ptr<LiveSession> live = SessionState(session_id);
  absl::MutexLock lock(&live->mu);
  absl::StatusOr<SessionRecord> record = driver_->GetSession(session_id);
  if (!record.ok()) return record.status();
  if (live->connection != nullptr) {
    if (live->connection->alive()) {
      nlohmann::json params = nlohmann::json::object();
      if (live->agent_session_id.has_value()) {
        params["sessionId"] = *live->agent_session_id;
      }
      // Best effort, as in the SDK.
      live->connection->Notify("session/cancel", std::move(params))
          .IgnoreError();
    }
    live->connection->Close();
    live->connection.reset();
  }
  live->pending_replay.reset();
  record->destroyed_at = NowMillis();
  absl::Status s = driver_->UpdateSession(*record);
  if (!s.ok()) return s;
  return record;
}

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

void Client::SetEventListener(
    std::function<void(const SessionEvent&)> listener) {
  absl::MutexLock lock(&listener_mu_);
  listener_ = std::move(listener);
}

absl::Status Client::StreamStatus(absl::string_view session_id) {
  std::shared_ptr<LiveSession> live = SessionState(session_id);
  absl::MutexLock lock(&live->mu);
  return live->connection != nullptr ? live->connection->stream_status()
                                     : absl::OkStatus();
}

bool Client::healthy() const { return health_->healthy(); }

int Client::ensure_server_calls() const {
  return health_->ensure_server_calls();
}

}  // namespace sessionlog
