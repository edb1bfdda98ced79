// The parts of the client's session API that the SDK lacks or that a
// service leans on, against the real server and the scripted agent:
// Cancel, asynchronous prompts, several listeners with Unsubscribe, a
// permission answered later from another thread, two sessions' turns at
// once on one agent process, agent listing.

#include <atomic>
#include <cstdlib>
#include <future>
#include <memory>
#include <mutex>
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

  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<Client> client_;
};

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
