// Event identity is (sessionId, eventIndex): identical re-inserts are no-ops,
// conflicting ones are AlreadyExists with SQLite's unique-constraint text, and
// a failing batch changes nothing.

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "tests/conformance/driver_conformance.h"

namespace sessionlog {
namespace {

using conformance::ExpectInvalidArgument;
using conformance::ListAllEvents;
using conformance::MakeEvent;
using conformance::MakeSession;
using conformance::StoreSnapshot;
using conformance::TakeSnapshot;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// What the SDK's retry logic looks for in the error text.
constexpr char kUniqueText[] =
    "UNIQUE constraint failed: events.session_id, events.event_index";

void ExpectConflict(const absl::Status& status) {
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr(kUniqueText));
}

TEST_P(DriverConformanceTest, AnIdenticalReinsertIsOkAndStoredOnce) {
  const SessionEvent event = MakeEvent("s", 1);
  SL_ASSERT_OK(driver().InsertEvent(event));
  SL_ASSERT_OK(driver().InsertEvent(event));
  SL_ASSERT_OK(driver().InsertEvents({event, event}));
  std::vector<SessionEvent> events;
  SL_ASSERT_OK_AND_ASSIGN(events, ListAllEvents(driver(), "s"));
  EXPECT_THAT(events, ElementsAre(event));
  DriverStats stats;
  SL_ASSERT_OK_AND_ASSIGN(stats, driver().Stats());
  if (!stats.events_is_estimate) {
    EXPECT_EQ(stats.events, 1);
  }
}

TEST_P(DriverConformanceTest, TheSameIndexWithAnotherIdIsAlreadyExists) {
  const SessionEvent first = MakeEvent("s", 4);
  SL_ASSERT_OK(driver().InsertEvent(first));
  SessionEvent second = first;
  second.id = "another-id";
  ExpectConflict(driver().InsertEvent(second));
  // The same id with other content is a conflict too, not an overwrite.
  SessionEvent changed = first;
  changed.payload_json = R"({"jsonrpc":"2.0","method":"other"})";
  ExpectConflict(driver().InsertEvent(changed));
  changed = first;
  changed.sender =
      first.sender == Sender::kAgent ? Sender::kClient : Sender::kAgent;
  ExpectConflict(driver().InsertEvent(changed));
  changed = first;
  changed.created_at += 1;
  ExpectConflict(driver().InsertEvent(changed));

  std::vector<SessionEvent> events;
  SL_ASSERT_OK_AND_ASSIGN(events, ListAllEvents(driver(), "s"));
  EXPECT_THAT(events, ElementsAre(first));
  // The next index is free, as the SDK's retry expects.
  second.event_index = 5;
  SL_ASSERT_OK(driver().InsertEvent(second));
}

TEST_P(DriverConformanceTest, TheSameIndexInAnotherSessionIsNoConflict) {
  SL_ASSERT_OK(driver().InsertEvent(MakeEvent("a", 1)));
  SessionEvent other = MakeEvent("b", 1);
  other.id = MakeEvent("a", 1).id;  // Even with the same event id.
  SL_ASSERT_OK(driver().InsertEvent(other));
  std::vector<SessionEvent> events;
  SL_ASSERT_OK_AND_ASSIGN(events, ListAllEvents(driver(), "b"));
  EXPECT_THAT(events, ElementsAre(other));
}

TEST_P(DriverConformanceTest, AFailingBatchChangesNothing) {
  SL_ASSERT_OK(driver().UpdateSession(MakeSession("a", 1)));
  SL_ASSERT_OK(driver().InsertEvent(MakeEvent("a", 3)));
  StoreSnapshot before;
  SL_ASSERT_OK_AND_ASSIGN(before, TakeSnapshot(driver(), {"a", "b"}));

  // A conflict with the store, last in the batch.
  SessionEvent conflicting = MakeEvent("a", 3);
  conflicting.id = "not-the-stored-one";
  ExpectConflict(driver().InsertEvents(
      {MakeEvent("a", 1), MakeEvent("b", 1), MakeEvent("a", 2), conflicting}));
  // A conflict inside the batch.
  SessionEvent twin = MakeEvent("b", 7);
  twin.id = "twin";
  ExpectConflict(
      driver().InsertEvents({MakeEvent("b", 7), MakeEvent("a", 4), twin}));
  // Invalid input at position 2: named by position, and nothing written.
  SessionEvent invalid = MakeEvent("a", 9);
  invalid.payload_json = "{not json";
  absl::Status status = driver().InsertEvents(
      {MakeEvent("a", 5), MakeEvent("b", 2), invalid, MakeEvent("a", 6)});
  ExpectInvalidArgument(status, "events[2]");
  ExpectInvalidArgument(status, "event.payload");

  StoreSnapshot after;
  SL_ASSERT_OK_AND_ASSIGN(after, TakeSnapshot(driver(), {"a", "b"}));
  EXPECT_EQ(after, before);
  std::optional<int64_t> highest;
  SL_ASSERT_OK_AND_ASSIGN(highest, driver().HighestEventIndex("b"));
  EXPECT_FALSE(highest.has_value());
}

TEST_P(DriverConformanceTest, ABatchAppliesInOrderAcrossSessions) {
  // An identical duplicate inside a batch is a retry, not a conflict.
  SL_ASSERT_OK(driver().InsertEvents({MakeEvent("a", 2), MakeEvent("b", 1),
                                      MakeEvent("a", 1), MakeEvent("a", 2)}));
  SL_ASSERT_OK(driver().InsertEvents({}));
  std::vector<SessionEvent> events;
  SL_ASSERT_OK_AND_ASSIGN(events, ListAllEvents(driver(), "a"));
  EXPECT_THAT(events, ElementsAre(MakeEvent("a", 1), MakeEvent("a", 2)));
  SL_ASSERT_OK_AND_ASSIGN(events, ListAllEvents(driver(), "b"));
  EXPECT_THAT(events, ElementsAre(MakeEvent("b", 1)));
}

}  // namespace
}  // namespace sessionlog
