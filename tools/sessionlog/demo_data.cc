#include "tools/sessionlog/demo_data.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_format.h"
#include "nlohmann/json.hpp"

namespace sessionlog {
namespace cli {
namespace {

using Json = nlohmann::ordered_json;

// UUID-shaped ids from a fixed sequence, so the demo is reproducible but
// looks like what the SDK writes (v4 UUIDs).
class IdSource {
 public:
  explicit IdSource(uint64_t seed) : state_(seed) {}
  std::string Next() {
    uint64_t a = Step(), b = Step();
    return absl::StrFormat(
        "%08x-%04x-4%03x-%04x-%012x", a >> 32, (a >> 16) & 0xffff, a & 0xfff,
        0x8000 | ((b >> 48) & 0x3fff), b & 0xffffffffffffULL);
  }

 private:
  uint64_t Step() {  // splitmix64
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint64_t state_;
};

// Builds one session's conversation, event by event.
class Conversation {
 public:
  Conversation(DemoSession* session, IdSource* ids, int64_t start_ms)
      : session_(session), ids_(ids), now_(start_ms) {
    connection_ = session->record.last_connection_id;
  }

  // Sends a request from the client; returns its JSON-RPC id.
  int Request(const std::string& method, Json params) {
    int id = next_request_id_++;
    Add(Sender::kClient, {{"jsonrpc", "2.0"},
                          {"id", id},
                          {"method", method},
                          {"params", std::move(params)}});
    return id;
  }
  void Result(int id, Json result) {
    Add(Sender::kAgent,
        {{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}});
  }
  void Error(int id, int code, const std::string& message) {
    Add(Sender::kAgent, {{"jsonrpc", "2.0"},
                         {"id", id},
                         {"error", {{"code", code}, {"message", message}}}});
  }
  void Update(Json update) {
    Json params = SessionParams();
    params["update"] = std::move(update);
    Add(Sender::kAgent, {{"jsonrpc", "2.0"},
                         {"method", "session/update"},
                         {"params", std::move(params)}});
  }

  // The opening every SDK connection makes.
  void Open(const std::string& cwd) {
    int init =
        Request("initialize",
                {{"protocolVersion", 1},
                 {"clientCapabilities",
                  {{"fs", {{"readTextFile", true}, {"writeTextFile", true}}},
                   {"terminal", true}}}});
    Result(init, {{"protocolVersion", 1},
                  {"agentCapabilities",
                   {{"loadSession", true},
                    {"promptCapabilities",
                     {{"image", true}, {"embeddedContext", true}}}}}});
    int created =
        Request("session/new", {{"cwd", cwd}, {"mcpServers", Json::array()}});
    Json result = Json::object();
    if (!agent_session_id().empty()) result["sessionId"] = agent_session_id();
    Result(created, std::move(result));
  }

  int Prompt(const std::string& text) {
    Json params = SessionParams();
    params["prompt"] = Json::array({{{"type", "text"}, {"text", text}}});
    return Request("session/prompt", std::move(params));
  }
  void Say(const std::string& text) {
    Update({{"sessionUpdate", "agent_message_chunk"},
            {"content", {{"type", "text"}, {"text", text}}}});
  }
  void Think(const std::string& text) {
    Update({{"sessionUpdate", "agent_thought_chunk"},
            {"content", {{"type", "text"}, {"text", text}}}});
  }
  void Tool(const std::string& title, const std::string& kind,
            const std::string& output) {
    std::string call = absl::StrFormat("call_%d", ++tool_calls_);
    Update({{"sessionUpdate", "tool_call"},
            {"toolCallId", call},
            {"title", title},
            {"kind", kind},
            {"status", "in_progress"}});
    Update(
        {{"sessionUpdate", "tool_call_update"},
         {"toolCallId", call},
         {"status", "completed"},
         {"content",
          Json::array({{{"type", "content"},
                        {"content", {{"type", "text"}, {"text", output}}}}})}});
  }
  void EndTurn(int prompt, const std::string& reason = "end_turn") {
    Result(prompt, {{"stopReason", reason}});
  }
  void Pause(int64_t ms) { now_ += ms; }

 private:
  std::string agent_session_id() const {
    return session_->record.agent_session_id.value_or("");
  }

  // {"sessionId": the agent's id}, or {} when the agent gave none (mock).
  Json SessionParams() const {
    Json params = Json::object();
    if (!agent_session_id().empty()) params["sessionId"] = agent_session_id();
    return params;
  }

  void Add(Sender sender, Json payload) {
    SessionEvent event;
    event.id = ids_->Next();
    event.event_index = static_cast<int64_t>(session_->events.size()) + 1;
    event.session_id = session_->record.id;
    now_ += 40 + static_cast<int64_t>(session_->events.size() % 7) * 130;
    event.created_at = now_;
    event.connection_id = connection_;
    event.sender = sender;
    event.payload_json = payload.dump();
    session_->events.push_back(std::move(event));
  }

