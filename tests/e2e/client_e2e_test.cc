// End-to-end: the thin client against the real sandbox-agent server binary
// (SANDBOX_AGENT_BIN) and its built-in mock agent, which echoes every request
// back in its reply and as a "mock/echo" notification on the event stream.
// Each test runs its own server on a free port of 127.0.0.1 and kills it.

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "api/client/client.h"
#include "schema/js_json.h"
#include "engine/open.h"
#include "engine/memory/memory_driver.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/e2e/server_process.h"
#include "tests/oracle/oracle_runner.h"

namespace sessionlog {
namespace {

std::vector<SessionEvent> AllEvents(Client& client, const std::string& id) {
  std::vector<SessionEvent> events;
  ListEventsRequest request;
  request.session_id = id;
  while (true) {
    absl::StatusOr<Page<SessionEvent>> page = client.ListEvents(request);
    EXPECT_TRUE(page.ok()) << page.status();
    if (!page.ok()) break;
    events.insert(events.end(), page->items.begin(), page->items.end());
    if (!page->next_cursor) break;
    request.cursor = *page->next_cursor;
  }
  return events;
}

absl::StatusOr<SessionRecord> CreateMockSession(Client& client) {
  CreateSessionRequest request;
  request.agent = "mock";
  return client.CreateSession(request);
}

std::shared_ptr<SessionPersistDriver> NewMemoryStore() {
  return std::move(*OpenMemoryDriver(DriverOptions()));
}

nlohmann::json Payload(const SessionEvent& event) {
  return nlohmann::json::parse(event.payload_json);
}

// The session's events are its envelopes, in order: indexes 1..n without a
// gap, every request stored before its reply, and one connection per binding.
void ExpectWellFormedLog(const std::vector<SessionEvent>& events) {
  absl::flat_hash_map<std::string, int64_t> request_at;  // "conn/id" -> index
  int64_t previous_created_at = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    const SessionEvent& e = events[i];
    EXPECT_EQ(e.event_index, static_cast<int64_t>(i) + 1);
    EXPECT_GE(e.created_at, previous_created_at);
    previous_created_at = e.created_at;
    EXPECT_FALSE(e.connection_id.empty());
    nlohmann::json p = Payload(e);
    EXPECT_EQ(p["jsonrpc"], "2.0");
    std::string key = absl::StrCat(e.connection_id, "/",
                                   p.contains("id") ? p["id"].dump() : "");
    if (e.sender == Sender::kClient && p.contains("id")) {
      request_at[key] = e.event_index;
    }
    if (e.sender == Sender::kAgent && p.contains("result")) {
      ASSERT_TRUE(request_at.contains(key)) << "reply before request: " << key;
      EXPECT_LT(request_at[key], e.event_index);
    }
  }
}

TEST(ClientE2ETest, CreateAndPromptStoreEveryEnvelopeInOrder) {
  absl::StatusOr<std::unique_ptr<ServerProcess>> server =
      ServerProcess::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  ClientOptions options;
  options.base_url = (*server)->base_url();
  options.driver = NewMemoryStore();
  std::shared_ptr<SessionPersistDriver> driver =
      std::move(*OpenMemoryDriver(DriverOptions()));
  options.driver = driver;
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Connect(options);
  ASSERT_TRUE(client.ok()) << client.status();
  std::vector<SessionEvent> heard;
  absl::Mutex heard_mu;
  (*client)->AddEventListener("", [&](const SessionEvent& e) {
    absl::MutexLock lock(&heard_mu);
    heard.push_back(e);
  });

  CreateSessionRequest request;
  request.agent = "mock";
  request.id = "e2e-session-1";
  request.cwd = "/tmp";
  absl::StatusOr<SessionRecord> record = (*client)->CreateSession(request);
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_EQ(record->agent, "mock");
  EXPECT_EQ(*record->session_init_json, R"({"cwd":"/tmp","mcpServers":[]})");

  const std::string text = "h\xC3\xA9llo \xF0\x9F\x98\x80 \"quoted\"\n";
  absl::StatusOr<PromptResult> reply = (*client)->Prompt(record->id, text);
  ASSERT_TRUE(reply.ok()) << reply.status();
  nlohmann::json echoed = nlohmann::json::parse(reply->reply_json);
  EXPECT_EQ(echoed["result"]["echoed"]["params"]["prompt"][0]["text"], text);

  std::vector<SessionEvent> events = AllEvents(**client, record->id);
  ExpectWellFormedLog(events);
  // initialize, session/new and session/prompt: each request, its reply, and
  // the mock's echo notification from the stream.
  int requests = 0, replies = 0, notifications = 0;
  for (const SessionEvent& e : events) {
    nlohmann::json p = Payload(e);
    EXPECT_EQ(e.connection_id, record->last_connection_id);
    if (e.sender == Sender::kClient) {
      ++requests;
    } else if (p.contains("method")) {
      ++notifications;
    } else {
      ++replies;
    }
  }
  // session/new and session/prompt, and their replies; initialize is not
  // stored (as in the SDK), nor are notifications that name no session.
  EXPECT_EQ(requests, 2);
  EXPECT_EQ(replies, 2);  // Each once, although the stream repeats them.
  EXPECT_GE(notifications, 0);
  EXPECT_EQ(Payload(events[0])["method"], "session/new");
  {
    absl::MutexLock lock(&heard_mu);
    EXPECT_EQ(heard.size(), events.size());
  }

  // Destroy keeps the record and its events, with destroyedAt set.
  absl::StatusOr<SessionRecord> destroyed =
      (*client)->DestroySession(record->id);
  ASSERT_TRUE(destroyed.ok()) << destroyed.status();
  EXPECT_TRUE(destroyed->destroyed_at.has_value());
  EXPECT_TRUE((*client)->GetSession(record->id)->destroyed_at.has_value());
  absl::StatusOr<Page<SessionRecord>> listed =
      (*client)->ListSessions(ListSessionsRequest());
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->items.size(), 1u);
  EXPECT_EQ(listed->items[0].id, record->id);
}

