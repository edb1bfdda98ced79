// The parts of the client's session API that the SDK lacks or that a
// service leans on, against the real server and the scripted agent:
// Cancel, asynchronous prompts, several listeners with Unsubscribe, a
// permission answered later from another thread, two sessions' turns at
// once on one agent process, agent listing, and stored sessions forked or
// rewound (SessionPersistDriver::ForkSession / RewindSession) and then
// continued with a live agent.

#include <atomic>
#include <cstdlib>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "api/client/client.h"
#include "engine/memory/memory_driver.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/e2e/server_process.h"

namespace sessionlog {
namespace {

using Json = nlohmann::json;

std::string Blocks(const std::string& text) {
  return Json::array({{{"type", "text"}, {"text", text}}}).dump();
}

class ClientSessionApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<ServerProcess>> server =
        ServerProcess::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    absl::Status s = server_->InstallScriptedAgent();
    ASSERT_TRUE(s.ok()) << s;
    ClientOptions options;
    options.base_url = server_->base_url();
    DriverOptions driver_options;
    driver_options.max_events_per_session = kNoLimit;
    options.driver = std::move(*OpenMemoryDriver(driver_options));
    absl::StatusOr<std::unique_ptr<Client>> client = Client::Connect(options);
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = *std::move(client);
  }

  SessionRecord Create(const std::string& id) {
    CreateSessionRequest request;
    request.agent = "mock";
    request.id = id;
    request.cwd = "/tmp";
    absl::StatusOr<SessionRecord> record = client_->CreateSession(request);
    EXPECT_TRUE(record.ok()) << record.status();
    return record.ok() ? *record : SessionRecord();
  }

  std::vector<Json> Payloads(const std::string& id) {
    ListEventsRequest request;
    request.session_id = id;
    request.limit = kMaxPageLimit;
    std::vector<Json> out;
    absl::StatusOr<Page<SessionEvent>> page = client_->ListEvents(request);
    EXPECT_TRUE(page.ok()) << page.status();
    if (page.ok()) {
      for (const SessionEvent& e : page->items) {
        out.push_back(Json::parse(e.payload_json));
      }
    }
    return out;
  }

  std::vector<SessionEvent> Events(const std::string& id) {
    ListEventsRequest request;
    request.session_id = id;
    request.limit = kMaxPageLimit;
    absl::StatusOr<Page<SessionEvent>> page = client_->ListEvents(request);
    EXPECT_TRUE(page.ok()) << page.status();
    return page.ok() ? page->items : std::vector<SessionEvent>{};
  }

  // Creates `id` and runs one echoed turn per text; returns the index of the
  // last event of each turn (its result).
  std::vector<int64_t> CreateWithTurns(const std::string& id,
                                       const std::vector<std::string>& texts) {
    Create(id);
    std::vector<int64_t> ends;
    for (const std::string& text : texts) {
      absl::StatusOr<PromptResult> result = client_->Prompt(id, text);
      EXPECT_TRUE(result.ok()) << result.status();
      absl::StatusOr<std::optional<int64_t>> highest =
          client_->driver().HighestEventIndex(id);
      EXPECT_TRUE(highest.ok() && highest->has_value());
      ends.push_back(highest.ok() ? highest->value_or(0) : 0);
    }
    return ends;
  }

  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<Client> client_;
};

// The text blocks of the session/prompt envelopes among `events`.
std::vector<Json> PromptBlocks(const std::vector<SessionEvent>& events) {
  std::vector<Json> prompts;
  for (const SessionEvent& e : events) {
    Json payload = Json::parse(e.payload_json);
    if (payload.value("method", "") == "session/prompt") {
      prompts.push_back(payload["params"]["prompt"]);
    }
  }
  return prompts;
}

