// Client: sessions (create, resume, destroy) and the session requests that
// bind them to their agent's connection.

#include <future>
#include <memory>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "api/client/acp_connection.h"
#include "api/client/client.h"
#include "api/client/client_internal.h"
#include "api/client/dispatcher.h"
#include "api/client/session_state.h"
#include "api/client/uuid.h"
#include "api/internal/validation.h"
#include "schema/replay.h"

namespace sessionlog {

using client_internal::NowMillis;
using client_internal::ParseObject;
using client_internal::Trimmed;

namespace {

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
      dispatcher->Post(
          [state, shared] { state->promise.set_value(std::move(*shared)); });
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

// ---- Sessions ----

absl::Status Client::NewRemoteSession(AcpConnection& connection,
                                      SessionRecord& record) {
  absl::StatusOr<Json> init =
      NormalizeSessionInit(record.session_init_json.value_or(""), "");
  if (!init.ok()) return init.status();
  absl::StatusOr<Json> reply = connection.CallAndWait(
      record.id, "session/new", *init, absl::Now() + options_.request_timeout);
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
    {
      // What an earlier session of this id (deleted since) heard is no
      // measure for this one.
      std::lock_guard<std::mutex> lock(mu_);
      heard_through_[id] = 0;
    }
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

absl::StatusOr<bool> Client::BoundToStoredHistory(const SessionRecord& record,
                                                  AcpConnection& connection) {
  if (!connection.IsBound(record.id, record.agent_session_id.value_or(""))) {
    return false;
  }
  int64_t heard = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = heard_through_.find(record.id);
    if (it == heard_through_.end()) return true;
    heard = it->second;
  }
  // Read after `heard`: an event stored meanwhile only raises the highest.
  absl::StatusOr<std::optional<int64_t>> highest =
      driver_->HighestEventIndex(record.id);
  if (!highest.ok()) return highest.status();
  return highest->value_or(0) >= heard;
}

absl::StatusOr<SessionRecord> Client::ResumeLocked(
    const std::string& session_id, AcpConnection& connection) {
  absl::StatusOr<SessionRecord> record = driver_->GetSession(session_id);
  if (!record.ok()) return record.status();
  // The history as it is before the new agent session adds to it: all that
  // session will have heard, once the replay reaches it.
  absl::StatusOr<std::optional<int64_t>> highest =
      driver_->HighestEventIndex(session_id);
  if (!highest.ok()) return highest.status();
  absl::StatusOr<std::optional<std::string>> replay =
      ReplayTextForSession(*driver_, session_id, options_.replay_max_events,
                           options_.replay_max_chars);
  if (!replay.ok()) return replay.status();
  // An agent session still bound here (its history was rewound) must not
  // have what it sends from now on stored under the session.
  connection.Unbind(session_id);
  {
    std::lock_guard<std::mutex> lock(mu_);
    heard_through_[session_id] = highest->value_or(0);
  }
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
  if (record->last_connection_id == (*connection)->connection_id()) {
    absl::StatusOr<bool> current = BoundToStoredHistory(*record, **connection);
    if (!current.ok()) return current.status();
    if (*current) return record;
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
  absl::StatusOr<bool> current = BoundToStoredHistory(*record, **connection);
  if (!current.ok()) return current.status();
  if (!*current) {
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
        auto it =
            record.ok() ? connections_.find(record->agent) : connections_.end();
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

}  // namespace sessionlog
