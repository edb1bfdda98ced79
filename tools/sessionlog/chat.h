// `sessionlog chat`: the client (api/client) from a terminal. One session,
// prompts from stdin one per line, the agent's message chunks printed as
// they arrive, every envelope stored in the --db store exactly as the
// library stores it. cmd_chat.cc gives it its command line.

#ifndef SESSIONLOG_TOOLS_SESSIONLOG_CHAT_H_
#define SESSIONLOG_TOOLS_SESSIONLOG_CHAT_H_

#include <iostream>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "api/driver.h"

namespace sessionlog {
namespace cli {

struct ChatOptions {
  std::string server;      // sandbox-agent base URL.
  std::string token;       // Bearer token; empty: none.
  std::string agent;       // A new session of this agent...
  std::string id;          // ... with this id (empty: a new UUID),
  std::string cwd;         // ... in this directory (empty: the current one).
  std::string resume;      // Or: restore this stored session.
  std::string permission;  // "once", "always", "reject", or empty.
  // A terminal on both ends: a readable transcript, and permission requests
  // asked on it when `permission` is empty.
  bool interactive = false;
};

// Runs the chat, storing into `store`, until the end of input (once the
// last turn has ended) or a Ctrl-C between turns: OK. Ctrl-C during a turn
// cancels that turn and the chat goes on. A failed turn is reported on `err`
// and the chat goes on. Errors: InvalidArgument for bad options, NotFound
// for an unknown `resume` id, the client's errors (Unavailable,
// Unauthenticated, ...) for a server that cannot be used.
absl::Status RunChat(const ChatOptions& options,
                     std::shared_ptr<SessionPersistDriver> store,
                     std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace cli
}  // namespace sessionlog

#endif  // SESSIONLOG_TOOLS_SESSIONLOG_CHAT_H_