// What a continued session must look like after `kept` (its history up to
// through_index, as forked or rewound): those events unchanged, then a new
// agent session and one turn whose prompt starts with the replay of exactly
// `kept`, all at the indexes that follow through_index.
void ExpectContinuedAfter(const std::vector<SessionEvent>& kept,
                          const std::vector<SessionEvent>& now,
                          const std::string& replay, const std::string& text) {
  ASSERT_GT(now.size(), kept.size());
  const int64_t through_index = kept.back().event_index;
  for (size_t i = 0; i < kept.size(); ++i) {
    EXPECT_EQ(now[i].event_index, kept[i].event_index);
    EXPECT_EQ(now[i].payload_json, kept[i].payload_json);
  }
  std::vector<SessionEvent> added(now.begin() + kept.size(), now.end());
  for (size_t i = 0; i < added.size(); ++i) {
    EXPECT_EQ(added[i].event_index,
              through_index + 1 + static_cast<int64_t>(i));
  }
  // The new agent session, then the turn.
  EXPECT_EQ(Json::parse(added.front().payload_json)["method"], "session/new");
  std::vector<Json> prompts = PromptBlocks(added);
  ASSERT_EQ(prompts.size(), 1u);
  ASSERT_EQ(prompts[0].size(), 2u) << prompts[0].dump().substr(0, 2000);
  EXPECT_EQ(prompts[0][0]["text"], replay);
  EXPECT_EQ(prompts[0][1]["text"], text);
  EXPECT_EQ(Json::parse(added.back().payload_json)["result"]["stopReason"],
            "end_turn");
  // The agent heard one block of history, and answered the turn's text.
  std::string chunks;
  for (const SessionEvent& e : added) chunks += e.payload_json;
  EXPECT_TRUE(absl::StrContains(chunks, "with 1 earlier text block(s)"));
  EXPECT_TRUE(absl::StrContains(chunks, "echo: " + text));
}

TEST_F(ClientSessionApiTest, CancelEndsARunningTurnAndIsStored) {
  Create("s1");
  std::atomic<int> chunks{0};
  client_->AddEventListener("s1", [&](const SessionEvent& e) {
    if (absl::StrContains(e.payload_json, "agent_message_chunk")) ++chunks;
  });
  std::promise<std::string> done;
  auto turn = client_->PromptAsync(
      "s1", Blocks("stream 1000 100000"),
      [&](const absl::StatusOr<PromptResult>& r) {
        done.set_value(r.ok() ? r->stop_reason : r.status().ToString());
      });
  absl::Time give_up = absl::Now() + absl::Seconds(20);
  while (chunks < 5 && absl::Now() < give_up) absl::SleepFor(absl::Milliseconds(10));
  ASSERT_GE(chunks, 5);
  absl::Time cancelled_at = absl::Now();
  ASSERT_TRUE(client_->Cancel("s1").ok());
  absl::StatusOr<PromptResult> result = turn.get();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->stop_reason, "cancelled");
  EXPECT_LT(absl::Now() - cancelled_at, absl::Seconds(5));
  EXPECT_EQ(done.get_future().get(), "cancelled");  // The callback too.
  // session/cancel stored, before the turn's result, which is last.
  std::vector<Json> payloads = Payloads("s1");
  int cancel_at = -1;
  for (size_t i = 0; i < payloads.size(); ++i) {
    if (payloads[i].value("method", "") == "session/cancel") cancel_at = i;
  }
  ASSERT_GE(cancel_at, 0);
  EXPECT_EQ(payloads.back()["result"]["stopReason"], "cancelled");
  // Cancel with nothing running is fine; the session goes on.
  EXPECT_TRUE(client_->Cancel("s1").ok());
  absl::StatusOr<PromptResult> next = client_->Prompt("s1", "hello");
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->stop_reason, "end_turn");
}

TEST_F(ClientSessionApiTest, ListenersHearEveryEventBeforePromptReturnsAndStopOnUnsubscribe) {
  Create("s1");
  std::mutex mu;
  std::vector<int64_t> first, second;
  SubscriptionId a = client_->AddEventListener("s1", [&](const SessionEvent& e) {
    std::lock_guard<std::mutex> lock(mu);
    first.push_back(e.event_index);
  });
  client_->AddEventListener("", [&](const SessionEvent& e) {
    std::lock_guard<std::mutex> lock(mu);
    second.push_back(e.event_index);
  });
  ASSERT_TRUE(client_->Prompt("s1", "stream 50 500").ok());
  {
    std::lock_guard<std::mutex> lock(mu);
    // prompt, 50 updates, result; in stored order, all heard already.
    ASSERT_EQ(first.size(), 52u);
    for (size_t i = 1; i < first.size(); ++i) EXPECT_EQ(first[i], first[i - 1] + 1);
    EXPECT_EQ(second, first);
  }
  client_->Unsubscribe(a);
  ASSERT_TRUE(client_->Prompt("s1", "again").ok());
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(first.size(), 52u);
  EXPECT_EQ(second.size(), 52u + 3u);
}

