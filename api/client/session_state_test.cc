#include "api/client/session_state.h"

#include "gtest/gtest.h"

namespace sessionlog {
namespace {

TEST(SessionStateTest, NewSessionResultWithoutModesStoresNull) {
  SessionRecord record;
  ApplyNewSessionResult(Json::parse(R"({"sessionId":"a1"})"), &record);
  EXPECT_EQ(record.agent_session_id, "a1");
  EXPECT_EQ(record.modes_json, "null");
  EXPECT_FALSE(record.config_options_json.has_value());
  ApplyNewSessionResult(
      Json::parse(R"({"sessionId":"a2","configOptions":[],"modes":)"
                  R"({"currentModeId":"x","availableModes":[]}})"),
      &record);
  EXPECT_EQ(record.config_options_json, "[]");
  EXPECT_EQ(record.modes_json, R"({"currentModeId":"x","availableModes":[]})");
}

TEST(SessionStateTest, ModeAndConfigUpdatesFollowTheSdk) {
  SessionRecord record;
  record.modes_json = "null";
  record.config_options_json =
      R"([{"id":"mode","name":"Mode","type":"select","category":"mode",)"
      R"("currentValue":"a","options":[{"value":"a","name":"A"},{"value":"b","name":"B"}]}])";
  Json update = Json::parse(
      R"({"jsonrpc":"2.0","method":"session/update","params":{"sessionId":"x",)"
      R"("update":{"sessionUpdate":"current_mode_update","currentModeId":"b"}}})");
  EXPECT_TRUE(ApplySessionUpdate(update, &record));
  // applyCurrentMode on null modes.
  EXPECT_EQ(record.modes_json, R"({"currentModeId":"b","availableModes":[]})");
  EXPECT_TRUE(ApplyMethodResult("session/set_mode",
                                Json::parse(R"({"modeId":"a"})"),
                                Json::object(), &record));
  EXPECT_EQ(Json::parse(*record.config_options_json)[0]["currentValue"], "a");
  EXPECT_EQ(Json::parse(*record.modes_json)["currentModeId"], "a");
  Json derived =
      DeriveModesFromConfigOptions(Json::parse(*record.config_options_json));
  EXPECT_EQ(derived.dump(),
            R"({"currentModeId":"a","availableModes":[{"id":"a","name":"A",)"
            R"("description":null},{"id":"b","name":"B","description":null}]})");
}

TEST(SessionStateTest, PermissionRepliesMapByKind) {
  Json request = Json::parse(
      R"({"options":[{"optionId":"o1","name":"Once","kind":"allow_once"},)"
      R"({"optionId":"r1","name":"No","kind":"reject_always"}]})");
  EXPECT_EQ(PermissionReplyToResponse(request, "once")->dump(),
            R"({"outcome":{"outcome":"selected","optionId":"o1"}})");
  // always falls back to allow_once; reject to reject_always.
  EXPECT_EQ((*PermissionReplyToResponse(request, "always"))["outcome"]["optionId"],
            "o1");
  EXPECT_EQ((*PermissionReplyToResponse(request, "reject"))["outcome"]["optionId"],
            "r1");
  Json only_reject = Json::parse(
      R"({"options":[{"optionId":"r","name":"No","kind":"reject_once"}]})");
  absl::StatusOr<Json> none = PermissionReplyToResponse(only_reject, "once");
  EXPECT_EQ(none.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(AvailablePermissionReplies(request["options"]),
            (std::vector<std::string>{"once", "reject"}));
  EXPECT_EQ(CancelledPermissionResponse().dump(),
            R"({"outcome":{"outcome":"cancelled"}})");
}

}  // namespace
}  // namespace sessionlog
