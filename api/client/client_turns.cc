// Client: turns (prompt, async prompt, cancel) and raw ACP requests.

#include <future>
#include <memory>
#include <optional>
#include <utility>

#include "absl/time/clock.h"
#include "api/client/acp_connection.h"
#include "api/client/client.h"
#include "api/client/client_internal.h"
#include "api/client/dispatcher.h"
#include "api/client/session_state.h"

namespace sessionlog {

using client_internal::ParseObject;

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
  Json blocks =
      Json::parse(blocks_json.begin(), blocks_json.end(), nullptr, false);
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

// ---- Raw ACP ----

absl::StatusOr<std::string> Client::RawRequest(absl::string_view session_id,
                                               absl::string_view method,
                                               absl::string_view params_json) {
  if (method == "session/cancel") {
    return absl::InvalidArgumentError(
        "session/cancel is a notification: use Client::Cancel");
  }
  absl::Time deadline =
      method == "session/prompt" &&
              options_.prompt_timeout == absl::InfiniteDuration()
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

}  // namespace sessionlog
