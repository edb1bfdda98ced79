// The client against a fake server that misbehaves on cue (the real server is
// in tests/e2e).

#include "api/client/client.h"

#include <atomic>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "api/client/fake_server.h"
#include "engine/memory/memory_driver.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace sessionlog {
namespace {

// A server that is healthy and answers POST /v1/acp/* with `reply(request)`,
// in the body and, as the real server does, again on the event stream, which
// keeps everything (GET sends what follows Last-Event-ID, then ends).
class FakeAgentServer {
 public:
  // Over https when cert_path and key_path are given.
  explicit FakeAgentServer(
      std::function<std::string(const nlohmann::json&)> reply,
      const std::string& cert_path = "", const std::string& key_path = "")
      : reply_(std::move(reply)),
        fake_(cert_path.empty()
                  ? std::make_unique<FakeServer>()
                  : std::make_unique<FakeServer>(cert_path, key_path)) {
    fake_->server().Get(
        "/v1/health", [](const httplib::Request&, httplib::Response& res) {
          res.set_content("{\"status\":\"ok\"}", "application/json");
        });
    fake_->server().Post(R"(/v1/acp/.*)", [this](const httplib::Request& req,
                                                 httplib::Response& res) {
      nlohmann::json request = nlohmann::json::parse(req.body);
      if (!request.contains("method") || !request.contains("id")) {
        res.status = 202;  // A notification, or an answer to the agent.
        return;
      }
      std::string reply = reply_(request);
      {
        std::lock_guard<std::mutex> lock(mu_);
        log_.push_back(absl::StrCat("id: ", log_.size() + 100, "\ndata: ",
                                    reply, "\n\n"));
        if (request["method"] == "session/new" && !stream_.empty()) {
          log_.push_back(stream_);  // Its own ids, below 100.
          stream_.clear();
        }
      }
      res.set_content(reply, "application/json");
    });
    fake_->server().Get(R"(/v1/acp/.*)", [this](const httplib::Request& req,
                                                httplib::Response& res) {
      size_t from = 0;
      if (req.has_header("Last-Event-ID")) {
        from = std::stoul(req.get_header_value("Last-Event-ID"));
        from = from >= 100 ? from - 100 + 1 : 0;
      }
      std::string body = ": stream\n\n";
      {
        std::lock_guard<std::mutex> lock(mu_);
        for (size_t i = from; i < log_.size(); ++i) body += log_[i];
      }
      res.set_content(body, "text/event-stream");
    });
    fake_->server().Delete(R"(/v1/acp/.*)",
                           [](const httplib::Request&, httplib::Response&) {});
  }
  // Raw events the stream sends after the reply to session/new (before
  // Start()).
  void set_stream(std::string body) { stream_ = std::move(body); }
  bool Start() { return fake_->Start(); }
  std::string base_url() const { return fake_->base_url(); }

