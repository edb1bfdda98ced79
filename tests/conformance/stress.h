// The stress run of the conformance suite, also run at a larger scale under
// ThreadSanitizer by tests/concurrency: writer threads append to a few shared
// sessions, allocating indexes the SDK's way (highest + 1, again on
// AlreadyExists); reader threads page and tail the same sessions; a churn
// thread creates sessions so that eviction runs all the time. Afterwards no
// acknowledged event is lost (inside the retention window), none is stored
// twice, and every read was ordered and contiguous.

#ifndef SESSIONLOG_TESTS_CONFORMANCE_STRESS_H_
#define SESSIONLOG_TESTS_CONFORMANCE_STRESS_H_

#include <cstdint>

#include "api/driver.h"
#include "api/options.h"

namespace sessionlog {
namespace conformance {

struct StressConfig {
  int writers = 8;
  int readers = 2;  // One pages through sessions, the other tails them.
  int shared_sessions = 3;
  int inserts_per_writer = 2000;
  int64_t max_events = 50;
  int64_t max_sessions = 16;
};

// The limits a driver must be opened with for RunStress(config).
DriverOptions StressOptions(const StressConfig& config);

// Runs the stress on `driver`, an empty store opened with
// StressOptions(config), and reports what it finds as gtest failures. Prints
// a RESULT line with the counts.
void RunStress(SessionPersistDriver& driver, const StressConfig& config);

}  // namespace conformance
}  // namespace sessionlog

#endif  // SESSIONLOG_TESTS_CONFORMANCE_STRESS_H_
