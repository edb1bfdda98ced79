#include "schema/replay.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
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

}  // namespace
}  // namespace sessionlog
