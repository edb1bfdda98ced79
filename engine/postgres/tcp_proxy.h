// For tests: a TCP forwarder on 127.0.0.1 that can be taken down and brought
// back on the same port, so that a test can make a live server look down
// (connections dropped, new ones refused) and then up again, without root.

#ifndef SESSIONLOG_ENGINE_POSTGRES_TCP_PROXY_H_
#define SESSIONLOG_ENGINE_POSTGRES_TCP_PROXY_H_

#include <atomic>
#include <thread>

#include "absl/status/status.h"

namespace sessionlog {

class TcpProxy {
 public:
  // Forwards to 127.0.0.1:`upstream_port`.
  explicit TcpProxy(int upstream_port) : upstream_port_(upstream_port) {}
  ~TcpProxy() { Stop(); }
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  // Listens (on a free port the first time, then on the same one) and
  // forwards every connection until Stop.
  absl::Status Start();
  // Closes the listener and every forwarded connection.
  void Stop();

  int port() const { return port_; }

 private:
  void Loop(int listener);

  const int upstream_port_;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace sessionlog

#endif  // SESSIONLOG_ENGINE_POSTGRES_TCP_PROXY_H_
