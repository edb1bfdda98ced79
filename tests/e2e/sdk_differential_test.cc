// The real TS SDK (sandbox-agent 0.4.2, driven by sdk_runner.mjs) and
// sessionlog's client run the same conversations through the same real
// server, with the scripted agent (tests/agent) in place of the mock agent,
// side by side. What each stored must be the same, once event ids,
// connection ids, timestamps and JSON-RPC request numbering are normalized,
// and once both histories are put in the agent's order (the SDK sometimes
// stores a turn's result before its last updates; sessionlog's stored order
// must already be the agent's order, which is checked separately).
//
// Needs SANDBOX_AGENT_BIN (the server) and SESSIONLOG_NODE_MODULES (where
// npm installed sandbox-agent); tools/scripts/test.sh passes both.
// SESSIONLOG_LONG_TURN_SECONDS sets the long turn's length (default 3 s;
// CI runs it once at 125 s, past the server's 120 s POST limit).

#include "tests/e2e/sdk_differential.h"

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/e2e/server_process.h"

namespace sessionlog {
namespace {

using sdk_differential::ExpectAgentOrder;
using sdk_differential::ExpectSame;
using sdk_differential::Json;
using sdk_differential::kReplayPrefix;
using sdk_differential::NewStore;
using sdk_differential::RunBoth;
using sdk_differential::Stored;

class SdkDifferentialTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* modules = std::getenv("SESSIONLOG_NODE_MODULES");
    ASSERT_TRUE(modules != nullptr && *modules != '\0')
        << "SESSIONLOG_NODE_MODULES is not set: pass "
           "--test_env=SESSIONLOG_NODE_MODULES=... (source "
           "tools/scripts/services.sh; install_node_packages $PWD sets it)";
    absl::StatusOr<std::unique_ptr<ServerProcess>> server =
        ServerProcess::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    absl::Status s = server_->InstallScriptedAgent();
    ASSERT_TRUE(s.ok()) << s;
  }

  void Compare(const Json& steps, const std::string& tag) {
    auto [sdk, cpp] = RunBoth(*server_, steps, tag, NewStore(), nullptr);
    ExpectAgentOrder(cpp);
    ExpectSame(sdk, cpp);
  }

  std::unique_ptr<ServerProcess> server_;
};

TEST_F(SdkDifferentialTest, PermissionRepliesModesConfigAndToolRequests) {
  Compare(Json::parse(R"([
    {"op":"create","id":"s1","cwd":"/tmp"},
    {"op":"prompt","id":"s1","text":"permission"},
    {"op":"permission","id":"s1","reply":"once"},
    {"op":"prompt","id":"s1","text":"permission"},
    {"op":"permission","id":"s1","reply":"always"},
    {"op":"prompt","id":"s1","text":"permission"},
    {"op":"permission","id":"s1","reply":"reject"},
    {"op":"prompt","id":"s1","text":"permission"},
    {"op":"permission","id":"s1","reply":"none"},
    {"op":"prompt","id":"s1","text":"permission"},
    {"op":"prompt","id":"s1","text":"tools"},
    {"op":"prompt","id":"s1","text":"mode plan"},
    {"op":"prompt","id":"s1","text":"config model scripted-large"},
    {"op":"set_mode","id":"s1","value":"auto"},
    {"op":"set_config","id":"s1","config":"thought_level","value":"high"},
    {"op":"set_model","id":"s1","value":"scripted-small"},
    {"op":"set_thought_level","id":"s1","value":"low"},
    {"op":"set_mode","id":"s1","value":"no-such-mode"},
    {"op":"get_modes","id":"s1"},
    {"op":"get_config_options","id":"s1"}
  ])"),
          "permission");
}

TEST_F(SdkDifferentialTest, TwoSessionsShareOneAgentProcess) {
  Json steps = Json::parse(R"([
    {"op":"create","id":"a","cwd":"/tmp"},
    {"op":"create","id":"b","cwd":"/tmp/no-modes"},
    {"op":"prompt","id":"a","text":"hello from a"},
    {"op":"prompt","id":"b","text":"hello from b"},
    {"op":"get_modes","id":"b"},
    {"op":"prompt","id":"a","text":"mode plan"},
    {"op":"destroy","id":"b"},
    {"op":"prompt","id":"b","text":"after destroy"}
  ])");
  auto [sdk, cpp] = RunBoth(*server_, steps, "shared", NewStore(), nullptr);
  ExpectAgentOrder(cpp);
  ExpectSame(sdk, cpp);
  // One connection (one agent process) for both, on each side.
  for (const Stored* side : {&sdk, &cpp}) {
    ASSERT_EQ((*side)["records"].size(), 2u);
    EXPECT_EQ((*side)["records"][0]["lastConnectionId"],
              (*side)["records"][1]["lastConnectionId"]);
    EXPECT_EQ((*side)["records"][1]["agentSessionId"], "scripted-2");
  }
}

TEST_F(SdkDifferentialTest, DestroyDuringATurnCancelsIt) {
  Compare(Json::parse(R"([
    {"op":"create","id":"s1","cwd":"/tmp"},
    {"op":"prompt","id":"s1","text":"first"},
    {"op":"destroy_during_turn","id":"s1","text":"hang"},
    {"op":"prompt","id":"s1","text":"after destroy"}
  ])"),
          "cancel");
}

TEST_F(SdkDifferentialTest, LongTurnStreamsEveryUpdateBeforeItsResult) {
  int seconds = 3;
  if (const char* s = std::getenv("SESSIONLOG_LONG_TURN_SECONDS")) {
    seconds = std::max(1, std::atoi(s));
  }
  const int updates = seconds * 10;
  absl::Time start = absl::Now();
  Compare(Json::array({
              {{"op", "create"}, {"id", "s1"}, {"cwd", "/tmp"}},
              {{"op", "prompt"},
               {"id", "s1"},
               {"text", absl::StrCat("stream ", updates, " ", seconds * 1000)}},
              {{"op", "prompt"}, {"id", "s1"}, {"text", "after"}},
          }),
          "long");
  std::cerr << "long turn of " << seconds << " s with " << updates
            << " updates, both sides: " << absl::Now() - start << "\n";
}

TEST_F(SdkDifferentialTest, ResumeOnARestartedServer) {
  std::shared_ptr<SessionPersistDriver> store = NewStore();
  Json before = Json::parse(R"([
    {"op":"create","id":"s1","cwd":"/tmp"},
    {"op":"prompt","id":"s1","text":"first"},
    {"op":"prompt","id":"s1","text":"mode plan"}
  ])");
  auto [sdk1, cpp1] = RunBoth(*server_, before, "restart1", store, nullptr);
  ExpectSame(sdk1, cpp1);
  ASSERT_TRUE(server_->Restart().ok());
  Json after = Json::parse(R"([
    {"op":"resume","id":"s1"},
    {"op":"prompt","id":"s1","text":"after the restart"},
    {"op":"prompt","id":"s1","text":"once more"}
  ])");
  auto [sdk2, cpp2] = RunBoth(*server_, after, "restart2", store, &sdk1);
  ExpectAgentOrder(cpp2);
  ExpectSame(sdk2, cpp2);
  // The first prompt after the resume carries the replay, once.
  int replays = 0;
  for (const Json& e : cpp2["events"]["s1"]) {
    if (e["payload"].value("method", "") != "session/prompt") continue;
    for (const Json& block : e["payload"]["params"]["prompt"]) {
      replays += absl::StartsWith(block.value("text", ""), kReplayPrefix);
    }
  }
  EXPECT_EQ(replays, 1);
}

}  // namespace
}  // namespace sessionlog
