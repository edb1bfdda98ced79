// Replay text: sessionlog's BuildReplayText against the SDK's buildReplayText
// (sandbox-agent@0.4.2 under node), on the same events, in the same run.
//
//   bazel run -c opt //bench/replay:replay_vs_sdk -- --events=50
//
// The SDK is timed twice: on payloads that are already JavaScript objects
// (its in-memory driver), and with JSON.parse of the stored text first (what
// its SQL drivers do on read). sessionlog starts from the stored text. Both
// texts are compared before anything is timed. Prints one line per side and
// the ratios (> 1: sessionlog is faster).

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "schema/js_json.h"
#include "schema/replay.h"

ABSL_FLAG(int, events, 50, "events in the replay (the SDK's default cap)");
ABSL_FLAG(int, iterations, 20000, "replays timed on each side");
ABSL_FLAG(std::string, sdk, "",
          "the SDK's node_modules (default: "
          "$HOME/.cache/sessionlog-oracle/node_modules)");

namespace {

// Looks like what the client stores: prompts, replies and notifications with
// non-ASCII text and a few numbers.
std::vector<sessionlog::SessionEvent> MakeEvents(int count) {
  std::vector<sessionlog::SessionEvent> events;
  for (int i = 1; i <= count; ++i) {
    sessionlog::SessionEvent e;
    e.id = absl::StrCat("e", i);
    e.event_index = i;
    e.session_id = "s1";
    e.created_at = 1700000000000 + i * 37;
    e.connection_id = "c1";
    e.sender = i % 2 ? sessionlog::Sender::kClient : sessionlog::Sender::kAgent;
    e.payload_json = absl::StrCat(
        R"({"jsonrpc":"2.0","id":)", i,
        R"(,"method":"session/prompt","params":{"sessionId":"ag-1",)",
        R"("prompt":[{"type":"text","text":"Refactor the parser, step )", i,
        R"( — keep the tests green ✓ \"quoted\"\n"}],)",
        R"("meta":{"temperature":0.7,"tokens":[1,22,333],"user":null}}})");
    events.push_back(std::move(e));
  }
  return events;
}

constexpr char kNodeScript[] = R"JS(
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
const [sdkDir, eventsPath, iterations, maxChars] = process.argv.slice(2);
const dist = path.join(sdkDir, "sandbox-agent", "dist");
let build;
for (const f of readdirSync(dist)) {
  if (!f.endsWith(".js")) continue;
  const src = readFileSync(path.join(dist, f), "utf8");
  const s = src.indexOf("function buildReplayText(");
  if (s === -1) continue;
  const e = src.indexOf("\nfunction ", s + 10);
  build = new Function(`${src.slice(s, e)}\nreturn buildReplayText;`)();
}
const stored = readFileSync(eventsPath, "utf8").trim().split("\n").map((l) => JSON.parse(l));
const parsed = stored.map((e) => ({ ...e, payload: JSON.parse(e.payload) }));
const n = Number(iterations), cap = Number(maxChars);
const time = (f) => {
  for (let i = 0; i < Math.min(n, 2000); ++i) f();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; ++i) f();
  return Number(process.hrtime.bigint() - t0) / 1e3 / n;
};
const text = build(parsed, cap);
const objects = time(() => build(parsed, cap));
const fromText = time(() => build(stored.map((e) => ({ ...e, payload: JSON.parse(e.payload) })), cap));
process.stdout.write(JSON.stringify({ text, objects, fromText }) + "\n");
)JS";

std::string Slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const int iterations = absl::GetFlag(FLAGS_iterations);
  const int64_t cap = 1 << 30;  // Time whole texts, not the truncation.
  std::string sdk = absl::GetFlag(FLAGS_sdk);
  if (sdk.empty()) {
    const char* home = std::getenv("HOME");
    sdk = absl::StrCat(home ? home : "",
                       "/.cache/sessionlog-oracle/node_modules");
  }
  std::vector<sessionlog::SessionEvent> events =
      MakeEvents(absl::GetFlag(FLAGS_events));

  std::string dir = absl::StrCat("/tmp/replay_vs_sdk.", getpid());
  std::string mkdir = "mkdir -p " + dir;
  if (std::system(mkdir.c_str()) != 0) return 1;
  {
    std::ofstream out(dir + "/events.jsonl", std::ios::binary);
    for (const sessionlog::SessionEvent& e : events) {
      std::string line = "{\"createdAt\":";
      absl::StrAppend(&line, e.created_at, ",\"sender\":\"",
                      sessionlog::SenderName(e.sender), "\",\"payload\":");
      sessionlog::AppendJsStringLiteral(e.payload_json, &line);
      out << line << "}\n";
    }
    std::ofstream script(dir + "/bench.mjs");
    script << kNodeScript;
  }
  std::string command = absl::StrCat("node ", dir, "/bench.mjs '", sdk, "' ",
                                     dir, "/events.jsonl ", iterations, " ",
                                     cap, " > ", dir, "/node.out");
  if (std::system(command.c_str()) != 0) {
    std::fprintf(stderr, "node failed; is the SDK under %s? (%s)\n",
                 sdk.c_str(), command.c_str());
    return 1;
  }
  std::string node_out = Slurp(dir + "/node.out");

  absl::StatusOr<std::optional<std::string>> ours =
      sessionlog::BuildReplayText(events, cap);
  if (!ours.ok() || !ours->has_value()) return 1;
  // The SDK's text, as a JSON string literal in node's output.
  std::string expected_literal;
  sessionlog::AppendJsStringLiteral(**ours, &expected_literal);
  if (node_out.find("{\"text\":" + expected_literal + ",") != 0) {
    std::fprintf(stderr, "the texts differ; not timing\n");
    return 1;
  }
  for (int i = 0; i < std::min(iterations, 2000); ++i) {
    (void)sessionlog::BuildReplayText(events, cap);
  }
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < iterations; ++i) {
    (void)sessionlog::BuildReplayText(events, cap);
  }
  double ours_us = std::chrono::duration<double, std::micro>(
                       std::chrono::steady_clock::now() - start)
                       .count() /
                   iterations;
  double objects_us =
      std::atof(node_out.substr(node_out.find("\"objects\":") + 10).c_str());
  double from_text_us =
      std::atof(node_out.substr(node_out.find("\"fromText\":") + 11).c_str());
  std::printf("replay of %zu events, %zu bytes of text\n", events.size(),
              (*ours)->size());
  std::printf("  sessionlog BuildReplayText (from stored text): %8.1f us\n",
              ours_us);
  std::printf(
      "  SDK buildReplayText (parsed objects):          %8.1f us  "
      "ratio %.2f\n",
      objects_us, objects_us / ours_us);
  std::printf(
      "  SDK JSON.parse + buildReplayText (stored text): %7.1f us  "
      "ratio %.2f\n",
      from_text_us, from_text_us / ours_us);
  std::string cleanup = "rm -rf " + dir;
  return std::system(cleanup.c_str()) == 0 ? 0 : 1;
}
