#include "api/internal/validation.h"

#include <string>

#include "gtest/gtest.h"
#include "tests/testing/records.h"

namespace sessionlog {
namespace {

SessionEvent ValidEvent() { return test::MakeEvent("s1", 1); }

void ExpectInvalid(const absl::Status& status, const std::string& field) {
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_NE(status.message().find(field), std::string::npos) << status;
}

TEST(ValidationTest, AcceptsAValidEvent) {
  EXPECT_TRUE(ValidateSessionEvent(ValidEvent(), DriverOptions()).ok());
}

TEST(ValidationTest, NamesTheFieldAtFault) {
  DriverOptions options;
  SessionEvent e = ValidEvent();
  e.id = "";
  ExpectInvalid(ValidateSessionEvent(e, options), "event.id");
  e = ValidEvent();
  e.session_id = std::string("a\0b", 3);
  ExpectInvalid(ValidateSessionEvent(e, options), "event.sessionId");
  e = ValidEvent();
  e.session_id = "\xff\xfe";
  ExpectInvalid(ValidateSessionEvent(e, options), "event.sessionId");
  e = ValidEvent();
  e.session_id = std::string(kMaxIdBytes + 1, 'x');
  ExpectInvalid(ValidateSessionEvent(e, options), "event.sessionId");
  e = ValidEvent();
  e.event_index = -1;
  ExpectInvalid(ValidateSessionEvent(e, options), "event.eventIndex");
  e = ValidEvent();
  e.event_index = kMaxSafeInteger + 1;
  ExpectInvalid(ValidateSessionEvent(e, options), "event.eventIndex");
  e = ValidEvent();
  e.payload_json = "{not json";
  ExpectInvalid(ValidateSessionEvent(e, options), "event.payload");
  e = ValidEvent();
  e.payload_json = "{} {}";
  ExpectInvalid(ValidateSessionEvent(e, options), "event.payload");
  e = ValidEvent();
  e.sender = static_cast<Sender>(7);
  ExpectInvalid(ValidateSessionEvent(e, options), "event.sender");
}

TEST(ValidationTest, EnforcesThePayloadCap) {
  DriverOptions options;
  options.max_payload_bytes = 16;
  SessionEvent e = ValidEvent();
  e.payload_json = R"({"k":"0123456789"})";
  ExpectInvalid(ValidateSessionEvent(e, options), "event.payload");
}

TEST(ValidationTest, ChecksTheShapeOfRecordJsonFields) {
  SessionRecord r;
  r.id = "s1";
  r.modes_json = "null";
  EXPECT_TRUE(ValidateSessionRecord(r).ok());
  r.modes_json = "[]";
  ExpectInvalid(ValidateSessionRecord(r), "session.modes");
  r.modes_json.reset();
  r.config_options_json = "{}";
  ExpectInvalid(ValidateSessionRecord(r), "session.configOptions");
  r.config_options_json.reset();
  r.session_init_json = "null";
  ExpectInvalid(ValidateSessionRecord(r), "session.sessionInit");
}

// JSON allows lone UTF-16 surrogate escapes and JavaScript writes them
// (JSON.stringify of half an emoji), so TS stores hold them.
TEST(ValidationTest, AcceptsLoneSurrogateEscapesInJsonFields) {
  SessionEvent e = ValidEvent();
  for (const char* payload :
       {R"({"text":"\ud83d"})", R"({"text":"\uDE00x"})", R"("\udbff")",
        R"(["a\ud800\u0041","\udc00\ud800",{"\ud83d":1}])"}) {
    e.payload_json = payload;
    EXPECT_TRUE(ValidateSessionEvent(e, DriverOptions()).ok()) << payload;
  }
  SessionRecord r = test::MakeSession("s1", 1);
  r.session_init_json = R"({"cwd":"/\ud83d"})";
  r.config_options_json = R"(["\udc00"])";
  r.modes_json = R"({"currentModeId":"\ud800"})";
  EXPECT_TRUE(ValidateSessionRecord(r).ok()) << ValidateSessionRecord(r);
}

TEST(ValidationTest, LoneSurrogateEscapesDoNotExcuseOtherFaults) {
  SessionEvent e = ValidEvent();
  for (const char* payload :
       {R"({"text":"\ud83d",})", R"({"text":"\ud83d")", R"("\ud83d" x)",
        "\"\\ud83d\xff\"", R"({"a":"\ud83d\x"})"}) {
    e.payload_json = payload;
    ExpectInvalid(ValidateSessionEvent(e, DriverOptions()), "event.payload");
  }
  SessionRecord r = test::MakeSession("s1", 1);
  r.session_init_json = R"("\ud83d")";
  ExpectInvalid(ValidateSessionRecord(r), "session.sessionInit");
}

TEST(ValidationTest, PageLimits) {
  EXPECT_EQ(*NormalizePageLimit(0), kDefaultPageLimit);
  EXPECT_EQ(*NormalizePageLimit(7), 7);
  ExpectInvalid(NormalizePageLimit(-1).status(), "limit");
  ExpectInvalid(NormalizePageLimit(kMaxPageLimit + 1).status(), "limit");
}

TEST(ValidationTest, DuplicateEventIsNoOpOnlyWhenIdentical) {
  SessionEvent stored = ValidEvent();
  EXPECT_TRUE(CheckDuplicateEvent(stored, stored).ok());
  SessionEvent other = stored;
  other.id = "e2";
  absl::Status s = CheckDuplicateEvent(stored, other);
  EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(s.message().find("UNIQUE constraint failed: events.session_id, "
                             "events.event_index"),
            std::string::npos);
}

}  // namespace
}  // namespace sessionlog