TEST(ClientE2ETest, ConcurrentPromptsKeepEachSessionsLogInOrder) {
  absl::StatusOr<std::unique_ptr<ServerProcess>> server =
      ServerProcess::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  ClientOptions options;
  options.base_url = (*server)->base_url();
  options.driver = NewMemoryStore();
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Connect(options);
  ASSERT_TRUE(client.ok()) << client.status();
  std::vector<std::string> ids;
  for (int s = 0; s < 2; ++s) {
    absl::StatusOr<SessionRecord> record = CreateMockSession(**client);
    ASSERT_TRUE(record.ok()) << record.status();
    ids.push_back(record->id);
  }
  // Four threads, two per session, five prompts each.
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) {
        if (!(*client)
                 ->Prompt(ids[t % 2], absl::StrCat("t", t, " p", i))
                 .ok()) {
          ++failures;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures, 0);
  for (const std::string& id : ids) {
    // 2 + 10 requests: the last prompt has request id 12.
    std::vector<SessionEvent> events = AllEvents(**client, id);
    ExpectWellFormedLog(events);
    int requests = 0;
    for (const SessionEvent& e : events) requests += e.sender == Sender::kClient;
    EXPECT_EQ(requests, 11);  // session/new and 10 prompts.
  }
}

// Restarts the test's server when the client's health rule asks.
class RestartingProvider : public ServerProvider {
 public:
  explicit RestartingProvider(ServerProcess* server) : server_(server) {}
  absl::Status EnsureServer(absl::string_view sandbox_id) override {
    absl::MutexLock lock(&mu_);
    ++calls_;
    sandbox_id_ = std::string(sandbox_id);
    return server_->running() ? absl::OkStatus() : server_->Restart();
  }
  int calls() {
    absl::MutexLock lock(&mu_);
    return calls_;
  }
  std::string sandbox_id() {
    absl::MutexLock lock(&mu_);
    return sandbox_id_;
  }

 private:
  absl::Mutex mu_;
  ServerProcess* server_;
  int calls_ = 0;
  std::string sandbox_id_;
};

