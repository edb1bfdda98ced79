#include "schema/flatbuffers_codec.h"

#include <string>

#include "gtest/gtest.h"
#include "tests/testing/records.h"

namespace sessionlog {
namespace {

// Every field set, non-ASCII text and JSON escapes included.
SessionRecord FullRecord() {
  return test::MakeFullSession("s-1", 1700000000123);
}

SessionEvent AnEvent() {
  SessionEvent e = test::MakeEvent("s-1", 7);
  e.payload_json = R"({"jsonrpc":"2.0","id":1,"result":{"x":"\u00e9"}})";
  return e;
}

TEST(FlatbuffersCodecTest, RecordRoundTripsEveryField) {
  std::string bytes;
  EncodeSessionRecord(FullRecord(), &bytes);
  absl::StatusOr<SessionRecord> decoded = DecodeSessionRecord(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, FullRecord());
}

TEST(FlatbuffersCodecTest, AbsentAndNullModesStayDistinct) {
  SessionRecord absent = FullRecord();
  absent.modes_json.reset();
  absent.agent_session_id.reset();
  absent.destroyed_at.reset();
  std::string bytes;
  EncodeSessionRecord(absent, &bytes);
  absl::StatusOr<SessionRecord> decoded = DecodeSessionRecord(bytes);
  ASSERT_TRUE(decoded.ok());
  EXPECT_FALSE(decoded->modes_json.has_value());
  EXPECT_FALSE(decoded->agent_session_id.has_value());
  EXPECT_FALSE(decoded->destroyed_at.has_value());
  EXPECT_EQ(*decoded, absent);
}

TEST(FlatbuffersCodecTest, EventRoundTripsWithAndWithoutSessionId) {
  std::string bytes;
  EncodeSessionEvent(AnEvent(), SessionIdField::kInclude, &bytes);
  EXPECT_EQ(*DecodeSessionEvent(bytes), AnEvent());
  std::string shorter;
  EncodeSessionEvent(AnEvent(), SessionIdField::kOmit, &shorter);
  EXPECT_LT(shorter.size(), bytes.size());
  EXPECT_EQ(*DecodeSessionEvent(shorter, "s-1"), AnEvent());
}

TEST(FlatbuffersCodecTest, DecodesMisalignedInput) {
  std::string bytes;
  EncodeSessionEvent(AnEvent(), SessionIdField::kInclude, &bytes);
  for (int offset = 1; offset < 8; ++offset) {
    std::string shifted = std::string(offset, 'x') + bytes;
    absl::string_view view(shifted.data() + offset, bytes.size());
    absl::StatusOr<SessionEvent> decoded = DecodeSessionEvent(view);
    ASSERT_TRUE(decoded.ok()) << offset << ": " << decoded.status();
    EXPECT_EQ(*decoded, AnEvent());
  }
}

TEST(FlatbuffersCodecTest, CorruptBytesAreDataLossNeverACrash) {
  std::string bytes;
  EncodeSessionEvent(AnEvent(), SessionIdField::kInclude, &bytes);
  EXPECT_EQ(DecodeSessionEvent("").status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(DecodeSessionEvent("abc").status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(
      DecodeSessionEvent(bytes.substr(0, bytes.size() / 2)).status().code(),
      absl::StatusCode::kDataLoss);
  int data_loss = 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::string flipped = bytes;
    flipped[i] ^= 0xff;
    absl::StatusOr<SessionEvent> decoded = DecodeSessionEvent(flipped);
    if (!decoded.ok()) {
      EXPECT_EQ(decoded.status().code(), absl::StatusCode::kDataLoss);
      ++data_loss;
    }
  }
  EXPECT_GT(data_loss, 0);  // Flips in offsets must be caught.
}

// An empty value at an odd address once reached memcpy(nullptr, ..., 0), which
// UBSan reports (found by tests/fuzz/flatbuffers_decode_fuzzer). Run under
// --config=asan to see the difference.
TEST(FlatbuffersCodecTest, EmptyMisalignedValueIsDataLoss) {
  const char buffer[2] = {0, 0};
  absl::string_view empty_at_odd_address(buffer + 1, 0);
  EXPECT_EQ(DecodeSessionRecord(empty_at_odd_address).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(DecodeSessionEvent(empty_at_odd_address).status().code(),
            absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace sessionlog