 private:
  std::function<std::string(const nlohmann::json&)> reply_;
  std::mutex mu_;
  std::vector<std::string> log_;
  std::string stream_;
  std::unique_ptr<FakeServer> fake_;
};

std::string Echo(const nlohmann::json& request) {
  return nlohmann::json{{"jsonrpc", "2.0"},
                        {"id", request["id"]},
                        {"result", {{"sessionId", "agent-1"}}}}
      .dump();
}

CreateSessionRequest MockSessionS1() {
  CreateSessionRequest request;
  request.agent = "mock";
  request.id = "s1";
  return request;
}

std::unique_ptr<Client> ConnectTo(const FakeAgentServer& server) {
  ClientOptions options;
  options.base_url = server.base_url();
  options.health_monitor_interval = absl::ZeroDuration();
  options.driver = std::move(*OpenMemoryDriver(DriverOptions()));
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Connect(options);
  EXPECT_TRUE(client.ok()) << client.status();
  return client.ok() ? *std::move(client) : nullptr;
}

std::vector<SessionEvent> Events(Client& client, const std::string& id) {
  ListEventsRequest request;
  request.session_id = id;
  absl::StatusOr<Page<SessionEvent>> page = client.ListEvents(request);
  EXPECT_TRUE(page.ok()) << page.status();
  return page.ok() ? page->items : std::vector<SessionEvent>{};
}

TEST(ClientTest, MalformedRepliesAreErrorsAndNeverStored) {
  for (const auto& [name, bad] :
       std::vector<std::pair<std::string, std::string>>{
           {"not JSON", "<html>oops"},
           {"not an object", "[1,2]"},
           {"not JSON-RPC 2.0", R"({"id":1,"result":{}})"},
           {"another request's reply",
            R"({"jsonrpc":"2.0","id":99,"result":{}})"},
           {"both result and error",
            R"({"jsonrpc":"2.0","id":1,"result":{},"error":{}})"}}) {
    FakeAgentServer server([&](const nlohmann::json&) { return bad; });
    ASSERT_TRUE(server.Start());
    std::unique_ptr<Client> client = ConnectTo(server);
    ASSERT_NE(client, nullptr);
    CreateSessionRequest request = MockSessionS1();
    absl::StatusOr<SessionRecord> record = client->CreateSession(request);
    EXPECT_EQ(record.status().code(), absl::StatusCode::kInternal)
        << name << ": " << record.status();
    EXPECT_TRUE(absl::StrContains(record.status().message(), "malformed"))
        << record.status();
    // initialize failed, and it belongs to no session: nothing is stored.
    EXPECT_TRUE(Events(*client, "s1").empty()) << name;
    EXPECT_FALSE(client->GetSession("s1").ok()) << name;
  }
}

TEST(ClientTest, JsonRpcErrorIsStoredAndReturned) {
  FakeAgentServer server([](const nlohmann::json& request) {
    if (request["method"] == "session/prompt") {
      return nlohmann::json{{"jsonrpc", "2.0"},
                            {"id", request["id"]},
                            {"error", {{"code", -32000}, {"message", "busy"}}}}
          .dump();
    }
    return Echo(request);
  });
  ASSERT_TRUE(server.Start());
  std::unique_ptr<Client> client = ConnectTo(server);
  ASSERT_NE(client, nullptr);
  CreateSessionRequest request = MockSessionS1();
  absl::StatusOr<SessionRecord> record = client->CreateSession(request);
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_EQ(record->agent_session_id, "agent-1");
  absl::StatusOr<PromptResult> reply = client->Prompt("s1", "hi");
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kUnknown);
  EXPECT_TRUE(absl::StrContains(reply.status().message(), "-32000"));
  std::vector<SessionEvent> events = Events(*client, "s1");
  // session/new, its reply, the prompt and its error reply.
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events.back().sender, Sender::kAgent);
  EXPECT_TRUE(absl::StrContains(events.back().payload_json, "busy"));
  // The prompt carried the agent's session id.
  EXPECT_TRUE(absl::StrContains(events[2].payload_json, "\"agent-1\""));
  // No modes in the reply: stored as null, as the SDK stores it.
  EXPECT_EQ(client->GetSession("s1")->modes_json, "null");
}

