#include "tests/differential/op_generator.h"

#include <map>
#include <random>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "schema/json_codec.h"

namespace sessionlog {
namespace {

using Json = nlohmann::json;

class Generator {
 public:
  explicit Generator(uint64_t seed) : rng_(seed) {}

  int64_t Uniform(int64_t lo, int64_t hi) {  // Inclusive.
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng_);
  }
  bool Chance(int percent) { return Uniform(1, 100) <= percent; }
  template <typename T>
  const T& Pick(const std::vector<T>& items) {
    return items[Uniform(0, static_cast<int64_t>(items.size()) - 1)];
  }

  // Scalars and small nested values, non-ASCII text included. No floats:
  // JavaScript would print 1.0 as 1, which is the same value but not the
  // same text, and the comparison is by value anyway.
  Json Value(int depth) {
    switch (Uniform(0, depth > 0 ? 6 : 4)) {
      case 0:
        return Uniform(-1000000, 1000000);
      case 1:
        return Pick(kTexts);
      case 2:
        return Chance(50);
      case 3:
        return nullptr;
      case 4:
        return Uniform(0, 9007199254740991);  // Up to 2^53 - 1.
      case 5: {
        Json array = Json::array();
        for (int64_t i = Uniform(0, 3); i > 0; --i)
          array.push_back(Value(depth - 1));
        return array;
      }
      default:
        return Object(depth - 1);
    }
  }

  Json Object(int depth) {
    Json object = Json::object();
    for (int64_t i = Uniform(0, 3); i > 0; --i) {
      object[Pick(kKeys)] = Value(depth);
    }
    return object;
  }

  SessionRecord Record(const std::string& id) {
    SessionRecord record;
    record.id = id;
    record.agent = Pick(std::vector<std::string>{"mock", "claude", "codex"});
    if (Chance(80))
      record.agent_session_id = absl::StrCat("ag-", Uniform(0, 99));
    record.last_connection_id = absl::StrCat("conn-", Uniform(0, 3));
    // Few distinct values, so that ties on createdAt are common.
    record.created_at = 1000 * Uniform(1, 6);
    if (Chance(30)) record.destroyed_at = record.created_at + Uniform(0, 5000);
    if (Chance(40)) record.sandbox_id = absl::StrCat("docker/", Uniform(0, 9));
    if (Chance(50)) {
      Json init = {{"cwd", Pick(kTexts)}, {"mcpServers", Json::array()}};
      if (Chance(50)) init["mcpServers"].push_back(Object(1));
      record.session_init_json = init.dump();
    }
    if (Chance(40)) {
      Json options = Json::array();
      for (int64_t i = Uniform(0, 2); i > 0; --i) options.push_back(Object(1));
      record.config_options_json = options.dump();
    }
    const int64_t modes = Uniform(0, 2);  // Absent, null, or an object.
    if (modes == 1) record.modes_json = "null";
    if (modes == 2) record.modes_json = Object(1).dump();
    return record;
  }

  SessionEvent Event(const std::string& session_id, int64_t index) {
    SessionEvent event;
    event.id = absl::StrCat(session_id, "-", index, "-", Uniform(0, 1 << 20));
    event.event_index = index;
    event.session_id = session_id;
    event.created_at = 1700000000000 + Uniform(0, 100000);
    event.connection_id = absl::StrCat("conn-", Uniform(0, 3));
    event.sender = Chance(50) ? Sender::kClient : Sender::kAgent;
    Json payload = {{"jsonrpc", "2.0"}};
    if (Chance(70)) payload["id"] = Uniform(1, 50);
    payload["method"] = Pick(kMethods);
    payload["params"] = Object(2);
    event.payload_json = payload.dump();
    return event;
  }

 private:
  const std::vector<std::string> kTexts = {"",
                                           "hi",
                                           "/work",
                                           "caf\xc3\xa9",
                                           "\xe2\x9c\x93 done",
                                           "\xf0\x9f\x98\x80",
                                           "line\nbreak",
                                           "quote\"s",
                                           "tab\there"};
  const std::vector<std::string> kKeys = {
      "text", "type", "content", "n", "sessionId", "\xc3\xa9t\xc3\xa9"};
  const std::vector<std::string> kMethods = {"session/prompt", "session/update",
                                             "session/new", "initialize"};
  std::mt19937_64 rng_;
};

}  // namespace

Script GenerateScript(uint64_t seed, int64_t max_sessions,
                      int64_t max_events_per_session, int num_ops) {
  Generator gen(seed);
  Script script;
  script.seed = seed;
  script.max_sessions = max_sessions;
  script.max_events_per_session = max_events_per_session;
  // Twice as many ids as the cap, so that eviction happens often; the last
  // ones rarely or never get a record, so events under unknown ids happen.
  std::vector<std::string> ids;
  for (int64_t i = 0; i < 2 * max_sessions + 2; ++i) {
    ids.push_back(i % 3 == 0 ? absl::StrCat("s", i) : absl::StrCat(i, "x"));
  }
  const std::vector<std::string> record_ids(ids.begin(), ids.end() - 2);
  std::map<std::string, int64_t> next_index;
  const std::vector<int64_t> limits = {0, 1, 1, 2, 2, 3, 4, 7};

  for (int n = 0; n < num_ops; ++n) {
    Op op;
    const int64_t roll = gen.Uniform(1, 100);
    if (roll <= 25) {
      op.kind = Op::Kind::kUpdateSession;
      op.record = gen.Record(gen.Pick(record_ids));
    } else if (roll <= 65) {
      op.kind = Op::Kind::kInsertEvent;
      const std::string& id = gen.Pick(ids);
      auto [it, first] = next_index.try_emplace(id, gen.Uniform(0, 3));
      if (!first) it->second += gen.Uniform(1, 3);  // Gaps, never back.
      op.event = gen.Event(id, it->second);
    } else if (roll <= 75) {
      op.kind = Op::Kind::kGetSession;
      op.id = gen.Pick(ids);
    } else if (roll <= 85) {
      op.kind = Op::Kind::kListSessions;
      op.limit = gen.Pick(limits);
    } else {
      op.kind = Op::Kind::kListEvents;
      op.id = gen.Pick(ids);
      op.limit = gen.Pick(limits);
    }
    script.ops.push_back(std::move(op));
  }
  return script;
}

std::string DescribeOp(const Op& op) {
  switch (op.kind) {
    case Op::Kind::kUpdateSession:
      return absl::StrCat("updateSession ", SessionRecordToJson(op.record));
    case Op::Kind::kInsertEvent:
      return absl::StrCat("insertEvent ", SessionEventToJson(op.event));
    case Op::Kind::kGetSession:
      return absl::StrCat("getSession \"", op.id, "\"");
    case Op::Kind::kListSessions:
      return absl::StrCat("listSessions, every page, limit ", op.limit);
    case Op::Kind::kListEvents:
      return absl::StrCat("listEvents of \"", op.id, "\", every page, limit ",
                          op.limit);
  }
  return "?";
}

}  // namespace sessionlog
