// The in-memory state of one session of a rocksdb: store, and the table of
// them.
//
// Per-session state is what makes the steady state one key write per event:
// the highest index (so that appends need no read), and, when a limit is on,
// the indexes of the retained events (so that the low watermark moves without
// a read). It is rebuilt lazily on a session's first touch (a lookup of its
// recorded floor, one seek to its last key, and a read of its newest
// max_events_per_session keys: forward, walking back only across gaps in the
// indexes), so opening a store never scans it.

#ifndef SESSIONLOG_ENGINE_ROCKSDB_SESSION_STATE_H_
#define SESSIONLOG_ENGINE_ROCKSDB_SESSION_STATE_H_

#include <algorithm>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"

namespace sessionlog {

// Locks are std::shared_mutex rather than absl::Mutex on purpose: Debian's
// libabsl is not built for ThreadSanitizer, which then cannot see its
// happens-before edges (tests/concurrency runs the engine under TSan), and it
// runs deadlock detection on every lock (about 46 ns a lock/unlock pair
// against 3 ns), which the write path pays several times per event.
struct SessionState {
  // Guards every field below. Writers hold it exclusively, readers of a page
  // shared.
  std::shared_mutex mu;
  // Evicted or deleted while a caller waited for `mu`: look the id up again.
  bool dead = false;
  bool loaded = false;
  uint64_t handle = 0;  // 0: no events were ever stored.
  std::optional<int64_t> highest;
  // Sorted ascending; the retained indexes when a limit is on (else empty).
  std::deque<int64_t> retained;
  // The low watermark the store recorded (keys.h): what an earlier writer
  // trimmed stays trimmed, even under a larger limit or none.
  int64_t floor = 0;

  // The lowest index reads may return: everything below was trimmed.
  int64_t Watermark(int64_t max_events) const {
    if (max_events == 0 || static_cast<int64_t>(retained.size()) < max_events) {
      return floor;
    }
    return std::max(floor, retained.front());
  }

  // Records a stored index; returns true if the watermark moved.
  bool Add(int64_t index, int64_t max_events);
};

// Session id -> state. States are created on demand and dropped when their
// session is evicted or deleted.
class SessionStateTable {
 public:
  // The state of `id`, created (unloaded) if absent.
  std::shared_ptr<SessionState> GetOrCreate(absl::string_view id);
  // The state of `id`, or null.
  std::shared_ptr<SessionState> Find(absl::string_view id);
  // Drops `state` if it is still the one registered for `id`.
  void Remove(absl::string_view id, const std::shared_ptr<SessionState>& state);

 private:
  std::shared_mutex mu_;  // Guards states_.
  absl::flat_hash_map<std::string, std::shared_ptr<SessionState>> states_;
};

}  // namespace sessionlog

#endif  // SESSIONLOG_ENGINE_ROCKSDB_SESSION_STATE_H_