TEST(ClientTest, MalformedStreamEnvelopesAreReportedAndNeverStored) {
  FakeAgentServer server(Echo);
  server.set_stream(
      "id: 1\ndata: not json\n\n"
      "id: 2\ndata: {\"method\":\"x/note\"}\n\n"
      "id: 3\ndata: "
      "{\"jsonrpc\":\"2.0\",\"method\":\"x/note\",\"params\":{\"sessionId\":"
      "\"agent-1\"}}\n\n"
      "id: 4\ndata: "
      "{\"jsonrpc\":\"2.0\",\"method\":\"x/other\",\"params\":{}}\n\n");
  ASSERT_TRUE(server.Start());
  std::unique_ptr<Client> client = ConnectTo(server);
  ASSERT_NE(client, nullptr);
  CreateSessionRequest request = MockSessionS1();
  ASSERT_TRUE(client->CreateSession(request).ok());
  absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (Events(*client, "s1").size() < 3 && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  std::vector<SessionEvent> events = Events(*client, "s1");
  // session/new with its reply, and the one good notification that names
  // the session (x/other names none: the SDK stores it nowhere, nor do we).
  ASSERT_EQ(events.size(), 3u);
  int notes = 0;
  for (const SessionEvent& e : events) {
    if (absl::StrContains(e.payload_json, "x/note")) {
      ++notes;
      EXPECT_EQ(e.sender, Sender::kAgent);
      EXPECT_TRUE(absl::StrContains(e.payload_json, "\"2.0\""));
    }
  }
  EXPECT_EQ(notes, 1);
  absl::Status stream = client->StreamStatus("mock");
  EXPECT_EQ(stream.code(), absl::StatusCode::kInternal) << stream;
  EXPECT_TRUE(absl::StrContains(stream.message(), "not JSON")) << stream;
}

TEST(ClientTest, CreateRefusesAStoredIdAndResumeAnUnknownOne) {
  FakeAgentServer server(Echo);
  ASSERT_TRUE(server.Start());
  std::unique_ptr<Client> client = ConnectTo(server);
  ASSERT_NE(client, nullptr);
  CreateSessionRequest request = MockSessionS1();
  ASSERT_TRUE(client->CreateSession(request).ok());
  EXPECT_EQ(client->CreateSession(request).status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(client->ResumeSession("nope").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(client->Prompt("nope", "x").status().code(),
            absl::StatusCode::kNotFound);
  request.agent.clear();
  EXPECT_EQ(client->CreateSession(request).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      client->PromptBlocks("s1", "{\"not\":\"an array\"}").status().code(),
      absl::StatusCode::kInvalidArgument);
}

// An agent that numbers its sessions (agent-1, agent-2, ...) and keeps every
// request it gets.
class CountingAgent {
 public:
  std::string Reply(const nlohmann::json& request) {
    std::lock_guard<std::mutex> lock(mu_);
    requests_.push_back(request);
    nlohmann::json result = nlohmann::json::object();
    if (request["method"] == "session/new") {
      result["sessionId"] = absl::StrCat("agent-", ++sessions_);
    } else if (request["method"] == "session/prompt") {
      result["stopReason"] = "end_turn";
    }
    return nlohmann::json{
        {"jsonrpc", "2.0"}, {"id", request["id"]}, {"result", result}}
        .dump();
  }
  int sessions() {
    std::lock_guard<std::mutex> lock(mu_);
    return sessions_;
  }
  nlohmann::json LastPrompt() {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = requests_.rbegin(); it != requests_.rend(); ++it) {
      if ((*it)["method"] == "session/prompt") return (*it)["params"];
    }
    return nullptr;
  }

 private:
  std::mutex mu_;
  std::vector<nlohmann::json> requests_;
  int sessions_ = 0;
};

// A client of a CountingAgent, with session s1 created.
class ClientRewindTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start());
    client_ = ConnectTo(server_);
    ASSERT_NE(client_, nullptr);
    ASSERT_TRUE(client_->CreateSession(MockSessionS1()).ok());
  }

  CountingAgent agent_;
  FakeAgentServer server_{
      [this](const nlohmann::json& request) { return agent_.Reply(request); }};
  std::unique_ptr<Client> client_;
};

// The store's history of a live session is rewound under the client (the
// CLI's rewind, or the driver's RewindSession): its agent session heard
// turns that are gone, so the next prompt goes to a new agent session with
// the replay of what is left, and its events follow the rewind point.
TEST_F(ClientRewindTest, ARewoundLiveSessionIsBoundAnewWithWhatIsLeftReplayed) {
  ASSERT_TRUE(client_->Prompt("s1", "first turn").ok());
  const int64_t kept = Events(*client_, "s1").back().event_index;
  ASSERT_TRUE(client_->Prompt("s1", "second turn").ok());
  // Not rewound: the same agent session, no replay.
  ASSERT_TRUE(client_->ResumeSession("s1").ok());
  ASSERT_TRUE(client_->Prompt("s1", "third turn").ok());
  EXPECT_EQ(agent_.sessions(), 1);
  EXPECT_EQ(agent_.LastPrompt()["prompt"].size(), 1u);

  ASSERT_TRUE(client_->driver().RewindSession("s1", kept).ok());
  ASSERT_TRUE(client_->Prompt("s1", "after the rewind").ok());
  EXPECT_EQ(agent_.sessions(), 2);
  nlohmann::json prompt = agent_.LastPrompt();
  EXPECT_EQ(prompt["sessionId"], "agent-2");
  ASSERT_EQ(prompt["prompt"].size(), 2u) << prompt.dump();
  const std::string replay = prompt["prompt"][0]["text"];
  EXPECT_TRUE(absl::StrContains(replay, "first turn"));
  EXPECT_FALSE(absl::StrContains(replay, "second turn"));
  EXPECT_FALSE(absl::StrContains(replay, "third turn"));
  EXPECT_EQ(client_->GetSession("s1")->agent_session_id, "agent-2");
  std::vector<SessionEvent> events = Events(*client_, "s1");
  // session/new and its reply, the prompt and its reply.
  ASSERT_EQ(events.size(), static_cast<size_t>(kept) + 4);
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].event_index, static_cast<int64_t>(i) + 1);
  }
  EXPECT_TRUE(absl::StrContains(events[kept].payload_json, "session/new"));

  // Bound anew, it goes on as any session: no more resumes or replays, also
  // through ResumeSession.
  ASSERT_TRUE(client_->ResumeSession("s1").ok());
  ASSERT_TRUE(client_->Prompt("s1", "and on").ok());
  EXPECT_EQ(agent_.sessions(), 2);
  EXPECT_EQ(agent_.LastPrompt()["prompt"].size(), 1u);
  // ResumeSession notices a rewind too.
  ASSERT_TRUE(client_->driver().RewindSession("s1", kept).ok());
  absl::StatusOr<SessionRecord> resumed = client_->ResumeSession("s1");
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  EXPECT_EQ(resumed->agent_session_id, "agent-3");
}

