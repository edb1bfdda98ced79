#include "engine/postgres/tcp_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <vector>

#include "absl/strings/str_cat.h"

namespace sessionlog {
namespace {

sockaddr_in Loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  return addr;
}

}  // namespace

absl::Status TcpProxy::Start() {
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr = Loopback(port_);
  if (::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(listener, 16) != 0) {
    int err = errno;
    ::close(listener);
    return absl::InternalError(absl::StrCat("proxy: cannot listen on port ",
                                            port_, ": ", std::strerror(err)));
  }
  socklen_t len = sizeof(addr);
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  stopping_ = false;
  thread_ = std::thread([this, listener] { Loop(listener); });
  return absl::OkStatus();
}

void TcpProxy::Stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

void TcpProxy::Loop(int listener) {
  std::map<int, int> peer;  // fd -> the fd it forwards to
  auto close_pair = [&peer](int fd) {
    int other = peer[fd];
    ::close(fd);
    ::close(other);
    peer.erase(fd);
    peer.erase(other);
  };
  while (!stopping_) {
    std::vector<pollfd> fds = {{listener, POLLIN, 0}};
    for (const auto& [fd, other] : peer) fds.push_back({fd, POLLIN, 0});
    if (::poll(fds.data(), fds.size(), 20) <= 0) continue;
    if (fds[0].revents & POLLIN) {
      int client = ::accept(listener, nullptr, nullptr);
      int server = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in up = Loopback(upstream_port_);
      if (client >= 0 && ::connect(server, reinterpret_cast<sockaddr*>(&up),
                                   sizeof(up)) == 0) {
        peer[client] = server;
        peer[server] = client;
      } else {
        if (client >= 0) ::close(client);
        ::close(server);
      }
    }
    for (size_t i = 1; i < fds.size(); ++i) {
      if (fds[i].revents == 0 || peer.count(fds[i].fd) == 0) continue;
      char buf[16384];
      ssize_t n = ::read(fds[i].fd, buf, sizeof(buf));
      if (n <= 0 || ::write(peer[fds[i].fd], buf, n) != n) {
        close_pair(fds[i].fd);
      }
    }
  }
  // Down: every forwarded connection and the listener go at once.
  while (!peer.empty()) close_pair(peer.begin()->first);
  ::close(listener);
}

}  // namespace sessionlog
