// The one workload every benchmark and every peer runs: agent sessions whose
// events are JSON-RPC envelopes of about `payload_bytes`, appended
// round-robin (event 1 of every session, then event 2 of every session, ...).
//
// Every record is a pure function of (seed, session number, event index), so
// a suite can make any event on demand without holding the workload in memory,
// and the C++ peers and the node peers (which read it as JSON Lines) see the
// same bytes.

#ifndef SESSIONLOG_BENCH_WORKLOAD_H_
#define SESSIONLOG_BENCH_WORKLOAD_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "api/session.h"

namespace sessionlog::bench {

struct WorkloadSpec {
  int64_t sessions = 1000;
  int64_t events_per_session = 500;
  int64_t payload_bytes = 300;  // Approximate size of each payload_json.
  uint64_t seed = 42;

  int64_t total_events() const { return sessions * events_per_session; }
};

class Workload {
 public:
  explicit Workload(const WorkloadSpec& spec) : spec_(spec) {}

  const WorkloadSpec& spec() const { return spec_; }

  // Session numbers are 0..sessions-1; event indexes start at 1, as the SDK's.
  std::string SessionId(int64_t session) const;
  SessionRecord Session(int64_t session) const;
  SessionEvent Event(int64_t session, int64_t event_index) const;

  // The n-th append of the round-robin order (0-based): which session and
  // which index it writes.
  int64_t SessionOfAppend(int64_t n) const { return n % spec_.sessions; }
  int64_t IndexOfAppend(int64_t n) const { return n / spec_.sessions + 1; }
  SessionEvent Append(int64_t n) const {
    return Event(SessionOfAppend(n), IndexOfAppend(n));
  }

 private:
  WorkloadSpec spec_;
};

// A v4-shaped UUID derived from (seed, a, b): stable across runs.
std::string StableUuid(uint64_t seed, uint64_t a, uint64_t b);

}  // namespace sessionlog::bench

#endif  // SESSIONLOG_BENCH_WORKLOAD_H_
