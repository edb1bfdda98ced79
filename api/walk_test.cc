// ForEachSession and ForEachEvent over a small in-test driver: order, paging,
// stopping, starting points, and what a walk sees while the store changes.

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api/driver.h"
#include "gtest/gtest.h"

namespace sessionlog {
namespace {

// Records in (created_at, id) order and events per session, in maps; counts
// the page calls the walks make.
class MapDriver : public SessionPersistDriver {
 public:
  MapDriver() : SessionPersistDriver(DriverOptions()) {}

  int list_calls = 0;
  absl::Status fail_after_calls = absl::OkStatus();
  int fail_at_call = -1;  // The call (1-based) that returns the failure.

  void PutSession(const std::string& id, int64_t created_at) {
    SessionRecord r;
    r.id = id;
    r.agent = "mock";
    r.last_connection_id = "c";
    r.created_at = created_at;
    EraseSession(id);
    records_[{created_at, id}] = r;
  }
  void EraseSession(const std::string& id) {
    for (auto it = records_.begin(); it != records_.end(); ++it) {
      if (it->second.id == id) {
        records_.erase(it);
        return;
      }
    }
  }
  void PutEvent(const std::string& session, int64_t index) {
    SessionEvent e;
    e.id = absl::StrCat(session, "-", index);
    e.event_index = index;
    e.session_id = session;
    e.created_at = index;
    e.connection_id = "c";
    e.payload_json = "{}";
    events_[session][index] = e;
  }
  void EraseEvent(const std::string& session, int64_t index) {
    events_[session].erase(index);
  }

