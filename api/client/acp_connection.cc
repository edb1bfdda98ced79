#include "api/client/acp_connection.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "api/client/uuid.h"

namespace sessionlog {
namespace {

std::string UrlEncode(absl::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' ||
        c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      absl::StrAppendFormat(&out, "%%%02X", c);
    }
  }
  return out;
}

// The envelope in `text`, if it is one: a JSON-RPC 2.0 request or
// notification (a string "method"), or a reply (an "id" and exactly one of
// "result" and "error"). Internal otherwise, saying what is wrong.
absl::StatusOr<nlohmann::json> ParseEnvelope(absl::string_view text,
                                             absl::string_view where) {
  nlohmann::json parsed =
      nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  auto malformed = [&](absl::string_view why) {
    return absl::InternalError(absl::StrCat(
        "malformed reply from sandbox-agent (", where, "): ", why,
        "; nothing of it was stored. The text began: ", text.substr(0, 120)));
  };
  if (parsed.is_discarded()) return malformed("not JSON");
  if (!parsed.is_object()) return malformed("not a JSON object");
  auto version = parsed.find("jsonrpc");
  if (version == parsed.end() || *version != "2.0") {
    return malformed("\"jsonrpc\" is not \"2.0\"");
  }
  if (parsed.contains("method")) {
    if (!parsed["method"].is_string())
      return malformed("\"method\" is not a string");
    return parsed;
  }
  if (!parsed.contains("id")) return malformed("neither \"method\" nor \"id\"");
  if (parsed.contains("result") == parsed.contains("error")) {
    return malformed("a reply needs exactly one of \"result\" and \"error\"");
  }
  return parsed;
}

bool IsReply(const nlohmann::json& envelope) {
  return !envelope.contains("method") && envelope.contains("id");
}

}  // namespace

AcpConnection::AcpConnection(const HttpEndpoint* http, std::string agent,
                             std::string connection_id, EnvelopeSink sink,
                             absl::Duration request_timeout)
    : http_(http),
      agent_(std::move(agent)),
      connection_id_(std::move(connection_id)),
      server_id_(absl::StrCat("sessionlog-", NewUuidV4())),
      path_(absl::StrCat("/v1/acp/", server_id_)),
      sink_(std::move(sink)),
      request_timeout_(request_timeout) {}

AcpConnection::~AcpConnection() { Close(); }

absl::StatusOr<HttpReply> AcpConnection::Post(const std::string& envelope) {
  std::string path;
  {
    absl::MutexLock lock(&mu_);
    if (closed_) {
      return absl::FailedPreconditionError(
          absl::StrCat("ACP connection ", server_id_, " is closed"));
    }
    path = posted_ ? path_ : absl::StrCat(path_, "?agent=", UrlEncode(agent_));
  }
  absl::StatusOr<HttpReply> reply =
      http_->Send("POST", path, envelope, request_timeout_);
  if (!reply.ok()) return reply.status();
  // A server that restarted has forgot us: it answers 404, or 400 asking for
  // the ?agent= of a "first POST".
  if (reply->status == 404 ||
      (reply->status == 400 && absl::StrContains(reply->body, "first POST"))) {
    alive_ = false;
    return absl::NotFoundError(absl::StrCat(
        "sandbox-agent at ", http_->base_url(), " no longer knows ACP server ",
        server_id_, " (it restarted?): ",
        ReplyError(absl::StrCat("POST ", path_), *reply).message()));
  }
  if (reply->status < 200 || reply->status > 299) {
    return ReplyError(absl::StrCat("POST ", path_), *reply);
  }
  bool first = false;
  {
    absl::MutexLock lock(&mu_);
    first = !posted_;
    posted_ = true;
  }
  // The stream exists once the first POST created the agent process.
  if (first) StartStreamOnce();
  return reply;
}

absl::Status AcpConnection::Receive(absl::string_view text,
                                    nlohmann::json* parsed) {
  absl::MutexLock lock(&sink_mu_);
  if (IsReply(*parsed)) {
    std::string id = (*parsed)["id"].dump();
    // The server sends replies both in the POST body and on the stream.
    if (!seen_reply_ids_.insert(id).second) return absl::OkStatus();
    stream_replies_[id] = *parsed;
  }
  return sink_(Sender::kAgent, std::string(text));
}

absl::StatusOr<std::string> AcpConnection::StoreOutgoing(
    const nlohmann::json& envelope) {
  std::string text;
  try {
    text = envelope.dump();
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(envelope["method"].get<std::string>(),
                     ": the parameters are not valid UTF-8 (", e.what(), ")"));
  }
  absl::MutexLock lock(&sink_mu_);
  absl::Status s = sink_(Sender::kClient, text);
  if (!s.ok()) return s;
  return text;
}