// A session deleted and created again under its id starts afresh: what the
// first one's agent session heard does not make the second look rewound.
TEST_F(ClientRewindTest, ASessionCreatedAgainUnderItsIdIsNotTakenForRewound) {
  ASSERT_TRUE(client_->Prompt("s1", "one").ok());
  ASSERT_TRUE(client_->Prompt("s1", "two").ok());
  ASSERT_TRUE(client_->driver().DeleteSession("s1").ok());
  ASSERT_TRUE(client_->CreateSession(MockSessionS1()).ok());
  ASSERT_TRUE(client_->Prompt("s1", "three").ok());
  EXPECT_EQ(agent_.sessions(), 2);
  EXPECT_EQ(agent_.LastPrompt()["prompt"].size(), 1u);
  EXPECT_EQ(Events(*client_, "s1").size(), 4u);
}

TEST(ClientTest, ConnectRefusesBadOptions) {
  ClientOptions options;
  EXPECT_EQ(Client::Connect(options).status().code(),
            absl::StatusCode::kInvalidArgument);
  options.base_url = "ftp://127.0.0.1:1";
  EXPECT_EQ(Client::Connect(options).status().code(),
            absl::StatusCode::kInvalidArgument);
  options.base_url = "http://127.0.0.1:1";
  EXPECT_EQ(Client::Connect(options).status().code(),
            absl::StatusCode::kInvalidArgument);  // No driver.
  options.driver = std::move(*OpenMemoryDriver(DriverOptions()));
  options.replay_max_events = 0;
  EXPECT_EQ(Client::Connect(options).status().code(),
            absl::StatusCode::kInvalidArgument);
  options.replay_max_events = 50;
  options.replay_max_chars = 0;
  EXPECT_EQ(Client::Connect(options).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ClientTest, HttpsWithTheServersCertificateTrusted) {
  const std::string dir = std::getenv("TEST_TMPDIR");
  const std::string cert = dir + "/cert.pem", key = dir + "/key.pem";
  const std::string make_cert = absl::StrCat(
      "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 "
      "-addext subjectAltName=IP:127.0.0.1 -keyout ",
      key, " -out ", cert, " 2>/dev/null");
  ASSERT_EQ(std::system(make_cert.c_str()), 0) << "openssl is needed";
  FakeAgentServer server(Echo, cert, key);
  ASSERT_TRUE(server.Start());
  ASSERT_TRUE(absl::StartsWith(server.base_url(), "https://"));

  ClientOptions options;
  options.base_url = server.base_url();
  options.health_monitor_interval = absl::ZeroDuration();
  options.ca_cert_path = cert;
  options.driver = std::move(*OpenMemoryDriver(DriverOptions()));
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Connect(options);
  ASSERT_TRUE(client.ok()) << client.status();
  CreateSessionRequest request;
  request.agent = "mock";
  absl::StatusOr<SessionRecord> record = (*client)->CreateSession(request);
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_TRUE((*client)->Prompt(record->id, "over TLS").ok());

  // Not signed by an authority the system trusts: refused.
  options.ca_cert_path.clear();
  options.health_deadline = absl::Milliseconds(300);
  client = Client::Connect(options);
  EXPECT_EQ(client.status().code(), absl::StatusCode::kUnavailable)
      << client.status();
  EXPECT_TRUE(absl::StrContains(client.status().message(), "SSL"))
      << client.status();
}

}  // namespace
}  // namespace sessionlog