TEST_F(ClientSessionApiTest, PermissionAnsweredLaterFromAnotherThread) {
  Create("s1");
  std::promise<PermissionRequest> asked;
  client_->AddPermissionHandler(
      "s1", [&](const PermissionRequest& r) { asked.set_value(r); });
  auto turn = client_->PromptAsync("s1", Blocks("permission"));
  PermissionRequest request = asked.get_future().get();
  EXPECT_EQ(request.session_id, "s1");
  EXPECT_EQ(request.available_replies,
            (std::vector<std::string>{"once", "always", "reject"}));
  EXPECT_TRUE(absl::StrContains(request.tool_call_json, "Edit README.md"));
  std::thread answer([&] {
    absl::SleepFor(absl::Milliseconds(300));
    EXPECT_TRUE(client_->RespondPermission(request.id, PermissionReply::kAlways).ok());
  });
  absl::StatusOr<PromptResult> result = turn.get();
  answer.join();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(client_->RespondPermission(request.id, PermissionReply::kOnce).code(),
            absl::StatusCode::kNotFound);  // Answered already.
  bool reported = false;
  for (const Json& p : Payloads("s1")) {
    reported = reported || absl::StrContains(p.dump(), "yes-always");
  }
  EXPECT_TRUE(reported);
  // The answer itself is not stored (as in the SDK); the request is.
  int requests = 0;
  for (const Json& p : Payloads("s1")) {
    requests += p.value("method", "") == "session/request_permission";
    EXPECT_FALSE(p.contains("result") && p["result"].contains("outcome"));
  }
  EXPECT_EQ(requests, 1);
}

TEST_F(ClientSessionApiTest, TwoSessionsTurnAtOnceOnOneAgentProcess) {
  SessionRecord a = Create("a");
  SessionRecord b = Create("b");
  EXPECT_EQ(a.last_connection_id, b.last_connection_id);
  auto ta = client_->PromptAsync("a", Blocks("stream 40 2000"));
  auto tb = client_->PromptAsync("b", Blocks("stream 40 2000"));
  absl::Time start = absl::Now();
  ASSERT_TRUE(ta.get().ok());
  ASSERT_TRUE(tb.get().ok());
  EXPECT_LT(absl::Now() - start, absl::Seconds(3.5));  // Not one after the other.
  for (const std::string id : {"a", "b"}) {
    std::vector<Json> payloads = Payloads(id);
    ASSERT_EQ(payloads.size(), 2u + 1u + 40u + 1u) << id;
    EXPECT_EQ(payloads.back()["result"]["stopReason"], "end_turn");
    for (size_t i = 3; i + 1 < payloads.size(); ++i) {
      EXPECT_EQ(payloads[i]["params"]["sessionId"],
                client_->GetSession(id)->agent_session_id.value());
    }
  }
}

TEST_F(ClientSessionApiTest, AForkResumesWithItsOwnHistoryOnlyAndLeavesTheSourceAlone) {
  std::vector<int64_t> ends =
      CreateWithTurns("src", {"alpha one", "bravo two", "charlie three"});
  ASSERT_EQ(ends.size(), 3u);
  const std::vector<SessionEvent> source_before = Events("src");
  const SessionRecord source_record = *client_->GetSession("src");
  // Through the end of the first turn.
  const int64_t through_index = ends[0];
  ASSERT_TRUE(client_->driver().ForkSession("src", "fork", through_index).ok());

  absl::StatusOr<SessionRecord> fork = client_->GetSession("fork");
  ASSERT_TRUE(fork.ok()) << fork.status();
  EXPECT_FALSE(fork->agent_session_id.has_value());
  std::vector<SessionEvent> kept = Events("fork");
  ASSERT_EQ(kept.size(), static_cast<size_t>(through_index));
  absl::StatusOr<std::optional<std::string>> replay =
      client_->ReplayText("fork");
  ASSERT_TRUE(replay.ok() && replay->has_value()) << replay.status();
  EXPECT_TRUE(absl::StrContains(**replay, "alpha one"));
  EXPECT_FALSE(absl::StrContains(**replay, "bravo two"));
  EXPECT_FALSE(absl::StrContains(**replay, "charlie three"));

  absl::StatusOr<SessionRecord> resumed = client_->ResumeSession("fork");
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  ASSERT_TRUE(resumed->agent_session_id.has_value());
  EXPECT_NE(resumed->agent_session_id, source_record.agent_session_id);
  absl::StatusOr<PromptResult> turn = client_->Prompt("fork", "delta four");
  ASSERT_TRUE(turn.ok()) << turn.status();
  EXPECT_EQ(turn->stop_reason, "end_turn");
  ExpectContinuedAfter(kept, Events("fork"), **replay, "delta four");

  // The source: the same events, ids included, and the same record; and it
  // goes on with its own agent session, without a replay.
  const std::vector<SessionEvent> source_after = Events("src");
  ASSERT_EQ(source_after.size(), source_before.size());
  for (size_t i = 0; i < source_after.size(); ++i) {
    EXPECT_EQ(source_after[i].id, source_before[i].id);
    EXPECT_EQ(source_after[i].event_index, source_before[i].event_index);
    EXPECT_EQ(source_after[i].payload_json, source_before[i].payload_json);
  }
  EXPECT_EQ(client_->GetSession("src")->agent_session_id,
            source_record.agent_session_id);
  ASSERT_TRUE(client_->Prompt("src", "echo on").ok());
  std::vector<Json> prompts = PromptBlocks(Events("src"));
  ASSERT_EQ(prompts.size(), 4u);
  EXPECT_EQ(prompts.back().size(), 1u);
}

