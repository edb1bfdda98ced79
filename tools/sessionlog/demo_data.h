// A realistic set of agent sessions for `sessionlog demo`: several agents,
// each session a JSON-RPC conversation as the SDK records it (initialize,
// session/new, session/prompt, session/update chunks and tool calls, results,
// an error), with the SDK's ids, connection ids and millisecond timestamps.

#ifndef SESSIONLOG_TOOLS_SESSIONLOG_DEMO_DATA_H_
#define SESSIONLOG_TOOLS_SESSIONLOG_DEMO_DATA_H_

#include <cstdint>
#include <vector>

#include "api/session.h"

namespace sessionlog {
namespace cli {

struct DemoSession {
  SessionRecord record;
  std::vector<SessionEvent> events;  // event_index 1, 2, ...
};

// The demo sessions, the first created at `start_ms`, the others minutes
// apart. Deterministic: the same start gives the same sessions.
std::vector<DemoSession> MakeDemoSessions(int64_t start_ms);

// The session whose replay the demo prints.
inline constexpr char kDemoReplaySession[] = "fix-flaky-test";

}  // namespace cli
}  // namespace sessionlog

#endif  // SESSIONLOG_TOOLS_SESSIONLOG_DEMO_DATA_H_
