// What a service does first with the front door alone: open a store, write a
// session, read its newest events and its replay text.
#include <sessionlog/sessionlog.h>

#include <memory>
#include <string>

#include "gtest/gtest.h"

namespace sessionlog {
namespace {

TEST(SessionlogHeaderTest, OpenWriteReadReplay) {
  absl::StatusOr<std::unique_ptr<SessionPersistDriver>> store = Open("memory:");
  ASSERT_TRUE(store.ok()) << store.status();
  SessionRecord record;
  record.id = "s1";
  record.agent = "mock";
  record.last_connection_id = "c1";
  record.created_at = 1;
  ASSERT_TRUE((*store)->UpdateSession(record).ok());
  for (int64_t index = 1; index <= 3; ++index) {
    SessionEvent event;
    event.id = "e" + std::to_string(index);
    event.event_index = index;
    event.session_id = "s1";
    event.created_at = 10 + index;
    event.connection_id = "c1";
    event.sender = Sender::kClient;
    event.payload_json = "{\"n\":" + std::to_string(index) + "}";
    ASSERT_TRUE((*store)->InsertEvent(event).ok());
  }
  absl::StatusOr<std::vector<SessionEvent>> last =
      (*store)->LastEvents("s1", 2);
  ASSERT_TRUE(last.ok()) << last.status();
  ASSERT_EQ(last->size(), 2u);
  EXPECT_EQ((*last)[0].event_index, 2);
  EXPECT_EQ((*last)[1].event_index, 3);
  absl::StatusOr<std::optional<std::string>> text =
      ReplayTextForSession(**store, "s1", 1);
  ASSERT_TRUE(text.ok()) << text.status();
  ASSERT_TRUE(text->has_value());
  EXPECT_EQ(**text, std::string(kReplayPrefix) +
                        "{\"createdAt\":13,\"sender\":\"client\",\"payload\":"
                        "{\"n\":3}}\n");
  EXPECT_STREQ(kVersion, SESSIONLOG_VERSION_STRING);
}

} // namespace
} // namespace sessionlog
