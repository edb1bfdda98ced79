#include "tests/e2e/sdk_differential.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "api/client/client.h"
#include "engine/memory/memory_driver.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "schema/json_codec.h"
#include "tests/e2e/server_process.h"

namespace sessionlog {
namespace sdk_differential {
namespace {

std::string TmpDir() {
  const char* tmp = std::getenv("TEST_TMPDIR");
  return tmp != nullptr ? tmp : "/tmp";
}

std::string Slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// ---- The SDK side: sdk_runner.mjs in a child process ----

class SdkRun {
 public:
  // Starts node on `steps`; `state` (may be null) is an earlier phase's
  // output to load first.
  SdkRun(const std::string& base_url, const Json& steps, const std::string& tag,
         const Json* state) {
    const char* modules = std::getenv("SESSIONLOG_NODE_MODULES");
    sdk_dir_ =
        modules != nullptr ? absl::StrCat(modules, "/sandbox-agent") : "";
    std::string dir = TmpDir();
    scenario_ = absl::StrCat(dir, "/", tag, ".scenario.json");
    out_ = absl::StrCat(dir, "/", tag, ".sdk.json");
    log_ = absl::StrCat(dir, "/", tag, ".sdk.log");
    std::ofstream(scenario_) << steps.dump();
    std::string state_path;
    if (state != nullptr) {
      state_path = absl::StrCat(dir, "/", tag, ".state.json");
      std::ofstream(state_path) << state->dump();
    }
    std::string runner = absl::StrCat(std::getenv("TEST_SRCDIR"), "/",
                                      std::getenv("TEST_WORKSPACE"),
                                      "/tests/e2e/sdk_runner.mjs");
    std::vector<std::string> args = {"node",   runner,    sdk_dir_,
                                     base_url, scenario_, out_};
    if (!state_path.empty()) args.push_back(state_path);
    pid_ = fork();
    if (pid_ == 0) {
      FILE* log = fopen(log_.c_str(), "w");
      if (log != nullptr) {
        dup2(fileno(log), 1);
        dup2(fileno(log), 2);
      }
      std::vector<char*> argv;
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execvp("node", argv.data());
      _exit(127);
    }
  }

  // Waits for the runner; its output, or an error naming its log.
  absl::StatusOr<Stored> Finish() {
    int status = 0;
    waitpid(pid_, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      return absl::InternalError(
          absl::StrCat("sdk_runner.mjs failed (", status, "): ", Slurp(log_)));
    }
    Json out = Json::parse(Slurp(out_), nullptr, false);
    if (out.is_discarded()) {
      return absl::InternalError("sdk_runner.mjs wrote no JSON: " +
                                 Slurp(log_));
    }
    return out;
  }

 private:
  std::string sdk_dir_, scenario_, out_, log_;
  pid_t pid_ = -1;
};

// ---- The C++ side: the same steps through sessionlog::Client ----

class CppRun {
 public:
  CppRun(const std::string& base_url, std::shared_ptr<SessionPersistDriver> d)
      : driver_(std::move(d)) {
    ClientOptions options;
    options.base_url = base_url;
    options.driver = driver_;
    options.health_monitor_interval = absl::ZeroDuration();
    absl::StatusOr<std::unique_ptr<Client>> client = Client::Connect(options);
    EXPECT_TRUE(client.ok()) << client.status();
    if (client.ok()) client_ = *std::move(client);
  }

  Json Run(const Json& steps) {
    Json results = Json::array();
    for (const Json& step : steps) results.push_back(RunStep(step));
    return results;
  }

  Client* client() { return client_.get(); }

 private:
  static Json Outcome(const std::string& op, const absl::Status& status,
                      Json value) {
    if (!status.ok()) {
      return {{"op", op}, {"ok", false}, {"error", status.ToString()}};
    }
    return {{"op", op}, {"ok", true}, {"value", std::move(value)}};
  }
  template <typename T>
  static Json Parsed(const absl::StatusOr<T>& text) {
    return text.ok() ? Json::parse(*text) : Json();
  }