 protected:
  absl::Status MaybeFail() {
    ++list_calls;
    if (list_calls == fail_at_call) return fail_after_calls;
    return absl::OkStatus();
  }
  absl::StatusOr<SessionRecord> DoGetSession(absl::string_view id) override {
    for (const auto& [key, r] : records_) {
      if (r.id == id) return r;
    }
    return absl::NotFoundError("no");
  }
  absl::StatusOr<std::vector<SessionRecord>> DoListSessions(
      const std::optional<SessionCursor>& after, int64_t limit) override {
    if (absl::Status s = MaybeFail(); !s.ok()) return s;
    std::vector<SessionRecord> out;
    auto it = after ? records_.upper_bound({after->created_at, after->id})
                    : records_.begin();
    for (; it != records_.end() && static_cast<int64_t>(out.size()) < limit;
         ++it) {
      out.push_back(it->second);
    }
    return out;
  }
  absl::Status DoUpdateSession(const SessionRecord& r) override {
    PutSession(r.id, r.created_at);
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<SessionEvent>> DoListEvents(
      absl::string_view session_id, std::optional<int64_t> after_index,
      int64_t limit) override {
    if (absl::Status s = MaybeFail(); !s.ok()) return s;
    std::vector<SessionEvent> out;
    const auto& events = events_[std::string(session_id)];
    auto it = after_index ? events.upper_bound(*after_index) : events.begin();
    for (; it != events.end() && static_cast<int64_t>(out.size()) < limit;
         ++it) {
      out.push_back(it->second);
    }
    return out;
  }
  absl::Status DoInsertEvents(absl::Span<const SessionEvent> events) override {
    for (const SessionEvent& e : events)
      events_[e.session_id][e.event_index] = e;
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<SessionEvent>> DoLastEvents(absl::string_view,
                                                         int64_t) override {
    return std::vector<SessionEvent>();
  }
  absl::StatusOr<std::optional<int64_t>> DoHighestEventIndex(
      absl::string_view) override {
    return std::optional<int64_t>();
  }
  absl::Status DoDeleteSession(absl::string_view id) override {
    EraseSession(std::string(id));
    return absl::OkStatus();
  }
  absl::StatusOr<DriverStats> DoStats() override { return DriverStats(); }
  absl::Status DoFlush() override { return absl::OkStatus(); }

 private:
  std::map<std::pair<int64_t, std::string>, SessionRecord> records_;
  std::map<std::string, std::map<int64_t, SessionEvent>> events_;
};

std::vector<std::string> SessionIds(MapDriver& driver,
                                    SessionWalkOptions options = {}) {
  std::vector<std::string> ids;
  absl::Status s = ForEachSession(
      driver,
      [&](const SessionRecord& r) {
        ids.push_back(r.id);
        return absl::OkStatus();
      },
      options);
  EXPECT_TRUE(s.ok()) << s;
  return ids;
}

std::vector<int64_t> EventIndexes(MapDriver& driver, const std::string& id,
                                  EventWalkOptions options = {}) {
  std::vector<int64_t> indexes;
  absl::Status s = ForEachEvent(
      driver, id,
      [&](const SessionEvent& e) {
        indexes.push_back(e.event_index);
        return absl::OkStatus();
      },
      options);
  EXPECT_TRUE(s.ok()) << s;
  return indexes;
}

TEST(WalkTest, VisitsEverySessionInOrderAcrossPages) {
  MapDriver driver;
  for (int i = 0; i < 7; ++i) driver.PutSession(absl::StrCat("s", i), 10 - i);
  SessionWalkOptions small;
  small.page_size = 2;
  EXPECT_EQ(
      SessionIds(driver, small),
      (std::vector<std::string>{"s6", "s5", "s4", "s3", "s2", "s1", "s0"}));
  EXPECT_EQ(driver.list_calls, 4);  // 2 + 2 + 2 + 1.
  EXPECT_EQ(SessionIds(driver).size(), 7u);
}

TEST(WalkTest, VisitsEveryEventInOrderFromAnyStart) {
  MapDriver driver;
  for (int64_t i : {0, 1, 2, 5, 9}) driver.PutEvent("a", i);
  driver.PutEvent("b", 3);
  EventWalkOptions options;
  options.page_size = 2;
  EXPECT_EQ(EventIndexes(driver, "a", options),
            (std::vector<int64_t>{0, 1, 2, 5, 9}));
  options.after_index = 2;
  EXPECT_EQ(EventIndexes(driver, "a", options), (std::vector<int64_t>{5, 9}));
  options.after_index = -7;  // Negative: everything.
  EXPECT_EQ(EventIndexes(driver, "a", options).size(), 5u);
  options.after_index = kMaxSafeInteger;  // Nothing can come after it.
  EXPECT_TRUE(EventIndexes(driver, "a", options).empty());
  options.after_index = int64_t{1} << 62;
  EXPECT_TRUE(EventIndexes(driver, "a", options).empty());
  EXPECT_TRUE(EventIndexes(driver, "unknown").empty());
}

TEST(WalkTest, StopsAtTheVisitorsStatusAndReturnsItUnchanged) {
  MapDriver driver;
  for (int i = 0; i < 5; ++i) driver.PutSession(absl::StrCat("s", i), i);
  int visited = 0;
  absl::Status s = ForEachSession(driver, [&](const SessionRecord&) {
    return ++visited == 2 ? absl::CancelledError("enough") : absl::OkStatus();
  });
  EXPECT_EQ(s, absl::CancelledError("enough"));
  EXPECT_EQ(visited, 2);
}

TEST(WalkTest, StopsAtTheDriversError) {
  MapDriver driver;
  for (int i = 0; i < 5; ++i) driver.PutEvent("a", i);
  driver.fail_at_call = 2;
  driver.fail_after_calls = absl::UnavailableError("down");
  EventWalkOptions options;
  options.page_size = 2;
  std::vector<int64_t> seen;
  absl::Status s = ForEachEvent(
      driver, "a",
      [&](const SessionEvent& e) {
        seen.push_back(e.event_index);
        return absl::OkStatus();
      },
      options);
  EXPECT_EQ(s, absl::UnavailableError("down"));
  EXPECT_EQ(seen, (std::vector<int64_t>{0, 1}));
}

TEST(WalkTest, RefusesBadOptionsAndIds) {
  MapDriver driver;
  auto ignore_session = [](const SessionRecord&) { return absl::OkStatus(); };
  auto ignore_event = [](const SessionEvent&) { return absl::OkStatus(); };
  SessionWalkOptions zero;
  zero.page_size = 0;
  EXPECT_TRUE(
      absl::IsInvalidArgument(ForEachSession(driver, ignore_session, zero)));
  SessionWalkOptions bad_cursor;
  bad_cursor.cursor = "nonsense";
  EXPECT_TRUE(absl::IsInvalidArgument(
      ForEachSession(driver, ignore_session, bad_cursor)));
  EventWalkOptions big;
  big.page_size = kMaxPageLimit + 1;
  EXPECT_TRUE(
      absl::IsInvalidArgument(ForEachEvent(driver, "a", ignore_event, big)));
  EXPECT_TRUE(absl::IsInvalidArgument(ForEachEvent(driver, "", ignore_event)));
}

// The contract's promises while the store changes under a walk.
TEST(WalkTest, SeesWritesAheadNotBehindAndNeverRevisits) {
  MapDriver driver;
  for (int i = 1; i <= 6; ++i) driver.PutSession(absl::StrCat("s", i), i * 10);
  SessionWalkOptions options;
  options.page_size = 2;
  std::vector<std::string> seen;
  absl::Status s = ForEachSession(
      driver,
      [&](const SessionRecord& r) {
        seen.push_back(r.id);
        if (r.id == "s2") {
          driver.PutSession("behind", 5);  // Before the position: unseen.
          driver.PutSession("ahead", 45);  // After it: seen.
          driver.EraseSession("s5");       // Removed before reached.
          driver.PutSession("s1", 15);     // Visited, rewritten behind.
        }
        return absl::OkStatus();
      },
      options);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(seen,
            (std::vector<std::string>{"s1", "s2", "s3", "s4", "ahead", "s6"}));
}

TEST(WalkTest, AnEventWalkCatchesUpWithAWriterAndEnds) {
  MapDriver driver;
  driver.PutEvent("a", 1);
  driver.PutEvent("a", 2);
  EventWalkOptions options;
  options.page_size = 1;
  std::vector<int64_t> seen;
  absl::Status s = ForEachEvent(
      driver, "a",
      [&](const SessionEvent& e) {
        seen.push_back(e.event_index);
        if (e.event_index == 1) driver.PutEvent("a", 3);  // Ahead: seen...
        if (e.event_index == 2) {
          driver.PutEvent("a", 4);
          driver.EraseEvent("a", 3);  // ...unless trimmed before reached.
        }
        // Written after the walk read its last page: not seen.
        if (e.event_index == 4) driver.PutEvent("a", 5);
        return absl::OkStatus();
      },
      options);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(seen, (std::vector<int64_t>{1, 2, 4}));
}

}  // namespace
}  // namespace sessionlog
