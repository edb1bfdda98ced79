#include "api/client/acp_connection.h"

#include <future>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "api/client/sse.h"
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
absl::StatusOr<Json> ParseEnvelope(absl::string_view text,
                                   absl::string_view where) {
  Json parsed = Json::parse(text.begin(), text.end(), nullptr, false);
  auto malformed = [&](absl::string_view why) {
    return absl::InternalError(absl::StrCat(
        "malformed message from sandbox-agent (", where, "): ", why,
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

bool IsReply(const Json& envelope) {
  return !envelope.contains("method") && envelope.contains("id");
}

std::string ParamsSessionId(const Json& envelope) {
  auto params = envelope.find("params");
  if (params == envelope.end() || !params->is_object()) return "";
  auto id = params->find("sessionId");
  if (id == params->end() || !id->is_string()) return "";
  return id->get<std::string>();
}

absl::StatusOr<std::string> Dump(const Json& envelope,
                                 absl::string_view method) {
  try {
    return envelope.dump();
  } catch (const Json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(
        method, ": the parameters are not valid UTF-8 (", e.what(), ")"));
  }
}

}  // namespace

absl::Status RpcErrorStatus(absl::string_view method, const Json& reply) {
  auto error = reply.find("error");
  if (error == reply.end()) return absl::OkStatus();
  return absl::UnknownError(absl::StrCat(
      "the agent answered ", method, " with JSON-RPC error ",
      error->is_object() && error->contains("code") ? (*error)["code"].dump()
                                                    : "?",
      ": ",
      error->is_object() && error->contains("message")
          ? (*error)["message"].dump()
          : error->dump()));
}

AcpConnection::AcpConnection(const HttpEndpoint* http, std::string agent,
                             std::string connection_id, Observer observer,
                             RequestHandler on_request, Options options)
    : http_(http),
      agent_(std::move(agent)),
      connection_id_(std::move(connection_id)),
      server_id_(absl::StrCat("sessionlog-", agent_, "-", NewUuidV4())),
      path_(absl::StrCat("/v1/acp/", UrlEncode(server_id_))),
      observer_(std::move(observer)),
      on_request_(std::move(on_request)),
      options_(options) {}

AcpConnection::~AcpConnection() { Close(); }

absl::StatusOr<HttpReply> AcpConnection::Post(const std::string& text,
                                              absl::Duration timeout,
                                              StreamCanceller* canceller) {
  std::string path;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) {
      return absl::CancelledError(
          absl::StrCat("ACP connection ", server_id_, " is closed"));
    }
    path = posted_ ? path_ : absl::StrCat(path_, "?agent=", UrlEncode(agent_));
  }
  absl::StatusOr<HttpReply> reply =
      http_->Send("POST", path, text, timeout, canceller);
  if (!reply.ok()) return reply.status();
  // A server that restarted has forgotten us: it answers 404, or 400 asking
  // for the ?agent= of a "first POST".
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
    std::lock_guard<std::mutex> lock(mu_);
    first = !posted_;
    posted_ = true;
  }
  // The stream exists once the first POST created the agent process.
  if (first) StartStreamOnce();
  return reply;
}

void AcpConnection::ReapPosters() {
  std::list<std::unique_ptr<Poster>> finished;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = posters_.begin(); it != posters_.end();) {
      if ((*it)->finished.load()) {
        finished.push_back(std::move(*it));
        it = posters_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& poster : finished) poster->thread.join();
}

