#include "bench/workload.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace sessionlog::bench {
namespace {

// SplitMix64: a tiny, well-mixed generator; enough to make text that
// compresses like prose rather than like a repeated template.
uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

constexpr const char* kWords[] = {
    "the",      "file",    "function", "returns", "error",  "build",  "test",
    "passes",   "session", "agent",    "reads",   "writes", "a",      "to",
    "in",       "config",  "update",   "with",    "check",  "value",  "and",
    "then",     "output",  "line",     "we",      "should", "change", "module",
    "import",   "path",    "diff",     "command", "run",    "cargo",  "npm",
    "fixed",    "now",     "looks",    "correct", "let",    "me",     "open",
    "src/main", "index",   "handler",  "request", "string", "number"};
constexpr int kWordCount = sizeof(kWords) / sizeof(kWords[0]);

constexpr int64_t kBaseTimeMs = 1767225600000;  // 2026-01-01T00:00:00Z

std::string Text(uint64_t seed, int64_t target_bytes) {
  std::string text;
  uint64_t state = seed;
  while (static_cast<int64_t>(text.size()) < target_bytes) {
    state = Mix(state);
    if (!text.empty()) text.push_back(' ');
    text.append(kWords[state % kWordCount]);
  }
  return text;
}

}  // namespace

std::string StableUuid(uint64_t seed, uint64_t a, uint64_t b) {
  uint64_t hi = Mix(seed ^ Mix(a * 0x100000001b3ull + b));
  uint64_t lo = Mix(hi ^ b);
  // Version 4, variant 10xx, like crypto.randomUUID().
  hi = (hi & ~0xf000ull) | 0x4000ull;
  lo = (lo & 0x3fffffffffffffffull) | 0x8000000000000000ull;
  return absl::StrFormat("%08x-%04x-%04x-%04x-%012x", hi >> 32,
                         (hi >> 16) & 0xffff, hi & 0xffff, lo >> 48,
                         lo & 0xffffffffffffull);
}

std::string Workload::SessionId(int64_t session) const {
  return StableUuid(spec_.seed, 1, session);
}

SessionRecord Workload::Session(int64_t session) const {
  SessionRecord record;
  record.id = SessionId(session);
  record.agent = "claude";
  record.agent_session_id = StableUuid(spec_.seed, 2, session);
  record.last_connection_id = StableUuid(spec_.seed, 3, session);
  record.created_at = kBaseTimeMs + session * 1000;
  record.sandbox_id =
      absl::StrCat("docker/", StableUuid(spec_.seed, 4, session));
  record.session_init_json = R"({"cwd":"/workspace","mcpServers":[]})";
  return record;
}

SessionEvent Workload::Event(int64_t session, int64_t event_index) const {
  SessionEvent event;
  uint64_t key = Mix(spec_.seed ^ Mix(session * 0x9e3779b1ull + event_index));
  event.id = StableUuid(spec_.seed, 5 + session, event_index);
  event.event_index = event_index;
  event.session_id = SessionId(session);
  event.created_at = kBaseTimeMs + session * 1000 + event_index * 250;
  event.connection_id = StableUuid(spec_.seed, 3, session);
  // One prompt from the client, then a run of streamed chunks from the agent:
  // the shape of a real ACP conversation.
  const bool from_client = event_index % 8 == 1;
  event.sender = from_client ? Sender::kClient : Sender::kAgent;
  const std::string agent_session = StableUuid(spec_.seed, 2, session);
  std::string head;
  if (from_client) {
    head =
        absl::StrCat(R"({"jsonrpc":"2.0","id":)", event_index,
                     R"(,"method":"session/prompt","params":{"sessionId":")",
                     agent_session, R"(","prompt":[{"type":"text","text":")");
  } else {
    head = absl::StrCat(
        R"({"jsonrpc":"2.0","method":"session/update","params":{"sessionId":")",
        agent_session,
        R"(","update":{"sessionUpdate":"agent_message_chunk","content":{"type":"text","text":")");
  }
  const std::string tail = from_client ? R"("}]}})" : R"("}}}})";
  const int64_t room =
      spec_.payload_bytes - static_cast<int64_t>(head.size() + tail.size());
  event.payload_json = absl::StrCat(head, Text(key, room > 8 ? room : 8), tail);
  return event;
}

}  // namespace sessionlog::bench