TEST(ClientE2ETest, RestartedServerResumeInjectsTheSdksReplayText) {
  absl::StatusOr<std::unique_ptr<ServerProcess>> server =
      ServerProcess::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  RestartingProvider provider(server->get());
  ClientOptions options;
  options.base_url = (*server)->base_url();
  options.driver = NewMemoryStore();
  // The embedded default store this time.
  absl::StatusOr<std::unique_ptr<SessionPersistDriver>> store = Open(
      absl::StrCat("rocksdb:", std::getenv("TEST_TMPDIR"), "/restart-store"));
  ASSERT_TRUE(store.ok()) << store.status();
  options.driver = std::move(*store);
  options.provider = &provider;
  options.sandbox_id = "local/e2e";
  options.health_monitor_interval = absl::Milliseconds(200);
  options.replay_max_chars = 2000;  // Small enough to cut the history.
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Connect(options);
  ASSERT_TRUE(client.ok()) << client.status();

  absl::StatusOr<SessionRecord> record = CreateMockSession(**client);
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_EQ(record->sandbox_id, "local/e2e");
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(
        (*client)
            ->Prompt(record->id, absl::StrCat("turn ", i, " \xE2\x9C\x93"))
            .ok());
  }

  (*server)->Kill();
  absl::Time give_up = absl::Now() + absl::Seconds(30);
  while ((provider.calls() == 0 || !(*client)->healthy()) &&
         absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  ASSERT_EQ(provider.calls(), 1) << "EnsureServer after 3 failed checks";
  EXPECT_EQ((*client)->ensure_server_calls(), 1);
  EXPECT_EQ(provider.sandbox_id(), "local/e2e");
  ASSERT_TRUE((*client)->healthy());

  // What the SDK would replay: the history as stored before the resume.
  std::vector<SessionEvent> history = AllEvents(**client, record->id);
  std::vector<std::string> ops = {"{\"op\":\"init\",\"options\":{}}"};
  for (const SessionEvent& e : history) {
    std::string op = "{\"op\":\"insertEvent\",\"sessionId\":";
    AppendJsStringLiteral(e.session_id, &op);
    absl::StrAppend(&op, ",\"event\":{\"id\":\"", e.id,
                    "\",\"eventIndex\":", e.event_index, ",\"sessionId\":");
    AppendJsStringLiteral(e.session_id, &op);
    absl::StrAppend(&op, ",\"createdAt\":", e.created_at,
                    ",\"connectionId\":\"", e.connection_id, "\",\"sender\":\"",
                    SenderName(e.sender), "\",\"payload\":", e.payload_json,
                    "}}");
    ops.push_back(std::move(op));
  }
  ops.push_back(absl::StrCat("{\"op\":\"collectReplay\",\"sessionId\":",
                             nlohmann::json(record->id).dump(),
                             ",\"maxEvents\":", options.replay_max_events,
                             ",\"maxChars\":", options.replay_max_chars, "}"));
  absl::StatusOr<std::vector<nlohmann::json>> oracle = RunOracle(ops);
  ASSERT_TRUE(oracle.ok()) << oracle.status();
  const nlohmann::json& sdk = oracle->back()["result"];
  ASSERT_TRUE(sdk["text"].is_string()) << oracle->back().dump();
  const std::string sdk_text = sdk["text"].get<std::string>();
  EXPECT_TRUE(absl::StrContains(sdk_text, "[history truncated]"));

  absl::StatusOr<SessionRecord> resumed = (*client)->ResumeSession(record->id);
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  EXPECT_NE(resumed->last_connection_id, record->last_connection_id);
  EXPECT_FALSE(resumed->destroyed_at.has_value());

  absl::StatusOr<PromptResult> reply =
      (*client)->Prompt(record->id, "after the restart");
  ASSERT_TRUE(reply.ok()) << reply.status();
  nlohmann::json prompt =
      nlohmann::json::parse(reply->reply_json)["result"]["echoed"]["params"]["prompt"];
  ASSERT_EQ(prompt.size(), 2u) << prompt.dump().substr(0, 3000);
  EXPECT_EQ(prompt[0]["type"], "text");
  EXPECT_EQ(prompt[0]["text"].get<std::string>(), sdk_text);
  EXPECT_EQ(prompt[1]["text"], "after the restart");

  // The replay goes into one prompt only.
  reply = (*client)->Prompt(record->id, "once more");
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(
      nlohmann::json::parse(reply->reply_json)["result"]["echoed"]["params"]["prompt"]
          .size(),
      1u);
  ExpectWellFormedLog(AllEvents(**client, record->id));
}

