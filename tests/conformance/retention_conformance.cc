// Retention by age: PruneSessions, and the age limits of DriverOptions that
// run it in the background. Which rule selects what (the newest event counts
// as activity), refusals that change nothing, what a read-only driver does,
// and that removals last across reopen.

#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "tests/conformance/driver_conformance.h"

namespace sessionlog {
namespace {

using conformance::Caps;
using conformance::ExpectInvalidArgument;
using conformance::IdsOf;
using conformance::ListAllEvents;
using conformance::ListAllSessions;
using conformance::MakeEvent;
using conformance::MakeSession;
using conformance::StoreSnapshot;
using conformance::TakeSnapshot;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

// A session created at `created_at`, destroyed at `destroyed_at` if set,
// with one event per time in `event_times` (indexes 1, 2, ...). The events
// go first: a session is only prunable once its record exists, so a
// background check cannot take the record and leave later events behind.
void WriteSession(SessionPersistDriver& driver, absl::string_view id,
                  int64_t created_at, std::optional<int64_t> destroyed_at,
                  const std::vector<int64_t>& event_times) {
  for (size_t i = 0; i < event_times.size(); ++i) {
    SessionEvent event = MakeEvent(id, static_cast<int64_t>(i) + 1);
    event.created_at = event_times[i];
    SL_ASSERT_OK(driver.InsertEvent(event));
  }
  SessionRecord record = MakeSession(id, created_at);
  record.destroyed_at = destroyed_at;
  SL_ASSERT_OK(driver.UpdateSession(record));
}

std::vector<std::string> PrunedIds(const std::vector<PrunedSession>& pruned) {
  std::vector<std::string> ids;
  for (const PrunedSession& p : pruned) ids.push_back(p.record.id);
  return ids;
}

int64_t NowMs() { return absl::ToUnixMillis(absl::Now()); }

// Polls until `done` holds, for up to 20 s (the background check runs on a
// thread of its own).
template <typename Done>
bool Eventually(Done done) {
  for (int i = 0; i < 2000; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

TEST_P(DriverConformanceTest, PruneRemovesSessionsDestroyedBeforeTheTime) {
  ASSERT_NO_FATAL_FAILURE(
      WriteSession(driver(), "old-destroyed", 100, 1000, {500, 900}));
  ASSERT_NO_FATAL_FAILURE(
      WriteSession(driver(), "new-destroyed", 200, 5000, {4000}));
  ASSERT_NO_FATAL_FAILURE(WriteSession(driver(), "live", 50, std::nullopt, {}));
  SL_ASSERT_OK(driver().InsertEvent(MakeEvent("no-record", 1)));
  StoreSnapshot kept_before;
  SL_ASSERT_OK_AND_ASSIGN(kept_before,
                          TakeSnapshot(driver(), {"new-destroyed", "live"}));

  std::vector<PrunedSession> pruned;
  SL_ASSERT_OK_AND_ASSIGN(pruned,
                          driver().PruneSessions({/*destroyed_before=*/2000,
                                                  /*idle_before=*/{}}));
  ASSERT_THAT(PrunedIds(pruned), ElementsAre("old-destroyed"));
  EXPECT_EQ(pruned[0].reason, PruneReason::kDestroyed);
  EXPECT_EQ(pruned[0].last_activity_at, 1000);
  EXPECT_EQ(pruned[0].record.destroyed_at, 1000);
  EXPECT_EQ(pruned[0].events, 2);

  std::vector<SessionRecord> sessions;
  SL_ASSERT_OK_AND_ASSIGN(sessions, ListAllSessions(driver()));
  EXPECT_THAT(IdsOf(sessions), ElementsAre("live", "new-destroyed"));
  EXPECT_TRUE(absl::IsNotFound(driver().GetSession("old-destroyed").status()));
  std::vector<SessionEvent> events;
  SL_ASSERT_OK_AND_ASSIGN(events, ListAllEvents(driver(), "old-destroyed"));
  EXPECT_THAT(events, IsEmpty());
  kept_before.sessions.erase(kept_before.sessions.begin() + 1);  // The pruned.
  StoreSnapshot kept_after;
  SL_ASSERT_OK_AND_ASSIGN(kept_after,
                          TakeSnapshot(driver(), {"new-destroyed", "live"}));
  EXPECT_EQ(kept_after, kept_before);
  // Events without a record are not a session, so no rule selects them.
  SL_ASSERT_OK_AND_ASSIGN(events, ListAllEvents(driver(), "no-record"));
  EXPECT_EQ(events.size(), 1u);
}

TEST_P(DriverConformanceTest, PruneIdleCountsTheNewestEventAsActivity) {
  // Created long ago, but with a recent event: active.
  ASSERT_NO_FATAL_FAILURE(
      WriteSession(driver(), "recent-event", 100, std::nullopt, {200, 9000}));
  // Nothing since it was created.
  ASSERT_NO_FATAL_FAILURE(
      WriteSession(driver(), "silent", 100, std::nullopt, {}));
  // Old events only.
  ASSERT_NO_FATAL_FAILURE(
      WriteSession(driver(), "old-events", 100, std::nullopt, {300, 400}));
  // Destroyed recently: destroying is activity too.
  ASSERT_NO_FATAL_FAILURE(
      WriteSession(driver(), "recently-destroyed", 100, 8000, {300}));
  // Created recently.
  ASSERT_NO_FATAL_FAILURE(
      WriteSession(driver(), "young", 7000, std::nullopt, {}));

  std::vector<PrunedSession> pruned;
  SL_ASSERT_OK_AND_ASSIGN(pruned,
                          driver().PruneSessions({/*destroyed_before=*/{},
                                                  /*idle_before=*/5000}));
  // In (created_at, id) order.
  ASSERT_THAT(PrunedIds(pruned), ElementsAre("old-events", "silent"));
  EXPECT_EQ(pruned[0].reason, PruneReason::kIdle);
  EXPECT_EQ(pruned[0].last_activity_at, 400);
  EXPECT_EQ(pruned[0].events, 2);
  EXPECT_EQ(pruned[1].last_activity_at, 100);
  EXPECT_EQ(pruned[1].events, 0);
  std::vector<SessionRecord> sessions;
  SL_ASSERT_OK_AND_ASSIGN(sessions, ListAllSessions(driver()));
  EXPECT_THAT(IdsOf(sessions),
              ElementsAre("recent-event", "recently-destroyed", "young"));
  std::vector<SessionEvent> events;
  SL_ASSERT_OK_AND_ASSIGN(events, ListAllEvents(driver(), "old-events"));
  EXPECT_THAT(events, IsEmpty());
}

TEST_P(DriverConformanceTest, PruneWithBothRulesNamesTheDestroyedRule) {
  ASSERT_NO_FATAL_FAILURE(WriteSession(driver(), "both", 100, 200, {150}));
  ASSERT_NO_FATAL_FAILURE(
      WriteSession(driver(), "idle-only", 100, std::nullopt, {}));
  std::vector<PrunedSession> pruned;
  SL_ASSERT_OK_AND_ASSIGN(pruned, driver().PruneSessions({1000, 1000}));
  ASSERT_THAT(PrunedIds(pruned), ElementsAre("both", "idle-only"));
  EXPECT_EQ(pruned[0].reason, PruneReason::kDestroyed);
  EXPECT_EQ(pruned[1].reason, PruneReason::kIdle);
  EXPECT_EQ(PruneReasonName(pruned[0].reason), "destroyed");
  EXPECT_EQ(PruneReasonName(pruned[1].reason), "idle");
  // Nothing left to select: a second prune removes nothing.
  SL_ASSERT_OK_AND_ASSIGN(pruned, driver().PruneSessions({1000, 1000}));
  EXPECT_THAT(pruned, IsEmpty());
}

TEST_P(DriverConformanceTest, RefusedPrunesChangeNothing) {
  ASSERT_NO_FATAL_FAILURE(WriteSession(driver(), "old", 100, 200, {150}));
  StoreSnapshot before;
  SL_ASSERT_OK_AND_ASSIGN(before, TakeSnapshot(driver(), {"old"}));
  ExpectInvalidArgument(driver().PruneSessions({}).status(), "PruneRule");
  ExpectInvalidArgument(driver().PruneSessions({-1, std::nullopt}).status(),
                        "destroyed_before");
  ExpectInvalidArgument(driver().PruneSessions({std::nullopt, -5}).status(),
                        "idle_before");
  ExpectInvalidArgument(
      driver().PruneSessions({kMaxSafeInteger + 1, std::nullopt}).status(),
      "destroyed_before");
  StoreSnapshot after;
  SL_ASSERT_OK_AND_ASSIGN(after, TakeSnapshot(driver(), {"old"}));
  EXPECT_EQ(after, before);
}

TEST_P(DriverConformanceTest, PrunedSessionsStayGoneAfterReopen) {
  SL_REQUIRE_CAPABILITY(durable);
  ASSERT_NO_FATAL_FAILURE(WriteSession(driver(), "old", 100, 200, {150, 160}));
  ASSERT_NO_FATAL_FAILURE(
      WriteSession(driver(), "kept", 100, std::nullopt, {5000}));
  std::vector<PrunedSession> pruned;
  SL_ASSERT_OK_AND_ASSIGN(pruned, driver().PruneSessions({1000, 1000}));
  ASSERT_THAT(PrunedIds(pruned), ElementsAre("old"));
  StoreSnapshot before;
  SL_ASSERT_OK_AND_ASSIGN(before, TakeSnapshot(driver(), {"old", "kept"}));

  ASSERT_NO_FATAL_FAILURE(OpenWith(DriverOptions()));
  StoreSnapshot after;
  SL_ASSERT_OK_AND_ASSIGN(after, TakeSnapshot(driver(), {"old", "kept"}));
  EXPECT_EQ(after, before);
  EXPECT_THAT(IdsOf(after.sessions), ElementsAre("kept"));
  EXPECT_THAT(after.events["old"], IsEmpty());
  // The id is free again: a new session under it starts empty.
  ASSERT_NO_FATAL_FAILURE(
      WriteSession(driver(), "old", 300, std::nullopt, {400}));
  std::vector<SessionEvent> events;
  SL_ASSERT_OK_AND_ASSIGN(events, ListAllEvents(driver(), "old"));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].created_at, 400);
}

// The rule is checked again inside the removal: a session that an append
// makes active while prunes run either goes before the append (which then
// lands under an id without a record, alone) or stays with all its events.
TEST_P(DriverConformanceTest, PruneNeverRemovesASessionMadeActiveMeanwhile) {
  for (int round = 0; round < 10; ++round) {
    const std::string id = absl::StrCat("s", round);
    ASSERT_NO_FATAL_FAILURE(
        WriteSession(driver(), id, 100, std::nullopt, {200}));
    SessionEvent fresh = MakeEvent(id, 2);
    fresh.created_at = 1000000;
    std::vector<PrunedSession> pruned;
    absl::Status prune_status;
    std::thread pruner([&] {
      absl::StatusOr<std::vector<PrunedSession>> result =
          driver().PruneSessions({std::nullopt, 5000});
      prune_status = result.status();
      if (result.ok()) pruned = *std::move(result);
    });
    SL_ASSERT_OK(driver().InsertEvent(fresh));
    pruner.join();
    SL_ASSERT_OK(prune_status);
    std::vector<SessionEvent> events;
    SL_ASSERT_OK_AND_ASSIGN(events, ListAllEvents(driver(), id));
    if (pruned.empty()) {
      SL_EXPECT_OK(driver().GetSession(id).status());
      EXPECT_EQ(events.size(), 2u) << id;
    } else {
      EXPECT_THAT(PrunedIds(pruned), ElementsAre(id));
      EXPECT_EQ(pruned[0].events, 1) << id;
      EXPECT_TRUE(absl::IsNotFound(driver().GetSession(id).status()));
      ASSERT_EQ(events.size(), 1u) << id;
      EXPECT_EQ(events[0], fresh);
      SL_ASSERT_OK(driver().DeleteSession(id));
    }
  }
}

// On a durable backend the sessions are written first and the check at open
// finds them; elsewhere they are written once the driver is open. Either way
// the periodic check takes the one that expires seconds later.
TEST_P(DriverConformanceTest, AgeLimitsRemoveExpiredSessionsInTheBackground) {
  DriverOptions options;
  options.destroyed_session_ttl = absl::Hours(1);
  options.idle_session_ttl = absl::Hours(3);
  options.retention_check_interval = absl::Milliseconds(100);
  const bool durable = capabilities().durable.supported;
  if (!durable) {
    ASSERT_NO_FATAL_FAILURE(OpenWith(options));
  }
  const int64_t now = NowMs();
  const int64_t hour = 3600 * 1000;
  ASSERT_NO_FATAL_FAILURE(WriteSession(driver(), "destroyed-long-ago",
                                       now - 5 * hour, now - 2 * hour,
                                       {now - 3 * hour}));
  ASSERT_NO_FATAL_FAILURE(WriteSession(driver(), "destroyed-lately",
                                       now - 5 * hour, now - 60000, {}));
  ASSERT_NO_FATAL_FAILURE(WriteSession(driver(), "idle", now - 5 * hour,
                                       std::nullopt, {now - 4 * hour}));
  ASSERT_NO_FATAL_FAILURE(WriteSession(driver(), "busy", now - 5 * hour,
                                       std::nullopt, {now - 60000}));
  const int64_t expires_in = 5000;
  ASSERT_NO_FATAL_FAILURE(WriteSession(driver(), "expiring-soon",
                                       now - 3 * hour + expires_in,
                                       std::nullopt, {}));
  if (durable) {
    ASSERT_NO_FATAL_FAILURE(OpenWith(options));
  }

  auto ids = [&]() -> std::vector<std::string> {
    absl::StatusOr<std::vector<SessionRecord>> sessions =
        ListAllSessions(driver());
    return sessions.ok() ? IdsOf(*sessions) : std::vector<std::string>{"?"};
  };
  auto expired = [&]() -> int64_t {
    absl::StatusOr<DriverStats> stats = driver().Stats();
    return stats.ok() ? stats->sessions_expired : -1;
  };
  EXPECT_TRUE(Eventually([&] { return expired() >= 2; }));
  if (NowMs() < now + expires_in - 1000) {
    EXPECT_THAT(ids(), UnorderedElementsAre("destroyed-lately", "busy",
                                            "expiring-soon"));
  }
  EXPECT_TRUE(Eventually([&] { return expired() >= 3; }));
  EXPECT_THAT(ids(), UnorderedElementsAre("destroyed-lately", "busy"));
  absl::StatusOr<DriverStats> stats = driver().Stats();
  SL_ASSERT_OK(stats.status());
  EXPECT_EQ(stats->sessions_expired, 3);
  EXPECT_EQ(stats->retention_error, "");
  std::vector<SessionEvent> events;
  SL_ASSERT_OK_AND_ASSIGN(events,
                          ListAllEvents(driver(), "destroyed-long-ago"));
  EXPECT_THAT(events, IsEmpty());
  SL_ASSERT_OK_AND_ASSIGN(events, ListAllEvents(driver(), "busy"));
  EXPECT_EQ(events.size(), 1u);
}

TEST_P(DriverConformanceTest, AgeLimitsRemoveNothingThroughAReadOnlyDriver) {
  SL_REQUIRE_CAPABILITY(read_only);
  ASSERT_NO_FATAL_FAILURE(WriteSession(driver(), "old", 100, 200, {150}));
  StoreSnapshot before;
  SL_ASSERT_OK_AND_ASSIGN(before, TakeSnapshot(driver(), {"old"}));
  CloseDriver();
  DriverOptions options;
  options.read_only = true;
  options.destroyed_session_ttl = absl::Seconds(1);
  options.idle_session_ttl = absl::Seconds(1);
  options.retention_check_interval = absl::Milliseconds(10);
  {
    std::unique_ptr<SessionPersistDriver> reader;
    SL_ASSERT_OK_AND_ASSIGN(reader, harness().Open(options));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    absl::StatusOr<DriverStats> stats = reader->Stats();
    SL_ASSERT_OK(stats.status());
    EXPECT_EQ(stats->sessions_expired, 0);
    EXPECT_TRUE(absl::IsFailedPrecondition(
        reader->PruneSessions({1000, std::nullopt}).status()));
  }
  ASSERT_NO_FATAL_FAILURE(OpenWith(DriverOptions()));
  StoreSnapshot after;
  SL_ASSERT_OK_AND_ASSIGN(after, TakeSnapshot(driver(), {"old"}));
  EXPECT_EQ(after, before);
}

TEST_P(DriverConformanceTest, OutOfRangeAgeLimitsAreRefusedAtOpen) {
  CloseDriver();
  DriverOptions negative;
  negative.idle_session_ttl = absl::Seconds(-1);
  EXPECT_TRUE(absl::IsInvalidArgument(harness().Open(negative).status()));
  DriverOptions infinite;
  infinite.destroyed_session_ttl = absl::InfiniteDuration();
  EXPECT_TRUE(absl::IsInvalidArgument(harness().Open(infinite).status()));
  DriverOptions no_interval;
  no_interval.retention_check_interval = absl::ZeroDuration();
  ExpectInvalidArgument(harness().Open(no_interval).status(),
                        "retention_check_interval");
}

}  // namespace
}  // namespace sessionlog
