#include "api/client/client.h"

#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "api/client/acp_connection.h"
#include "api/client/client_internal.h"
#include "api/client/dispatcher.h"
#include "api/client/event_recorder.h"
#include "api/client/health.h"
#include "api/client/http.h"
#include "api/client/session_state.h"
#include "schema/replay.h"

namespace sessionlog {

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
