// The workload of the failure tests (kill -9, power cut, I/O errors, full
// disk), and what a store must still hold after it fails.
//
// One writer makes a deterministic history: sessions "s000000", "s000001"...
// are created in order (created_at grows, so eviction takes the oldest), and
// events 1, 2, 3... are appended to the newest few sessions, alone or in
// batches. Every record and event is a pure function of (session, index), so
// a checker can tell a right byte from a wrong one without a log of what was
// written. The limits are small so that eviction and retention run all the
// time.
//
// The writer reports each acknowledged write; Check() compares a reopened
// store with those acknowledgements.

#ifndef SESSIONLOG_TESTS_DURABILITY_WORKLOAD_H_
#define SESSIONLOG_TESTS_DURABILITY_WORKLOAD_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "api/driver.h"
#include "api/options.h"
#include "api/session.h"

namespace sessionlog {
namespace durability {

inline constexpr int64_t kMaxSessions = 6;
inline constexpr int64_t kMaxEventsPerSession = 20;
inline constexpr int kActiveSessions = 4;  // Written to; < kMaxSessions.
inline constexpr int kMaxBatch = 5;

// kMaxSessions and kMaxEventsPerSession, with `durability`.
DriverOptions WorkloadOptions(Durability durability);

std::string SessionId(int64_t session);
// -1 if `id` is not a workload session id.
int64_t SessionNumber(absl::string_view id);
SessionRecord MakeRecord(int64_t session);
SessionEvent MakeEvent(int64_t session, int64_t index);

// One write, as the writer reports it.
struct Ack {
  enum Kind : int64_t { kSession = 1, kEvents = 2 } kind;
  int64_t session;
  int64_t index;  // kEvents: the highest index of the write.
};

// What the writer was told succeeded. Only grows.
struct Acked {
  int64_t highest_session = -1;              // Highest session number created.
  std::map<int64_t, int64_t> highest_index;  // session -> highest event index.

  void AckSession(int64_t session);
  void AckEvents(int64_t session, int64_t highest);
  void Apply(const Ack& ack);
};

class Writer {
 public:
  // Continues the history that `driver`'s store holds (empty: a new one).
  static absl::StatusOr<Writer> Resume(SessionPersistDriver& driver,
                                       uint64_t seed);

  // Performs one write; on success calls `on_ack` with it, before returning.
  // Returns the write's status.
  absl::Status Step(SessionPersistDriver& driver,
                    const std::function<void(const Ack&)>& on_ack);

  int64_t highest_session() const { return next_session_ - 1; }

 private:
  explicit Writer(uint64_t seed) : rng_(std::seed_seq{seed}) {}

  int64_t next_session_ = 0;
  std::map<int64_t, int64_t> next_index_;  // Active sessions only.
  absl::BitGen rng_;
};

// The result of checking a store against acknowledgements.
struct CheckResult {
  // Broken invariants: the store is not a consistent state of the history
  // (a gap, a wrong byte, a limit exceeded...). Always a failure.
  std::vector<std::string> violations;
  // Acknowledged writes that the store does not hold: sessions and events.
  // A failure unless the durability mode allows the loss (power cut without
  // fsync).
  int64_t lost_sessions = 0;
  int64_t lost_events = 0;
  std::vector<std::string> lost_examples;  // The first few.
  // What the store holds: the acknowledgements to check next time.
  Acked recovered;
  int64_t events_checked = 0;

  bool ok() const {
    return violations.empty() && lost_sessions == 0 && lost_events == 0;
  }
  std::string Summary() const;
};

// Reads the whole store through the public API and checks it against `acked`:
// invariants (each session's events contiguous and within the limit, the
// sessions a contiguous run of the newest ones, every byte as written,
// evicted sessions without events) and loss. `options` are the limits the
// store was written with.
CheckResult Check(SessionPersistDriver& driver, const Acked& acked);

}  // namespace durability
}  // namespace sessionlog

#endif  // SESSIONLOG_TESTS_DURABILITY_WORKLOAD_H_