  DemoSession* session_;
  IdSource* ids_;
  int64_t now_;
  std::string connection_;
  int next_request_id_ = 0;
  int tool_calls_ = 0;
};

DemoSession NewSession(IdSource& ids, const std::string& id,
                       const std::string& agent, int64_t created_at,
                       bool with_agent_session_id) {
  DemoSession session;
  SessionRecord& r = session.record;
  r.id = id;
  r.agent = agent;
  if (with_agent_session_id) r.agent_session_id = ids.Next();
  r.last_connection_id = ids.Next();
  r.created_at = created_at;
  std::string container = ids.Next();
  container.erase(std::remove(container.begin(), container.end(), '-'),
                  container.end());
  r.sandbox_id = "docker/" + container.substr(0, 12);
  return session;
}

}  // namespace

std::vector<DemoSession> MakeDemoSessions(int64_t start_ms) {
  IdSource ids(20261128);
  std::vector<DemoSession> sessions;
  const int64_t minute = 60 * 1000;

  {
    DemoSession s =
        NewSession(ids, kDemoReplaySession, "claude", start_ms, true);
    s.record.session_init_json = R"({"cwd":"/workspace/api","mcpServers":[]})";
    s.record.config_options_json =
        R"([{"id":"model","name":"Model","type":"select","currentValue":"sonnet","options":[{"value":"sonnet","name":"Sonnet"},{"value":"opus","name":"Opus"}]}])";
    s.record.modes_json =
        R"({"currentModeId":"default","availableModes":[{"id":"default","name":"Default"},{"id":"plan","name":"Plan"}]})";
    Conversation c(&s, &ids, start_ms);
    c.Open("/workspace/api");
    int p =
        c.Prompt("test_retry_backoff is flaky in CI. Find out why and fix it.");
    c.Think("Flaky timing tests usually depend on the wall clock.");
    c.Say("Let me look at the test first.");
    c.Tool("Read tests/test_retry.py", "read",
           "def test_retry_backoff():\n    start = time.time()\n    "
           "client.get('/slow')\n    assert time.time() - start < 0.35");
    c.Say(
        "The test measures real time with a 350 ms budget, but the retry "
        "policy sleeps 100, 200 and 400 ms with jitter, so a slow CI runner "
        "crosses the budget. ");
    c.Say(
        "I'll inject a fake clock so the test checks the schedule, not the "
        "runner's speed.");
    c.Tool("Edit tests/test_retry.py", "edit",
           "-    start = time.time()\n+    clock = FakeClock()");
    c.Say(
        "Fixed: the test now asserts the sleeps [100, 200, 400] ms through "
        "a fake clock.");
    c.EndTurn(p);
    c.Pause(3 * minute);
    p = c.Prompt("Run it 20 times to be sure.");
    c.Tool("pytest -k retry_backoff --count 20", "execute",
           "20 passed in 0.41s");
    c.Say("20 of 20 runs passed in 0.41 s.");
    c.EndTurn(p);
    sessions.push_back(std::move(s));
  }
  {
    DemoSession s = NewSession(ids, "docs-quickstart", "codex",
                               start_ms + 7 * minute, true);
    s.record.session_init_json = R"({"cwd":"/workspace/docs","mcpServers":[]})";
    Conversation c(&s, &ids, s.record.created_at);
    c.Open("/workspace/docs");
    int p = c.Prompt("Write a quickstart section for the README.");
    c.Tool("Read README.md", "read", "# sessionlog\n\nSession persistence.");
    c.Say(
        "Added a Quickstart with install, build and a first `sessionlog "
        "demo`.");
    c.EndTurn(p);
    p = c.Prompt("Thanks!");
    c.Say("You're welcome.");
    c.EndTurn(p);
    // The user closed this one: destroy sets destroyedAt.
    s.record.destroyed_at = s.events.back().created_at + 5000;
    sessions.push_back(std::move(s));
  }
  {
    DemoSession s =
        NewSession(ids, "mock-echo", "mock", start_ms + 12 * minute, false);
    s.record.modes_json = "null";
    Conversation c(&s, &ids, s.record.created_at);
    c.Open("/tmp");
    int p = c.Prompt("hello");
    c.Say("hello");
    c.EndTurn(p);
    sessions.push_back(std::move(s));
  }
  {
    DemoSession s = NewSession(ids, "review-pr-142", "gemini",
                               start_ms + 18 * minute, true);
    s.record.session_init_json =
        R"({"cwd":"/workspace/api","mcpServers":[{"name":"github","command":"github-mcp","args":[],"env":[]}]})";
    Conversation c(&s, &ids, s.record.created_at);
    c.Open("/workspace/api");
    int p = c.Prompt("Review PR #142 (connection pool timeouts).");
    c.Tool("github: get_pull_request 142", "fetch",
           "+ pool = Pool(max_size=32, timeout=5.0)");
    c.Say(
        "Two findings: the timeout is not applied to checkout, only to "
        "connect; ");
    c.Say("and max_size=32 exceeds the database's per-user limit of 20.");
    c.EndTurn(p);
    p = c.Prompt("Suggest a patch.");
    c.Say(
        "Here is a patch that passes the timeout to checkout and reads "
        "max_size from");
    c.EndTurn(p, "cancelled");
    sessions.push_back(std::move(s));
  }
  {
    DemoSession s = NewSession(ids, "migrate-schema", "claude",
                               start_ms + 25 * minute, true);
    s.record.session_init_json = R"({"cwd":"/workspace/db","mcpServers":[]})";
    Conversation c(&s, &ids, s.record.created_at);
    c.Open("/workspace/db");
    int p = c.Prompt("Add a NOT NULL column tenant_id to events, backfilled.");
    c.Tool("Read migrations/", "read", "0001_init.sql\n0002_events.sql");
    c.Error(p, -32603, "agent process exited with code 137 (out of memory)");
    sessions.push_back(std::move(s));
  }
  return sessions;
}

}  // namespace cli
}  // namespace sessionlog
