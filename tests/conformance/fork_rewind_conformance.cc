// Session history: ForkSession and RewindSession. What a fork copies and what
// it does not, rewinds and the appends after them, the limits (eviction by a
// fork, retention around a rewind), refusals that change nothing, and all of
// it across reopen.

#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "tests/conformance/driver_conformance.h"

namespace sessionlog {
namespace {

using conformance::Caps;
using conformance::ExpectInvalidArgument;
using conformance::IdsOf;
using conformance::IndicesOf;
using conformance::ListAllEvents;
using conformance::MakeEvent;
using conformance::MakeFullSession;
using conformance::MakeSession;
using conformance::StoreSnapshot;
using conformance::TakeSnapshot;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// Writes `record` and events 1..count of its session.
void WriteSession(SessionPersistDriver& driver, const SessionRecord& record,
                  int64_t count) {
  SL_ASSERT_OK(driver.UpdateSession(record));
  std::vector<SessionEvent> events;
  for (int64_t i = 1; i <= count; ++i) {
    events.push_back(MakeEvent(record.id, i));
  }
  SL_ASSERT_OK(driver.InsertEvents(events));
}

// Checks that `fork` holds the first fork.size() of `source` as a fork copies
// them: every field the same but the session id and a new, unique event id.
void ExpectForkedEvents(const std::vector<SessionEvent>& source,
                        const std::vector<SessionEvent>& fork,
                        absl::string_view fork_id) {
  ASSERT_LE(fork.size(), source.size());
  std::set<std::string> ids;
  for (size_t i = 0; i < fork.size(); ++i) {
    SessionEvent expected = source[i];
    EXPECT_NE(fork[i].id, expected.id) << "event " << fork[i].event_index;
    ids.insert(fork[i].id);
    ids.insert(expected.id);
    expected.id = fork[i].id;
    expected.session_id = std::string(fork_id);
    EXPECT_EQ(fork[i], expected);
  }
  EXPECT_EQ(ids.size(), 2 * fork.size()) << "event ids are reused";
}

TEST_P(DriverConformanceTest, ForkCopiesTheRecordAndEventsThroughTheIndex) {
  ASSERT_NO_FATAL_FAILURE(
      WriteSession(driver(), MakeFullSession("source", 10), 10));
  SL_ASSERT_OK(driver().UpdateSession(MakeSession("other", 20)));
  StoreSnapshot before;
  SL_ASSERT_OK_AND_ASSIGN(before, TakeSnapshot(driver(), {"source"}));

  SL_ASSERT_OK(driver().ForkSession("source", "fork", 6));

  SessionRecord expected = MakeFullSession("fork", 10);
  expected.agent_session_id.reset();
  SessionRecord fork;
  SL_ASSERT_OK_AND_ASSIGN(fork, driver().GetSession("fork"));
  EXPECT_EQ(fork, expected);
  std::vector<SessionEvent> events;
  SL_ASSERT_OK_AND_ASSIGN(events, ListAllEvents(driver(), "fork", 4));
  EXPECT_THAT(IndicesOf(events), ElementsAre(1, 2, 3, 4, 5, 6));
  ExpectForkedEvents(before.events["source"], events, "fork");
  std::optional<int64_t> highest;
  SL_ASSERT_OK_AND_ASSIGN(highest, driver().HighestEventIndex("fork"));
  EXPECT_EQ(highest, 6);
  std::vector<SessionEvent> last;
  SL_ASSERT_OK_AND_ASSIGN(last, driver().LastEvents("fork", 2));
  EXPECT_THAT(IndicesOf(last), ElementsAre(5, 6));

  // The source is as it was; the fork lists beside it by the source's age.
  StoreSnapshot after;
  SL_ASSERT_OK_AND_ASSIGN(after, TakeSnapshot(driver(), {"source"}));
  EXPECT_EQ(after.events, before.events);
  EXPECT_THAT(IdsOf(after.sessions), ElementsAre("fork", "source", "other"));
  DriverStats stats;
  SL_ASSERT_OK_AND_ASSIGN(stats, driver().Stats());
  EXPECT_EQ(stats.sessions, 3);
  if (!stats.events_is_estimate) {
    EXPECT_EQ(stats.events, 16);
  }

  // Through the highest index copies everything.
  SL_ASSERT_OK(driver().ForkSession("source", "whole", 10));
  SL_ASSERT_OK_AND_ASSIGN(events, ListAllEvents(driver(), "whole"));
  EXPECT_EQ(events.size(), 10u);
  ExpectForkedEvents(before.events["source"], events, "whole");
}

TEST_P(DriverConformanceTest, ForkAndSourceGoOnIndependently) {
  ASSERT_NO_FATAL_FAILURE(WriteSession(driver(), MakeSession("source", 1), 5));
  SL_ASSERT_OK(driver().ForkSession("source", "fork", 3));

  // Each continues from its own highest index.
  SessionEvent next = MakeEvent("fork", 4);
  next.id = "fork-4";
  next.payload_json = R"({"jsonrpc":"2.0","method":"fork/next"})";
  SL_ASSERT_OK(driver().InsertEvent(next));
  SL_ASSERT_OK(driver().InsertEvent(MakeEvent("source", 6)));
  SL_ASSERT_OK(driver().RewindSession("source", 2));
  std::vector<SessionEvent> events;
  SL_ASSERT_OK_AND_ASSIGN(events, ListAllEvents(driver(), "fork"));
  EXPECT_THAT(IndicesOf(events), ElementsAre(1, 2, 3, 4));
  EXPECT_EQ(events.back(), next);

  // Deleting the source leaves the fork.
  SL_ASSERT_OK(driver().DeleteSession("source"));
  SL_ASSERT_OK_AND_ASSIGN(events, ListAllEvents(driver(), "fork"));
  EXPECT_THAT(IndicesOf(events), ElementsAre(1, 2, 3, 4));
  SL_EXPECT_OK(driver().GetSession("fork"));
}

TEST_P(DriverConformanceTest, RefusedForksChangeNothing) {
  ASSERT_NO_FATAL_FAILURE(WriteSession(driver(), MakeSession("source", 1), 5));
  SL_ASSERT_OK(driver().UpdateSession(MakeSession("taken", 2)));
  SL_ASSERT_OK(driver().UpdateSession(MakeSession("empty", 3)));
  SL_ASSERT_OK(driver().InsertEvent(MakeEvent("ghost", 1)));
  const std::vector<std::string> ids = {"source", "taken", "empty", "ghost",
                                        "new"};
  StoreSnapshot before;
  SL_ASSERT_OK_AND_ASSIGN(before, TakeSnapshot(driver(), ids));

  EXPECT_EQ(driver().ForkSession("missing", "new", 1).code(),
            absl::StatusCode::kNotFound);
  // Events without a record are not a session to fork.
  EXPECT_EQ(driver().ForkSession("ghost", "new", 1).code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(driver().ForkSession("source", "taken", 1).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(driver().ForkSession("source", "ghost", 1).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(driver().ForkSession("source", "source", 1).code(),
            absl::StatusCode::kAlreadyExists);
  ExpectInvalidArgument(driver().ForkSession("source", "new", 6),
                        "through_index");
  ExpectInvalidArgument(driver().ForkSession("source", "new", -1),
                        "through_index");
  ExpectInvalidArgument(driver().ForkSession("empty", "new", 0),
                        "through_index");
  ExpectInvalidArgument(driver().ForkSession("", "new", 1), "source_id");
  ExpectInvalidArgument(driver().ForkSession("source", "", 1), "new_id");

  StoreSnapshot after;
  SL_ASSERT_OK_AND_ASSIGN(after, TakeSnapshot(driver(), ids));
  EXPECT_EQ(after, before);
}

TEST_P(DriverConformanceTest, ForkEvictsAsAnUpdateDoes) {
  ASSERT_NO_FATAL_FAILURE(OpenWith(Caps(2, kNoLimit)));
  ASSERT_NO_FATAL_FAILURE(WriteSession(driver(), MakeSession("a", 10), 2));
  ASSERT_NO_FATAL_FAILURE(WriteSession(driver(), MakeSession("b", 20), 2));
  // The fork takes b's age: (10, a) is now the first of three, and goes.
  SL_ASSERT_OK(driver().ForkSession("b", "c", 2));
  StoreSnapshot seen;
  SL_ASSERT_OK_AND_ASSIGN(seen, TakeSnapshot(driver(), {"a", "b", "c"}));
  EXPECT_THAT(IdsOf(seen.sessions), ElementsAre("b", "c"));
  EXPECT_THAT(seen.events["a"], IsEmpty());
  EXPECT_THAT(IndicesOf(seen.events["c"]), ElementsAre(1, 2));

  // A fork that would be first in (created_at, id) order would be evicted
  // at once; one that would evict its own source would lose the source's
  // later events. Both are refused, and change nothing.
  StoreSnapshot before;
  SL_ASSERT_OK_AND_ASSIGN(before,
                          TakeSnapshot(driver(), {"a-fork", "b", "c", "d"}));
  absl::Status s = driver().ForkSession("c", "a-fork", 1);
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  EXPECT_THAT(s.message(), HasSubstr("would evict \"a-fork\""));
  s = driver().ForkSession("b", "d", 1);
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  EXPECT_THAT(s.message(), HasSubstr("would evict \"b\""));
  EXPECT_THAT(s.message(), HasSubstr("max_sessions (2)"));
  SL_ASSERT_OK_AND_ASSIGN(seen,
                          TakeSnapshot(driver(), {"a-fork", "b", "c", "d"}));
  EXPECT_EQ(seen, before);

  // With room for one more, the same forks evict only the oldest other
  // session.
  ASSERT_NO_FATAL_FAILURE(OpenWith(Caps(3, kNoLimit)));
  if (!capabilities().durable.supported) return;  // The store starts empty.
  SL_ASSERT_OK(driver().ForkSession("b", "d", 1));
  SL_ASSERT_OK_AND_ASSIGN(seen, TakeSnapshot(driver(), {"b", "c", "d"}));
  EXPECT_THAT(IdsOf(seen.sessions), ElementsAre("b", "c", "d"));
  SL_ASSERT_OK(driver().ForkSession("c", "e", 2));
  SL_ASSERT_OK_AND_ASSIGN(seen, TakeSnapshot(driver(), {"b", "c", "d", "e"}));
  EXPECT_THAT(IdsOf(seen.sessions), ElementsAre("c", "d", "e"));
  EXPECT_THAT(seen.events["b"], IsEmpty());
  EXPECT_THAT(IndicesOf(seen.events["e"]), ElementsAre(1, 2));
}

TEST_P(DriverConformanceTest, ForkCopiesOnlyRetainedEvents) {
  ASSERT_NO_FATAL_FAILURE(OpenWith(Caps(kNoLimit, 3)));
  ASSERT_NO_FATAL_FAILURE(WriteSession(driver(), MakeSession("source", 1), 5));
  SL_ASSERT_OK(driver().ForkSession("source", "fork", 4));
  std::vector<SessionEvent> events;
  SL_ASSERT_OK_AND_ASSIGN(events, ListAllEvents(driver(), "fork"));
  EXPECT_THAT(IndicesOf(events), ElementsAre(3, 4));
  // Below the window: a fork with no events.
  SL_ASSERT_OK(driver().ForkSession("source", "early", 2));
  SL_ASSERT_OK_AND_ASSIGN(events, ListAllEvents(driver(), "early"));
  EXPECT_THAT(events, IsEmpty());
  SL_EXPECT_OK(driver().GetSession("early"));
}

TEST_P(DriverConformanceTest, RewindDropsLaterEventsAndAppendsContinue) {
  ASSERT_NO_FATAL_FAILURE(WriteSession(driver(), MakeFullSession("s", 10), 10));
  SessionRecord record;
  SL_ASSERT_OK_AND_ASSIGN(record, driver().GetSession("s"));

  SL_ASSERT_OK(driver().RewindSession("s", 6));
  std::vector<SessionEvent> events;
  SL_ASSERT_OK_AND_ASSIGN(events, ListAllEvents(driver(), "s", 4));
  EXPECT_THAT(IndicesOf(events), ElementsAre(1, 2, 3, 4, 5, 6));
  EXPECT_EQ(events[5], MakeEvent("s", 6));
  std::optional<int64_t> highest;
  SL_ASSERT_OK_AND_ASSIGN(highest, driver().HighestEventIndex("s"));
  EXPECT_EQ(highest, 6);
  std::vector<SessionEvent> last;
  SL_ASSERT_OK_AND_ASSIGN(last, driver().LastEvents("s", 3));
  EXPECT_THAT(IndicesOf(last), ElementsAre(4, 5, 6));
  SessionRecord after;
  SL_ASSERT_OK_AND_ASSIGN(after, driver().GetSession("s"));
  EXPECT_EQ(after, record);

  // Index 7 is free again, for another event than the one dropped.
  SessionEvent seven = MakeEvent("s", 7);
  seven.id = "s/new-7";
  seven.payload_json = R"({"jsonrpc":"2.0","method":"after/rewind"})";
  SL_ASSERT_OK(driver().InsertEvent(seven));
  SL_ASSERT_OK(driver().InsertEvent(MakeEvent("s", 8)));
  SL_ASSERT_OK_AND_ASSIGN(events, ListAllEvents(driver(), "s"));
  EXPECT_THAT(IndicesOf(events), ElementsAre(1, 2, 3, 4, 5, 6, 7, 8));
  EXPECT_EQ(events[6], seven);

  // To the highest index: nothing changes.
  SL_ASSERT_OK(driver().RewindSession("s", 8));
  SL_ASSERT_OK_AND_ASSIGN(events, ListAllEvents(driver(), "s"));
  EXPECT_EQ(events.size(), 8u);
}

TEST_P(DriverConformanceTest, RewindOfEventsWithoutARecord) {
  SL_ASSERT_OK(
      driver().InsertEvents({MakeEvent("ghost", 1), MakeEvent("ghost", 2)}));
  SL_ASSERT_OK(driver().RewindSession("ghost", 1));
  std::vector<SessionEvent> events;
  SL_ASSERT_OK_AND_ASSIGN(events, ListAllEvents(driver(), "ghost"));
  EXPECT_THAT(IndicesOf(events), ElementsAre(1));
}

TEST_P(DriverConformanceTest, RefusedRewindsChangeNothing) {
  ASSERT_NO_FATAL_FAILURE(WriteSession(driver(), MakeSession("s", 1), 5));
  SL_ASSERT_OK(driver().UpdateSession(MakeSession("empty", 2)));
  const std::vector<std::string> ids = {"s", "empty"};
  StoreSnapshot before;
  SL_ASSERT_OK_AND_ASSIGN(before, TakeSnapshot(driver(), ids));

  EXPECT_EQ(driver().RewindSession("missing", 0).code(),
            absl::StatusCode::kNotFound);
  ExpectInvalidArgument(driver().RewindSession("s", 6), "through_index");
  ExpectInvalidArgument(driver().RewindSession("s", -1), "through_index");
  ExpectInvalidArgument(driver().RewindSession("empty", 0), "through_index");
  ExpectInvalidArgument(driver().RewindSession("", 0), "id");

  StoreSnapshot after;
  SL_ASSERT_OK_AND_ASSIGN(after, TakeSnapshot(driver(), ids));
  EXPECT_EQ(after, before);
}

// Events trimmed before a rewind stay trimmed after it, though the session
// then holds fewer than max_events_per_session.
TEST_P(DriverConformanceTest, RewindKeepsTrimmedEventsTrimmed) {
  ASSERT_NO_FATAL_FAILURE(OpenWith(Caps(kNoLimit, 3)));
  ASSERT_NO_FATAL_FAILURE(WriteSession(driver(), MakeSession("s", 1), 5));
  SL_ASSERT_OK(driver().RewindSession("s", 4));
  std::vector<SessionEvent> events;
  SL_ASSERT_OK_AND_ASSIGN(events, ListAllEvents(driver(), "s"));
  EXPECT_THAT(IndicesOf(events), ElementsAre(3, 4));
  SL_ASSERT_OK(driver().InsertEvents({MakeEvent("s", 5), MakeEvent("s", 6)}));
  SL_ASSERT_OK_AND_ASSIGN(events, ListAllEvents(driver(), "s"));
  EXPECT_THAT(IndicesOf(events), ElementsAre(4, 5, 6));

  // Below the window: every event goes, and appends start again above it.
  SL_ASSERT_OK(driver().RewindSession("s", 1));
  SL_ASSERT_OK_AND_ASSIGN(events, ListAllEvents(driver(), "s"));
  EXPECT_THAT(events, IsEmpty());
  std::optional<int64_t> highest;
  SL_ASSERT_OK_AND_ASSIGN(highest, driver().HighestEventIndex("s"));
  EXPECT_EQ(highest, std::nullopt);
  SL_ASSERT_OK(driver().InsertEvent(MakeEvent("s", 2)));
  SL_ASSERT_OK_AND_ASSIGN(events, ListAllEvents(driver(), "s"));
  EXPECT_THAT(IndicesOf(events), ElementsAre(2));
}

TEST_P(DriverConformanceTest, ForkAndRewindSurviveReopen) {
  SL_REQUIRE_CAPABILITY(durable);
  ASSERT_NO_FATAL_FAILURE(OpenWith(Caps(kNoLimit, 4)));
  ASSERT_NO_FATAL_FAILURE(
      WriteSession(driver(), MakeFullSession("source", 1), 6));
  SL_ASSERT_OK(driver().ForkSession("source", "fork", 5));
  SL_ASSERT_OK(driver().RewindSession("source", 4));
  SL_ASSERT_OK(driver().RewindSession("fork", 4));
  const std::vector<std::string> ids = {"source", "fork"};
  StoreSnapshot before;
  SL_ASSERT_OK_AND_ASSIGN(before, TakeSnapshot(driver(), ids));
  EXPECT_THAT(IndicesOf(before.events["source"]), ElementsAre(3, 4));
  EXPECT_THAT(IndicesOf(before.events["fork"]), ElementsAre(3, 4));

  ASSERT_NO_FATAL_FAILURE(OpenWith(Caps(kNoLimit, 4)));
  StoreSnapshot after;
  SL_ASSERT_OK_AND_ASSIGN(after, TakeSnapshot(driver(), ids));
  EXPECT_EQ(after, before);
  // Appends continue after the rewind, and the dropped index is free.
  SessionEvent five = MakeEvent("source", 5);
  five.id = "source/new-5";
  SL_ASSERT_OK(driver().InsertEvent(five));
  std::vector<SessionEvent> events;
  SL_ASSERT_OK_AND_ASSIGN(events, ListAllEvents(driver(), "source"));
  EXPECT_THAT(IndicesOf(events), ElementsAre(3, 4, 5));
  EXPECT_EQ(events.back(), five);
}

// A fork is a snapshot: while another thread appends to the source, each
// fork holds exactly the source's events up to its index, none missing.
TEST_P(DriverConformanceTest, ForksAreSnapshotsWhileAppendsGoOn) {
  constexpr int64_t kAppends = 150;
  constexpr int kForks = 12;
  ASSERT_NO_FATAL_FAILURE(WriteSession(driver(), MakeSession("source", 1), 1));
  std::thread appender([&] {
    for (int64_t i = 2; i <= kAppends; ++i) {
      SL_EXPECT_OK(driver().InsertEvent(MakeEvent("source", i)));
    }
  });
  std::vector<int64_t> through(kForks);
  for (int f = 0; f < kForks; ++f) {
    // Indexes only grow meanwhile, so the highest read here is still there.
    absl::StatusOr<std::optional<int64_t>> highest =
        driver().HighestEventIndex("source");
    SL_EXPECT_OK(highest);
    through[f] = highest.ok() ? highest->value_or(1) : 1;
    SL_EXPECT_OK(
        driver().ForkSession("source", absl::StrCat("fork-", f), through[f]));
  }
  appender.join();

  std::vector<SessionEvent> source;
  SL_ASSERT_OK_AND_ASSIGN(source, ListAllEvents(driver(), "source"));
  ASSERT_EQ(source.size(), static_cast<size_t>(kAppends));
  for (int f = 0; f < kForks; ++f) {
    const std::string id = absl::StrCat("fork-", f);
    std::vector<SessionEvent> fork;
    SL_ASSERT_OK_AND_ASSIGN(fork, ListAllEvents(driver(), id));
    EXPECT_EQ(fork.size(), static_cast<size_t>(through[f])) << id;
    ExpectForkedEvents(source, fork, id);
  }
}

}  // namespace
}  // namespace sessionlog