absl::StatusOr<int64_t> AcpConnection::Call(const std::string& session_id,
                                            absl::string_view method,
                                            Json params, ReplyCallback done) {
  ReapPosters();
  auto poster = std::make_unique<Poster>();
  int64_t id;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) {
      return absl::FailedPreconditionError(
          absl::StrCat("ACP connection ", server_id_, " is closed"));
    }
    id = next_id_++;
  }
  Json envelope = {{"jsonrpc", "2.0"},
                   {"id", id},
                   {"method", std::string(method)},
                   {"params", std::move(params)}};
  absl::StatusOr<std::string> text = Dump(envelope, method);
  if (!text.ok()) return text.status();
  {
    std::lock_guard<std::mutex> lock(order_mu_);
    absl::Status s = observer_(session_id, Sender::kClient, envelope, *text);
    if (!s.ok()) return s;
    pending_[id] = Pending{session_id, std::string(method), std::move(done),
                           &poster->canceller};
  }
  Poster* raw = poster.get();
  {
    std::lock_guard<std::mutex> lock(mu_);
    posters_.push_back(std::move(poster));
    raw->thread = std::thread(
        [this, id, text = *std::move(text), raw]() mutable {
          PostRequest(id, std::move(text), raw);
          raw->finished = true;
        });
  }
  return id;
}

void AcpConnection::PostRequest(int64_t id, std::string text, Poster* poster) {
  absl::StatusOr<HttpReply> reply =
      Post(text, options_.post_timeout, &poster->canceller);
  if (!reply.ok()) {
    // Cancelled: the stream delivered the reply first, or the connection
    // closed (which failed the call already).
    if (!absl::IsCancelled(reply.status())) Fail(id, reply.status());
    return;
  }
  if (absl::StripAsciiWhitespace(reply->body).empty()) return;  // 202.
  absl::StatusOr<Json> parsed =
      ParseEnvelope(reply->body, absl::StrCat("POST ", path_));
  if (!parsed.ok()) {
    Fail(id, parsed.status());
    return;
  }
  if (!IsReply(*parsed) || (*parsed)["id"] != Json(id)) {
    Fail(id, absl::InternalError(absl::StrCat(
                 "malformed reply from sandbox-agent (POST ", path_,
                 "): expected the reply to request id ", id,
                 "; nothing of it was stored")));
    return;
  }
  // The stream carries the same reply after the agent's messages that came
  // before it: wait for it there, so that they are stored first.
  const std::string key = Json(id).dump();
  {
    std::unique_lock<std::mutex> lock(order_mu_);
    replied_cv_.wait_for(
        lock, absl::ToChronoNanoseconds(options_.stream_grace), [&] {
          return seen_reply_ids_.contains(key) || !alive_.load();
        });
    if (seen_reply_ids_.contains(key)) return;
  }
  Receive(*parsed, reply->body);
}

absl::StatusOr<Json> AcpConnection::CallAndWait(const std::string& session_id,
                                                absl::string_view method,
                                                Json params,
                                                absl::Time deadline) {
  auto promise = std::make_shared<std::promise<absl::StatusOr<Json>>>();
  std::future<absl::StatusOr<Json>> future = promise->get_future();
  absl::StatusOr<int64_t> id =
      Call(session_id, method, std::move(params),
           [promise](absl::StatusOr<Json> reply) {
             promise->set_value(std::move(reply));
           });
  if (!id.ok()) return id.status();
  if (deadline != absl::InfiniteFuture() &&
      future.wait_for(absl::ToChronoNanoseconds(deadline - absl::Now())) !=
          std::future_status::ready) {
    return absl::DeadlineExceededError(
        absl::StrCat("no reply to ", method, " (request id ", *id, ") from ",
                     http_->base_url(), " before the deadline"));
  }
  return future.get();
}

absl::Status AcpConnection::Notify(const std::string& session_id,
                                   absl::string_view method, Json params) {
  Json envelope = {{"jsonrpc", "2.0"},
                   {"method", std::string(method)},
                   {"params", std::move(params)}};
  absl::StatusOr<std::string> text = Dump(envelope, method);
  if (!text.ok()) return text.status();
  {
    std::lock_guard<std::mutex> lock(order_mu_);
    absl::Status s = observer_(session_id, Sender::kClient, envelope, *text);
    if (!s.ok()) return s;
  }
  return Post(*text, absl::Seconds(30), nullptr).status();
}

