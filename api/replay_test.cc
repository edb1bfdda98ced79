#include "api/replay.h"

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

TEST(BuildReplayTextTest, NoEventsNoText) {
  absl::StatusOr<std::optional<std::string>> text = BuildReplayText({}, 100);
  ASSERT_TRUE(text.ok());
  EXPECT_FALSE(text->has_value());
}

TEST(BuildReplayTextTest, OneLinePerEventOldestFirst) {
  std::vector<SessionEvent> events = {
      Event(1, R"({ "id": 1, "method": "x" })"),
      Event(2, R"({"id":1,"result":{}})", Sender::kAgent)};
  absl::StatusOr<std::optional<std::string>> text =
      BuildReplayText(events, kDefaultReplayMaxChars);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(
      **text,
      absl::StrCat(kReplayPrefix, Line(1, "client", R"({"id":1,"method":"x"})"),
                   "\n", Line(2, "agent", R"({"id":1,"result":{}})"), "\n"));
}

TEST(BuildReplayTextTest, CapCountsUtf16UnitsAndNeverCutsALine) {
  // 😀 is 4 bytes of UTF-8 and 2 UTF-16 units.
  std::vector<SessionEvent> events = {Event(1, "\"\xF0\x9F\x98\x80\""),
                                      Event(2, "2")};
  const std::string line1 = Line(1, "client", "\"\xF0\x9F\x98\x80\"");
  const int64_t prefix = std::string(kReplayPrefix).size();
  const int64_t fits = prefix + static_cast<int64_t>(line1.size()) - 2 + 1;
  absl::StatusOr<std::optional<std::string>> exact =
      BuildReplayText({events[0]}, fits);
  ASSERT_TRUE(exact.ok());
  EXPECT_EQ(**exact, absl::StrCat(kReplayPrefix, line1, "\n"));
  absl::StatusOr<std::optional<std::string>> over =
      BuildReplayText(events, fits - 1);
  ASSERT_TRUE(over.ok());
  EXPECT_EQ(**over, absl::StrCat(kReplayPrefix, kReplayTruncatedMarker));
  // The second line is dropped whole when it does not fit.
  absl::StatusOr<std::optional<std::string>> second =
      BuildReplayText(events, fits + 5);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(**second,
            absl::StrCat(kReplayPrefix, line1, "\n", kReplayTruncatedMarker));
}

TEST(BuildReplayTextTest, BadPayloadNamesTheEvent) {
  std::vector<SessionEvent> events = {Event(7, "{oops")};
  absl::StatusOr<std::optional<std::string>> text =
      BuildReplayText(events, 100);
  ASSERT_EQ(text.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(text.status().message().find("event 7 of session \"s1\""),
            std::string::npos)
      << text.status();
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
