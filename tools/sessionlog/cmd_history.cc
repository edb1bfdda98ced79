// sessionlog fork SRC NEW --through N, and sessionlog rewind ID --to N: the
// driver's ForkSession and RewindSession, with a line saying what changed.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/btree_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "tools/sessionlog/command.h"
#include "tools/sessionlog/walk.h"

namespace sessionlog {
namespace cli {
namespace {

// The index flag `flag`, which both commands require.
absl::StatusOr<int64_t> RequiredIndex(const Context& ctx,
                                      absl::string_view flag) {
  if (!ctx.Has(flag)) {
    return UsageError(absl::StrCat(
        "--", flag, " N is required: the event index to keep up to"));
  }
  return ctx.IntFlag(flag, 0, 0, kMaxSafeInteger);
}

// A refusal of the driver as the user typed it: its through_index is the
// command's `flag`, and an unknown session exits with kExitNotFound.
absl::Status FromDriver(const absl::Status& s, absl::string_view flag) {
  if (absl::IsNotFound(s)) return WithExitCode(s, kExitNotFound);
  // A fork refused because it would evict its source or itself: the store
  // is fine, the operation was refused (exit 1, as for a taken NEW).
  if (absl::IsFailedPrecondition(s) &&
      absl::StrContains(s.message(), "would evict")) {
    return WithExitCode(s, kExitFailure);
  }
  constexpr absl::string_view kField = "through_index: ";
  if (absl::IsInvalidArgument(s) && absl::StartsWith(s.message(), kField)) {
    return UsageError(
        absl::StrCat("--", flag, ": ", s.message().substr(kField.size())));
  }
  return s;
}

// The ids of every session with a record.
absl::StatusOr<absl::btree_set<std::string>> SessionIds(
    SessionPersistDriver& store) {
  absl::btree_set<std::string> ids;
  absl::Status s = ForEachSession(store, [&](const SessionRecord& record) {
    ids.insert(record.id);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return ids;
}

absl::Status RunFork(Context& ctx) {
  const std::string& source = ctx.arg(0);
  const std::string& fork = ctx.arg(1);
  absl::StatusOr<int64_t> through = RequiredIndex(ctx, "through");
  if (!through.ok()) return through.status();
  // Opened once the flags are known good, so that a bad --through is a
  // usage error whatever state the store is in.
  absl::StatusOr<std::unique_ptr<SessionPersistDriver>> opened =
      ctx.OpenStore(ctx.options.db, StoreAccess::kWrite);
  if (!opened.ok()) return opened.status();
  SessionPersistDriver& store = **opened;
  // A fork is a new session: past --max-sessions it evicts the oldest, the
  // source or the fork itself among them. The ids before and after name
  // what went (this process holds rocksdb and sqlite stores for writing; on
  // a shared server another writer's evictions may be named too).
  absl::StatusOr<absl::btree_set<std::string>> before = SessionIds(store);
  if (!before.ok()) return before.status();
  if (absl::Status s = store.ForkSession(source, fork, *through); !s.ok()) {
    return FromDriver(s, "through");
  }
  absl::StatusOr<absl::btree_set<std::string>> after = SessionIds(store);
  if (!after.ok()) return after.status();
  std::vector<std::string> evicted;
  for (const std::string& id : *before) {
    if (!after->contains(id)) evicted.push_back(id);
  }
  const bool fork_evicted = !after->contains(fork);
  if (fork_evicted) evicted.push_back(fork);
  absl::StatusOr<EventSummary> events = SummarizeEvents(store, fork);
  if (!events.ok()) return events.status();
  const int64_t copied = events->count;

  OrderedJson json;
  json["source"] = source;
  json["id"] = fork;
  json["throughIndex"] = *through;
  json["events"] = copied;
  json["evicted"] = fork_evicted;
  json["evictedSessions"] = evicted;
  std::string human =
      absl::StrCat("forked ", Printable(source), " through event ", *through,
                   " into ", Printable(fork), ": ", copied, " event",
                   copied == 1 ? "" : "s", " copied\n");
  if (!evicted.empty()) {
    std::vector<std::string> shown;
    for (const std::string& id : evicted) shown.push_back(Printable(id));
    absl::StrAppend(&human,
                    "evicted with their events, to stay within the "
                    "store's maximum number of sessions (--max-sessions): ",
                    absl::StrJoin(shown, ", "), "\n");
  }
  ctx.Print(json, human);
  return absl::OkStatus();
}

absl::Status RunRewind(Context& ctx) {
  const std::string& id = ctx.arg(0);
  absl::StatusOr<int64_t> to = RequiredIndex(ctx, "to");
  if (!to.ok()) return to.status();
  absl::StatusOr<std::unique_ptr<SessionPersistDriver>> opened =
      ctx.OpenStore(ctx.options.db, StoreAccess::kWrite);
  if (!opened.ok()) return opened.status();
  SessionPersistDriver& store = **opened;
  // Counted before and after, for the confirmation: this process holds the
  // store for writing, so nothing else changes the session in between
  // (rocksdb, sqlite); on a shared server the counts are what was there just
  // before and just after.
  absl::StatusOr<EventSummary> before = SummarizeEvents(store, id);
  if (!before.ok()) return before.status();
  if (absl::Status s = store.RewindSession(id, *to); !s.ok()) {
    return FromDriver(s, "to");
  }
  absl::StatusOr<EventSummary> after = SummarizeEvents(store, id);
  if (!after.ok()) return after.status();
  const int64_t dropped = before->count - after->count;

  OrderedJson json;
  json["id"] = id;
  json["throughIndex"] = *to;
  json["dropped"] = dropped;
  json["highestIndex"] = after->last_index ? OrderedJson(*after->last_index)
                                           : OrderedJson(nullptr);
  std::string human =
      absl::StrCat("rewound ", Printable(id), " to event ", *to, ": ", dropped,
                   " event", dropped == 1 ? "" : "s", " dropped\n");
  ctx.Print(json, human);
  return absl::OkStatus();
}

}  // namespace

extern const Command kForkCommand = {
    "fork",
    "SRC NEW --through N",
    "Copy a session's history up to an event into a new session.",
    "Creates session NEW with SRC's record (without its agent session id: "
    "no agent runs the fork,\nand resuming it replays its history into a "
    "new agent session) and SRC's events with index\n<= N, each under a "
    "new event id. SRC is not changed. All or nothing: NEW already "
    "existing\n(exit 1), SRC unknown (exit 4), or N past SRC's highest "
    "event index (exit 2) changes\nnothing. Opens the store for writing.\n"
    "Past --max-sessions the fork evicts the oldest sessions, as any new "
    "session does; the\nconfirmation names them. A fork that would evict "
    "SRC or itself (it takes SRC's createdAt,\nso both may be among the "
    "oldest) is refused (exit 1), changing nothing. --json prints {source, id, "
    "throughIndex, events, evicted,\nevictedSessions}.",
    {{"through", "N", "copy the events with index <= N (required)"}},
    {"fork fix-flaky-test try-again --through 12",
     "fork fix-flaky-test try-again --through 12 --json"},
    2,
    2,
    StoreAccess::kNone,  // RunFork opens it for writing, after its flags.
    RunFork,
};

extern const Command kRewindCommand = {
    "rewind",
    "ID --to N",
    "Drop a session's events after an event; appends continue from N+1.",
    "Removes every event of ID with index > N, in one atomic write; the "
    "record and the events\nup to N are not changed, and the next event "
    "appended may take index N+1 again. ID unknown\n(exit 4) or N past its "
    "highest event index (exit 2) changes nothing; N equal to it is a\n"
    "no-op. Opens the store for writing.\n--json prints {id, throughIndex, "
    "dropped, highestIndex}.",
    {{"to", "N", "keep the events with index <= N (required)"}},
    {"rewind fix-flaky-test --to 12", "rewind fix-flaky-test --to 12 --json"},
    1,
    1,
    StoreAccess::kNone,  // RunRewind opens it for writing, after its flags.
    RunRewind,
};

}  // namespace cli
}  // namespace sessionlog
