// sessionlog demo: writes a realistic set of agent sessions to an embedded
// store, closes it, reopens it, and shows what is there. The README's first
// command.

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "engine/open.h"
#include "tools/sessionlog/commands.h"
#include "tools/sessionlog/demo_data.h"

namespace sessionlog {
namespace cli {
namespace {

absl::Status RunDemo(Context& ctx) {
  int64_t default_start = absl::ToUnixMillis(absl::Now()) - 3600 * 1000;
  absl::StatusOr<int64_t> start = ctx.IntFlag("at", default_start);
  if (!start.ok()) return start.status();

  std::string uri;
  if (ctx.Has("db")) {
    uri = ctx.options.db;
  } else {
    const char* tmp = std::getenv("TMPDIR");
    std::string dir =
        absl::StrCat(tmp && *tmp ? tmp : "/tmp", "/sessionlog-demo-XXXXXX");
    if (mkdtemp(dir.data()) == nullptr) {
      return absl::UnknownError(absl::StrCat("cannot create a directory like ",
                                             dir, ": ", std::strerror(errno)));
    }
    uri = absl::StrCat("rocksdb:", dir, "/store");
  }
  absl::StatusOr<StoreUri> parsed = ParseStoreUri(uri);
  if (!parsed.ok()) return WithExitCode(parsed.status(), kExitUsage);
  if (parsed->scheme == StoreUri::Scheme::kMemory) {
    return UsageError(
        "demo reopens the store it writes, and memory: keeps nothing "
        "across an open; use rocksdb:PATH or sqlite:FILE");
  }

  std::vector<DemoSession> sessions = MakeDemoSessions(*start);
  int64_t events = 0;
  {
    auto store = ctx.OpenStore(uri, StoreAccess::kCreate);
    if (!store.ok()) return store.status();
    // The demo's ids are fixed, so a second run into the same store would
    // collide with the first one's events (same index, other time).
    if ((*store)->GetSession(kDemoReplaySession).ok()) {
      return UsageError(absl::StrCat(uri,
                                     " already holds the demo sessions; give "
                                     "a fresh --db, or omit --db for a "
                                     "temporary store"));
    }
    for (const DemoSession& session : sessions) {
      if (absl::Status s = (*store)->UpdateSession(session.record); !s.ok()) {
        return s;
      }
      // One insert per envelope, as the SDK's per-session queue does.
      for (const SessionEvent& event : session.events) {
        if (absl::Status s = (*store)->InsertEvent(event); !s.ok()) return s;
        ++events;
      }
    }
    if (absl::Status s = (*store)->Flush(); !s.ok()) return s;
  }  // Closed here; what follows reads it back from disk.

  if (ctx.json()) {
    OrderedJson json;
    json["db"] = uri;
    json["sessions"] = sessions.size();
    json["events"] = events;
    json["replaySession"] = kDemoReplaySession;
    ctx.Print(json, "");
    return absl::OkStatus();
  }

  // The other commands, as if typed, on the reopened store.
  GlobalOptions reopened = ctx.options;
  reopened.db = uri;
  const Style& style = ctx.style;
  ctx.out << "Wrote " << sessions.size() << " sessions (" << events
          << " events) to " << uri
          << ", closed the store and reopened it read-only.\n\n"
          << style.Bold("Sessions") << " (sessionlog ls)\n";
  if (absl::Status s = RunSubcommand(ctx, kLsCommand, {}, reopened); !s.ok()) {
    return s;
  }
  ctx.out << "\n"
          << style.Bold(absl::StrCat("Events of ", kDemoReplaySession))
          << " (sessionlog events " << kDemoReplaySession << ")\n";
  if (absl::Status s =
          RunSubcommand(ctx, kEventsCommand, {kDemoReplaySession}, reopened);
      !s.ok()) {
    return s;
  }
  ctx.out << "\n"
          << style.Bold("Replay text") << " (sessionlog replay "
          << kDemoReplaySession
          << " --max-events 6): what restoring the session puts in its "
             "next prompt\n(the newest 6 events here; the SDK keeps 50)\n";
  if (absl::Status s =
          RunSubcommand(ctx, kReplayCommand,
                        {kDemoReplaySession, "--max-events", "6"}, reopened);
      !s.ok()) {
    return s;
  }
  ctx.out << "\nExplore it:\n";
  for (const char* command : {"ls", "show review-pr-142", "events mock-echo",
                              "stats", "verify", "export > demo.jsonl"}) {
    ctx.out << "  sessionlog --db " << uri << " " << command << "\n";
  }
  return absl::OkStatus();
}

}  // namespace

extern const Command kDemoCommand = {
    "demo",
    "[--db URI] [--at MS]",
    "Write a realistic set of agent sessions, reopen the store, and show "
    "them.",
    "Writes five sessions of four agents (claude, codex, gemini, mock) as "
    "the SDK records\nthem: initialize, session/new, prompts, "
    "session/update message chunks and tool calls,\nresults, a cancelled "
    "turn, an error, a destroyed session. Then it closes the store,\n"
    "reopens it read-only, and prints the session table, one session's "
    "events and the\nreplay text that restoring that session would inject."
    "\n\nWithout --db it writes to a fresh temporary RocksDB directory and "
    "prints its path, so\nyou can go on exploring it. --db memory: is "
    "refused: nothing would be left to reopen.",
    {{"at", "MS",
      "creation time of the first session, ms since the epoch "
      "(default: an hour ago)"}},
    {"demo", "demo --db rocksdb:./sessionlog-data",
     "demo --json | jq .sessions"},
    0,
    0,
    StoreAccess::kNone,
    RunDemo,
};

}  // namespace cli
}  // namespace sessionlog
