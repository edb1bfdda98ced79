#include "schema/json_codec.h"

#include <string>

#include "gtest/gtest.h"

namespace sessionlog {
namespace {

TEST(JsonCodecTest, RecordUsesTheSdkFieldNamesInOrder) {
  SessionRecord r;
  r.id = "s-b";
  r.agent = "mock";
  r.agent_session_id = "ag-b";
  r.last_connection_id = "c1";
  r.created_at = 200;
  r.session_init_json = R"({"cwd":"/w","mcpServers":[]})";
  r.modes_json = "null";
  EXPECT_EQ(SessionRecordToJson(r),
            R"({"id":"s-b","agent":"mock","agentSessionId":"ag-b",)"
            R"("lastConnectionId":"c1","createdAt":200,)"
            R"("sessionInit":{"cwd":"/w","mcpServers":[]},"modes":null})");
  absl::StatusOr<SessionRecord> back =
      SessionRecordFromJson(SessionRecordToJson(r));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, r);
}

TEST(JsonCodecTest, AbsentModesIsNotNullModes) {
  absl::StatusOr<SessionRecord> absent = SessionRecordFromJson(
      R"({"id":"a","agent":"m","lastConnectionId":"c","createdAt":1})");
  ASSERT_TRUE(absent.ok()) << absent.status();
  EXPECT_FALSE(absent->modes_json.has_value());
  absl::StatusOr<SessionRecord> null_modes = SessionRecordFromJson(
      R"({"id":"a","agent":"m","lastConnectionId":"c","createdAt":1,"modes":null})");
  ASSERT_TRUE(null_modes.ok());
  EXPECT_EQ(null_modes->modes_json, "null");
}

TEST(JsonCodecTest, EventRoundTripKeepsPayloadKeyOrder) {
  std::string json =
      R"({"id":"e1","eventIndex":3,"sessionId":"s","createdAt":5,)"
      R"("connectionId":"c","sender":"agent","payload":{"z":1,"a":[true,null,"\u00e9"]}})";
  absl::StatusOr<SessionEvent> event = SessionEventFromJson(json);
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_EQ(event->payload_json, R"({"z":1,"a":[true,null,"é"]})");
  EXPECT_EQ(event->sender, Sender::kAgent);
  EXPECT_EQ(
      SessionEventToJson(*event),
      R"({"id":"e1","eventIndex":3,"sessionId":"s","createdAt":5,)"
      R"("connectionId":"c","sender":"agent","payload":{"z":1,"a":[true,null,"é"]}})");
}

void ExpectError(absl::string_view json, absl::string_view field) {
  absl::StatusOr<SessionEvent> event = SessionEventFromJson(json);
  ASSERT_FALSE(event.ok()) << json;
  EXPECT_EQ(event.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(event.status().message().find(field), std::string::npos)
      << event.status();
}

TEST(JsonCodecTest, ErrorsNameTheField) {
  const std::string base =
      R"("id":"e1","sessionId":"s","createdAt":5,"connectionId":"c","payload":{})";
  ExpectError("{" + base + R"(,"sender":"agent"})", "event.eventIndex");
  ExpectError("{" + base + R"(,"eventIndex":"1","sender":"agent"})",
              "event.eventIndex");
  ExpectError("{" + base + R"(,"eventIndex":1.5,"sender":"agent"})",
              "event.eventIndex");
  ExpectError("{" + base + R"(,"eventIndex":1,"sender":"robot"})",
              "event.sender");
  ExpectError("{" + base + R"(,"eventIndex":1,"sender":"agent","extra":1})",
              "event.extra");
  ExpectError("[1]", "must be a JSON object");
  ExpectError("{", "not valid JSON");
  ExpectError(std::string(10000, '[') + std::string(10000, ']'), "deeper");
}

TEST(JsonCodecTest, JsonLines) {
  absl::StatusOr<JsonLine> line = JsonLineFromJson(
      R"({"session":{"id":"a","agent":"m","lastConnectionId":"c","createdAt":1}})");
  ASSERT_TRUE(line.ok()) << line.status();
  ASSERT_TRUE(line->session.has_value());
  EXPECT_EQ(
      JsonLineToJson(*line->session),
      R"({"session":{"id":"a","agent":"m","lastConnectionId":"c","createdAt":1}})");
  EXPECT_FALSE(JsonLineFromJson(R"({"session":{},"event":{}})").ok());
  EXPECT_FALSE(JsonLineFromJson(R"({"other":{}})").ok());
  EXPECT_FALSE(JsonLineFromJson(R"({"event":[]})").ok());
}

}  // namespace
}  // namespace sessionlog
