#include "api/client/sse.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace sessionlog {
namespace {

std::vector<std::string> FeedAll(SseParser& parser,
                                 const std::vector<std::string>& chunks) {
  std::vector<std::string> messages;
  for (const std::string& chunk : chunks) {
    parser.Feed(chunk,
                [&](const std::string& data) { messages.push_back(data); });
  }
  return messages;
}

TEST(SseParserTest, DeliversMessagesAndTracksIds) {
  SseParser parser;
  std::vector<std::string> messages =
      FeedAll(parser, {"event: message\nid: 1\ndata: {\"a\":1}\n\n",
                       "id: 2\ndata:  {\"b\":2}\n\n"});
  EXPECT_EQ(messages, (std::vector<std::string>{"{\"a\":1}", "{\"b\":2}"}));
  EXPECT_EQ(parser.last_event_id(), "2");
}

TEST(SseParserTest, ReassemblesEventsSplitAnywhere) {
  const std::string body =
      "event: message\r\nid: 7\r\ndata: {\"x\":\r\ndata: 1}\r\n\r\n"
      ": keep-alive\r\n\r\nid: 8\r\ndata: [2]\r\n\r\n";
  for (size_t cut = 1; cut < body.size(); ++cut) {
    SseParser parser;
    std::vector<std::string> messages =
        FeedAll(parser, {body.substr(0, cut), body.substr(cut)});
    EXPECT_EQ(messages, (std::vector<std::string>{"{\"x\":\n1}", "[2]"}))
        << "cut at " << cut;
    EXPECT_EQ(parser.last_event_id(), "8");
  }
}

TEST(SseParserTest, SkipsOtherEventsButKeepsTheirIds) {
  SseParser parser;
  std::vector<std::string> messages =
      FeedAll(parser, {"event: ping\nid: 3\ndata: x\n\nid: 4\n\ndata:   \n\n"});
  EXPECT_TRUE(messages.empty());
  EXPECT_EQ(parser.last_event_id(), "4");
}

TEST(SseParserTest, ResetDropsAPartialEvent) {
  SseParser parser;
  EXPECT_TRUE(FeedAll(parser, {"id: 5\ndata: {\"cut"}).empty());
  parser.Reset();
  EXPECT_EQ(FeedAll(parser, {"data: 1\n\n"}), (std::vector<std::string>{"1"}));
}

}  // namespace
}  // namespace sessionlog