TEST(ClientE2ETest, PromptAfterAnUnnoticedRestartResumesByItself) {
  absl::StatusOr<std::unique_ptr<ServerProcess>> server =
      ServerProcess::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  ClientOptions options;
  options.base_url = (*server)->base_url();
  options.driver = NewMemoryStore();
  options.health_monitor_interval = absl::ZeroDuration();
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Connect(options);
  ASSERT_TRUE(client.ok()) << client.status();
  absl::StatusOr<SessionRecord> record = CreateMockSession(**client);
  ASSERT_TRUE(record.ok()) << record.status();
  ASSERT_TRUE((*client)->Prompt(record->id, "before").ok());
  absl::StatusOr<std::optional<std::string>> replay =
      (*client)->ReplayText(record->id);
  ASSERT_TRUE(replay.ok() && replay->has_value());

  ASSERT_TRUE((*server)->Restart().ok());
  absl::StatusOr<PromptResult> reply = (*client)->Prompt(record->id, "after");
  ASSERT_TRUE(reply.ok()) << reply.status();
  nlohmann::json prompt =
      nlohmann::json::parse(reply->reply_json)["result"]["echoed"]["params"]["prompt"];
  ASSERT_EQ(prompt.size(), 2u) << prompt.dump().substr(0, 500);
  // The history as it stood before this prompt (and its failed first send,
  // if the client learned of the restart that way).
  EXPECT_TRUE(absl::StartsWith(prompt[0]["text"].get<std::string>(), **replay))
      << prompt[0]["text"];
  EXPECT_EQ(prompt[1]["text"], "after");
  EXPECT_NE((*client)->GetSession(record->id)->last_connection_id,
            record->last_connection_id);
}

TEST(ClientE2ETest, TokenMismatchIsUnauthenticated) {
  absl::StatusOr<std::unique_ptr<ServerProcess>> server =
      ServerProcess::Start("right-token-1234");
  ASSERT_TRUE(server.ok()) << server.status();
  ClientOptions options;
  options.base_url = (*server)->base_url();
  options.driver = NewMemoryStore();
  options.health_deadline = absl::Seconds(5);
  options.token = "wrong-token-5678";
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Connect(options);
  ASSERT_EQ(client.status().code(), absl::StatusCode::kUnauthenticated)
      << client.status();
  EXPECT_FALSE(absl::StrContains(client.status().message(), "5678"));
  EXPECT_FALSE(absl::StrContains(client.status().message(), "1234"));
  EXPECT_TRUE(absl::StrContains(client.status().message(), "does not match"));

  options.token.clear();
  client = Client::Connect(options);
  ASSERT_EQ(client.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(absl::StrContains(client.status().message(), "none was given"));

  options.token = "right-token-1234";
  client = Client::Connect(options);
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_TRUE(CreateMockSession(**client).ok());
}

// A provider that cannot bring the server back.
class DeadProvider : public ServerProvider {
 public:
  absl::Status EnsureServer(absl::string_view) override {
    ++calls;
    return absl::UnavailableError("the sandbox is gone");
  }
  std::atomic<int> calls{0};
};

TEST(ClientE2ETest, ServerThatNeverComesBackIsUnavailableAfterTheDeadline) {
  absl::StatusOr<std::unique_ptr<ServerProcess>> server =
      ServerProcess::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  DeadProvider provider;
  ClientOptions options;
  options.base_url = (*server)->base_url();
  options.driver = NewMemoryStore();
  options.provider = &provider;
  options.health_deadline = absl::Seconds(2);
  options.health_monitor_interval = absl::Milliseconds(100);
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Connect(options);
  ASSERT_TRUE(client.ok()) << client.status();
  absl::StatusOr<SessionRecord> record = CreateMockSession(**client);
  ASSERT_TRUE(record.ok()) << record.status();
  size_t stored = AllEvents(**client, record->id).size();

  (*server)->Kill();
  absl::Time give_up = absl::Now() + absl::Seconds(10);
  while ((*client)->healthy() && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_FALSE((*client)->healthy());
  absl::Time start = absl::Now();
  absl::StatusOr<PromptResult> reply = (*client)->Prompt(record->id, "hello?");
  absl::Duration waited = absl::Now() - start;
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kUnavailable)
      << reply.status();
  EXPECT_GE(waited, absl::Milliseconds(1900));
  EXPECT_LT(waited, absl::Seconds(10));
  // Nothing was sent, so nothing new is stored.
  EXPECT_EQ(AllEvents(**client, record->id).size(), stored);

  // A new client against the dead server: Connect gives up at the deadline,
  // having asked the provider once (after the 3rd failed check).
  int calls_before = provider.calls;
  options.health_deadline = absl::Milliseconds(1300);
  options.health_monitor_interval = absl::ZeroDuration();
  start = absl::Now();
  absl::StatusOr<std::unique_ptr<Client>> late = Client::Connect(options);
  waited = absl::Now() - start;
  EXPECT_EQ(late.status().code(), absl::StatusCode::kUnavailable)
      << late.status();
  EXPECT_GE(waited, absl::Milliseconds(1300));
  EXPECT_LT(waited, absl::Seconds(5));
  EXPECT_EQ(provider.calls - calls_before, 1);
}

}  // namespace
}  // namespace sessionlog
