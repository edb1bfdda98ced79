// One ACP connection on sandbox-agent: one agent process, which the server
// runs for us at /v1/acp/{serverId}, shared by every session of that agent in
// a Client (as the SDK shares one per agent).
//
//   POST   /v1/acp/{serverId}?agent=NAME   the first request creates it;
//                                          a request's reply is in the body,
//                                          a notification gets 202
//   GET    /v1/acp/{serverId}              server-sent events: everything the
//                                          agent sends, in the agent's order,
//                                          replies included; the server keeps
//                                          them all and sends them again to
//                                          a new stream (Last-Event-ID skips
//                                          what was seen)
//   DELETE /v1/acp/{serverId}              closes it
//
// Attribution, as the SDK's: an outgoing envelope belongs to the local
// session the caller names (none for initialize and authenticate); a reply
// to the session its request belonged to; a request or notification from the
// agent to the local session bound to its params.sessionId. Envelopes that
// belong to no session reach the observer with an empty session id.
//
// Order: envelopes reach the observer one at a time, in the true order. An
// outgoing one before it is posted; everything the agent sends as the event
// stream delivers it, so that every update of a turn comes before the turn's
// result. A reply is taken from the POST body only when the stream has not
// delivered it within a grace period (the server answers long turns on the
// stream alone, and sometimes a POST body before the stream's last updates).
//
// Thread-safe. The stream is read by a thread of the connection's own, and
// each request is posted by a thread of its own, so that requests never wait
// for each other (a prompt and a cancel, two sessions' prompts).

#ifndef SESSIONLOG_API_CLIENT_ACP_CONNECTION_H_
#define SESSIONLOG_API_CLIENT_ACP_CONNECTION_H_

#include <atomic>
#include <condition_variable>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "api/client/http.h"
#include "api/session.h"
#include "nlohmann/json.hpp"

namespace sessionlog {

using Json = nlohmann::ordered_json;

class AcpConnection {
 public:
  // Gets every envelope, in order (see above), before the connection acts on
  // it. `session_id` is the local session it belongs to, or empty. An error
  // (the store failed) fails the call that sent it, or is kept as the
  // stream's status for what the agent sent.
  using Observer =
      std::function<absl::Status(const std::string& session_id, Sender sender,
                                 const Json& envelope, const std::string& text)>;
  // A request from the agent (it was observed first). Called on the stream
  // thread; answer it with Respond, from any thread.
  using RequestHandler =
      std::function<void(const std::string& session_id, const Json& request)>;
  // The reply envelope to a Call ("result" or "error"), or why there is none.
  // Called once, after the reply was observed, on the connection's threads.
  using ReplyCallback = std::function<void(absl::StatusOr<Json> reply)>;

  struct Options {
    // How long a request's POST may take. Replies normally come from the
    // stream, which ends the POST; this only bounds a POST that the server
    // holds open after its reply was streamed.
    absl::Duration post_timeout = absl::Hours(24);
    // How long a reply seen in a POST body waits for its copy on the stream.
    absl::Duration stream_grace = absl::Seconds(3);
    // Pending calls fail with Unavailable once the stream has failed to
    // connect for this long.
    absl::Duration unavailable_after = absl::Seconds(30);
  };

  // A connection to a new server id for `agent`; nothing is sent yet (the
  // first Call creates the agent process). `http` must outlive it.
  AcpConnection(const HttpEndpoint* http, std::string agent,
                std::string connection_id, Observer observer,
                RequestHandler on_request, Options options);
  ~AcpConnection();  // Close().

  AcpConnection(const AcpConnection&) = delete;
  AcpConnection& operator=(const AcpConnection&) = delete;

  // Sends the request {jsonrpc, id, method, params}, ids numbered from 0 as
  // the SDK numbers them, attributed to `session_id` (may be empty), and
  // calls `done` with its reply. Returns the request id, or the error that
  // kept it from being sent (then `done` is not called): the observer's,
  // InvalidArgument for parameters that are not valid UTF-8,
  // FailedPrecondition when closed. Errors given to `done`: those of
  // HttpEndpoint::Send and ReplyError; NotFound when the server no longer
  // knows this connection (it restarted; alive() turns false); Unavailable
  // when the server stays unreachable; Cancelled when the connection closes;
  // Internal for a malformed reply.
  absl::StatusOr<int64_t> Call(const std::string& session_id,
                               absl::string_view method, Json params,
                               ReplyCallback done);

