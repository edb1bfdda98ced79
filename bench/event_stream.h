// An endless stream of distinct appends in the workload's round-robin order,
// cheap enough to sit inside a timed loop: it makes a pool of events once and
// then reuses each one with a higher event index and a fresh event id, so
// producing an event costs a few stores instead of building ~500 bytes of
// strings.

#ifndef SESSIONLOG_BENCH_EVENT_STREAM_H_
#define SESSIONLOG_BENCH_EVENT_STREAM_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "api/session.h"
#include "bench/workload.h"

namespace sessionlog::bench {

class EventStream {
 public:
  // The pool holds `rounds_in_pool` events of each session.
  EventStream(const Workload& workload, int64_t rounds_in_pool);

  // The next append. The reference stays valid until the call after the pool
  // wraps around.
  const SessionEvent& Next();

  // The next `count` appends, contiguous (count <= pool size).
  std::vector<SessionEvent> NextBatch(int64_t count);

  int64_t pool_size() const { return static_cast<int64_t>(pool_.size()); }

  // Writes the workload's session records and then the next `appends`
  // appends as `sessionlog export` JSON Lines, for the node peers: a fresh
  // stream with the same arguments yields the same events.
  absl::Status WriteJsonLines(int64_t appends, const std::string& path);

 private:
  const Workload& workload_;
  int64_t rounds_in_pool_;
  std::vector<SessionEvent> pool_;
  int64_t next_ = 0;
};

}  // namespace sessionlog::bench

#endif  // SESSIONLOG_BENCH_EVENT_STREAM_H_
