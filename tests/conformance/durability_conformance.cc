// Persistence across reopen, for durable backends: records, events, the
// state behind the limits, trimmed events staying trimmed, and the identity of
// evicted and deleted ids.

#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "tests/conformance/driver_conformance.h"

namespace sessionlog {
namespace {

using conformance::Caps;
using conformance::IdsOf;
using conformance::IndicesOf;
using conformance::ListAllEvents;
using conformance::ListAllSessions;
using conformance::MakeEvent;
using conformance::MakeFullSession;
using conformance::MakeSession;
using conformance::StoreSnapshot;
using conformance::TakeSnapshot;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST_P(DriverConformanceTest, RecordsAndEventsSurviveReopen) {
  SL_REQUIRE_CAPABILITY(durable);
  SL_ASSERT_OK(driver().UpdateSession(MakeFullSession("full", 10)));
  SessionRecord null_modes = MakeSession("null-modes", 20);
  null_modes.modes_json = "null";
  SL_ASSERT_OK(driver().UpdateSession(null_modes));
  SL_ASSERT_OK(driver().UpdateSession(MakeSession("bare", 30)));
  std::vector<SessionEvent> batch;
  for (int64_t i = 1; i <= 150; ++i) batch.push_back(MakeEvent("full", i));
  SL_ASSERT_OK(driver().InsertEvents(batch));
  SL_ASSERT_OK(driver().InsertEvent(MakeEvent("ghost", 4)));
  StoreSnapshot before;
  SL_ASSERT_OK_AND_ASSIGN(
      before, TakeSnapshot(driver(), {"full", "null-modes", "bare", "ghost"}));

  ASSERT_NO_FATAL_FAILURE(OpenWith(DriverOptions()));
  StoreSnapshot after;
  SL_ASSERT_OK_AND_ASSIGN(
      after, TakeSnapshot(driver(), {"full", "null-modes", "bare", "ghost"}));
  EXPECT_EQ(after, before);
  std::optional<int64_t> highest;
  SL_ASSERT_OK_AND_ASSIGN(highest, driver().HighestEventIndex("full"));
  EXPECT_EQ(highest, 150);
  std::vector<SessionEvent> last;
  SL_ASSERT_OK_AND_ASSIGN(last, driver().LastEvents("full", 2));
  EXPECT_THAT(IndicesOf(last), ElementsAre(149, 150));
  DriverStats stats;
  SL_ASSERT_OK_AND_ASSIGN(stats, driver().Stats());
  EXPECT_EQ(stats.sessions, 3);
  if (!stats.events_is_estimate) {
    EXPECT_EQ(stats.events, 151);
  }
  // Identity survives too: a retry is still a no-op, a clash still a clash.
  SL_EXPECT_OK(driver().InsertEvent(MakeEvent("full", 7)));
  SessionEvent clash = MakeEvent("full", 7);
  clash.id = "clash";
  EXPECT_EQ(driver().InsertEvent(clash).code(),
            absl::StatusCode::kAlreadyExists);
}

TEST_P(DriverConformanceTest, RetentionStateSurvivesReopen) {
  SL_REQUIRE_CAPABILITY(durable);
  ASSERT_NO_FATAL_FAILURE(OpenWith(Caps(kNoLimit, 3)));
  for (int64_t i = 1; i <= 5; ++i) {
    SL_ASSERT_OK(driver().InsertEvent(MakeEvent("s", i)));
  }
  ASSERT_NO_FATAL_FAILURE(OpenWith(Caps(kNoLimit, 3)));
  std::vector<SessionEvent> events;
  SL_ASSERT_OK_AND_ASSIGN(events, ListAllEvents(driver(), "s"));
  EXPECT_THAT(IndicesOf(events), ElementsAre(3, 4, 5));
  // Below the window stays below it; above moves it.
  SL_ASSERT_OK(driver().InsertEvent(MakeEvent("s", 1)));
  SL_ASSERT_OK(driver().InsertEvent(MakeEvent("s", 6)));
  SL_ASSERT_OK_AND_ASSIGN(events, ListAllEvents(driver(), "s"));
  EXPECT_THAT(IndicesOf(events), ElementsAre(4, 5, 6));
  std::optional<int64_t> highest;
  SL_ASSERT_OK_AND_ASSIGN(highest, driver().HighestEventIndex("s"));
  EXPECT_EQ(highest, 6);
}

// Opening the store with a larger limit, or none (as a tool may), must not
// bring back events that were trimmed under the smaller one.
TEST_P(DriverConformanceTest, TrimmedEventsStayTrimmedUnderALargerLimit) {
  SL_REQUIRE_CAPABILITY(durable);
  ASSERT_NO_FATAL_FAILURE(OpenWith(Caps(kNoLimit, 3)));
  for (int64_t i = 1; i <= 10; ++i) {
    SL_ASSERT_OK(driver().InsertEvent(MakeEvent("s", i)));
  }
  ASSERT_NO_FATAL_FAILURE(OpenWith(Caps(kNoLimit, kNoLimit)));
  std::vector<SessionEvent> events;
  SL_ASSERT_OK_AND_ASSIGN(events, ListAllEvents(driver(), "s"));
  EXPECT_THAT(IndicesOf(events), ElementsAre(8, 9, 10));
  SL_ASSERT_OK_AND_ASSIGN(events, driver().LastEvents("s", 10));
  EXPECT_THAT(IndicesOf(events), ElementsAre(8, 9, 10));

  ASSERT_NO_FATAL_FAILURE(OpenWith(Caps(kNoLimit, 500)));
  std::optional<int64_t> highest;
  SL_ASSERT_OK_AND_ASSIGN(highest, driver().HighestEventIndex("s"));
  EXPECT_EQ(highest, 10);
  SL_ASSERT_OK(driver().InsertEvent(MakeEvent("s", 11)));
  SL_ASSERT_OK_AND_ASSIGN(events, ListAllEvents(driver(), "s"));
  EXPECT_THAT(IndicesOf(events), ElementsAre(8, 9, 10, 11));
}

TEST_P(DriverConformanceTest, AgeOrderSurvivesReopenForEviction) {
  SL_REQUIRE_CAPABILITY(durable);
  ASSERT_NO_FATAL_FAILURE(OpenWith(Caps(2, kNoLimit)));
  SL_ASSERT_OK(driver().UpdateSession(MakeSession("b", 100)));
  SL_ASSERT_OK(driver().UpdateSession(MakeSession("a", 100)));
  SL_ASSERT_OK(driver().InsertEvent(MakeEvent("a", 1)));
  ASSERT_NO_FATAL_FAILURE(OpenWith(Caps(2, kNoLimit)));
  SL_ASSERT_OK(driver().UpdateSession(MakeSession("c", 300)));
  std::vector<SessionRecord> all;
  SL_ASSERT_OK_AND_ASSIGN(all, ListAllSessions(driver()));
  EXPECT_THAT(IdsOf(all), ElementsAre("b", "c"));
  std::vector<SessionEvent> events;
  SL_ASSERT_OK_AND_ASSIGN(events, ListAllEvents(driver(), "a"));
  EXPECT_THAT(events, IsEmpty());
}

TEST_P(DriverConformanceTest, EvictedAndDeletedIdsStayEmptyAfterReopen) {
  SL_REQUIRE_CAPABILITY(durable);
  ASSERT_NO_FATAL_FAILURE(OpenWith(Caps(1, kNoLimit)));
  SL_ASSERT_OK(driver().UpdateSession(MakeSession("evicted", 100)));
  SL_ASSERT_OK(driver().InsertEvents(
      {MakeEvent("evicted", 1), MakeEvent("evicted", 2)}));
  SL_ASSERT_OK(driver().UpdateSession(MakeSession("deleted", 200)));
  SL_ASSERT_OK(driver().InsertEvent(MakeEvent("deleted", 1)));
  SL_ASSERT_OK(driver().DeleteSession("deleted"));
  SL_ASSERT_OK(driver().Flush());

  ASSERT_NO_FATAL_FAILURE(OpenWith(Caps(1, kNoLimit)));
  for (const char* id : {"evicted", "deleted"}) {
    SCOPED_TRACE(id);
    EXPECT_EQ(driver().GetSession(id).status().code(),
              absl::StatusCode::kNotFound);
    std::vector<SessionEvent> events;
    SL_ASSERT_OK_AND_ASSIGN(events, ListAllEvents(driver(), id));
    EXPECT_THAT(events, IsEmpty());
    std::optional<int64_t> highest;
    SL_ASSERT_OK_AND_ASSIGN(highest, driver().HighestEventIndex(id));
    EXPECT_EQ(highest, std::nullopt);
  }
  // Re-created after the reopen: the old events do not come back, and their
  // indices are free.
  SL_ASSERT_OK(driver().UpdateSession(MakeSession("evicted", 300)));
  SessionEvent fresh = MakeEvent("evicted", 2);
  fresh.id = "fresh";
  SL_ASSERT_OK(driver().InsertEvent(fresh));
  ASSERT_NO_FATAL_FAILURE(OpenWith(Caps(1, kNoLimit)));
  std::vector<SessionEvent> events;
  SL_ASSERT_OK_AND_ASSIGN(events, ListAllEvents(driver(), "evicted"));
  EXPECT_THAT(events, ElementsAre(fresh));
  std::vector<SessionRecord> all;
  SL_ASSERT_OK_AND_ASSIGN(all, ListAllSessions(driver()));
  EXPECT_THAT(IdsOf(all), ElementsAre("evicted"));
}

}  // namespace
}  // namespace sessionlog
