#include "api/client/http.h"

#include <chrono>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "httplib.h"
#include "nlohmann/json.hpp"

namespace sessionlog {
namespace {

std::chrono::microseconds ToChrono(absl::Duration d) {
  return std::chrono::microseconds(absl::ToInt64Microseconds(d));
}

}  // namespace

absl::StatusOr<HttpEndpoint> HttpEndpoint::Create(absl::string_view base_url,
                                                  std::string token,
                                                  HttpHeaders extra_headers,
                                                  std::string ca_cert_path) {
  absl::string_view url = absl::StripAsciiWhitespace(base_url);
  while (absl::ConsumeSuffix(&url, "/")) {
  }
  absl::string_view rest = url;
  bool https = absl::ConsumePrefix(&rest, "https://");
  if (!https && !absl::ConsumePrefix(&rest, "http://")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "base URL \"", base_url,
        "\": expected http://host[:port][/prefix] or https://..."));
  }
#ifndef CPPHTTPLIB_OPENSSL_SUPPORT
  if (https) {
    return absl::InvalidArgumentError(absl::StrCat(
        "base URL \"", base_url, "\": this build has no OpenSSL; use http://"));
  }
#endif
  size_t slash = rest.find('/');
  absl::string_view host_port = rest.substr(0, slash);
  if (host_port.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("base URL \"", base_url, "\" has no host"));
  }
  HttpEndpoint endpoint;
  endpoint.base_url_ = std::string(url);
  endpoint.origin_ = absl::StrCat(https ? "https://" : "http://", host_port);
  endpoint.path_prefix_ =
      slash == absl::string_view::npos ? "" : std::string(rest.substr(slash));
  endpoint.token_ = std::move(token);
  endpoint.extra_headers_ = std::move(extra_headers);
  endpoint.ca_cert_path_ = std::move(ca_cert_path);
  // httplib refuses what it cannot parse; check now rather than per request.
  httplib::Client probe(endpoint.origin_);
  if (!probe.is_valid()) {
    return absl::InvalidArgumentError(
        absl::StrCat("base URL \"", base_url, "\" is not a valid origin"));
  }
  return endpoint;
}

namespace {

httplib::Headers BuildHeaders(const HttpHeaders& extra,
                              const std::string& token,
                              const HttpHeaders& per_request) {
  httplib::Headers headers;
  auto set = [&](const std::string& name, const std::string& value) {
    // Later settings replace earlier ones, as the SDK's Headers.set does.
    for (auto it = headers.begin(); it != headers.end();) {
      it = absl::EqualsIgnoreCase(it->first, name) ? headers.erase(it)
                                                   : std::next(it);
    }
    headers.emplace(name, value);
  };
  for (const auto& [name, value] : extra) set(name, value);
  if (!token.empty()) set("Authorization", "Bearer " + token);
  for (const auto& [name, value] : per_request) set(name, value);
  return headers;
}

absl::Status TransportError(const std::string& base_url,
                            absl::string_view method, absl::string_view path,
                            httplib::Error error) {
  return absl::UnavailableError(absl::StrCat("cannot reach sandbox-agent at ",
                                             base_url, " (", method, " ", path,
                                             "): ", httplib::to_string(error)));
}

absl::Status AuthError(const std::string& base_url, absl::string_view path,
                       int status, bool sent_token) {
  return absl::UnauthenticatedError(absl::StrCat(
      "sandbox-agent at ", base_url, " refused ", path, " with HTTP ", status,
      sent_token ? ": the bearer token given does not match the server's "
                   "--token (check ClientOptions::token)"
                 : ": the server requires a bearer token and none was given "
                   "(set ClientOptions::token)"));
}

}  // namespace

void HttpEndpoint::Configure(httplib::Client& client) const {
#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
  if (!ca_cert_path_.empty()) client.set_ca_cert_path(ca_cert_path_);
  client.enable_server_certificate_verification(true);
#endif
}

