#include "schema/flatbuffers_codec.h"

#include <string>

#include "gtest/gtest.h"

namespace sessionlog {
namespace {

SessionRecord FullRecord() {
  SessionRecord r;
  r.id = "s-1";
  r.agent = "mock";
  r.agent_session_id = "ag-1";
  r.last_connection_id = "c1";
  r.created_at = 1700000000123;
  r.destroyed_at = 1700000009999;
  r.sandbox_id = "local/abc";
  r.session_init_json = R"({"cwd":"/w","mcpServers":[]})";
  r.config_options_json = "[]";
  r.modes_json = "null";
  return r;
}

SessionEvent AnEvent() {
  SessionEvent e;
  e.id = "e1";
  e.event_index = 7;
  e.session_id = "s-1";
  e.created_at = 1700000000200;
  e.connection_id = "c1";
  e.sender = Sender::kAgent;
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
