// Concurrent writers and readers, on distinct and on shared sessions, and the
// stress run (stress.h) at a scale every backend finishes in seconds; the
// heavy run under ThreadSanitizer is tests/concurrency.

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "tests/conformance/driver_conformance.h"
#include "tests/conformance/stress.h"

namespace sessionlog {
namespace {

using conformance::IndicesOf;
using conformance::ListAllEvents;
using conformance::ListAllSessions;
using conformance::MakeEvent;
using conformance::MakeSession;

constexpr int kThreads = 4;
constexpr int kEventsPerThread = 150;

TEST_P(DriverConformanceTest, ConcurrentWritersLoseNothing) {
  DriverOptions options;
  options.max_events_per_session = kNoLimit;
  ASSERT_NO_FATAL_FAILURE(OpenWith(options));
  std::atomic<int> failures{0};
  std::atomic<bool> writing{true};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string own = absl::StrCat("own", t);
      for (int i = 0; i < kEventsPerThread; ++i) {
        if (!driver().UpdateSession(MakeSession(own, t)).ok()) ++failures;
        if (!driver().InsertEvent(MakeEvent(own, i)).ok()) ++failures;
        // Shared session: thread t owns the indices congruent to t.
        if (!driver().InsertEvent(MakeEvent("shared", i * kThreads + t)).ok()) {
          ++failures;
        }
      }
    });
  }
  // A reader pages through the shared session meanwhile: each read sees an
  // increasing sequence, whatever is being written.
  std::atomic<int> unordered_reads{0};
  std::thread reader([&] {
    while (writing) {
      absl::StatusOr<std::vector<SessionEvent>> events =
          ListAllEvents(driver(), "shared", 7);
      if (!events.ok()) {
        ++failures;
        continue;
      }
      std::vector<int64_t> indices = IndicesOf(*events);
      if (!std::is_sorted(indices.begin(), indices.end()) ||
          std::adjacent_find(indices.begin(), indices.end()) != indices.end()) {
        ++unordered_reads;
      }
    }
  });
  for (std::thread& thread : threads) thread.join();
  writing = false;
  reader.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(unordered_reads, 0);

  std::vector<SessionEvent> shared;
  SL_ASSERT_OK_AND_ASSIGN(shared, ListAllEvents(driver(), "shared"));
  ASSERT_EQ(shared.size(), static_cast<size_t>(kThreads * kEventsPerThread));
  for (size_t i = 0; i < shared.size(); ++i) {
    EXPECT_EQ(shared[i], MakeEvent("shared", static_cast<int64_t>(i)));
  }
  for (int t = 0; t < kThreads; ++t) {
    std::vector<SessionEvent> own;
    SL_ASSERT_OK_AND_ASSIGN(own,
                            ListAllEvents(driver(), absl::StrCat("own", t)));
    EXPECT_EQ(own.size(), static_cast<size_t>(kEventsPerThread));
  }
  std::vector<SessionRecord> sessions;
  SL_ASSERT_OK_AND_ASSIGN(sessions, ListAllSessions(driver()));
  EXPECT_EQ(sessions.size(), static_cast<size_t>(kThreads));
}

TEST_P(DriverConformanceTest, RacingInsertsOfOneIndexHaveOneWinner) {
  // Two SDK clients on one session can allocate the same index; exactly one
  // insert must win and the other must see the unique-constraint error.
  constexpr int kRounds = 40;
  for (int round = 0; round < kRounds; ++round) {
    std::atomic<int> ok{0}, conflicts{0}, other{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        SessionEvent event = MakeEvent("race", round);
        event.id = absl::StrCat("writer", t, "/", round);
        absl::Status status = driver().InsertEvent(event);
        if (status.ok()) {
          ++ok;
        } else if (status.code() == absl::StatusCode::kAlreadyExists) {
          ++conflicts;
        } else {
          ++other;
        }
      });
    }
    for (std::thread& thread : threads) thread.join();
    EXPECT_EQ(ok, 1) << "round " << round;
    EXPECT_EQ(conflicts, kThreads - 1) << "round " << round;
    EXPECT_EQ(other, 0) << "round " << round;
  }
  std::vector<SessionEvent> events;
  SL_ASSERT_OK_AND_ASSIGN(events, ListAllEvents(driver(), "race"));
  EXPECT_EQ(events.size(), static_cast<size_t>(kRounds));
}

TEST_P(DriverConformanceTest, StressOnSharedSessionsUnderLimits) {
  conformance::StressConfig config;
  config.inserts_per_writer = 150;
  ASSERT_NO_FATAL_FAILURE(OpenWith(conformance::StressOptions(config)));
  conformance::RunStress(driver(), config);
}

}  // namespace
}  // namespace sessionlog
