#include "tools/sessionlog/envelope.h"

#include "gtest/gtest.h"

namespace sessionlog {
namespace cli {
namespace {

TEST(EnvelopeTest, PromptShowsMethodAndText) {
  EnvelopeSummary s = SummarizeEnvelope(
      R"({"jsonrpc":"2.0","id":1,"method":"session/prompt","params":{"sessionId":"a","prompt":[{"type":"text","text":"hi"},{"type":"text","text":"there"}]}})");
  EXPECT_EQ(s.method, "session/prompt");
  EXPECT_EQ(s.text, "hi there");
}

TEST(EnvelopeTest, UpdateShowsItsKindAndContent) {
  EnvelopeSummary s = SummarizeEnvelope(
      R"({"jsonrpc":"2.0","method":"session/update","params":{"update":{"sessionUpdate":"agent_message_chunk","content":{"type":"text","text":"Hi"}}}})");
  EXPECT_EQ(s.method, "session/update:agent_message_chunk");
  EXPECT_EQ(s.text, "Hi");
  s = SummarizeEnvelope(
      R"({"jsonrpc":"2.0","method":"session/update","params":{"update":{"sessionUpdate":"tool_call_update","toolCallId":"c","status":"completed","content":[{"type":"content","content":{"type":"text","text":"ok"}}]}}})");
  EXPECT_EQ(s.method, "session/update:tool_call_update");
  EXPECT_EQ(s.text, "completed: ok");
}

// nlohmann::json cannot hold a lone UTF-16 surrogate escape (half an emoji,
// as JSON.stringify writes it): the summary shows U+FFFD in its place.
TEST(EnvelopeTest, LoneSurrogatesShowAsReplacementCharacters) {
  EnvelopeSummary s = SummarizeEnvelope(
      R"({"jsonrpc":"2.0","method":"session/update","params":{"update":{"sessionUpdate":"agent_message_chunk","content":{"type":"text","text":"half \ud83d"}}}})");
  EXPECT_EQ(s.method, "session/update:agent_message_chunk");
  EXPECT_EQ(s.text, "half \xef\xbf\xbd");
}

TEST(EnvelopeTest, ResponsesNameTheirRequest) {
  EnvelopeSummary s = SummarizeEnvelope(
      R"({"jsonrpc":"2.0","id":2,"result":{"stopReason":"end_turn"}})");
  EXPECT_EQ(s.method, "result #2");
  EXPECT_EQ(s.text, "stopReason: end_turn");
  s = SummarizeEnvelope(
      R"({"jsonrpc":"2.0","id":"x","error":{"code":-1,"message":"boom"}})");
  EXPECT_EQ(s.method, "error #x");
  EXPECT_EQ(s.text, "boom");
}

TEST(EnvelopeTest, AnythingElseIsShownAsIs) {
  EXPECT_EQ(SummarizeEnvelope("[1,2]").method, "?");
  EXPECT_EQ(SummarizeEnvelope("[1,2]").text, "[1,2]");
  EXPECT_EQ(SummarizeEnvelope(R"({"dup":"same id"})").text,
            R"({"dup":"same id"})");
}

}  // namespace
}  // namespace cli
}  // namespace sessionlog
