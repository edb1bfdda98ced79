#include "tests/interop/store_dump.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"
#include "schema/json_codec.h"
#include "tests/testing/temp_dir.h"

namespace sessionlog {
namespace {

// Ids that would break SQL text built by pasting: quotes, semicolons,
// comment markers, placeholders, backslashes, non-ASCII.
const char* const kHostileIds[] = {
    "it's",       "a\"b",        "x'; DROP TABLE events; --",
    "$1",         "back\\slash", "s\xC3\xA9\xE2\x9C\x93\xF0\x9F\x98\x80",
    "semi;colon", "%_like",      "\") OR 1=1 --",
};

std::string Quote(const std::string& s) { return nlohmann::json(s).dump(); }

}  // namespace

absl::StatusOr<std::vector<std::string>> ExportLines(
    SessionPersistDriver& driver, int64_t page_size) {
  std::vector<std::string> lines;
  SessionWalkOptions sessions;
  sessions.page_size = page_size;
  EventWalkOptions events;
  events.page_size = page_size;
  absl::Status s = ForEachSession(
      driver,
      [&](const SessionRecord& record) {
        lines.push_back(JsonLineToJson(record));
        return ForEachEvent(
            driver, record.id,
            [&](const SessionEvent& e) {
              lines.push_back(JsonLineToJson(e));
              return absl::OkStatus();
            },
            events);
      },
      sessions);
  if (!s.ok()) return s;
  return lines;
}

Fixture MakeFixture(int count) {
  std::vector<SessionRecord> records;
  std::vector<std::vector<SessionEvent>> events;
  for (int i = 0; i < count; ++i) {
    SessionRecord r;
    const int hostile = sizeof(kHostileIds) / sizeof(kHostileIds[0]);
    r.id = i < hostile ? kHostileIds[i] : absl::StrCat("session-", i);
    r.agent = i % 2 ? "claude" : "mock";
    if (i % 3 != 0) r.agent_session_id = absl::StrCat("agent-sess-", i);
    r.last_connection_id = absl::StrCat("conn-", i);
    // Two records share a created_at, so that ids break the tie.
    r.created_at = 1700000000000 + (i / 2) * 1000;
    if (i % 4 == 1) r.destroyed_at = r.created_at + 500;
    if (i % 2 == 0) r.sandbox_id = absl::StrCat("docker/", i);
    if (i % 3 == 1) {
      r.session_init_json =
          absl::StrCat(R"({"cwd":"/work/)", i,
                       R"(","mcpServers":[{"name":"fs","args":["-v"]}]})");
    }
    if (i % 5 == 2) r.config_options_json = R"([{"id":"model","value":"x"}])";
    if (i % 4 == 0) r.modes_json = "null";
    if (i % 4 == 3) r.modes_json = R"({"currentModeId":"ask","available":[]})";
    records.push_back(r);
    std::vector<SessionEvent> mine;
    for (int k = 1; k <= (i * 3) % 11; ++k) {
      SessionEvent e;
      e.id = absl::StrCat(r.id, "/ev-", k);
      e.event_index = k;
      e.session_id = r.id;
      e.created_at = r.created_at + k;
      e.connection_id = r.last_connection_id;
      e.sender = k % 2 ? Sender::kClient : Sender::kAgent;
      e.payload_json =
          absl::StrCat(R"({"jsonrpc":"2.0","id":)", k,
                       R"(,"method":"session/prompt",)", R"("params":{"text":)",
                       Quote(absl::StrCat("line\n\"quoted\" \xC3\xA9 ", r.id)),
                       R"(,"n":[1.5,-3,0,123456789012,true,null],"z":{}}})");
      mine.push_back(e);
    }
    events.push_back(mine);
  }
  Fixture f;
  for (const SessionRecord& r : records)
    f.write_order.push_back(JsonLineToJson(r));
  for (size_t k = 0;; ++k) {
    bool any = false;
    for (const auto& mine : events) {
      if (k < mine.size()) {
        f.write_order.push_back(JsonLineToJson(mine[k]));
        any = true;
      }
    }
    if (!any) break;
  }
  std::vector<size_t> order(records.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return std::tie(records[a].created_at, records[a].id) <
           std::tie(records[b].created_at, records[b].id);
  });
  for (size_t i : order) {
    f.export_order.push_back(JsonLineToJson(records[i]));
    for (const SessionEvent& e : events[i]) {
      f.export_order.push_back(JsonLineToJson(e));
    }
  }
  return f;
}

absl::Status WriteLines(SessionPersistDriver& driver,
                        const std::vector<std::string>& lines) {
  for (const std::string& line : lines) {
    absl::StatusOr<JsonLine> parsed = JsonLineFromJson(line);
    if (!parsed.ok()) return parsed.status();
    absl::Status s = parsed->session ? driver.UpdateSession(*parsed->session)
                                     : driver.InsertEvent(*parsed->event);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

bool SameJsonLines(const std::vector<std::string>& a,
                   const std::vector<std::string>& b, std::string* why) {
  for (size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
    if (i >= a.size() || i >= b.size()) {
      *why = absl::StrCat("line ", i, " is missing on one side (", a.size(),
                          " vs ", b.size(), " lines)");
      return false;
    }
    // nlohmann::json (std::map objects) compares objects regardless of key
    // order; numbers compare by value.
    nlohmann::json x = nlohmann::json::parse(a[i], nullptr, false);
    nlohmann::json y = nlohmann::json::parse(b[i], nullptr, false);
    if (x.is_discarded() || y.is_discarded() || x != y) {
      *why = absl::StrCat("line ", i, " differs:\n  ", a[i], "\n  ", b[i]);
      return false;
    }
  }
  return true;
}

absl::StatusOr<std::vector<std::string>> RunTsDrivers(
    const std::vector<std::string>& args,
    const std::vector<std::string>& stdin_lines) {
  const std::string dir = MakeTempDirectory("interop");
  const std::string in = dir + "/in", out = dir + "/out", err = dir + "/err";
  {
    std::ofstream f(in);
    for (const std::string& line : stdin_lines) f << line << "\n";
  }
  std::string command = "node tests/interop/ts_sql_drivers.mjs";
  for (const std::string& arg : args) {
    absl::StrAppend(&command, " '", absl::StrReplaceAll(arg, {{"'", "'\\''"}}),
                    "'");
  }
  absl::StrAppend(&command, " < ", in, " > ", out, " 2> ", err);
  const int rc = std::system(command.c_str());
  auto slurp = [](const std::string& path) {
    std::ifstream f(path);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  };
  if (rc != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("`", command, "` failed (status ", rc, "): ", slurp(err)));
  }
  std::vector<std::string> lines =
      absl::StrSplit(slurp(out), '\n', absl::SkipEmpty());
  return lines;
}

}  // namespace sessionlog