// The session is still bound to its agent session, which heard the turns
// that the rewind dropped: the client must not go on with it.
TEST_F(ClientSessionApiTest, ARewoundLiveSessionResumesWithoutTheDroppedTurns) {
  std::vector<int64_t> ends =
      CreateWithTurns("s1", {"alpha one", "bravo two", "charlie three"});
  ASSERT_EQ(ends.size(), 3u);
  const std::string agent_session =
      client_->GetSession("s1")->agent_session_id.value_or("");
  const int64_t through_index = ends[0];
  ASSERT_TRUE(client_->driver().RewindSession("s1", through_index).ok());
  std::vector<SessionEvent> kept = Events("s1");
  ASSERT_EQ(kept.back().event_index, through_index);
  absl::StatusOr<std::optional<std::string>> replay = client_->ReplayText("s1");
  ASSERT_TRUE(replay.ok() && replay->has_value()) << replay.status();
  EXPECT_TRUE(absl::StrContains(**replay, "alpha one"));
  EXPECT_FALSE(absl::StrContains(**replay, "bravo two"));

  absl::StatusOr<SessionRecord> resumed = client_->ResumeSession("s1");
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  EXPECT_NE(resumed->agent_session_id.value_or(""), agent_session);
  absl::StatusOr<PromptResult> turn = client_->Prompt("s1", "delta four");
  ASSERT_TRUE(turn.ok()) << turn.status();
  ExpectContinuedAfter(kept, Events("s1"), **replay, "delta four");
  // Once resumed, the session goes on as any other: no second replay.
  ASSERT_TRUE(client_->Prompt("s1", "echo on").ok());
  EXPECT_EQ(PromptBlocks(Events("s1")).back().size(), 1u);
}

// The same without an explicit ResumeSession: the next prompt notices the
// rewind by itself.
TEST_F(ClientSessionApiTest, APromptAfterARewindReplaysOnlyWhatIsLeft) {
  std::vector<int64_t> ends = CreateWithTurns("s1", {"alpha one", "bravo two"});
  ASSERT_EQ(ends.size(), 2u);
  ASSERT_TRUE(client_->driver().RewindSession("s1", ends[0]).ok());
  std::vector<SessionEvent> kept = Events("s1");
  absl::StatusOr<std::optional<std::string>> replay = client_->ReplayText("s1");
  ASSERT_TRUE(replay.ok() && replay->has_value()) << replay.status();
  absl::StatusOr<PromptResult> turn = client_->Prompt("s1", "delta four");
  ASSERT_TRUE(turn.ok()) << turn.status();
  ExpectContinuedAfter(kept, Events("s1"), **replay, "delta four");
}

TEST_F(ClientSessionApiTest, AgentsAreListedAndInstalled) {
  absl::StatusOr<std::string> agents = client_->ListAgents();
  ASSERT_TRUE(agents.ok()) << agents.status();
  EXPECT_TRUE(absl::StrContains(*agents, "\"mock\""));
  absl::StatusOr<std::string> mock = client_->GetAgent("mock", true);
  ASSERT_TRUE(mock.ok()) << mock.status();
  EXPECT_TRUE(absl::StrContains(*mock, "configOptions"));
  EXPECT_FALSE(client_->GetAgent("no-such-agent").ok());
  absl::StatusOr<std::string> installed = client_->InstallAgent("mock");
  ASSERT_TRUE(installed.ok()) << installed.status();
  // Installing again put the built-in mock back; the scripted one returns.
  ASSERT_TRUE(server_->InstallScriptedAgent().ok());
}

}  // namespace
}  // namespace sessionlog