absl::StatusOr<nlohmann::json> AcpConnection::Call(absl::string_view method,
                                                   nlohmann::json params) {
  int64_t id;
  {
    absl::MutexLock lock(&mu_);
    id = next_id_++;
  }
  nlohmann::json envelope = {{"jsonrpc", "2.0"},
                             {"id", id},
                             {"method", std::string(method)},
                             {"params", std::move(params)}};
  absl::StatusOr<std::string> text = StoreOutgoing(envelope);
  if (!text.ok()) return text.status();
  absl::StatusOr<HttpReply> reply = Post(*text);
  if (!reply.ok()) return reply.status();
  const std::string id_key = nlohmann::json(id).dump();
  std::string where = absl::StrCat(method, ", POST ", path_);
  if (!absl::StripAsciiWhitespace(reply->body).empty()) {
    absl::StatusOr<nlohmann::json> parsed = ParseEnvelope(reply->body, where);
    if (!parsed.ok()) return parsed.status();
    if (!IsReply(*parsed) || (*parsed)["id"].dump() != id_key) {
      return absl::InternalError(
          absl::StrCat("malformed reply from sandbox-agent (", where,
                       "): expected the reply to request id ", id_key,
                       "; nothing of it was stored"));
    }
    absl::Status s = Receive(reply->body, &*parsed);
    if (!s.ok()) return s;
  }
  // A 202 (or an empty body): the reply comes on the stream.
  nlohmann::json result;
  {
    absl::MutexLock lock(&sink_mu_);
    auto arrived = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(sink_mu_) {
      return stream_replies_.contains(id_key);
    };
    if (!sink_mu_.AwaitWithTimeout(absl::Condition(&arrived),
                                   request_timeout_)) {
      return absl::DeadlineExceededError(
          absl::StrCat("no reply to ", method, " (request id ", id_key,
                       ") from ", http_->base_url(), " within ",
                       absl::FormatDuration(request_timeout_)));
    }
    auto it = stream_replies_.find(id_key);
    result = std::move(it->second);
    stream_replies_.erase(it);
  }
  if (result.contains("error")) {
    const nlohmann::json& error = result["error"];
    return absl::UnknownError(absl::StrCat(
        "the agent answered ", method, " with JSON-RPC error ",
        error.is_object() && error.contains("code") ? error["code"].dump()
                                                    : "?",
        ": ",
        error.is_object() && error.contains("message") ? error["message"].dump()
                                                       : error.dump()));
  }
  return result;
}

absl::Status AcpConnection::Notify(absl::string_view method,
                                   nlohmann::json params) {
  nlohmann::json envelope = {{"jsonrpc", "2.0"},
                             {"method", std::string(method)},
                             {"params", std::move(params)}};
  absl::StatusOr<std::string> text = StoreOutgoing(envelope);
  if (!text.ok()) return text.status();
  return Post(*text).status();
}

void AcpConnection::StartStreamOnce() {
  absl::MutexLock lock(&mu_);
  if (closed_ || reader_.joinable()) return;
  reader_ = std::thread([this] { ReadStream(); });
}

void AcpConnection::ReadStream() {
  SseParser parser;
  const absl::Duration kPause = absl::Milliseconds(150);
  absl::Duration backoff = kPause;
  while (!canceller_.cancelled()) {
    HttpHeaders headers = {{"Accept", "text/event-stream"}};
    if (!parser.last_event_id().empty()) {
      headers.emplace_back("Last-Event-ID", parser.last_event_id());
    }
    absl::Status status = http_->Stream(
        path_, headers,
        [&](absl::string_view chunk) {
          parser.Feed(chunk, [&](const std::string& data) {
            absl::StatusOr<nlohmann::json> parsed =
                ParseEnvelope(data, absl::StrCat("GET ", path_));
            if (!parsed.ok()) {
              SetStreamError(parsed.status());
              return;
            }
            absl::Status s = Receive(data, &*parsed);
            if (!s.ok()) SetStreamError(s);
          });
          return !canceller_.cancelled();
        },
        absl::Seconds(30), &canceller_);
    parser.Reset();
    if (canceller_.cancelled()) break;
    if (absl::IsNotFound(status)) {  // The server no longer knows us.
      alive_ = false;
      break;
    }
    if (absl::IsUnauthenticated(status)) {
      SetStreamError(status);
      break;
    }
    backoff = status.ok() ? kPause : std::min(backoff * 2, absl::Seconds(2));
    for (absl::Time until = absl::Now() + backoff;
         absl::Now() < until && !canceller_.cancelled();) {
      absl::SleepFor(absl::Milliseconds(20));
    }
  }
}

void AcpConnection::SetStreamError(const absl::Status& status) {
  absl::MutexLock lock(&mu_);
  if (stream_status_.ok()) stream_status_ = status;
}

absl::Status AcpConnection::stream_status() const {
  absl::MutexLock lock(&mu_);
  return stream_status_;
}

void AcpConnection::Close() {
  bool posted;
  {
    absl::MutexLock lock(&mu_);
    if (closed_) return;
    closed_ = true;
    posted = posted_;
  }
  alive_ = false;
  canceller_.Cancel();
  if (reader_.joinable()) reader_.join();
  // The server can take long to stop the agent; the SDK waits 2 s at most.
  if (posted) http_->Send("DELETE", path_, "", absl::Seconds(2)).IgnoreError();
}

}  // namespace sessionlog
