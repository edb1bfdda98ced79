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

// JSON allows lone UTF-16 surrogate escapes and JavaScript writes them
// (JSON.stringify of half an emoji), so TS stores hold them. They are kept
// exactly, in export and import alike.
TEST(JsonCodecTest, LoneSurrogateEscapesAreKeptExactly) {
  SessionEvent e;
  e.id = "e1";
  e.event_index = 1;
  e.session_id = "s";
  e.connection_id = "c";
  e.payload_json =
      R"({"text":"half \ud83d","low":"\uDE00","pair":"\ud83d\ude00",)"
      R"("\udbff":[1,"\\ud800"]})";
  const std::string line = JsonLineToJson(e);
  // An object, not a string; the escapes as written, pairs decoded as
  // nlohmann writes them.
  EXPECT_EQ(line, R"({"event":{"id":"e1","eventIndex":1,"sessionId":"s",)"
                  R"("createdAt":0,"connectionId":"c","sender":"client",)"
                  R"("payload":{"text":"half \ud83d","low":"\uDE00",)"
                  "\"pair\":\"\xf0\x9f\x98\x80\","
                  R"("\udbff":[1,"\\ud800"]}}})");
  absl::StatusOr<JsonLine> back = JsonLineFromJson(line);
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_TRUE(back->event.has_value());
  EXPECT_EQ(back->event->payload_json,
            R"({"text":"half \ud83d","low":"\uDE00","pair":")"
            "\xf0\x9f\x98\x80"
            R"(","\udbff":[1,"\\ud800"]})");
  EXPECT_EQ(JsonLineToJson(*back->event), line);

  SessionRecord r;
  r.id = "s";
  r.agent = "mock";
  r.session_init_json = R"({"cwd":"\udc00"})";
  r.config_options_json = R"(["\ud800"])";
  r.modes_json = R"({"m":"\ud83d"})";
  EXPECT_EQ(SessionRecordToJson(r),
            R"({"id":"s","agent":"mock","lastConnectionId":"","createdAt":0,)"
            R"("sessionInit":{"cwd":"\udc00"},"configOptions":["\ud800"],)"
            R"("modes":{"m":"\ud83d"}})");
  absl::StatusOr<SessionRecord> record =
      SessionRecordFromJson(SessionRecordToJson(r));
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_EQ(*record, r);
}

// The private-use character that carries a lone surrogate through
// nlohmann::json is one that the texts do not hold.
TEST(JsonCodecTest, LoneSurrogatesNextToPrivateUseCharacters) {
  SessionEvent e;
  e.id = "\xee\x80\x80-id";        // U+E000
  e.session_id = "s\xee\x80\x81";  // U+E001
  e.payload_json = R"({"a":"\ue002\ud83dABCD","b":"\uE003)"
                   "\xee\x80\x84"  // U+E004
                   R"(\udc00"})";
  absl::StatusOr<SessionEvent> back =
      SessionEventFromJson(SessionEventToJson(e));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->id, e.id);
  EXPECT_EQ(back->session_id, e.session_id);
  EXPECT_EQ(back->payload_json,
            "{\"a\":\"\xee\x80\x82\\ud83dABCD\",\"b\":\""
            "\xee\x80\x83\xee\x80\x84\\udc00\"}");
}

TEST(JsonCodecTest, ALoneSurrogateInATextFieldIsRefused) {
  absl::StatusOr<SessionEvent> e = SessionEventFromJson(
      R"({"id":"e\ud83d","eventIndex":1,"sessionId":"s","createdAt":1,)"
      R"("connectionId":"c","sender":"agent","payload":{}})");
  EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(e.status().message().find("event.id"), std::string::npos)
      << e.status();
  EXPECT_NE(e.status().message().find("surrogate"), std::string::npos)
      << e.status();
}

}  // namespace
}  // namespace sessionlog
