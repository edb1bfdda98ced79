// An in-process HTTP server on 127.0.0.1 for the client's unit tests: each
// test installs handlers that play a sandbox-agent that misbehaves on cue.

#ifndef SESSIONLOG_API_CLIENT_FAKE_SERVER_H_
#define SESSIONLOG_API_CLIENT_FAKE_SERVER_H_

#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "httplib.h"

namespace sessionlog {

class FakeServer {
 public:
  // Plain HTTP.
  FakeServer() : server_(std::make_unique<httplib::Server>()) {}
  // HTTPS with this certificate and key (PEM files).
  FakeServer(const std::string& cert_path, const std::string& key_path)
      : server_(std::make_unique<httplib::SSLServer>(cert_path.c_str(),
                                                     key_path.c_str())),
        scheme_("https") {}

  // Handlers go on server() before Start().
  httplib::Server& server() { return *server_; }

  // Listens on a free port of 127.0.0.1. Returns false when it cannot.
  bool Start() {
    if (!server_->is_valid()) return false;
    port_ = server_->bind_to_any_port("127.0.0.1");
    if (port_ <= 0) return false;
    // The socket listens already: requests queue until the loop accepts.
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    return true;
  }

  ~FakeServer() {
    server_->stop();
    if (thread_.joinable()) thread_.join();
  }

  std::string base_url() const {
    return absl::StrCat(scheme_, "://127.0.0.1:", port_);
  }

 private:
  std::unique_ptr<httplib::Server> server_;
  std::string scheme_ = "http";
  std::thread thread_;
  int port_ = 0;
};

}  // namespace sessionlog

#endif  // SESSIONLOG_API_CLIENT_FAKE_SERVER_H_