absl::Status AcpConnection::Respond(const Json& id, Json result, Json error) {
  Json envelope = {{"jsonrpc", "2.0"}, {"id", id}};
  if (error.is_object()) {
    envelope["error"] = std::move(error);
  } else {
    envelope["result"] = std::move(result);
  }
  absl::StatusOr<std::string> text = Dump(envelope, "a reply");
  if (!text.ok()) return text.status();
  return Post(*text, absl::Seconds(30), nullptr).status();
}

void AcpConnection::Receive(const Json& envelope, const std::string& text) {
  ReplyCallback done;
  std::string method;
  bool is_reply = IsReply(envelope);
  std::string session_id;
  {
    std::lock_guard<std::mutex> lock(order_mu_);
    if (is_reply) {
      // The server sends replies both in the POST body and on the stream.
      if (!seen_reply_ids_.insert(envelope["id"].dump()).second) return;
      replied_cv_.notify_all();
      const Json& id = envelope["id"];
      if (id.is_number_integer()) {
        auto it = pending_.find(id.get<int64_t>());
        if (it != pending_.end()) {
          session_id = it->second.session_id;
          method = it->second.method;
          done = std::move(it->second.done);
          if (it->second.post_canceller != nullptr) {
            it->second.post_canceller->Cancel();  // The POST may never end.
          }
          pending_.erase(it);
        }
      }
    } else {
      auto it = local_by_agent_.find(ParamsSessionId(envelope));
      if (it != local_by_agent_.end()) session_id = it->second;
    }
    absl::Status s = observer_(session_id, Sender::kAgent, envelope, text);
    if (!s.ok()) {
      SetStreamError(s);
      if (done) {
        done(s);
        return;
      }
    }
    // As the SDK: a reply that names a sessionId binds its request's session.
    if (is_reply && !session_id.empty() && method == "session/new" &&
        envelope.contains("result") && envelope["result"].is_object() &&
        envelope["result"].contains("sessionId") &&
        envelope["result"]["sessionId"].is_string()) {
      std::string agent_session = envelope["result"]["sessionId"];
      agent_by_local_[session_id] = agent_session;
      local_by_agent_[agent_session] = session_id;
    }
  }
  if (done) {
    done(envelope);
  } else if (!is_reply && envelope.contains("id") && on_request_) {
    on_request_(session_id, envelope);
  }
}

void AcpConnection::Fail(int64_t id, absl::Status status) {
  ReplyCallback done;
  {
    std::lock_guard<std::mutex> lock(order_mu_);
    auto it = pending_.find(id);
    if (it == pending_.end()) return;
    done = std::move(it->second.done);
    pending_.erase(it);
  }
  if (done) done(std::move(status));
}

void AcpConnection::FailAll(const absl::Status& status) {
  std::vector<ReplyCallback> callbacks;
  {
    std::lock_guard<std::mutex> lock(order_mu_);
    for (auto& [id, pending] : pending_) {
      if (pending.post_canceller != nullptr) pending.post_canceller->Cancel();
      callbacks.push_back(std::move(pending.done));
    }
    pending_.clear();
    replied_cv_.notify_all();
  }
  for (ReplyCallback& done : callbacks) {
    if (done) done(status);
  }
}

void AcpConnection::Bind(const std::string& session_id,
                         const std::string& agent_session_id) {
  std::lock_guard<std::mutex> lock(order_mu_);
  agent_by_local_[session_id] = agent_session_id;
  local_by_agent_[agent_session_id] = session_id;
}

bool AcpConnection::IsBound(const std::string& session_id,
                            absl::string_view agent_session_id) const {
  std::lock_guard<std::mutex> lock(order_mu_);
  auto it = agent_by_local_.find(session_id);
  if (it == agent_by_local_.end()) return false;
  return agent_session_id.empty() || it->second == agent_session_id;
}

void AcpConnection::Unbind(const std::string& session_id) {
  std::lock_guard<std::mutex> lock(order_mu_);
  auto it = agent_by_local_.find(session_id);
  if (it == agent_by_local_.end()) return;
  local_by_agent_.erase(it->second);
  agent_by_local_.erase(it);
}

