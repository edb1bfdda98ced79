#include "api/client/acp_connection.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "api/client/fake_server.h"
#include "gtest/gtest.h"

namespace sessionlog {
namespace {

// An ACP route that answers initialize in the POST body and everything else
// with 202, sending the reply on the event stream instead (when `deliver`).
class StreamingAgent {
 public:
  // With `body_too`, every request is also answered in the POST body at
  // once, while the stream sends an update and then the same reply: the
  // real server's race between its two channels.
  explicit StreamingAgent(bool deliver, bool body_too = false)
      : deliver_(deliver), body_too_(body_too) {
    fake_.server().Post(R"(/v1/acp/.*)", [this](const httplib::Request& req,
                                                httplib::Response& res) {
      nlohmann::json request = nlohmann::json::parse(req.body);
      nlohmann::json reply = {{"jsonrpc", "2.0"},
                              {"id", request["id"]},
                              {"result", {{"ok", true}}}};
      if (request["method"] == "initialize") {
        res.set_content(reply.dump(), "application/json");
        return;
      }
      if (body_too_) {
        nlohmann::json update = {
            {"jsonrpc", "2.0"},
            {"method", "session/update"},
            {"params", {{"sessionId", "agent-1"}, {"update", {}}}}};
        absl::MutexLock lock(&mu_);
        const int64_t update_id = ++event_id_;
        const int64_t reply_id = ++event_id_;
        absl::StrAppend(&pending_, "id: ", update_id,
                        "\ndata: ", update.dump(), "\n\n", "id: ",
                        reply_id, "\ndata: ", reply.dump(), "\n\n");
        res.set_content(reply.dump(), "application/json");
        return;
      }
      res.status = 202;
      if (deliver_ && request.contains("id")) {
        absl::MutexLock lock(&mu_);
        absl::StrAppend(&pending_, "id: ", ++event_id_,
                        "\ndata: ", reply.dump(), "\n\n");
      }
    });
    fake_.server().Get(R"(/v1/acp/.*)", [this](const httplib::Request&,
                                               httplib::Response& res) {
      res.set_chunked_content_provider(
          "text/event-stream", [this](size_t, httplib::DataSink& sink) {
            std::string chunk;
            {
              absl::MutexLock lock(&mu_);
              mu_.AwaitWithTimeout(
                  absl::Condition(this, &StreamingAgent::Ready),
                  absl::Milliseconds(50));
              if (stopping_) return false;
              chunk.swap(pending_);
            }
            if (!chunk.empty()) sink.write(chunk.data(), chunk.size());
            return true;
          });
    });
    fake_.server().Delete(R"(/v1/acp/.*)",
                          [](const httplib::Request&, httplib::Response&) {});
  }

  ~StreamingAgent() {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }

  bool Start() { return fake_.Start(); }
  std::string base_url() const { return fake_.base_url(); }

 private:
  bool Ready() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return stopping_ || !pending_.empty();
  }

  const bool deliver_;
  const bool body_too_;
  absl::Mutex mu_;
  std::string pending_ ABSL_GUARDED_BY(mu_);
  int event_id_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  FakeServer fake_;  // Last: stopped before the members above go.
};

// What the sink saw, in order.
struct Seen {
  absl::Mutex mu;
  std::vector<std::pair<Sender, nlohmann::json>> envelopes;

  AcpConnection::Observer Sink() {
    return [this](const std::string&, Sender sender, const Json&,
                  const std::string& text) {
      absl::MutexLock lock(&mu);
      envelopes.emplace_back(sender, nlohmann::json::parse(text));
      return absl::OkStatus();
    };
  }
};

class AcpConnectionTest : public ::testing::Test {
 protected:
  void Open(const std::string& base_url) {
    absl::StatusOr<HttpEndpoint> http = HttpEndpoint::Create(base_url, "", {});
    ASSERT_TRUE(http.ok()) << http.status();
    http_ = std::make_unique<HttpEndpoint>(*std::move(http));
    AcpConnection::Options options;
    options.stream_grace = absl::Milliseconds(300);
    connection_ = std::make_unique<AcpConnection>(
        http_.get(), "mock", "conn-1", seen_.Sink(), nullptr, options);
  }
  absl::StatusOr<Json> Call(absl::string_view method, Json params,
                            absl::Duration timeout = absl::Seconds(10)) {
    return connection_->CallAndWait("s1", method, std::move(params),
                                    absl::Now() + timeout);
  }
  void TearDown() override { connection_.reset(); }