  // Call, waiting for the reply up to `deadline` (DeadlineExceeded then; the
  // request stays pending and its reply is still stored when it comes).
  absl::StatusOr<Json> CallAndWait(const std::string& session_id,
                                   absl::string_view method, Json params,
                                   absl::Time deadline = absl::InfiniteFuture());

  // Sends the notification {jsonrpc, method, params}, attributed to
  // `session_id`. Errors as for Call.
  absl::Status Notify(const std::string& session_id, absl::string_view method,
                      Json params);

  // Answers a request of the agent with {jsonrpc, id, result} or, when
  // `error` is an object, {jsonrpc, id, error}. Not observed (the SDK stores
  // no answers).
  absl::Status Respond(const Json& id, Json result, Json error = Json());

  // Session bindings: local session id <-> the agent's session id.
  void Bind(const std::string& session_id, const std::string& agent_session_id);
  // True when `session_id` is bound (to `agent_session_id`, if not empty).
  bool IsBound(const std::string& session_id,
               absl::string_view agent_session_id) const;
  std::optional<std::string> AgentSessionId(const std::string& session_id) const;
  void Unbind(const std::string& session_id);

  // Stops the stream, fails pending calls with Cancelled, and deletes the
  // server-side connection (best effort, bounded by two seconds, as the SDK
  // does). Idempotent.
  void Close();

  // False once the server has forgotten this connection (e.g. it restarted)
  // or it was closed: its sessions must be resumed on a new one.
  bool alive() const { return alive_.load(); }

  // The first error met while handling what the stream delivered (a
  // malformed envelope, an observer error), or OK.
  absl::Status stream_status() const;

  const std::string& agent() const { return agent_; }
  const std::string& connection_id() const { return connection_id_; }
  const std::string& server_id() const { return server_id_; }

 private:
  struct Pending {
    std::string session_id;
    std::string method;
    ReplyCallback done;
    StreamCanceller* post_canceller = nullptr;
  };
  struct Poster {
    std::thread thread;
    std::atomic<bool> finished{false};
    StreamCanceller canceller;
  };

  // Posts `text`; the reply body (empty for 202).
  absl::StatusOr<HttpReply> Post(const std::string& text,
                                 absl::Duration timeout,
                                 StreamCanceller* canceller);
  void PostRequest(int64_t id, std::string text, Poster* poster);
  // Handles one envelope the agent sent (from the stream, or a POST body).
  void Receive(const Json& envelope, const std::string& text);
  // Completes the pending call `id` with `reply`, if it is still pending.
  void Fail(int64_t id, absl::Status status);
  void FailAll(const absl::Status& status);
  void StartStreamOnce();
  void ReadStream();
  void SetStreamError(const absl::Status& status);
  void ReapPosters();

  const HttpEndpoint* const http_;
  const std::string agent_;
  const std::string connection_id_;
  const std::string server_id_;
  const std::string path_;
  const Observer observer_;
  const RequestHandler on_request_;
  const Options options_;

  std::atomic<bool> alive_{true};
  StreamCanceller stream_canceller_;
  std::thread reader_;

  // Held while an envelope goes to the observer, so that envelopes reach it
  // one at a time and in order; guards the maps below.
  mutable std::mutex order_mu_;
  std::condition_variable replied_cv_;
  absl::flat_hash_map<int64_t, Pending> pending_;
  absl::flat_hash_set<std::string> seen_reply_ids_;
  absl::flat_hash_map<std::string, std::string> agent_by_local_;
  absl::flat_hash_map<std::string, std::string> local_by_agent_;

  mutable std::mutex mu_;  // Guards what follows.
  int64_t next_id_ = 0;
  bool posted_ = false;
  bool closed_ = false;
  bool stream_failing_ = false;
  absl::Status stream_status_;
  std::list<std::unique_ptr<Poster>> posters_;
};

// The status for a JSON-RPC error reply: Unknown, naming the method, the
// code and the message. OK for a result.
absl::Status RpcErrorStatus(absl::string_view method, const Json& reply);

}  // namespace sessionlog

#endif  // SESSIONLOG_API_CLIENT_ACP_CONNECTION_H_
