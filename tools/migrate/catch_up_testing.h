// For the tests of migrating a store while it is written (catch_up.h): a
// writer thread that appends to a store and logs every acknowledged event
// with the time of its acknowledgement, and the check that a destination
// holds every event acknowledged before a cut-over point.

#ifndef SESSIONLOG_TOOLS_MIGRATE_CATCH_UP_TESTING_H_
#define SESSIONLOG_TOOLS_MIGRATE_CATCH_UP_TESTING_H_

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "api/driver.h"

namespace sessionlog {
namespace test {

struct AckedEvent {
  SessionEvent event;
  absl::Time at;  // Taken after InsertEvent returned: never before the ack.
};

// Creates sessions s0..s<sessions-1> in `store`, then appends one event to
// each, round after round, in index order as the SDK does, until Stop();
// every 50 rounds s0's record changes too. `store` must outlive Stop().
class AckingWriter {
 public:
  AckingWriter(SessionPersistDriver& store, int sessions);
  // Stops the thread; a test that cares about failures calls Stop() itself.
  ~AckingWriter() { Stop().IgnoreError(); }

  // The first failure, or OK: a failed write ends the writing.
  absl::Status Stop();
  // Every acknowledged event so far, in the order acknowledged.
  std::vector<AckedEvent> acked() const;
  int sessions() const { return sessions_; }

 private:
  void Loop();

  SessionPersistDriver& store_;
  const int sessions_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::vector<AckedEvent> acked_;
  absl::Status status_;
  std::thread thread_;
};

// Checks, with gtest assertions, that `to` holds every event of `acked`
// acknowledged before `cut_over`, exactly as written; returns how many it
// checked.
int64_t ExpectCopiedBefore(const std::vector<AckedEvent>& acked,
                           absl::Time cut_over, SessionPersistDriver& to);

}  // namespace test
}  // namespace sessionlog

#endif  // SESSIONLOG_TOOLS_MIGRATE_CATCH_UP_TESTING_H_