  Json RunStep(const Json& step) {
    const std::string op = step["op"];
    const std::string id = step.value("id", "");
    if (op == "create") {
      CreateSessionRequest request;
      request.agent = "mock";
      request.id = id;
      request.cwd = step.value("cwd", "/tmp");
      absl::StatusOr<SessionRecord> r = client_->CreateSession(request);
      return Outcome(op, r.status(),
                     r.ok() ? Json(r->agent_session_id.value_or("")) : Json());
    }
    if (op == "permission") {
      auto it = handlers_.find(id);
      if (it != handlers_.end()) {
        client_->Unsubscribe(it->second);
        handlers_.erase(it);
      }
      const std::string reply = step["reply"];
      if (reply != "none") {
        PermissionReply answer = reply == "once"     ? PermissionReply::kOnce
                                 : reply == "always" ? PermissionReply::kAlways
                                                     : PermissionReply::kReject;
        Client* client = client_.get();
        handlers_[id] = client_->AddPermissionHandler(
            id, [client, answer](const PermissionRequest& request) {
              EXPECT_TRUE(client->RespondPermission(request.id, answer).ok());
            });
      }
      return Outcome(op, absl::OkStatus(), reply);
    }
    if (op == "prompt") {
      absl::StatusOr<PromptResult> r = client_->Prompt(id, step["text"]);
      return Outcome(op, r.status(), r.ok() ? Json(r->stop_reason) : Json());
    }
    if (op == "destroy_during_turn") {
      ListEventsRequest request;
      request.session_id = id;
      request.limit = kMaxPageLimit;
      size_t before = AllEvents(id).size();
      auto turn = client_->PromptAsync(
          id, Json::array({{{"type", "text"}, {"text", step["text"]}}}).dump());
      absl::Time give_up = absl::Now() + absl::Seconds(30);
      while (absl::Now() < give_up) {
        std::vector<SessionEvent> events = AllEvents(id);
        bool updated = false;
        for (size_t i = before; i < events.size(); ++i) {
          updated = updated ||
                    Json::parse(events[i].payload_json).value("method", "") ==
                        "session/update";
        }
        if (updated) break;
        absl::SleepFor(absl::Milliseconds(20));
      }
      absl::StatusOr<SessionRecord> destroyed = client_->DestroySession(id);
      EXPECT_TRUE(destroyed.ok()) << destroyed.status();
      absl::StatusOr<PromptResult> r = turn.get();
      return Outcome(op, r.status(), r.ok() ? Json(r->stop_reason) : Json());
    }
    if (op == "set_mode") {
      absl::StatusOr<std::string> r = client_->SetMode(id, step["value"]);
      return Outcome(op, r.status(), Parsed(r));
    }
    if (op == "set_config") {
      absl::StatusOr<std::string> r =
          client_->SetConfigOption(id, step["config"], step["value"]);
      return Outcome(op, r.status(), Parsed(r));
    }
    if (op == "set_model") {
      absl::StatusOr<std::string> r = client_->SetModel(id, step["value"]);
      return Outcome(op, r.status(), Parsed(r));
    }
    if (op == "set_thought_level") {
      absl::StatusOr<std::string> r =
          client_->SetThoughtLevel(id, step["value"]);
      return Outcome(op, r.status(), Parsed(r));
    }
    if (op == "get_modes") {
      absl::StatusOr<std::string> r = client_->GetModes(id);
      return Outcome(op, r.status(), Parsed(r));
    }
    if (op == "get_config_options") {
      absl::StatusOr<std::string> r = client_->GetConfigOptions(id);
      return Outcome(op, r.status(), Parsed(r));
    }
    if (op == "resume") {
      absl::StatusOr<SessionRecord> r = client_->ResumeSession(id);
      return Outcome(op, r.status(),
                     r.ok() ? Json(r->agent_session_id.value_or("")) : Json());
    }
    if (op == "destroy") {
      absl::StatusOr<SessionRecord> r = client_->DestroySession(id);
      return Outcome(op, r.status(),
                     r.ok() ? Json(r->destroyed_at.has_value()) : Json());
    }
    ADD_FAILURE() << "unknown step " << step.dump();
    return Json();
  }

  std::vector<SessionEvent> AllEvents(const std::string& id) {
    std::vector<SessionEvent> events;
    // A failed read leaves what was read before it, as the comparison shows.
    (void)ForEachEvent(*driver_, id, [&](const SessionEvent& e) {
      events.push_back(e);
      return absl::OkStatus();
    });
    return events;
  }

