// The HTTP side of the client: one sandbox-agent base URL, its bearer token
// and extra headers, and the mapping of HTTP failures to absl::Status.
//
// Every request opens its own connection, so an HttpEndpoint may be used from
// any number of threads at once. The token is sent as
// "Authorization: Bearer ..." and never appears in a Status message.

#ifndef SESSIONLOG_API_CLIENT_HTTP_H_
#define SESSIONLOG_API_CLIENT_HTTP_H_

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace httplib {
class Client;
}  // namespace httplib

namespace sessionlog {

// Lets another thread end an HttpEndpoint::Stream or Send at once: Cancel()
// closes its socket, and every later call given this canceller returns at
// once (Send with Cancelled).
class StreamCanceller {
 public:
  void Cancel();
  bool cancelled() const;

 private:
  friend class HttpEndpoint;
  mutable absl::Mutex mu_;
  httplib::Client* active_ ABSL_GUARDED_BY(mu_) = nullptr;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
};

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpReply {
  int status = 0;
  std::string content_type;
  std::string body;
};

class HttpEndpoint {
 public:
  // `base_url` is http://host[:port][/prefix], or https://... (OpenSSL; the
  // server's certificate is verified against `ca_cert_path`, a PEM file, or
  // the system's authorities when it is empty). InvalidArgument naming the
  // URL when it is not of that form.
  static absl::StatusOr<HttpEndpoint> Create(absl::string_view base_url,
                                             std::string token,
                                             HttpHeaders extra_headers,
                                             std::string ca_cert_path = "");

  // One request. Transport failures (refused, reset, timed out) are
  // Unavailable; 401 and 403 are Unauthenticated, saying whether a token was
  // sent. Every other reply, 4xx and 5xx included, is returned as is: see
  // ReplyError. `canceller` (may be null) ends the request from another
  // thread: Send then returns Cancelled.
  absl::StatusOr<HttpReply> Send(absl::string_view method,
                                 absl::string_view path,
                                 absl::string_view json_body,
                                 absl::Duration timeout,
                                 StreamCanceller* canceller = nullptr) const;

  // A streaming GET (server-sent events): `on_data` gets each chunk of the
  // body as it arrives and returns false to stop. Returns OK when the stream
  // ends or is stopped; the errors of Send otherwise, and for a reply other
  // than 200 the error ReplyError gives. `read_timeout` bounds a silence;
  // `canceller` (may be null) ends the stream from another thread.
  absl::Status Stream(absl::string_view path, const HttpHeaders& headers,
                      const std::function<bool(absl::string_view)>& on_data,
                      absl::Duration read_timeout,
                      StreamCanceller* canceller) const;

  // The base URL, for messages (never the token).
  const std::string& base_url() const { return base_url_; }

 private:
  HttpEndpoint() = default;
  void Configure(httplib::Client& client) const;

  std::string base_url_;     // As given, without a trailing slash.
  std::string origin_;       // scheme://host:port, what httplib connects to.
  std::string path_prefix_;  // "" or "/prefix".
  std::string token_;
  HttpHeaders extra_headers_;
  std::string ca_cert_path_;
};

// The Status for a reply that is not 2xx: the server's problem+json "detail"
// (or the start of the body) with the route, mapped by status code: 400
// InvalidArgument, 404 NotFound, 409 AlreadyExists, 502/503/504 Unavailable,
// other 5xx Internal, other codes Unknown.
absl::Status ReplyError(absl::string_view route, const HttpReply& reply);

}  // namespace sessionlog

#endif  // SESSIONLOG_API_CLIENT_HTTP_H_
