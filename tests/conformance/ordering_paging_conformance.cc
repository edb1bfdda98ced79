// Ordering of sessions and events, and keyset paging.

#include <string>
#include <vector>

#include "api/options.h"
#include "gmock/gmock.h"
#include "tests/conformance/driver_conformance.h"

namespace sessionlog {
namespace {

using conformance::ExpectInvalidArgument;
using conformance::IdsOf;
using conformance::IndicesOf;
using conformance::ListAllEvents;
using conformance::ListAllSessions;
using conformance::MakeEvent;
using conformance::MakeSession;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::IsEmpty;

TEST_P(DriverConformanceTest, SessionsListByCreatedAtThenIdBytewise) {
  // Inserted out of order; ties on created_at sort by id bytes ("10" < "9",
  // upper case before "_" before lower case, UTF-8 after ASCII), which is not
  // JavaScript's localeCompare order.
  const std::vector<std::pair<std::string, int64_t>> inserted = {
      {"b", 5},     {"\xc3\xa9", 5}, {"9", 5},      {"late", 9},
      {"_z", 5},    {"a", 5},        {"B", 5},      {"10", 5},
      {"early", 3}, {"x.y", 5},      {"s1.5.YQ", 5}};  // Cursor-like ids.
  for (const auto& [id, created_at] : inserted) {
    SL_ASSERT_OK(driver().UpdateSession(MakeSession(id, created_at)));
  }
  std::vector<SessionRecord> all;
  SL_ASSERT_OK_AND_ASSIGN(all, ListAllSessions(driver()));
  EXPECT_THAT(IdsOf(all), ElementsAre("early", "10", "9", "B", "_z", "a", "b",
                                      "s1.5.YQ", "x.y", "\xc3\xa9", "late"));
  // Every page size gives the same sequence.
  for (int64_t limit : {1, 2, 4, 10, 11, 12}) {
    std::vector<SessionRecord> paged;
    SL_ASSERT_OK_AND_ASSIGN(paged, ListAllSessions(driver(), limit));
    EXPECT_EQ(IdsOf(paged), IdsOf(all)) << "limit " << limit;
  }
}

TEST_P(DriverConformanceTest, EventsListByIndexWhateverTheInsertOrder) {
  for (int64_t index : {5, 1, 4, 0, 3, 2, 100}) {
    SL_ASSERT_OK(driver().InsertEvent(MakeEvent("s", index)));
  }
  std::vector<SessionEvent> all;
  SL_ASSERT_OK_AND_ASSIGN(all, ListAllEvents(driver(), "s"));
  EXPECT_THAT(IndicesOf(all), ElementsAre(0, 1, 2, 3, 4, 5, 100));
  for (int64_t limit : {1, 3, 7, 8}) {
    std::vector<SessionEvent> paged;
    SL_ASSERT_OK_AND_ASSIGN(paged, ListAllEvents(driver(), "s", limit));
    EXPECT_EQ(paged, all) << "limit " << limit;
  }
}

TEST_P(DriverConformanceTest, DefaultPageLimitIs100AndTheLastPageHasNoCursor) {
  std::vector<SessionEvent> events;
  for (int64_t i = 1; i <= 250; ++i) events.push_back(MakeEvent("s", i));
  SL_ASSERT_OK(driver().InsertEvents(events));
  for (int64_t i = 0; i < 250; ++i) {
    SL_ASSERT_OK(driver().UpdateSession(MakeSession(absl::StrCat("s", i), i)));
  }

  std::vector<size_t> event_page_sizes;
  ListEventsRequest events_request{"s", "", 0};
  for (;;) {
    Page<SessionEvent> page;
    SL_ASSERT_OK_AND_ASSIGN(page, driver().ListEvents(events_request));
    event_page_sizes.push_back(page.items.size());
    if (!page.next_cursor) break;
    ASSERT_LT(event_page_sizes.size(), 10u);
    events_request.cursor = *page.next_cursor;
  }
  EXPECT_THAT(event_page_sizes, ElementsAre(100, 100, 50));

  std::vector<size_t> session_page_sizes;
  ListSessionsRequest sessions_request;
  for (;;) {
    Page<SessionRecord> page;
    SL_ASSERT_OK_AND_ASSIGN(page, driver().ListSessions(sessions_request));
    session_page_sizes.push_back(page.items.size());
    if (!page.next_cursor) break;
    ASSERT_LT(session_page_sizes.size(), 10u);
    sessions_request.cursor = *page.next_cursor;
  }
  EXPECT_THAT(session_page_sizes, ElementsAre(100, 100, 50));
}

TEST_P(DriverConformanceTest, ExplicitLimitsGiveExactPages) {
  for (int64_t i = 1; i <= 10; ++i) {
    SL_ASSERT_OK(driver().InsertEvent(MakeEvent("s", i)));
  }
  // A page that ends exactly at the end of the list has no cursor: no empty
  // page follows.
  Page<SessionEvent> page;
  SL_ASSERT_OK_AND_ASSIGN(page, driver().ListEvents({"s", "", 5}));
  EXPECT_THAT(IndicesOf(page.items), ElementsAre(1, 2, 3, 4, 5));
  ASSERT_TRUE(page.next_cursor.has_value());
  SL_ASSERT_OK_AND_ASSIGN(page,
                          driver().ListEvents({"s", *page.next_cursor, 5}));
  EXPECT_THAT(IndicesOf(page.items), ElementsAre(6, 7, 8, 9, 10));
  EXPECT_FALSE(page.next_cursor.has_value());

  SL_ASSERT_OK_AND_ASSIGN(page, driver().ListEvents({"s", "", 1}));
  EXPECT_THAT(IndicesOf(page.items), ElementsAre(1));
  EXPECT_TRUE(page.next_cursor.has_value());
  SL_ASSERT_OK_AND_ASSIGN(page, driver().ListEvents({"s", "", 11}));
  EXPECT_EQ(page.items.size(), 10u);
  EXPECT_FALSE(page.next_cursor.has_value());
  SL_ASSERT_OK_AND_ASSIGN(page, driver().ListEvents({"s", "", kMaxPageLimit}));
  EXPECT_EQ(page.items.size(), 10u);
  EXPECT_FALSE(page.next_cursor.has_value());

  for (int64_t i = 0; i < 3; ++i) {
    SL_ASSERT_OK(driver().UpdateSession(MakeSession(absl::StrCat("s", i), i)));
  }
  Page<SessionRecord> sessions;
  SL_ASSERT_OK_AND_ASSIGN(sessions, driver().ListSessions({"", 2}));
  EXPECT_THAT(IdsOf(sessions.items), ElementsAre("s0", "s1"));
  ASSERT_TRUE(sessions.next_cursor.has_value());
  SL_ASSERT_OK_AND_ASSIGN(sessions,
                          driver().ListSessions({*sessions.next_cursor, 2}));
  EXPECT_THAT(IdsOf(sessions.items), ElementsAre("s2"));
  EXPECT_FALSE(sessions.next_cursor.has_value());
}

TEST_P(DriverConformanceTest, EmptyListsAreOneLastPage) {
  Page<SessionRecord> sessions;
  SL_ASSERT_OK_AND_ASSIGN(sessions, driver().ListSessions({}));
  EXPECT_THAT(sessions.items, IsEmpty());
  EXPECT_FALSE(sessions.next_cursor.has_value());
  Page<SessionEvent> events;
  SL_ASSERT_OK_AND_ASSIGN(events, driver().ListEvents({"nobody", "", 0}));
  EXPECT_THAT(events.items, IsEmpty());
  EXPECT_FALSE(events.next_cursor.has_value());
}

TEST_P(DriverConformanceTest, SessionPagesDoNotShiftWhenRecordsComeAndGo) {
  for (int64_t i = 0; i < 10; ++i) {
    SL_ASSERT_OK(
        driver().UpdateSession(MakeSession(absl::StrCat("s", i), 10 * i)));
  }
  Page<SessionRecord> page;
  SL_ASSERT_OK_AND_ASSIGN(page, driver().ListSessions({"", 3}));
  EXPECT_THAT(IdsOf(page.items), ElementsAre("s0", "s1", "s2"));
  ASSERT_TRUE(page.next_cursor.has_value());

  // Before the cursor: a new record, and the removal of the record the cursor
  // points at. After it: a new record, and a removal.
  SL_ASSERT_OK(driver().UpdateSession(MakeSession("before", 5)));
  SL_ASSERT_OK(driver().DeleteSession("s2"));
  SL_ASSERT_OK(driver().UpdateSession(MakeSession("after", 45)));
  SL_ASSERT_OK(driver().DeleteSession("s3"));
  // Same created_at as the cursor's record, id sorting after it.
  SL_ASSERT_OK(driver().UpdateSession(MakeSession("s2a", 20)));

  std::vector<std::string> rest;
  std::string cursor = *page.next_cursor;
  for (int pages = 0; pages < 10; ++pages) {
    SL_ASSERT_OK_AND_ASSIGN(page, driver().ListSessions({cursor, 3}));
    for (const std::string& id : IdsOf(page.items)) rest.push_back(id);
    if (!page.next_cursor) break;
    cursor = *page.next_cursor;
  }
  EXPECT_THAT(rest,
              ElementsAre("s2a", "s4", "after", "s5", "s6", "s7", "s8", "s9"));
}

TEST_P(DriverConformanceTest, ARecordMovedInAgeOrderIsListedWhereItNowSorts) {
  for (const auto& [id, created_at] :
       std::vector<std::pair<std::string, int64_t>>{
           {"a", 10}, {"b", 20}, {"c", 30}, {"d", 40}}) {
    SL_ASSERT_OK(driver().UpdateSession(MakeSession(id, created_at)));
  }
  Page<SessionRecord> page;
  SL_ASSERT_OK_AND_ASSIGN(page, driver().ListSessions({"", 2}));
  EXPECT_THAT(IdsOf(page.items), ElementsAre("a", "b"));
  ASSERT_TRUE(page.next_cursor.has_value());
  // "a" is replaced with a later createdAt (seen again, after the cursor);
  // "d" with an earlier one (moved before the cursor: not seen again).
  SL_ASSERT_OK(driver().UpdateSession(MakeSession("a", 35)));
  SL_ASSERT_OK(driver().UpdateSession(MakeSession("d", 15)));
  SL_ASSERT_OK_AND_ASSIGN(page, driver().ListSessions({*page.next_cursor, 5}));
  EXPECT_THAT(IdsOf(page.items), ElementsAre("c", "a"));
  EXPECT_FALSE(page.next_cursor.has_value());
}

TEST_P(DriverConformanceTest, EventPagesDoNotShiftWhenEventsComeAndGo) {
  for (int64_t i = 1; i <= 10; ++i) {
    SL_ASSERT_OK(driver().InsertEvent(MakeEvent("s", i)));
  }
  Page<SessionEvent> page;
  SL_ASSERT_OK_AND_ASSIGN(page, driver().ListEvents({"s", "", 4}));
  EXPECT_THAT(IndicesOf(page.items), ElementsAre(1, 2, 3, 4));
  ASSERT_TRUE(page.next_cursor.has_value());
  // An index before the cursor, one after the end, and another session.
  SL_ASSERT_OK(driver().InsertEvent(MakeEvent("s", 0)));
  SL_ASSERT_OK(driver().InsertEvent(MakeEvent("s", 12)));
  SL_ASSERT_OK(driver().InsertEvent(MakeEvent("other", 5)));

  SL_ASSERT_OK_AND_ASSIGN(page,
                          driver().ListEvents({"s", *page.next_cursor, 4}));
  EXPECT_THAT(IndicesOf(page.items), ElementsAre(5, 6, 7, 8));
  ASSERT_TRUE(page.next_cursor.has_value());
  SL_ASSERT_OK(driver().InsertEvent(MakeEvent("s", 11)));
  SL_ASSERT_OK_AND_ASSIGN(page,
                          driver().ListEvents({"s", *page.next_cursor, 4}));
  EXPECT_THAT(IndicesOf(page.items), ElementsAre(9, 10, 11, 12));
  EXPECT_FALSE(page.next_cursor.has_value());
}

TEST_P(DriverConformanceTest, MalformedCursorsAreInvalidArgument) {
  for (int64_t i = 1; i <= 3; ++i) {
    SL_ASSERT_OK(driver().InsertEvent(MakeEvent("s", i)));
    SL_ASSERT_OK(driver().UpdateSession(MakeSession(absl::StrCat("s", i), i)));
  }
  Page<SessionEvent> events;
  SL_ASSERT_OK_AND_ASSIGN(events, driver().ListEvents({"s", "", 1}));
  ASSERT_TRUE(events.next_cursor.has_value());
  Page<SessionRecord> sessions;
  SL_ASSERT_OK_AND_ASSIGN(sessions, driver().ListSessions({"", 1}));
  ASSERT_TRUE(sessions.next_cursor.has_value());

  // The SDK's offset cursors ("2") are refused, not read as offsets.
  const std::vector<std::string> garbage = {
      "2", "abc", "-1", ".", "\xff\xfe", std::string("e1\0", 3), " "};
  for (const std::string& cursor : garbage) {
    ExpectInvalidArgument(driver().ListSessions({cursor, 1}).status(),
                          "cursor");
    ExpectInvalidArgument(driver().ListEvents({"s", cursor, 1}).status(),
                          "cursor");
  }
  // One kind of cursor is not the other.
  ExpectInvalidArgument(
      driver().ListSessions({*events.next_cursor, 1}).status(), "cursor");
  ExpectInvalidArgument(
      driver().ListEvents({"s", *sessions.next_cursor, 1}).status(), "cursor");
  // Cut short or padded.
  const std::string& good = *events.next_cursor;
  ExpectInvalidArgument(
      driver().ListEvents({"s", good.substr(0, good.size() - 1), 1}).status(),
      "cursor");
  ExpectInvalidArgument(driver().ListEvents({"s", good + "0", 1}).status(),
                        "cursor");
}

TEST_P(DriverConformanceTest, CursorFromAnotherSessionIsInvalidArgument) {
  for (int64_t i = 1; i <= 3; ++i) {
    SL_ASSERT_OK(driver().InsertEvent(MakeEvent("a", i)));
    SL_ASSERT_OK(driver().InsertEvent(MakeEvent("b", i)));
  }
  Page<SessionEvent> page;
  SL_ASSERT_OK_AND_ASSIGN(page, driver().ListEvents({"a", "", 1}));
  ASSERT_TRUE(page.next_cursor.has_value());
  ExpectInvalidArgument(
      driver().ListEvents({"b", *page.next_cursor, 1}).status(), "cursor");
  // The cursor still works for its own session.
  SL_ASSERT_OK_AND_ASSIGN(page,
                          driver().ListEvents({"a", *page.next_cursor, 1}));
  EXPECT_THAT(IndicesOf(page.items), ElementsAre(2));
}

TEST_P(DriverConformanceTest, OutOfRangeLimitsAreInvalidArgument) {
  for (int64_t limit : {int64_t{-1}, int64_t{-100}, kMaxPageLimit + 1,
                        std::numeric_limits<int64_t>::max(),
                        std::numeric_limits<int64_t>::min()}) {
    ExpectInvalidArgument(driver().ListSessions({"", limit}).status(), "limit");
    ExpectInvalidArgument(driver().ListEvents({"s", "", limit}).status(),
                          "limit");
  }
}

}  // namespace
}  // namespace sessionlog
