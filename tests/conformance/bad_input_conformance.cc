// Bad input in every field is InvalidArgument naming the field (with the SDK's
// JSON name), and the store is unchanged afterwards.

#include <functional>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "api/internal/validation.h"
#include "api/options.h"
#include "gmock/gmock.h"
#include "tests/conformance/driver_conformance.h"

namespace sessionlog {
namespace {

using conformance::ExpectInvalidArgument;
using conformance::MakeEvent;
using conformance::MakeFullSession;
using conformance::MakeSession;
using conformance::StoreSnapshot;
using conformance::TakeSnapshot;

const std::string kOversizedId(kMaxIdBytes + 1, 'x');
const std::string kOversizedText(kMaxTextFieldBytes + 1, 't');
const std::string kInvalidUtf8 = "ok\xc3\x28";  // A truncated 2-byte sequence.
const std::string kWithNul("a\0b", 3);

struct RecordCase {
  std::string field;  // What the message must name.
  std::function<void(SessionRecord&)> spoil;
};

std::vector<RecordCase> BadRecords() {
  std::vector<RecordCase> cases;
  for (const std::string& id :
       {std::string(), kOversizedId, kInvalidUtf8, kWithNul}) {
    cases.push_back({"session.id", [id](SessionRecord& r) { r.id = id; }});
  }
  for (const std::string& text : {kOversizedText, kInvalidUtf8, kWithNul}) {
    cases.push_back(
        {"session.agent", [text](SessionRecord& r) { r.agent = text; }});
    cases.push_back({"session.agentSessionId",
                     [text](SessionRecord& r) { r.agent_session_id = text; }});
    cases.push_back({"session.lastConnectionId", [text](SessionRecord& r) {
                       r.last_connection_id = text;
                     }});
    cases.push_back({"session.sandboxId",
                     [text](SessionRecord& r) { r.sandbox_id = text; }});
  }
  for (int64_t bad : {int64_t{-1}, kMaxSafeInteger + 1}) {
    cases.push_back(
        {"session.createdAt", [bad](SessionRecord& r) { r.created_at = bad; }});
    cases.push_back({"session.destroyedAt",
                     [bad](SessionRecord& r) { r.destroyed_at = bad; }});
  }
  // JSON fields: not JSON at all, and the wrong JSON shape.
  for (const std::string& json :
       {std::string(""), std::string("{"), std::string("[]"),
        std::string("null"), std::string("\"s\""), std::string("{} {}")}) {
    cases.push_back({"session.sessionInit",
                     [json](SessionRecord& r) { r.session_init_json = json; }});
  }
  for (const std::string& json :
       {std::string(""), std::string("[1,"), std::string("{}"),
        std::string("null"), std::string("3")}) {
    cases.push_back({"session.configOptions", [json](SessionRecord& r) {
                       r.config_options_json = json;
                     }});
  }
  for (const std::string& json :
       {std::string(""), std::string("nul"), std::string("[]"),
        std::string("\"plan\""), std::string("true")}) {
    cases.push_back(
        {"session.modes", [json](SessionRecord& r) { r.modes_json = json; }});
  }
  return cases;
}

struct EventCase {
  std::string field;
  std::function<void(SessionEvent&)> spoil;
};

std::vector<EventCase> BadEvents(int64_t max_payload_bytes) {
  std::vector<EventCase> cases;
  for (const std::string& id :
       {std::string(), kOversizedId, kInvalidUtf8, kWithNul}) {
    cases.push_back({"event.id", [id](SessionEvent& e) { e.id = id; }});
    cases.push_back(
        {"event.sessionId", [id](SessionEvent& e) { e.session_id = id; }});
  }
  for (int64_t bad : {int64_t{-1}, kMaxSafeInteger + 1,
                      std::numeric_limits<int64_t>::min()}) {
    cases.push_back(
        {"event.eventIndex", [bad](SessionEvent& e) { e.event_index = bad; }});
    cases.push_back(
        {"event.createdAt", [bad](SessionEvent& e) { e.created_at = bad; }});
  }
  for (const std::string& text : {kOversizedText, kInvalidUtf8, kWithNul}) {
    cases.push_back({"event.connectionId",
                     [text](SessionEvent& e) { e.connection_id = text; }});
  }
  for (uint8_t bad : {2, 7, 255}) {
    cases.push_back({"event.sender", [bad](SessionEvent& e) {
                       e.sender = static_cast<Sender>(bad);
                     }});
  }
  for (const std::string& json :
       {std::string(""), std::string("{"), std::string("not json"),
        std::string("{\"a\":1} trailing"), std::string("{\"a\":\"\xc3\x28\"}"),
        std::string(max_payload_bytes - 1, ' ') + "{}"}) {
    cases.push_back(
        {"event.payload", [json](SessionEvent& e) { e.payload_json = json; }});
  }
  return cases;
}

constexpr int64_t kPayloadCap = 256;

TEST_P(DriverConformanceTest, BadRecordsAreRefusedAndChangeNothing) {
  DriverOptions options;
  options.max_sessions = 2;  // A valid write would evict.
  ASSERT_NO_FATAL_FAILURE(OpenWith(options));
  SL_ASSERT_OK(driver().UpdateSession(MakeFullSession("kept", 100)));
  SL_ASSERT_OK(driver().UpdateSession(MakeSession("other", 200)));
  SL_ASSERT_OK(driver().InsertEvent(MakeEvent("kept", 1)));
  StoreSnapshot before;
  SL_ASSERT_OK_AND_ASSIGN(before, TakeSnapshot(driver(), {"kept", "other"}));

  for (const RecordCase& c : BadRecords()) {
    // A new record and a replacement of an existing one.
    for (const std::string& id : {std::string("new"), std::string("kept")}) {
      SessionRecord record = MakeSession(id, 300);
      c.spoil(record);
      SCOPED_TRACE(c.field + " on " + id);
      ExpectInvalidArgument(driver().UpdateSession(record), c.field);
    }
  }
  StoreSnapshot after;
  SL_ASSERT_OK_AND_ASSIGN(after, TakeSnapshot(driver(), {"kept", "other"}));
  EXPECT_EQ(after, before);
}

TEST_P(DriverConformanceTest, BadEventsAreRefusedAndChangeNothing) {
  DriverOptions options;
  options.max_payload_bytes = kPayloadCap;
  ASSERT_NO_FATAL_FAILURE(OpenWith(options));
  SL_ASSERT_OK(driver().UpdateSession(MakeSession("s", 100)));
  SL_ASSERT_OK(driver().InsertEvent(MakeEvent("s", 1)));
  StoreSnapshot before;
  SL_ASSERT_OK_AND_ASSIGN(before, TakeSnapshot(driver(), {"s"}));

  for (const EventCase& c : BadEvents(kPayloadCap)) {
    SessionEvent event = MakeEvent("s", 2);
    event.payload_json = "{}";
    c.spoil(event);
    SCOPED_TRACE(c.field);
    ExpectInvalidArgument(driver().InsertEvent(event), c.field);
    // In a batch the first bad event is named by its position.
    absl::Status status = driver().InsertEvents({MakeEvent("s", 3), event});
    ExpectInvalidArgument(status, c.field);
    ExpectInvalidArgument(status, "events[1]");
  }
  StoreSnapshot after;
  SL_ASSERT_OK_AND_ASSIGN(after, TakeSnapshot(driver(), {"s"}));
  EXPECT_EQ(after, before);

  // Exactly at the cap is fine; any JSON value is a payload.
  SessionEvent at_cap = MakeEvent("s", 2);
  at_cap.payload_json = std::string(kPayloadCap - 2, ' ') + "{}";
  SL_EXPECT_OK(driver().InsertEvent(at_cap));
  for (const char* json : {"null", "3", "\"text\"", "[1,{\"a\":[]}]"}) {
    SessionEvent any = MakeEvent("s", 10);
    any.id = json;
    any.event_index = 10 + static_cast<int64_t>(std::string(json).size());
    any.payload_json = json;
    SL_EXPECT_OK(driver().InsertEvent(any));
  }
}

TEST_P(DriverConformanceTest, BadArgumentsToReadsAreRefused) {
  for (const std::string& id :
       {std::string(), kOversizedId, kInvalidUtf8, kWithNul}) {
    SCOPED_TRACE(absl::CHexEscape(id.substr(0, 8)));
    EXPECT_EQ(driver().GetSession(id).status().code(),
              absl::StatusCode::kInvalidArgument);
    ExpectInvalidArgument(driver().ListEvents({id, "", 0}).status(),
                          "sessionId");
    ExpectInvalidArgument(driver().LastEvents(id, 1).status(), "sessionId");
    ExpectInvalidArgument(driver().HighestEventIndex(id).status(), "sessionId");
    EXPECT_EQ(driver().DeleteSession(id).code(),
              absl::StatusCode::kInvalidArgument);
  }
  for (int64_t count : {int64_t{0}, int64_t{-1}, kMaxPageLimit + 1}) {
    ExpectInvalidArgument(driver().LastEvents("s", count).status(), "count");
  }
}

}  // namespace
}  // namespace sessionlog