std::optional<std::string> AcpConnection::AgentSessionId(
    const std::string& session_id) const {
  std::lock_guard<std::mutex> lock(order_mu_);
  auto it = agent_by_local_.find(session_id);
  if (it == agent_by_local_.end()) return std::nullopt;
  return it->second;
}

void AcpConnection::StartStreamOnce() {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_ || reader_.joinable()) return;
  reader_ = std::thread([this] { ReadStream(); });
}

void AcpConnection::ReadStream() {
  SseParser parser;
  const absl::Duration kPause = absl::Milliseconds(150);
  absl::Duration backoff = kPause;
  absl::Time failing_since = absl::InfiniteFuture();
  while (!stream_canceller_.cancelled()) {
    HttpHeaders headers = {{"Accept", "text/event-stream"}};
    if (!parser.last_event_id().empty()) {
      headers.emplace_back("Last-Event-ID", parser.last_event_id());
    }
    bool got_data = false;
    absl::Status status = http_->Stream(
        path_, headers,
        [&](absl::string_view chunk) {
          got_data = true;
          parser.Feed(chunk, [&](const std::string& data) {
            absl::StatusOr<Json> parsed =
                ParseEnvelope(data, absl::StrCat("GET ", path_));
            if (!parsed.ok()) {
              SetStreamError(parsed.status());
              return;
            }
            Receive(*parsed, data);
          });
          return !stream_canceller_.cancelled();
        },
        // The server sends nothing while a turn thinks; a silent stream is
        // not a dead one. Reconnecting is cheap (Last-Event-ID).
        absl::Seconds(60), &stream_canceller_);
    parser.Reset();
    if (stream_canceller_.cancelled()) break;
    if (absl::IsNotFound(status)) {  // The server no longer knows us.
      alive_ = false;
      FailAll(absl::NotFoundError(absl::StrCat(
          "sandbox-agent at ", http_->base_url(), " no longer knows ACP server ",
          server_id_, " (it restarted?); the session will be resumed on a new "
          "connection by the next call")));
      break;
    }
    if (absl::IsUnauthenticated(status)) {
      SetStreamError(status);
      FailAll(status);
      break;
    }
    if (status.ok() || got_data) {
      failing_since = absl::InfiniteFuture();
      backoff = kPause;
    } else {
      if (failing_since == absl::InfiniteFuture()) failing_since = absl::Now();
      backoff = std::min(backoff * 2, absl::Seconds(2));
      if (absl::Now() - failing_since > options_.unavailable_after) {
        FailAll(absl::UnavailableError(absl::StrCat(
            "lost the event stream of ACP server ", server_id_, " at ",
            http_->base_url(), " for more than ",
            absl::FormatDuration(options_.unavailable_after), ": ",
            status.message())));
        failing_since = absl::Now();
      }
    }
    for (absl::Time until = absl::Now() + backoff;
         absl::Now() < until && !stream_canceller_.cancelled();) {
      absl::SleepFor(absl::Milliseconds(20));
    }
  }
}

void AcpConnection::SetStreamError(const absl::Status& status) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stream_status_.ok()) stream_status_ = status;
}

absl::Status AcpConnection::stream_status() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stream_status_;
}

void AcpConnection::Close() {
  bool posted;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return;
    closed_ = true;
    posted = posted_;
  }
  alive_ = false;
  stream_canceller_.Cancel();
  if (reader_.joinable()) reader_.join();
  FailAll(absl::CancelledError(
      absl::StrCat("ACP connection ", server_id_, " was closed")));
  std::list<std::unique_ptr<Poster>> posters;
  {
    std::lock_guard<std::mutex> lock(mu_);
    posters.swap(posters_);
  }
  for (auto& poster : posters) poster->canceller.Cancel();
  for (auto& poster : posters) poster->thread.join();
  // The server can take long to stop the agent; the SDK waits 2 s at most.
  if (posted) http_->Send("DELETE", path_, "", absl::Seconds(2)).IgnoreError();
}

}  // namespace sessionlog
