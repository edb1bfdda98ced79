// One ACP connection on sandbox-agent: an agent process the server runs for
// us, reached at /v1/acp/{serverId}.
//
//   POST   /v1/acp/{serverId}?agent=NAME   the first request creates it;
//                                          a request's reply is in the body,
//                                          a notification gets 202
//   GET    /v1/acp/{serverId}              server-sent events: everything the
//                                          agent sends (notifications, and the
//                                          replies again)
//   DELETE /v1/acp/{serverId}              closes it
//
// The client gives each local session a connection of its own, so every
// envelope on a connection belongs to one session. Each envelope, sent or
// received, goes to the EnvelopeSink before anything else happens with it:
// an outgoing one before it is posted, an incoming one before it is returned
// or dispatched. A reply seen both in a POST body and on the stream is passed
// on once. An incoming envelope that is not JSON-RPC 2.0 is refused and never
// reaches the sink.
//
// Thread-safe: Call and Notify may run from several threads; the stream is
// read by a thread of the connection's own.

#ifndef SESSIONLOG_API_CLIENT_ACP_CONNECTION_H_
#define SESSIONLOG_API_CLIENT_ACP_CONNECTION_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "api/client/http.h"
#include "api/client/sse.h"
#include "api/session.h"
#include "nlohmann/json.hpp"

namespace sessionlog {

class AcpConnection {
 public:
  // Receives each envelope as JSON text, in order. An error stops what was
  // under way: Call returns it, and the stream records it (stream_status).
  using EnvelopeSink =
      std::function<absl::Status(Sender sender, const std::string& envelope)>;

  // A connection to a new server id for `agent`; nothing is sent yet (the
  // first Call creates the agent process). `http` must outlive it.
  AcpConnection(const HttpEndpoint* http, std::string agent,
                std::string connection_id, EnvelopeSink sink,
                absl::Duration request_timeout);
  ~AcpConnection();  // Close().

  AcpConnection(const AcpConnection&) = delete;
  AcpConnection& operator=(const AcpConnection&) = delete;

  // Sends the request {jsonrpc, id, method, params} and returns the reply
  // envelope (with "result", or "error": then the Status is Unknown, naming
  // the code and message, after the reply was stored). Errors: those of
  // HttpEndpoint::Send and ReplyError; NotFound when the server no longer
  // knows this connection (it restarted; alive() turns false); Internal for a
  // malformed reply (nothing of it stored); DeadlineExceeded when a 202 is
  // not followed by a reply on the stream within the request timeout;
  // FailedPrecondition when closed. The request itself is stored before it
  // is posted, so it stays stored when posting fails.
  absl::StatusOr<nlohmann::json> Call(absl::string_view method,
                                      nlohmann::json params);

  // Sends the notification {jsonrpc, method, params}. Errors as for Call.
  absl::Status Notify(absl::string_view method, nlohmann::json params);

  // Stops the stream and deletes the server-side connection (best effort,
  // bounded by two seconds, as the SDK does). Idempotent.
  void Close();

  // False once the server has forgotten this connection (e.g. it restarted)
  // or it was closed: a session on it must be resumed on a new one.
  bool alive() const { return alive_.load(); }

  // The first error the stream reader met (a malformed envelope, a sink
  // error), or OK.
  absl::Status stream_status() const;

  const std::string& connection_id() const { return connection_id_; }
  const std::string& server_id() const { return server_id_; }

 private:
  // The outgoing envelope as text, after the sink stored it.
  absl::StatusOr<std::string> StoreOutgoing(const nlohmann::json& envelope);
  // Sends one envelope; returns the reply body (empty for 202).
  absl::StatusOr<HttpReply> Post(const std::string& envelope);
  // Passes a validated incoming envelope to the sink, a reply only once.
  absl::Status Receive(absl::string_view text, nlohmann::json* parsed);
  void StartStreamOnce();
  void ReadStream();
  void SetStreamError(const absl::Status& status);

  const HttpEndpoint* const http_;
  const std::string agent_;
  const std::string connection_id_;
  const std::string server_id_;
  const std::string path_;
  const EnvelopeSink sink_;
  const absl::Duration request_timeout_;

  std::atomic<bool> alive_{true};
  StreamCanceller canceller_;
  std::thread reader_;

  // Held while an envelope goes to the sink, so that envelopes reach it one
  // at a time and in order.
  absl::Mutex sink_mu_;
  absl::flat_hash_set<std::string> seen_reply_ids_ ABSL_GUARDED_BY(sink_mu_);
  absl::flat_hash_map<std::string, nlohmann::json> stream_replies_
      ABSL_GUARDED_BY(sink_mu_);

  mutable absl::Mutex mu_;
  int64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  bool posted_ ABSL_GUARDED_BY(mu_) = false;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status stream_status_ ABSL_GUARDED_BY(mu_);
};

}  // namespace sessionlog

#endif  // SESSIONLOG_API_CLIENT_ACP_CONNECTION_H_