  Seen seen_;
  std::unique_ptr<HttpEndpoint> http_;
  std::unique_ptr<AcpConnection> connection_;
};

TEST_F(AcpConnectionTest, A202ReplyArrivesOnTheStreamAfterItsRequest) {
  StreamingAgent agent(/*deliver=*/true);
  ASSERT_TRUE(agent.Start());
  Open(agent.base_url());
  ASSERT_TRUE(Call("initialize", Json::object()).ok());
  absl::StatusOr<Json> reply =
      Call("session/prompt", {{"prompt", Json::array()}});
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ((*reply)["id"], 1);  // Numbered from 0, as the SDK numbers.
  EXPECT_EQ((*reply)["result"]["ok"], true);
  absl::MutexLock lock(&seen_.mu);
  ASSERT_EQ(seen_.envelopes.size(), 4u);
  EXPECT_EQ(seen_.envelopes[2].first, Sender::kClient);
  EXPECT_EQ(seen_.envelopes[2].second["method"], "session/prompt");
  EXPECT_EQ(seen_.envelopes[3].first, Sender::kAgent);
  EXPECT_EQ(seen_.envelopes[3].second["id"], 1);
}

TEST_F(AcpConnectionTest, AReplyInThePostBodyWaitsForTheUpdatesBeforeIt) {
  StreamingAgent agent(/*deliver=*/true, /*body_too=*/true);
  ASSERT_TRUE(agent.Start());
  Open(agent.base_url());
  ASSERT_TRUE(Call("initialize", Json::object()).ok());
  for (int i = 0; i < 5; ++i) {
    absl::StatusOr<Json> reply =
        Call("session/prompt", {{"prompt", Json::array()}});
    ASSERT_TRUE(reply.ok()) << reply.status();
  }
  absl::MutexLock lock(&seen_.mu);
  // initialize and its reply, then per prompt: the prompt, the update, the
  // reply; each reply once.
  ASSERT_EQ(seen_.envelopes.size(), 17u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(seen_.envelopes[2 + 3 * i].second["method"], "session/prompt");
    EXPECT_EQ(seen_.envelopes[3 + 3 * i].second["method"], "session/update");
    EXPECT_EQ(seen_.envelopes[4 + 3 * i].second["id"], i + 1);
  }
}

TEST_F(AcpConnectionTest, AReplyThatNeverComesIsDeadlineExceeded) {
  StreamingAgent agent(/*deliver=*/false);
  ASSERT_TRUE(agent.Start());
  Open(agent.base_url());
  ASSERT_TRUE(Call("initialize", Json::object()).ok());
  absl::StatusOr<Json> reply =
      Call("session/prompt", Json::object(), absl::Milliseconds(300));
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kDeadlineExceeded)
      << reply.status();
  // A notification needs no reply.
  EXPECT_TRUE(connection_->Notify("s1", "session/cancel", Json::object()).ok());
  absl::MutexLock lock(&seen_.mu);
  EXPECT_EQ(seen_.envelopes.size(), 4u);  // init, its reply, prompt, cancel.
}

TEST_F(AcpConnectionTest, AForgottenConnectionIsNotAlive) {
  FakeServer fake;
  fake.server().Post(R"(/v1/acp/.*)",
                     [](const httplib::Request&, httplib::Response& res) {
                       res.status = 404;
                       res.set_content(R"({"detail":"session not found: x"})",
                                       "application/problem+json");
                     });
  ASSERT_TRUE(fake.Start());
  Open(fake.base_url());
  EXPECT_TRUE(connection_->alive());
  absl::StatusOr<Json> reply = Call("initialize", Json::object());
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kNotFound)
      << reply.status();
  EXPECT_FALSE(connection_->alive());
}

}  // namespace
}  // namespace sessionlog
