// Client: the agents (the server's /v1/agents routes).

#include <algorithm>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "api/client/client.h"
#include "api/client/client_internal.h"
#include "api/client/health.h"
#include "api/client/http.h"

namespace sessionlog {

using client_internal::ParseObject;

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

absl::StatusOr<std::string> Client::InstallAgent(
    absl::string_view agent, absl::string_view request_json) {
  absl::StatusOr<Json> body = ParseObject(request_json, "the install request");
  if (!body.ok()) return body.status();
  absl::Status s = AwaitHealthy();
  if (!s.ok()) return s;
  std::string path = AgentPath(agent, "/install", false);
  // Installing downloads an agent: allow it time.
  absl::StatusOr<HttpReply> reply =
      http_->Send("POST", path, body->dump(),
                  std::max(options_.request_timeout, absl::Minutes(10)));
  if (!reply.ok()) return Observe(reply.status());
  if (reply->status < 200 || reply->status > 299) {
    return ReplyError("POST " + path, *reply);
  }
  return reply->body;
}

}  // namespace sessionlog
