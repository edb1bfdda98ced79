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
  explicit StreamingAgent(bool deliver) : deliver_(deliver) {
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

  AcpConnection::EnvelopeSink Sink() {
    return [this](Sender sender, const std::string& text) {
      absl::MutexLock lock(&mu);
      envelopes.emplace_back(sender, nlohmann::json::parse(text));
      return absl::OkStatus();
    };
  }
};

class AcpConnectionTest : public ::testing::Test {
 protected:
  void Open(const std::string& base_url, absl::Duration request_timeout) {
    absl::StatusOr<HttpEndpoint> http = HttpEndpoint::Create(base_url, "", {});
    ASSERT_TRUE(http.ok()) << http.status();
    http_ = std::make_unique<HttpEndpoint>(*std::move(http));
    connection_ = std::make_unique<AcpConnection>(
        http_.get(), "mock", "conn-1", seen_.Sink(), request_timeout);
  }
  void TearDown() override { connection_.reset(); }

  Seen seen_;
  std::unique_ptr<HttpEndpoint> http_;
  std::unique_ptr<AcpConnection> connection_;
};

TEST_F(AcpConnectionTest, A202ReplyArrivesOnTheStreamAfterItsRequest) {
  StreamingAgent agent(/*deliver=*/true);
  ASSERT_TRUE(agent.Start());
  Open(agent.base_url(), absl::Seconds(10));
  ASSERT_TRUE(connection_->Call("initialize", nlohmann::json::object()).ok());
  absl::StatusOr<nlohmann::json> reply = connection_->Call(
      "session/prompt", {{"prompt", nlohmann::json::array()}});
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ((*reply)["id"], 2);
  EXPECT_EQ((*reply)["result"]["ok"], true);
  absl::MutexLock lock(&seen_.mu);
  ASSERT_EQ(seen_.envelopes.size(), 4u);
  EXPECT_EQ(seen_.envelopes[2].first, Sender::kClient);
  EXPECT_EQ(seen_.envelopes[2].second["method"], "session/prompt");
  EXPECT_EQ(seen_.envelopes[3].first, Sender::kAgent);
  EXPECT_EQ(seen_.envelopes[3].second["id"], 2);
}

TEST_F(AcpConnectionTest, AReplyThatNeverComesIsDeadlineExceeded) {
  StreamingAgent agent(/*deliver=*/false);
  ASSERT_TRUE(agent.Start());
  Open(agent.base_url(), absl::Milliseconds(300));
  ASSERT_TRUE(connection_->Call("initialize", nlohmann::json::object()).ok());
  absl::StatusOr<nlohmann::json> reply =
      connection_->Call("session/prompt", nlohmann::json::object());
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kDeadlineExceeded)
      << reply.status();
  // A notification needs no reply.
  EXPECT_TRUE(
      connection_->Notify("session/cancel", nlohmann::json::object()).ok());
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
  Open(fake.base_url(), absl::Seconds(5));
  EXPECT_TRUE(connection_->alive());
  absl::StatusOr<nlohmann::json> reply =
      connection_->Call("initialize", nlohmann::json::object());
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kNotFound)
      << reply.status();
  EXPECT_FALSE(connection_->alive());
}

}  // namespace
}  // namespace sessionlog
