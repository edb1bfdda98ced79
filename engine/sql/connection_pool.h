// A small pool of database connections shared by the SQL backends: at most
// `max_open` are open at once; a caller takes one for the length of a call
// (or waits for one), and gives it back, or discards it when it broke.
// Thread-safe.

#ifndef SESSIONLOG_ENGINE_SQL_CONNECTION_POOL_H_
#define SESSIONLOG_ENGINE_SQL_CONNECTION_POOL_H_

#include <condition_variable>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"

namespace sessionlog {

template <typename Connection>
class ConnectionPool {
 public:
  using Opener =
      absl::FunctionRef<absl::StatusOr<std::unique_ptr<Connection>>()>;

  explicit ConnectionPool(int max_open) : max_open_(max_open) {}

  // An idle connection, else a new one from `open` (called without the lock
  // held) while fewer than max_open are open, else waits for one. Returns
  // open's error when opening fails.
  absl::StatusOr<std::unique_ptr<Connection>> Acquire(Opener open) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      can_take_.wait(lock, [this] { return CanTake(); });
      if (!idle_.empty()) {
        std::unique_ptr<Connection> c = std::move(idle_.back());
        idle_.pop_back();
        return c;
      }
      ++open_;  // Reserve the slot while opening.
    }
    absl::StatusOr<std::unique_ptr<Connection>> c = open();
    if (!c.ok()) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        --open_;
      }
      can_take_.notify_one();
    }
    return c;
  }

  // Gives `c` back for reuse, or closes it when `reusable` is false (e.g. the
  // server dropped it), so that a later Acquire opens a fresh one.
  void Release(std::unique_ptr<Connection> c, bool reusable = true) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (reusable) {
        idle_.push_back(std::move(c));
      } else {
        --open_;
      }
    }
    can_take_.notify_one();
  }

 private:
  bool CanTake() const {  // Caller holds mu_.
    return !idle_.empty() || open_ < max_open_;
  }

  const int max_open_;
  // std::mutex, not absl::Mutex, as in the rest of the engine: Debian's abseil
  // is invisible to ThreadSanitizer and runs deadlock detection on every lock.
  std::mutex mu_;
  std::condition_variable can_take_;  // Signalled when a slot frees up.
  std::vector<std::unique_ptr<Connection>> idle_;  // Guarded by mu_.
  int open_ = 0;                                   // Guarded by mu_.
};

}  // namespace sessionlog

#endif  // SESSIONLOG_ENGINE_SQL_CONNECTION_POOL_H_
