// Client: one ACP connection per agent, and storing every envelope of its
// sessions.

#include <algorithm>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "api/client/acp_connection.h"
#include "api/client/client.h"
#include "api/client/client_internal.h"
#include "api/client/dispatcher.h"
#include "api/client/event_recorder.h"
#include "api/client/http.h"
#include "api/client/session_state.h"
#include "api/client/uuid.h"

namespace sessionlog {

namespace {

// As the SDK's ACP PROTOCOL_VERSION.
constexpr int kAcpProtocolVersion = 1;

}  // namespace

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
        return StoreEnvelope(connection_id, session_id, sender, envelope, text);
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
  absl::StatusOr<Json> reply =
      connection->CallAndWait("", "initialize", std::move(params),
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
                                   const std::string& session_id, Sender sender,
                                   const Json& envelope,
                                   const std::string& text) {
  if (session_id.empty()) return absl::OkStatus();  // As the SDK: not stored.
  absl::StatusOr<SessionEvent> event =
      recorder_->Record(session_id, connection_id, sender, text);
  if (!event.ok()) return event.status();
  {
    std::lock_guard<std::mutex> lock(mu_);
    int64_t& heard = heard_through_[session_id];
    heard = std::max(heard, event->event_index);
  }
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

}  // namespace sessionlog