absl::StatusOr<HttpReply> HttpEndpoint::Send(absl::string_view method,
                                             absl::string_view path,
                                             absl::string_view json_body,
                                             absl::Duration timeout,
                                             StreamCanceller* canceller) const {
  httplib::Client client(origin_);
  Configure(client);
  if (canceller != nullptr) {
    absl::MutexLock lock(&canceller->mu_);
    if (canceller->cancelled_) {
      return absl::CancelledError(absl::StrCat(method, " ", path, " cancelled"));
    }
    canceller->active_ = &client;
  }
  struct Detach {
    StreamCanceller* canceller;
    ~Detach() {
      if (canceller == nullptr) return;
      absl::MutexLock lock(&canceller->mu_);
      canceller->active_ = nullptr;
    }
  } detach{canceller};
  client.set_connection_timeout(ToChrono(timeout));
  client.set_read_timeout(ToChrono(timeout));
  client.set_write_timeout(ToChrono(timeout));
  std::string full_path = absl::StrCat(path_prefix_, path);
  httplib::Headers headers =
      BuildHeaders(extra_headers_, token_, {{"Accept", "application/json"}});
  if (method != "GET" && method != "POST" && method != "DELETE") {
    return absl::InvalidArgumentError(absl::StrCat("HTTP method ", method));
  }
  httplib::Result result =
      method == "GET" ? client.Get(full_path.c_str(), headers)
      : method == "POST"
          ? client.Post(full_path.c_str(), headers, json_body.data(),
                        json_body.size(), "application/json")
          : client.Delete(full_path.c_str(), headers);
  if (canceller != nullptr && canceller->cancelled()) {
    return absl::CancelledError(absl::StrCat(method, " ", path, " cancelled"));
  }
  if (!result) return TransportError(base_url_, method, path, result.error());
  if (result->status == 401 || result->status == 403) {
    return AuthError(base_url_, path, result->status, !token_.empty());
  }
  HttpReply reply;
  reply.status = result->status;
  reply.content_type = result->get_header_value("Content-Type");
  reply.body = std::move(result->body);
  return reply;
}

absl::Status HttpEndpoint::Stream(
    absl::string_view path, const HttpHeaders& headers,
    const std::function<bool(absl::string_view)>& on_data,
    absl::Duration read_timeout, StreamCanceller* canceller) const {
  httplib::Client client(origin_);
  Configure(client);
  client.set_connection_timeout(ToChrono(read_timeout));
  client.set_read_timeout(ToChrono(read_timeout));
  if (canceller != nullptr) {
    absl::MutexLock lock(&canceller->mu_);
    if (canceller->cancelled_) return absl::OkStatus();
    canceller->active_ = &client;
  }
  struct Detach {
    StreamCanceller* canceller;
    ~Detach() {
      if (canceller == nullptr) return;
      absl::MutexLock lock(&canceller->mu_);
      canceller->active_ = nullptr;
    }
  } detach{canceller};
  std::string full_path = absl::StrCat(path_prefix_, path);
  int status = 0;
  std::string error_body;
  bool stopped = false;
  httplib::Result result = client.Get(
      full_path.c_str(), BuildHeaders(extra_headers_, token_, headers),
      [&](const httplib::Response& response) {
        status = response.status;
        return true;
      },
      [&](const char* data, size_t size) {
        if (status != 200) {
          error_body.append(data, size);
          return error_body.size() < 4096;
        }
        if (!on_data(absl::string_view(data, size))) {
          stopped = true;
          return false;
        }
        return true;
      });
  if (stopped || (canceller != nullptr && canceller->cancelled())) {
    return absl::OkStatus();
  }
  if (status == 401 || status == 403) {
    return AuthError(base_url_, path, status, !token_.empty());
  }
  if (status != 0 && status != 200) {
    HttpReply reply{status, "", error_body};
    return ReplyError(absl::StrCat("GET ", path), reply);
  }
  if (!result) return TransportError(base_url_, "GET", path, result.error());
  return absl::OkStatus();
}

void StreamCanceller::Cancel() {
  absl::MutexLock lock(&mu_);
  cancelled_ = true;
  // httplib documents stop() as the one call that is safe from another
  // thread during a request: it shuts the socket down.
  if (active_ != nullptr) active_->stop();
}

bool StreamCanceller::cancelled() const {
  absl::MutexLock lock(&mu_);
  return cancelled_;
}

absl::Status ReplyError(absl::string_view route, const HttpReply& reply) {
  std::string detail;
  nlohmann::json problem = nlohmann::json::parse(reply.body, nullptr, false);
  if (problem.is_object() && problem.contains("detail") &&
      problem["detail"].is_string()) {
    detail = problem["detail"].get<std::string>();
  } else {
    detail = reply.body.substr(0, 200);
  }
  std::string message =
      absl::StrCat(route, " answered HTTP ", reply.status, ": ", detail);
  switch (reply.status) {
    case 400:
      return absl::InvalidArgumentError(message);
    case 404:
      return absl::NotFoundError(message);
    case 409:
      return absl::AlreadyExistsError(message);
    case 502:
    case 503:
    case 504:
      return absl::UnavailableError(message);
    default:
      return reply.status >= 500 ? absl::InternalError(message)
                                 : absl::UnknownError(message);
  }
}

}  // namespace sessionlog
