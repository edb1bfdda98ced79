#include "api/internal/cursor.h"

#include <cstdint>

#include "api/internal/validation.h"
#include "gtest/gtest.h"

namespace sessionlog {
namespace {

TEST(SessionCursorTest, RoundTripsIdsWithAnyBytes) {
  SessionCursor cursor{-5, std::string("a.b/c\xe2\x82\xac", 8)};
  absl::StatusOr<SessionCursor> decoded =
      DecodeSessionCursor(EncodeSessionCursor(cursor));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->created_at, -5);
  EXPECT_EQ(decoded->id, cursor.id);
}

TEST(SessionCursorTest, RejectsMalformedText) {
  for (const char* text : {"", "2", "s1.", "s1.x.YQ", "s1.1.", "e1.1.YQ",
                           "s1.1.YQ.extra", "s1.1.!!"}) {
    absl::StatusOr<SessionCursor> decoded = DecodeSessionCursor(text);
    EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument)
        << text;
  }
}

TEST(EventCursorTest, RoundTripsWithinTheSameSession) {
  absl::StatusOr<int64_t> last =
      DecodeEventCursor("s1", EncodeEventCursor("s1", 42));
  ASSERT_TRUE(last.ok()) << last.status();
  EXPECT_EQ(*last, 42);
}

TEST(EventCursorTest, RefusesACursorFromAnotherSession) {
  absl::StatusOr<int64_t> last =
      DecodeEventCursor("s2", EncodeEventCursor("s1", 42));
  EXPECT_EQ(last.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(last.status().message().find("another session"), std::string::npos);
}

TEST(EventCursorTest, RejectsMalformedText) {
  for (const char* text : {"0", "10", "e1.-1.0000000000000000", "e1.1.zz",
                           "e1.1", "s1.1.YQ", "e1..0000000000000000"}) {
    EXPECT_EQ(DecodeEventCursor("s1", text).status().code(),
              absl::StatusCode::kInvalidArgument)
        << text;
  }
}

// No stored event_index exceeds kMaxSafeInteger, so no next_cursor does
// either; a larger one is forged, and `index + 1` on INT64_MAX (where a
// backend starts the next page) would overflow.
TEST(EventCursorTest, RejectsAnIndexNoEventCanHave) {
  EXPECT_TRUE(
      DecodeEventCursor("s1", EncodeEventCursor("s1", kMaxSafeInteger)).ok());
  for (int64_t index : {kMaxSafeInteger + 1, INT64_MAX}) {
    absl::StatusOr<int64_t> last =
        DecodeEventCursor("s1", EncodeEventCursor("s1", index));
    EXPECT_EQ(last.status().code(), absl::StatusCode::kInvalidArgument)
        << index;
  }
}

}  // namespace
}  // namespace sessionlog
