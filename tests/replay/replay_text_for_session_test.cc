// ReplayTextForSession over a real driver: which events it reads and how many.
#include "schema/replay.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/memory/memory_driver.h"
#include "gtest/gtest.h"

namespace sessionlog {
namespace {

SessionEvent Event(int64_t index, absl::string_view payload,
                   Sender sender = Sender::kClient) {
  SessionEvent e;
  e.id = absl::StrCat("e", index);
  e.event_index = index;
  e.session_id = "s1";
  e.created_at = 1000 + index;
  e.connection_id = "c1";
  e.sender = sender;
  e.payload_json = std::string(payload);
  return e;
}

std::string Line(int64_t index, absl::string_view sender,
                 absl::string_view payload) {
  return absl::StrCat("{\"createdAt\":", 1000 + index, ",\"sender\":\"", sender,
                      "\",\"payload\":", payload, "}");
}

TEST(ReplayTextForSessionTest, UsesTheNewestEvents) {
  auto driver = OpenMemoryDriver(DriverOptions());
  ASSERT_TRUE(driver.ok());
  for (int64_t i = 1; i <= 5; ++i) {
    ASSERT_TRUE((*driver)->InsertEvent(Event(i, absl::StrCat(i))).ok());
  }
  absl::StatusOr<std::optional<std::string>> text =
      ReplayTextForSession(**driver, "s1", 2, kDefaultReplayMaxChars);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(**text, absl::StrCat(kReplayPrefix, Line(4, "client", "4"), "\n",
                                 Line(5, "client", "5"), "\n"));
  absl::StatusOr<std::optional<std::string>> none =
      ReplayTextForSession(**driver, "unknown");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
}

// Forwards to a memory driver and counts how many events each read returns.
class CountingDriver : public SessionPersistDriver {
 public:
  explicit CountingDriver(std::unique_ptr<SessionPersistDriver> inner)
      : SessionPersistDriver(inner->options()), inner_(std::move(inner)) {}
  int64_t events_listed = 0;
  int64_t events_from_last = 0;

 protected:
  absl::StatusOr<SessionRecord> DoGetSession(absl::string_view id) override {
    return inner_->GetSession(id);
  }
  absl::StatusOr<std::vector<SessionRecord>> DoListSessions(
      const std::optional<SessionCursor>&, int64_t) override {
    return absl::UnimplementedError("not used");
  }
  absl::Status DoUpdateSession(const SessionRecord& r) override {
    return inner_->UpdateSession(r);
  }
  absl::StatusOr<std::vector<SessionEvent>> DoListEvents(absl::string_view,
                                                         std::optional<int64_t>,
                                                         int64_t) override {
    ++events_listed;
    return absl::UnimplementedError("a scan: replay must not page");
  }
  absl::Status DoInsertEvents(absl::Span<const SessionEvent> events) override {
    return inner_->InsertEvents(events);
  }
  absl::StatusOr<std::vector<SessionEvent>> DoLastEvents(
      absl::string_view id, int64_t count) override {
    absl::StatusOr<std::vector<SessionEvent>> last =
        inner_->LastEvents(id, count);
    if (last.ok()) events_from_last += last->size();
    return last;
  }
  absl::StatusOr<std::optional<int64_t>> DoHighestEventIndex(
      absl::string_view id) override {
    return inner_->HighestEventIndex(id);
  }
  absl::Status DoDeleteSession(absl::string_view id) override {
    return inner_->DeleteSession(id);
  }
  absl::StatusOr<DriverStats> DoStats() override { return inner_->Stats(); }
  absl::Status DoFlush() override { return inner_->Flush(); }

 private:
  std::unique_ptr<SessionPersistDriver> inner_;
};

TEST(ReplayTextForSessionTest, ReadsOnlyTheEventsItReplays) {
  DriverOptions options;
  options.max_events_per_session = kNoLimit;
  auto memory = OpenMemoryDriver(options);
  ASSERT_TRUE(memory.ok());
  CountingDriver driver(*std::move(memory));
  std::vector<SessionEvent> events;
  for (int64_t i = 1; i <= 5000; ++i) events.push_back(Event(i, "{}"));
  ASSERT_TRUE(driver.InsertEvents(events).ok());
  absl::StatusOr<std::optional<std::string>> text =
      ReplayTextForSession(driver, "s1", 50, kDefaultReplayMaxChars);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(driver.events_listed, 0);
  EXPECT_EQ(driver.events_from_last, 50);
  EXPECT_TRUE(absl::StrContains(**text, Line(5000, "client", "{}")));
  EXPECT_FALSE(absl::StrContains(**text, Line(4950, "client", "{}")));
}

TEST(ReplayTextForSessionTest, RefusesCapsOutOfRange) {
  auto driver = OpenMemoryDriver(DriverOptions());
  ASSERT_TRUE(driver.ok());
  EXPECT_EQ(ReplayTextForSession(**driver, "s1", 0).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      ReplayTextForSession(**driver, "s1", kMaxPageLimit + 1).status().code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReplayTextForSession(**driver, "s1", 50, 0).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace sessionlog
