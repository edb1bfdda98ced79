// sessionlog chat: one agent session from a terminal, every envelope stored
// in --db as the library stores it (tools/sessionlog/chat.h does the work).

#include <unistd.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "tools/sessionlog/chat.h"
#include "tools/sessionlog/command.h"

namespace sessionlog {
namespace cli {
namespace {

absl::Status RunChatCommand(Context& ctx) {
  ChatOptions options;
  options.server = ctx.Get("server").value_or("");
  options.token = ctx.Get("token").value_or("");
  options.agent = ctx.Get("agent").value_or("");
  options.id = ctx.Get("id").value_or("");
  options.cwd = ctx.Get("cwd").value_or("");
  options.resume = ctx.Get("resume").value_or("");
  options.permission = ctx.Get("permission").value_or("");
  options.interactive = isatty(0) && isatty(1);
  if (!options.resume.empty() && (!options.id.empty() || !options.cwd.empty())) {
    return UsageError("--id and --cwd go with --agent, not with --resume");
  }
  // The frame owns the store; the client borrows it for the chat.
  std::shared_ptr<SessionPersistDriver> store(&ctx.store(),
                                              [](SessionPersistDriver*) {});
  absl::Status s = RunChat(options, store, ctx.in, ctx.out, ctx.err);
  if (absl::IsInvalidArgument(s)) return UsageError(s.message());
  if (absl::IsNotFound(s) && !options.resume.empty()) {
    return WithExitCode(s, kExitNotFound);
  }
  if (!s.ok()) return WithExitCode(s, kExitFailure);
  return s;
}

}  // namespace

extern const Command kChatCommand = {
    "chat",
    "--server URL [--token T] (--agent NAME [--id ID] [--cwd DIR] | --resume "
    "ID) [--permission once|always|reject]",
    "Talk to an agent through a sandbox-agent server, storing every envelope.",
    "Reads prompts from stdin, one per line, and prints the agent's message "
    "chunks as they\narrive: a readable transcript on a terminal, plain text "
    "otherwise. A line \"/mode ID\" sets\nthe session's mode instead. Every "
    "JSON-RPC envelope goes into --db exactly as the\nclient library stores "
    "it (the store is created if missing).\n\n"
    "Permission requests are answered with --permission; without it they are "
    "asked on a\nterminal, and otherwise answered as the SDK answers with no "
    "handler (cancelled).\n\n"
    "Ctrl-C during a turn cancels that turn (session/cancel) and the chat "
    "goes on; Ctrl-C\nbetween turns quits. At the end of input chat exits 0 "
    "once the last turn has ended.\n--resume ID restores a stored session as "
    "the SDK's resumeSession does: a new agent\nsession, with the replay of "
    "the stored history as the first block of the next prompt.",
    {{"server", "URL", "the sandbox-agent server, e.g. http://127.0.0.1:2468"},
     {"token", "T", "its bearer token, if it has one"},
     {"agent", "NAME", "start a new session of this agent (claude, codex, ...)"},
     {"id", "ID", "the new session's id (default: a new UUID)"},
     {"cwd", "DIR", "the new session's working directory (default: here)"},
     {"resume", "ID", "restore this stored session instead"},
     {"permission", "REPLY", "answer permission requests: once, always or reject"}},
    {"--db rocksdb:./sessions chat --server http://127.0.0.1:2468 --agent claude",
     "chat --server http://127.0.0.1:2468 --resume fix-flaky-test",
     "echo 'summarize README.md' | sessionlog chat --server "
     "http://127.0.0.1:2468 --agent codex --permission reject"},
    0,
    0,
    StoreAccess::kCreate,
    RunChatCommand,
};

}  // namespace cli
}  // namespace sessionlog
