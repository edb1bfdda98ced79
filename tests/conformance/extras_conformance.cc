// The extras (LastEvents, HighestEventIndex, DeleteSession, Stats, Flush,
// CheckIntegrity) and field-by-field round trips.

#include <optional>
#include <string>
#include <vector>

#include "api/internal/validation.h"
#include "gmock/gmock.h"
#include "schema/replay.h"
#include "tests/conformance/driver_conformance.h"

namespace sessionlog {
namespace {

using conformance::IdsOf;
using conformance::IndicesOf;
using conformance::ListAllEvents;
using conformance::ListAllSessions;
using conformance::MakeEvent;
using conformance::MakeFullSession;
using conformance::MakeSession;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST_P(DriverConformanceTest, EveryRecordFieldRoundTrips) {
  const SessionRecord full = MakeFullSession("full", 1700000000000);
  SessionRecord bare;  // Only what is required; every optional absent.
  bare.id = "bare";
  bare.created_at = 0;
  SessionRecord extreme = MakeFullSession("\xf0\x9f\x98\x80", kMaxSafeInteger);
  extreme.destroyed_at = 0;
  extreme.agent_session_id = "";
  extreme.sandbox_id = "";
  // Given JSON text is kept as given, spacing and key order included.
  extreme.session_init_json = R"({ "mcpServers" : [ ], "cwd" : "/" })";
  extreme.config_options_json = "[]";
  extreme.modes_json = "{}";
  for (const SessionRecord& record : {full, bare, extreme}) {
    SL_ASSERT_OK(driver().UpdateSession(record));
  }
  for (const SessionRecord& record : {full, bare, extreme}) {
    SessionRecord got;
    SL_ASSERT_OK_AND_ASSIGN(got, driver().GetSession(record.id));
    EXPECT_EQ(got, record);
  }
  std::vector<SessionRecord> all;
  SL_ASSERT_OK_AND_ASSIGN(all, ListAllSessions(driver()));
  EXPECT_THAT(all, ElementsAre(bare, full, extreme));
}

TEST_P(DriverConformanceTest, NullModesStayDistinctFromAbsentModes) {
  SessionRecord with_null = MakeSession("null-modes", 1);
  with_null.modes_json = "null";
  SessionRecord absent = MakeSession("absent-modes", 2);
  SL_ASSERT_OK(driver().UpdateSession(with_null));
  SL_ASSERT_OK(driver().UpdateSession(absent));
  SessionRecord got;
  SL_ASSERT_OK_AND_ASSIGN(got, driver().GetSession("null-modes"));
  EXPECT_EQ(got.modes_json, std::optional<std::string>("null"));
  SL_ASSERT_OK_AND_ASSIGN(got, driver().GetSession("absent-modes"));
  EXPECT_EQ(got.modes_json, std::nullopt);
  std::vector<SessionRecord> all;
  SL_ASSERT_OK_AND_ASSIGN(all, ListAllSessions(driver()));
  EXPECT_THAT(all, ElementsAre(with_null, absent));
  // A full replace can switch between them both ways.
  with_null.modes_json.reset();
  SL_ASSERT_OK(driver().UpdateSession(with_null));
  SL_ASSERT_OK_AND_ASSIGN(got, driver().GetSession("null-modes"));
  EXPECT_EQ(got.modes_json, std::nullopt);
}

TEST_P(DriverConformanceTest,
       UpdateSessionReplacesTheWholeRecordAndKeepsEvents) {
  SL_ASSERT_OK(driver().UpdateSession(MakeFullSession("s", 10)));
  SL_ASSERT_OK(driver().InsertEvent(MakeEvent("s", 1)));
  SessionRecord replacement = MakeSession("s", 20);
  replacement.agent_session_id.reset();
  replacement.agent = "codex";
  SL_ASSERT_OK(driver().UpdateSession(replacement));
  SessionRecord got;
  SL_ASSERT_OK_AND_ASSIGN(got, driver().GetSession("s"));
  EXPECT_EQ(got, replacement);
  std::vector<SessionEvent> events;
  SL_ASSERT_OK_AND_ASSIGN(events, ListAllEvents(driver(), "s"));
  EXPECT_THAT(events, ElementsAre(MakeEvent("s", 1)));
  EXPECT_EQ(driver().GetSession("missing").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_P(DriverConformanceTest, EveryEventFieldRoundTrips) {
  SessionEvent event;
  event.id = "\xe2\x9c\x93-id";
  event.event_index = kMaxSafeInteger;
  event.session_id = "s\xc3\xa9";
  event.created_at = 0;
  event.connection_id = "";
  event.sender = Sender::kAgent;
  event.payload_json =
      "{ \"jsonrpc\": \"2.0\", \"params\": {\"text\": \"\xf0\x9f\x98\x80 "
      "\\u00e9\\n\"}, \"n\": [1.5e3, 1.50, -0, true, null] }";
  SessionEvent zero = MakeEvent("s\xc3\xa9", 0);
  zero.sender = Sender::kClient;
  zero.payload_json = "\"a bare string is a JSON value too\"";
  SL_ASSERT_OK(driver().InsertEvents({event, zero}));
  std::vector<SessionEvent> events;
  SL_ASSERT_OK_AND_ASSIGN(events, ListAllEvents(driver(), event.session_id));
  EXPECT_THAT(events, ElementsAre(zero, event));
  SL_ASSERT_OK_AND_ASSIGN(events, driver().LastEvents(event.session_id, 1));
  EXPECT_THAT(events, ElementsAre(event));
}

// JSON allows lone UTF-16 surrogate escapes and JavaScript writes them
// (JSON.stringify of half an emoji), so stores that TS services wrote hold
// them. They are stored and read back exactly, and replayed as the SDK does:
// JSON.stringify writes a lone surrogate as \udxxx in lowercase.
TEST_P(DriverConformanceTest, LoneSurrogateEscapesAreKeptExactly) {
  SessionRecord record = MakeSession("s", 1);
  record.session_init_json = R"({"cwd":"/w/\ud83d","mcpServers":[]})";
  record.config_options_json = R"([{"id":"\uDE00"}])";
  record.modes_json = R"({"currentModeId":"\udbff\u0041"})";
  SL_ASSERT_OK(driver().UpdateSession(record));
  SessionEvent half = MakeEvent("s", 1);
  half.payload_json =
      R"({"jsonrpc":"2.0","method":"session/update","params":)"
      R"({"text":"half an emoji: \uD83D", "b": ["\udc00\ud800", 1.50]}})";
  SessionEvent pair = MakeEvent("s", 2);
  pair.payload_json = R"({"text":"\ud83d\ude00 and \\ud83d"})";
  SL_ASSERT_OK(driver().InsertEvents({half, pair}));

  SessionRecord got;
  SL_ASSERT_OK_AND_ASSIGN(got, driver().GetSession("s"));
  EXPECT_EQ(got, record);
  std::vector<SessionEvent> events;
  SL_ASSERT_OK_AND_ASSIGN(events, ListAllEvents(driver(), "s"));
  EXPECT_THAT(events, ElementsAre(half, pair));
  SL_ASSERT_OK_AND_ASSIGN(events, driver().LastEvents("s", 2));
  EXPECT_THAT(events, ElementsAre(half, pair));
  // A retry is the same event; another payload at the index is not.
  SL_EXPECT_OK(driver().InsertEvent(half));
  SessionEvent other = half;
  other.payload_json = R"({"text":"half an emoji: \uD83E"})";
  EXPECT_EQ(driver().InsertEvent(other).code(),
            absl::StatusCode::kAlreadyExists);

  std::optional<std::string> replay;
  SL_ASSERT_OK_AND_ASSIGN(replay, ReplayTextForSession(driver(), "s"));
  ASSERT_TRUE(replay.has_value());
  EXPECT_NE(replay->find(R"("text":"half an emoji: \ud83d","b":)"
                         R"(["\udc00\ud800",1.5])"),
            std::string::npos)
      << *replay;
  EXPECT_NE(replay->find("\"text\":\"\xf0\x9f\x98\x80 and \\\\ud83d\""),
            std::string::npos)
      << *replay;
}

TEST_P(DriverConformanceTest, LastEventsAreTheNewestOldestFirst) {
  for (int64_t index : {7, 1, 3, 9, 5}) {
    SL_ASSERT_OK(driver().InsertEvent(MakeEvent("s", index)));
  }
  std::vector<SessionEvent> events;
  SL_ASSERT_OK_AND_ASSIGN(events, driver().LastEvents("s", 1));
  EXPECT_THAT(events, ElementsAre(MakeEvent("s", 9)));
  SL_ASSERT_OK_AND_ASSIGN(events, driver().LastEvents("s", 3));
  EXPECT_THAT(IndicesOf(events), ElementsAre(5, 7, 9));
  SL_ASSERT_OK_AND_ASSIGN(events, driver().LastEvents("s", kMaxPageLimit));
  EXPECT_THAT(IndicesOf(events), ElementsAre(1, 3, 5, 7, 9));
  SL_ASSERT_OK_AND_ASSIGN(events, driver().LastEvents("unknown", 5));
  EXPECT_THAT(events, IsEmpty());
}

// The retained window bounds LastEvents whatever the count, also across gaps
// in the indexes.
TEST_P(DriverConformanceTest, LastEventsStayInsideTheRetainedWindow) {
  ASSERT_NO_FATAL_FAILURE(OpenWith(conformance::Caps(kNoLimit, 4)));
  for (int64_t index : {1, 2, 3, 10, 20}) {
    SL_ASSERT_OK(driver().InsertEvent(MakeEvent("s", index)));
  }
  std::vector<SessionEvent> events;
  SL_ASSERT_OK_AND_ASSIGN(events, driver().LastEvents("s", 1));
  EXPECT_THAT(IndicesOf(events), ElementsAre(20));
  SL_ASSERT_OK_AND_ASSIGN(events, driver().LastEvents("s", 3));
  EXPECT_THAT(IndicesOf(events), ElementsAre(3, 10, 20));
  SL_ASSERT_OK_AND_ASSIGN(events, driver().LastEvents("s", 10));
  EXPECT_THAT(IndicesOf(events), ElementsAre(2, 3, 10, 20));
}

TEST_P(DriverConformanceTest, HighestEventIndexFollowsInsertsAndDeletes) {
  std::optional<int64_t> highest;
  SL_ASSERT_OK_AND_ASSIGN(highest, driver().HighestEventIndex("s"));
  EXPECT_EQ(highest, std::nullopt);
  SL_ASSERT_OK(driver().InsertEvent(MakeEvent("s", 0)));
  SL_ASSERT_OK_AND_ASSIGN(highest, driver().HighestEventIndex("s"));
  EXPECT_EQ(highest, 0);
  SL_ASSERT_OK(driver().InsertEvent(MakeEvent("s", 8)));
  SL_ASSERT_OK(driver().InsertEvent(MakeEvent("s", 3)));
  SL_ASSERT_OK_AND_ASSIGN(highest, driver().HighestEventIndex("s"));
  EXPECT_EQ(highest, 8);
  SL_ASSERT_OK_AND_ASSIGN(highest, driver().HighestEventIndex("other"));
  EXPECT_EQ(highest, std::nullopt);
  SL_ASSERT_OK(driver().DeleteSession("s"));
  SL_ASSERT_OK_AND_ASSIGN(highest, driver().HighestEventIndex("s"));
  EXPECT_EQ(highest, std::nullopt);
}

TEST_P(DriverConformanceTest, DeleteSessionRemovesRecordAndEventsOnly) {
  SL_ASSERT_OK(driver().UpdateSession(MakeSession("a", 1)));
  SL_ASSERT_OK(driver().UpdateSession(MakeSession("b", 2)));
  SL_ASSERT_OK(
      driver().InsertEvents({MakeEvent("a", 1), MakeEvent("a", 2),
                             MakeEvent("b", 1), MakeEvent("ghost", 1)}));
  SL_ASSERT_OK(driver().DeleteSession("a"));
  SL_ASSERT_OK(driver().DeleteSession("ghost"));  // Events without a record.
  SL_ASSERT_OK(driver().DeleteSession("never-existed"));
  EXPECT_EQ(driver().GetSession("a").status().code(),
            absl::StatusCode::kNotFound);
  std::vector<SessionRecord> all;
  SL_ASSERT_OK_AND_ASSIGN(all, ListAllSessions(driver()));
  EXPECT_THAT(IdsOf(all), ElementsAre("b"));
  std::vector<SessionEvent> events;
  SL_ASSERT_OK_AND_ASSIGN(events, ListAllEvents(driver(), "a"));
  EXPECT_THAT(events, IsEmpty());
  SL_ASSERT_OK_AND_ASSIGN(events, ListAllEvents(driver(), "ghost"));
  EXPECT_THAT(events, IsEmpty());
  SL_ASSERT_OK_AND_ASSIGN(events, ListAllEvents(driver(), "b"));
  EXPECT_THAT(events, ElementsAre(MakeEvent("b", 1)));
  // A deleted id starts afresh: its old indices are free.
  SessionEvent fresh = MakeEvent("a", 1);
  fresh.id = "a/fresh";
  SL_ASSERT_OK(driver().InsertEvent(fresh));
  SL_ASSERT_OK_AND_ASSIGN(events, ListAllEvents(driver(), "a"));
  EXPECT_THAT(events, ElementsAre(fresh));
}

TEST_P(DriverConformanceTest, StatsCountRecordsAndEvents) {
  DriverStats stats;
  SL_ASSERT_OK_AND_ASSIGN(stats, driver().Stats());
  EXPECT_EQ(stats.sessions, 0);
  EXPECT_EQ(stats.events, 0);
  SL_ASSERT_OK(driver().UpdateSession(MakeSession("a", 1)));
  SL_ASSERT_OK(driver().UpdateSession(MakeSession("b", 2)));
  SL_ASSERT_OK(driver().UpdateSession(MakeSession("a", 3)));  // A replace.
  SL_ASSERT_OK(driver().InsertEvents(
      {MakeEvent("a", 1), MakeEvent("a", 2), MakeEvent("ghost", 1)}));
  SL_ASSERT_OK_AND_ASSIGN(stats, driver().Stats());
  EXPECT_EQ(stats.sessions, 2);
  if (stats.events_is_estimate) {
    EXPECT_GE(stats.events, 0);
  } else {
    EXPECT_EQ(stats.events, 3);
  }
  EXPECT_GE(stats.disk_bytes, 0);
}

TEST_P(DriverConformanceTest, FlushAndCheckIntegritySucceedOnAHealthyStore) {
  SL_EXPECT_OK(driver().Flush());
  SL_EXPECT_OK(driver().CheckIntegrity());
  SL_ASSERT_OK(driver().UpdateSession(MakeFullSession("a", 1)));
  SL_ASSERT_OK(driver().InsertEvent(MakeEvent("a", 1)));
  SL_EXPECT_OK(driver().Flush());
  SL_EXPECT_OK(driver().CheckIntegrity());
  std::vector<SessionEvent> events;
  SL_ASSERT_OK_AND_ASSIGN(events, ListAllEvents(driver(), "a"));
  EXPECT_THAT(events, ElementsAre(MakeEvent("a", 1)));
}

}  // namespace
}  // namespace sessionlog
