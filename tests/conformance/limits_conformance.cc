// maxSessions eviction and maxEventsPerSession retention, as the SDK's
// in-memory driver does them (InMemorySessionPersistDriver in sandbox-agent
// 0.4.2's published dist; api/driver.h states the contract, and
// tests/differential checks it against the SDK itself).

#include <optional>
#include <string>
#include <vector>

#include "api/options.h"
#include "gmock/gmock.h"
#include "tests/conformance/driver_conformance.h"

namespace sessionlog {
namespace {

using conformance::Caps;
using conformance::ExpectInvalidArgument;
using conformance::IdsOf;
using conformance::IndicesOf;
using conformance::ListAllEvents;
using conformance::ListAllSessions;
using conformance::MakeEvent;
using conformance::MakeSession;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST_P(DriverConformanceTest, EvictsTheOldestByCreatedAtThenId) {
  ASSERT_NO_FATAL_FAILURE(OpenWith(Caps(3, kNoLimit)));
  SL_ASSERT_OK(driver().UpdateSession(MakeSession("m", 100)));
  SL_ASSERT_OK(driver().UpdateSession(MakeSession("b", 50)));
  SL_ASSERT_OK(driver().UpdateSession(MakeSession("a", 50)));
  std::vector<SessionRecord> all;
  SL_ASSERT_OK_AND_ASSIGN(all, ListAllSessions(driver()));
  EXPECT_THAT(IdsOf(all), ElementsAre("a", "b", "m"));

  SL_ASSERT_OK(driver().UpdateSession(MakeSession("z", 200)));
  SL_ASSERT_OK_AND_ASSIGN(all, ListAllSessions(driver()));
  EXPECT_THAT(IdsOf(all), ElementsAre("b", "m", "z"));
  EXPECT_EQ(driver().GetSession("a").status().code(),
            absl::StatusCode::kNotFound);

  SL_ASSERT_OK(driver().UpdateSession(MakeSession("y", 200)));
  SL_ASSERT_OK_AND_ASSIGN(all, ListAllSessions(driver()));
  EXPECT_THAT(IdsOf(all), ElementsAre("m", "y", "z"));
}

// After evictions, a record moved to an age older than every evicted one is
// the oldest again, and the next eviction takes it. (RocksDB seeks past the
// keys it evicted: this checks that a record written behind them is seen.)
TEST_P(DriverConformanceTest, ARecordMovedBehindEvictedOnesIsEvictedFirst) {
  ASSERT_NO_FATAL_FAILURE(OpenWith(Caps(3, kNoLimit)));
  for (const auto& [id, created_at] :
       std::vector<std::pair<std::string, int64_t>>{
           {"a", 10}, {"b", 20}, {"c", 30}, {"d", 40}}) {
    SL_ASSERT_OK(driver().UpdateSession(MakeSession(id, created_at)));
  }
  std::vector<SessionRecord> sessions;
  SL_ASSERT_OK_AND_ASSIGN(sessions, ListAllSessions(driver()));
  ASSERT_THAT(IdsOf(sessions), ElementsAre("b", "c", "d"));
  SL_ASSERT_OK(driver().UpdateSession(MakeSession("c", 5)));
  SL_ASSERT_OK(driver().UpdateSession(MakeSession("e", 50)));
  SL_ASSERT_OK_AND_ASSIGN(sessions, ListAllSessions(driver()));
  EXPECT_THAT(IdsOf(sessions), ElementsAre("b", "d", "e"));
  // And a new record older than all, with the store full, is its own victim.
  SL_ASSERT_OK(driver().UpdateSession(MakeSession("f", 1)));
  SL_ASSERT_OK_AND_ASSIGN(sessions, ListAllSessions(driver()));
  EXPECT_THAT(IdsOf(sessions), ElementsAre("b", "d", "e"));
}

TEST_P(DriverConformanceTest, TheRecordJustWrittenCanBeTheVictim) {
  ASSERT_NO_FATAL_FAILURE(OpenWith(Caps(2, kNoLimit)));
  SL_ASSERT_OK(driver().UpdateSession(MakeSession("s100", 100)));
  SL_ASSERT_OK(driver().UpdateSession(MakeSession("s200", 200)));
  SL_ASSERT_OK(driver().InsertEvent(MakeEvent("old", 1)));
  SL_ASSERT_OK(driver().UpdateSession(MakeSession("old", 50)));
  EXPECT_EQ(driver().GetSession("old").status().code(),
            absl::StatusCode::kNotFound);
  std::vector<SessionRecord> all;
  SL_ASSERT_OK_AND_ASSIGN(all, ListAllSessions(driver()));
  EXPECT_THAT(IdsOf(all), ElementsAre("s100", "s200"));
  // Its events, inserted before the record existed, went with it.
  std::vector<SessionEvent> events;
  SL_ASSERT_OK_AND_ASSIGN(events, ListAllEvents(driver(), "old"));
  EXPECT_THAT(events, IsEmpty());
}

TEST_P(DriverConformanceTest, EvictionHappensOnlyInUpdateSession) {
  ASSERT_NO_FATAL_FAILURE(OpenWith(Caps(1, kNoLimit)));
  SL_ASSERT_OK(driver().UpdateSession(MakeSession("s1", 100)));
  // Events under unknown ids are stored, listable, and evict nothing.
  SL_ASSERT_OK(driver().InsertEvent(MakeEvent("ghost", 1)));
  SL_ASSERT_OK(
      driver().InsertEvents({MakeEvent("ghost2", 1), MakeEvent("ghost2", 2)}));
  SL_EXPECT_OK(driver().GetSession("s1"));
  std::vector<SessionEvent> events;
  SL_ASSERT_OK_AND_ASSIGN(events, ListAllEvents(driver(), "ghost2"));
  EXPECT_THAT(IndicesOf(events), ElementsAre(1, 2));
  DriverStats stats;
  SL_ASSERT_OK_AND_ASSIGN(stats, driver().Stats());
  EXPECT_EQ(stats.sessions, 1);

  // A newer record evicts s1; the ghost events stay.
  SL_ASSERT_OK(driver().InsertEvent(MakeEvent("s1", 1)));
  SL_ASSERT_OK(driver().UpdateSession(MakeSession("s2", 200)));
  EXPECT_EQ(driver().GetSession("s1").status().code(),
            absl::StatusCode::kNotFound);
  SL_ASSERT_OK_AND_ASSIGN(events, ListAllEvents(driver(), "s1"));
  EXPECT_THAT(events, IsEmpty());
  SL_ASSERT_OK_AND_ASSIGN(events, ListAllEvents(driver(), "ghost"));
  EXPECT_THAT(IndicesOf(events), ElementsAre(1));
}

TEST_P(DriverConformanceTest, EventsOfAnEvictedSessionGoWithIt) {
  ASSERT_NO_FATAL_FAILURE(OpenWith(Caps(1, kNoLimit)));
  SL_ASSERT_OK(driver().UpdateSession(MakeSession("a", 100)));
  for (int64_t i = 1; i <= 5; ++i) {
    SL_ASSERT_OK(driver().InsertEvent(MakeEvent("a", i)));
  }
  SL_ASSERT_OK(driver().UpdateSession(MakeSession("b", 200)));
  std::vector<SessionEvent> events;
  SL_ASSERT_OK_AND_ASSIGN(events, ListAllEvents(driver(), "a"));
  EXPECT_THAT(events, IsEmpty());
  std::optional<int64_t> highest;
  SL_ASSERT_OK_AND_ASSIGN(highest, driver().HighestEventIndex("a"));
  EXPECT_FALSE(highest.has_value());
  SL_ASSERT_OK_AND_ASSIGN(events, driver().LastEvents("a", 10));
  EXPECT_THAT(events, IsEmpty());
  DriverStats stats;
  SL_ASSERT_OK_AND_ASSIGN(stats, driver().Stats());
  EXPECT_EQ(stats.sessions, 1);
  if (!stats.events_is_estimate) {
    EXPECT_EQ(stats.events, 0);
  }
}

TEST_P(DriverConformanceTest, AReCreatedEvictedIdDoesNotGetItsOldEventsBack) {
  ASSERT_NO_FATAL_FAILURE(OpenWith(Caps(1, kNoLimit)));
  SL_ASSERT_OK(driver().UpdateSession(MakeSession("a", 100)));
  for (int64_t i = 1; i <= 3; ++i) {
    SL_ASSERT_OK(driver().InsertEvent(MakeEvent("a", i)));
  }
  SL_ASSERT_OK(driver().UpdateSession(MakeSession("b", 200)));  // Evicts a.
  SL_ASSERT_OK(driver().UpdateSession(MakeSession("a", 300)));  // Evicts b.
  std::vector<SessionEvent> events;
  SL_ASSERT_OK_AND_ASSIGN(events, ListAllEvents(driver(), "a"));
  EXPECT_THAT(events, IsEmpty());
  // Index 2 is free again: a different event there is no conflict.
  SessionEvent fresh = MakeEvent("a", 2);
  fresh.id = "a/fresh";
  SL_ASSERT_OK(driver().InsertEvent(fresh));
  SL_ASSERT_OK_AND_ASSIGN(events, ListAllEvents(driver(), "a"));
  EXPECT_THAT(events, ElementsAre(fresh));
}

TEST_P(DriverConformanceTest, UpdatingARecordMovesItInAgeOrderWithoutEvicting) {
  ASSERT_NO_FATAL_FAILURE(OpenWith(Caps(2, kNoLimit)));
  SL_ASSERT_OK(driver().UpdateSession(MakeSession("a", 100)));
  SL_ASSERT_OK(driver().UpdateSession(MakeSession("b", 200)));
  SL_ASSERT_OK(driver().InsertEvent(MakeEvent("a", 1)));
  // Replacing a record is not a new session: nothing is evicted.
  SL_ASSERT_OK(driver().UpdateSession(MakeSession("a", 300)));
  std::vector<SessionRecord> all;
  SL_ASSERT_OK_AND_ASSIGN(all, ListAllSessions(driver()));
  EXPECT_THAT(IdsOf(all), ElementsAre("b", "a"));
  // Now b (200) is the oldest.
  SL_ASSERT_OK(driver().UpdateSession(MakeSession("c", 250)));
  SL_ASSERT_OK_AND_ASSIGN(all, ListAllSessions(driver()));
  EXPECT_THAT(IdsOf(all), ElementsAre("c", "a"));
  std::vector<SessionEvent> events;
  SL_ASSERT_OK_AND_ASSIGN(events, ListAllEvents(driver(), "a"));
  EXPECT_THAT(IndicesOf(events), ElementsAre(1));
}

TEST_P(DriverConformanceTest, RetentionKeepsTheNewestEventsByIndex) {
  ASSERT_NO_FATAL_FAILURE(OpenWith(Caps(kNoLimit, 3)));
  for (int64_t i = 1; i <= 5; ++i) {
    SL_ASSERT_OK(driver().InsertEvent(MakeEvent("s", i)));
  }
  std::vector<SessionEvent> events;
  SL_ASSERT_OK_AND_ASSIGN(events, ListAllEvents(driver(), "s"));
  EXPECT_THAT(IndicesOf(events), ElementsAre(3, 4, 5));
  // Below the window: accepted, and trimmed at once.
  SL_ASSERT_OK(driver().InsertEvent(MakeEvent("s", 2)));
  SL_ASSERT_OK_AND_ASSIGN(events, ListAllEvents(driver(), "s"));
  EXPECT_THAT(IndicesOf(events), ElementsAre(3, 4, 5));
  // Out of order, with gaps.
  SL_ASSERT_OK(driver().InsertEvent(MakeEvent("s", 10)));
  SL_ASSERT_OK(driver().InsertEvent(MakeEvent("s", 7)));
  SL_ASSERT_OK_AND_ASSIGN(events, ListAllEvents(driver(), "s", 1));
  EXPECT_THAT(IndicesOf(events), ElementsAre(5, 7, 10));
  SL_ASSERT_OK_AND_ASSIGN(events, driver().LastEvents("s", 10));
  EXPECT_THAT(IndicesOf(events), ElementsAre(5, 7, 10));
  std::optional<int64_t> highest;
  SL_ASSERT_OK_AND_ASSIGN(highest, driver().HighestEventIndex("s"));
  EXPECT_EQ(highest, 10);
  // A batch that overflows the window on its own.
  SL_ASSERT_OK(driver().InsertEvents({MakeEvent("t", 1), MakeEvent("t", 2),
                                      MakeEvent("t", 3), MakeEvent("t", 4),
                                      MakeEvent("t", 5)}));
  SL_ASSERT_OK_AND_ASSIGN(events, ListAllEvents(driver(), "t"));
  EXPECT_THAT(IndicesOf(events), ElementsAre(3, 4, 5));
  DriverStats stats;
  SL_ASSERT_OK_AND_ASSIGN(stats, driver().Stats());
  if (!stats.events_is_estimate) {
    EXPECT_EQ(stats.events, 6);
  }
}

TEST_P(DriverConformanceTest, DefaultLimitsAreTheSdks) {
  EXPECT_EQ(driver().options().max_sessions, 1024);
  EXPECT_EQ(driver().options().max_events_per_session, 500);
  std::vector<SessionEvent> batch;
  for (int64_t i = 1; i <= 501; ++i) batch.push_back(MakeEvent("s", i));
  SL_ASSERT_OK(driver().InsertEvents(batch));
  std::vector<SessionEvent> events;
  SL_ASSERT_OK_AND_ASSIGN(events, ListAllEvents(driver(), "s"));
  ASSERT_EQ(events.size(), 500u);
  EXPECT_EQ(events.front().event_index, 2);
  EXPECT_EQ(events.back().event_index, 501);

  for (int64_t i = 0; i < 1025; ++i) {
    SL_ASSERT_OK(
        driver().UpdateSession(MakeSession(absl::StrCat("s", i), 1000 + i)));
  }
  std::vector<SessionRecord> all;
  SL_ASSERT_OK_AND_ASSIGN(all, ListAllSessions(driver(), kMaxPageLimit));
  ASSERT_EQ(all.size(), 1024u);
  EXPECT_EQ(all.front().id, "s1");
}

TEST_P(DriverConformanceTest, NoLimitSwitchesEachLimitOff) {
  ASSERT_NO_FATAL_FAILURE(OpenWith(Caps(kNoLimit, kNoLimit)));
  std::vector<SessionEvent> batch;
  for (int64_t i = 1; i <= 600; ++i) batch.push_back(MakeEvent("s", i));
  SL_ASSERT_OK(driver().InsertEvents(batch));
  for (int64_t i = 0; i < 1100; ++i) {
    SL_ASSERT_OK(
        driver().UpdateSession(MakeSession(absl::StrCat("s", i), 1000 + i)));
  }
  std::vector<SessionEvent> events;
  SL_ASSERT_OK_AND_ASSIGN(events, ListAllEvents(driver(), "s"));
  EXPECT_EQ(events.size(), 600u);
  std::vector<SessionRecord> all;
  SL_ASSERT_OK_AND_ASSIGN(all, ListAllSessions(driver(), kMaxPageLimit));
  EXPECT_EQ(all.size(), 1100u);
}

TEST_P(DriverConformanceTest, OnlyTheSessionLimitWhenEventsAreUnlimited) {
  ASSERT_NO_FATAL_FAILURE(OpenWith(Caps(2, kNoLimit)));
  std::vector<SessionEvent> batch;
  for (int64_t i = 1; i <= 520; ++i) batch.push_back(MakeEvent("s", i));
  SL_ASSERT_OK(driver().InsertEvents(batch));
  for (int64_t i = 0; i < 3; ++i) {
    SL_ASSERT_OK(driver().UpdateSession(MakeSession(absl::StrCat("r", i), i)));
  }
  std::vector<SessionRecord> all;
  SL_ASSERT_OK_AND_ASSIGN(all, ListAllSessions(driver()));
  EXPECT_THAT(IdsOf(all), ElementsAre("r1", "r2"));
  std::vector<SessionEvent> events;
  SL_ASSERT_OK_AND_ASSIGN(events, ListAllEvents(driver(), "s"));
  EXPECT_EQ(events.size(), 520u);
}

TEST_P(DriverConformanceTest, OnlyTheEventLimitWhenSessionsAreUnlimited) {
  ASSERT_NO_FATAL_FAILURE(OpenWith(Caps(kNoLimit, 2)));
  for (int64_t i = 0; i < 1030; ++i) {
    SL_ASSERT_OK(driver().UpdateSession(MakeSession(absl::StrCat("r", i), i)));
  }
  SL_ASSERT_OK(driver().InsertEvents(
      {MakeEvent("r0", 1), MakeEvent("r0", 2), MakeEvent("r0", 3)}));
  std::vector<SessionRecord> all;
  SL_ASSERT_OK_AND_ASSIGN(all, ListAllSessions(driver(), kMaxPageLimit));
  EXPECT_EQ(all.size(), 1030u);
  std::vector<SessionEvent> events;
  SL_ASSERT_OK_AND_ASSIGN(events, ListAllEvents(driver(), "r0"));
  EXPECT_THAT(IndicesOf(events), ElementsAre(2, 3));
}

// The SDK's default, except on the TS SDK's SQL tables, which record no
// limits and whose TS drivers enforce none: there, none.
TEST_P(DriverConformanceTest, LimitFromStoreOnAFreshStoreIsTheSdkDefault) {
  CloseDriver();
  absl::StatusOr<std::unique_ptr<SessionPersistDriver>> driver =
      harness().Open(Caps(kLimitFromStore, kLimitFromStore));
  ASSERT_TRUE(driver.ok()) << driver.status();
  const bool none = capabilities().records_no_limits.supported;
  EXPECT_EQ((*driver)->options().max_sessions,
            none ? kNoLimit : kDefaultMaxSessions);
  EXPECT_EQ((*driver)->options().max_events_per_session,
            none ? kNoLimit : kDefaultMaxEventsPerSession);
  // A limit given beside it is kept.
  driver = absl::UnknownError("closed");  // Closes the store first.
  driver = harness().Open(Caps(7, kLimitFromStore));
  ASSERT_TRUE(driver.ok()) << driver.status();
  EXPECT_EQ((*driver)->options().max_sessions, 7);
}

TEST_P(DriverConformanceTest, OutOfRangeLimitOptionsAreRefusedAtOpen) {
  CloseDriver();
  DriverOptions options = Caps(-2, 10);  // -1 is kLimitFromStore.
  ExpectInvalidArgument(harness().Open(options).status(), "max_sessions");
  options = Caps(10, -5);
  ExpectInvalidArgument(harness().Open(options).status(),
                        "max_events_per_session");
  options = Caps(10, 10);
  options.max_payload_bytes = 1;
  ExpectInvalidArgument(harness().Open(options).status(), "max_payload_bytes");
}

}  // namespace
}  // namespace sessionlog
