// sessionlog demo: writes a realistic set of agent sessions to an embedded
// store, closes it, reopens it, and shows what is there. The README's first
// command.

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "engine/open.h"
#include "tools/sessionlog/commands.h"
#include "tools/sessionlog/demo_data.h"
#include "tools/sessionlog/store_location.h"

namespace sessionlog {
namespace cli {
namespace {

absl::Status Refuse(absl::string_view uri, absl::string_view what) {
  return UsageError(absl::StrCat(
      Printable(uri), " ", what,
      "; demo writes only to a path with nothing there, an empty directory or "
      "file, or an empty store, so that it can neither evict nor mix with "
      "real sessions: give a fresh --db, or omit --db for a temporary store"));
}

// The demo writes under its own limits and ids into whatever --db names, so
// it may only write where there is nothing to lose: nothing at the path, an
// empty directory (rocksdb:) or empty file (sqlite:), or a store with no
// session and no event.
absl::Status CheckNothingToLose(const Context& ctx, absl::string_view uri,
                                const StoreUri& parsed) {
  std::optional<bool> exists = LocationExists(parsed);
  if (exists == false) return absl::OkStatus();
  if (exists == true) {
    std::error_code error;
    const std::filesystem::path path(parsed.location);
    if (std::filesystem::is_directory(path, error) &&
        std::filesystem::is_empty(path, error) && !error) {
      return absl::OkStatus();
    }
    if (parsed.scheme == StoreUri::Scheme::kSqlite &&
        std::filesystem::is_regular_file(path, error) &&
        std::filesystem::file_size(path, error) == 0 && !error) {
      return absl::OkStatus();
    }
  }
  auto store = ctx.OpenStore(uri, StoreAccess::kRead);
  if (!store.ok()) {
    if (!absl::IsNotFound(store.status())) return store.status();
    // No tables yet in a Postgres schema is a fresh store; a path that
    // holds something other than a store is not.
    if (exists == true) return Refuse(uri, "is not empty and holds no store");
    return absl::OkStatus();
  }
  absl::StatusOr<Page<SessionRecord>> first = (*store)->ListSessions({"", 1});
  absl::StatusOr<DriverStats> stats = (*store)->Stats();
  if (!first.ok() || !stats.ok()) {
    return Refuse(
        uri,
        absl::StrCat("cannot be checked for data (",
                     (first.ok() ? stats.status() : first.status()).message(),
                     ")"));
  }
  if (!first->items.empty() || stats->sessions > 0 || stats->events > 0) {
    return Refuse(uri, absl::StrCat("holds ", stats->sessions, " sessions and ",
                                    stats->events_is_estimate ? "about " : "",
                                    stats->events, " events"));
  }
  return absl::OkStatus();
}

absl::Status RunDemo(Context& ctx) {
  int64_t default_start = absl::ToUnixMillis(absl::Now()) - 3600 * 1000;
  // Up to the latest time JavaScript's Date can hold.
  absl::StatusOr<int64_t> start =
      ctx.IntFlag("at", default_start, 0, 8'640'000'000'000'000);
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
    if (absl::Status s = CheckNothingToLose(ctx, uri, *parsed); !s.ok()) {
      return s;
    }
    auto store = ctx.OpenStore(uri, StoreAccess::kCreate);
    if (!store.ok()) return store.status();
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
          << " events) to " << Printable(uri)
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
    ctx.out << "  sessionlog --db " << Printable(uri) << " " << command << "\n";
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
