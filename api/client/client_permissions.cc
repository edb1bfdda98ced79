// Client: the agent's requests, permission requests and their answers, and
// the listeners and handlers that hear them.

#include <algorithm>
#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api/client/acp_connection.h"
#include "api/client/client.h"
#include "api/client/client_internal.h"
#include "api/client/dispatcher.h"
#include "api/client/session_state.h"
#include "api/client/uuid.h"

namespace sessionlog {

using client_internal::NowMillis;
using client_internal::ParseObject;

void Client::HandleAgentRequest(
    const std::shared_ptr<AcpConnection>& connection,
    const std::string& session_id, const Json& request) {
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
    shared->agent_session_id = params.is_object() &&
                                       params.contains("sessionId") &&
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

absl::StatusOr<std::shared_ptr<Client::PendingPermission>>
Client::TakePendingPermission(absl::string_view permission_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = permissions_.find(permission_id);
  if (it == permissions_.end()) {
    return absl::NotFoundError(
        absl::StrCat("permission \"", permission_id,
                     "\" is not pending (unknown, or already answered)"));
  }
  std::shared_ptr<PendingPermission> pending = it->second;
  permissions_.erase(it);
  return pending;
}

absl::Status Client::RespondPermission(absl::string_view permission_id,
                                       PermissionReply reply) {
  absl::StatusOr<std::shared_ptr<PendingPermission>> taken =
      TakePendingPermission(permission_id);
  if (!taken.ok()) return taken.status();
  std::shared_ptr<PendingPermission> pending = *std::move(taken);
  const char* name = reply == PermissionReply::kOnce     ? "once"
                     : reply == PermissionReply::kAlways ? "always"
                                                         : "reject";
  absl::StatusOr<Json> response =
      PermissionReplyToResponse(pending->params, name);
  if (!response.ok()) {
    // As the SDK: the agent's request fails with the same error.
    Json error = {
        {"code", -32603},
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
  absl::StatusOr<std::shared_ptr<PendingPermission>> taken =
      TakePendingPermission(permission_id);
  if (!taken.ok()) return taken.status();
  std::shared_ptr<PendingPermission> pending = *std::move(taken);
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

}  // namespace sessionlog