  std::shared_ptr<SessionPersistDriver> driver_;
  std::unique_ptr<Client> client_;
  std::map<std::string, SubscriptionId> handlers_;
};

// Everything in `driver`, as the SDK runner writes it.
Stored Dump(SessionPersistDriver& driver, Json results) {
  Stored out = {{"records", Json::array()},
                {"events", Json::object()},
                {"results", std::move(results)}};
  ListSessionsRequest sessions;
  sessions.limit = kMaxPageLimit;
  absl::StatusOr<Page<SessionRecord>> page = driver.ListSessions(sessions);
  EXPECT_TRUE(page.ok()) << page.status();
  if (!page.ok()) return out;
  for (const SessionRecord& record : page->items) {
    out["records"].push_back(Json::parse(SessionRecordToJson(record)));
    Json events = Json::array();
    absl::Status listed =
        ForEachEvent(driver, record.id, [&](const SessionEvent& e) {
          events.push_back(Json::parse(SessionEventToJson(e)));
          return absl::OkStatus();
        });
    EXPECT_TRUE(listed.ok()) << listed;
    out["events"][record.id] = std::move(events);
  }
  return out;
}

// ---- Normalization ----

// The scripted agent's tag of an agent message: (after, seq), or nullopt.
std::optional<std::pair<int64_t, int64_t>> AgentTag(const Json& payload) {
  const Json* meta = nullptr;
  if (payload.contains("params") && payload["params"].is_object() &&
      payload["params"].contains("_meta")) {
    meta = &payload["params"]["_meta"];
  } else if (payload.contains("result") && payload["result"].is_object() &&
             payload["result"].contains("_meta")) {
    meta = &payload["result"]["_meta"];
  }
  if (meta == nullptr || !meta->contains("scripted")) return std::nullopt;
  return std::make_pair((*meta)["scripted"]["after"].get<int64_t>(),
                        (*meta)["scripted"]["seq"].get<int64_t>());
}

// The events in the agent's order: the k-th message the client sent, then
// the agent's messages sent after the agent had received k of them, by the
// agent's sequence number.
std::vector<Json> AgentOrder(const Json& events) {
  struct Keyed {
    int64_t k, kind, seq;
    size_t stored_at;
    Json event;
  };
  std::vector<Keyed> keyed;
  int64_t client_count = 0;
  int64_t last_after = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    const Json& e = events[i];
    if (e["sender"] == "client") {
      keyed.push_back({++client_count, 0, 0, i, e});
    } else {
      auto tag = AgentTag(e["payload"]);
      int64_t after = tag ? tag->first : last_after;
      last_after = after;
      keyed.push_back({after, 1, tag ? tag->second : 0, i, e});
    }
  }
  std::stable_sort(
      keyed.begin(), keyed.end(), [](const Keyed& a, const Keyed& b) {
        return std::tie(a.k, a.kind, a.seq) < std::tie(b.k, b.kind, b.seq);
      });
  std::vector<Json> out;
  for (Keyed& k : keyed) out.push_back(std::move(k.event));
  return out;
}

// Replay text: timestamps zeroed, and its lines compared as a set (the SDK's
// replay inherits its stored order).
std::string NormalizeReplay(const std::string& text) {
  std::vector<std::string> lines = absl::StrSplit(text, '\n');
  std::string head = lines.empty() ? "" : lines[0];
  std::vector<std::string> body;
  for (size_t i = 1; i < lines.size(); ++i) {
    Json line = Json::parse(lines[i], nullptr, false);
    if (line.is_object() && line.contains("createdAt")) line["createdAt"] = 0;
    body.push_back(line.is_discarded() ? lines[i] : line.dump());
  }
  std::sort(body.begin(), body.end());
  return absl::StrCat(head, "\n", absl::StrJoin(body, "\n"));
}

Stored Normalize(const Stored& stored) {
  Stored out = {{"records", Json::array()}, {"events", Json::object()}};
  std::map<std::string, std::string> connections;
  auto connection = [&](const std::string& id) {
    auto it = connections.find(id);
    if (it == connections.end()) {
      it = connections
               .emplace(id, absl::StrCat("connection-", connections.size() + 1))
               .first;
    }
    return it->second;
  };
  std::vector<std::string> ids;
  for (const Json& r : stored["records"]) ids.push_back(r["id"]);
  std::sort(ids.begin(), ids.end());
  for (const std::string& id : ids) {
    Json events = Json::array();
    std::map<std::string, int> request_ids;
    std::vector<Json> ordered = AgentOrder(stored["events"][id]);
    for (size_t i = 0; i < ordered.size(); ++i) {
      Json e = ordered[i];
      Json p = e["payload"];
      bool request_or_reply =
          p.contains("id") && (e["sender"] == "client" ? p.contains("method")
                                                       : !p.contains("method"));
      if (request_or_reply) {
        std::string key = absl::StrCat(e["connectionId"].get<std::string>(),
                                       "/", p["id"].dump());
        if (!request_ids.count(key)) {
          int n = static_cast<int>(request_ids.size()) + 1;
          request_ids[key] = n;
        }
        p["id"] = absl::StrCat("request-", request_ids[key]);
      }
      if (p.value("method", "") == "session/prompt" &&
          p["params"]["prompt"].is_array()) {
        for (Json& block : p["params"]["prompt"]) {
          if (block.value("type", "") == "text" &&
              absl::StartsWith(block.value("text", ""), kReplayPrefix)) {
            block["text"] = NormalizeReplay(block["text"]);
          }
        }
      }
      events.push_back({{"eventIndex", i + 1},
                        {"sender", e["sender"]},
                        {"connectionId", connection(e["connectionId"])},
                        {"payload", std::move(p)}});
    }
    out["events"][id] = std::move(events);
  }
  for (const std::string& id : ids) {
    for (Json r : stored["records"]) {
      if (r["id"] != id) continue;
      r["createdAt"] = 0;
      if (r.contains("destroyedAt")) r["destroyedAt"] = "set";
      r["lastConnectionId"] = connection(r["lastConnectionId"]);
      out["records"].push_back(std::move(r));
    }
  }
  return out;
}

}  // namespace

// sessionlog's own order must already be the agent's: within each session,
// the agent's messages are stored in the order the agent sent them.
void ExpectAgentOrder(const Stored& stored) {
  for (auto& [id, events] : stored["events"].items()) {
    int64_t last_seq = 0;
    std::string last_connection;
    for (const Json& e : events) {
      if (e["connectionId"] != last_connection) last_seq = 0;  // New process.
      last_connection = e["connectionId"];
      if (e["sender"] != "agent") continue;
      auto tag = AgentTag(e["payload"]);
      if (!tag) continue;
      EXPECT_GT(tag->second, last_seq)
          << "session " << id << ": stored out of the agent's order at "
          << e.dump().substr(0, 300);
      last_seq = tag->second;
    }
  }
}

namespace {

// The steps' outcomes; errors compare by failing (their texts differ).
Json Outcomes(const Stored& stored) {
  Json out = stored["results"];
  for (Json& result : out) result.erase("error");
  return out;
}

}  // namespace

void ExpectSame(const Stored& sdk, const Stored& cpp) {
  EXPECT_EQ(Outcomes(sdk), Outcomes(cpp));
  Stored a = Normalize(sdk);
  Stored b = Normalize(cpp);
  EXPECT_EQ(a["records"], b["records"])
      << "SDK: " << a["records"].dump()
      << "\nsessionlog: " << b["records"].dump();
  for (auto& [id, events] : a["events"].items()) {
    const Json& other = b["events"].value(id, Json::array());
    EXPECT_EQ(events.size(), other.size()) << "session " << id;
    for (size_t i = 0; i < std::min(events.size(), other.size()); ++i) {
      EXPECT_EQ(events[i], other[i]) << "session " << id << ", event " << i + 1;
    }
  }
  EXPECT_EQ(a["events"].size(), b["events"].size());
}

std::shared_ptr<SessionPersistDriver> NewStore() {
  DriverOptions options;
  options.max_events_per_session = kNoLimit;
  absl::StatusOr<std::unique_ptr<SessionPersistDriver>> driver =
      OpenMemoryDriver(options);
  EXPECT_TRUE(driver.ok()) << driver.status();
  return std::move(*driver);
}

// Runs `steps` through both, in parallel on `server`; returns (sdk, cpp).
std::pair<Stored, Stored> RunBoth(ServerProcess& server, const Json& steps,
                                  const std::string& tag,
                                  std::shared_ptr<SessionPersistDriver> store,
                                  const Stored* sdk_state) {
  SdkRun sdk(server.base_url(), steps, tag, sdk_state);
  Json cpp_results;
  {
    CppRun cpp(server.base_url(), store);
    if (cpp.client() != nullptr) cpp_results = cpp.Run(steps);
  }
  absl::StatusOr<Stored> sdk_out = sdk.Finish();
  EXPECT_TRUE(sdk_out.ok()) << sdk_out.status();
  return {sdk_out.ok() ? *sdk_out : Stored(), Dump(*store, cpp_results)};
}

}  // namespace sdk_differential
}  // namespace sessionlog
