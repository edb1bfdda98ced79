// sessionlog prune: removes the sessions destroyed, or idle, since before a
// time, with their events.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "tools/sessionlog/command.h"
#include "tools/sessionlog/walk.h"

namespace sessionlog {
namespace cli {
namespace {

// A TIME flag: milliseconds since the epoch, an RFC 3339 time, or an age
// ("30d", "12h", "90m": that long before now).
absl::StatusOr<std::optional<int64_t>> TimeFlag(const Context& ctx,
                                                absl::string_view flag) {
  std::optional<std::string> text = ctx.Get(flag);
  if (!text) return std::nullopt;
  int64_t ms;
  if (absl::SimpleAtoi(*text, &ms) && ms >= 0) return ms;
  absl::Time time;
  std::string error;
  if (absl::ParseTime(absl::RFC3339_full, *text, &time, &error)) {
    return absl::ToUnixMillis(time);
  }
  absl::Duration age;
  bool is_age = false;
  if (!text->empty() && text->back() == 'd') {
    int64_t days;
    is_age = absl::SimpleAtoi(
                 absl::string_view(*text).substr(0, text->size() - 1), &days) &&
             days >= 0;
    age = absl::Hours(24) * days;
  } else {
    is_age = absl::ParseDuration(*text, &age) && age >= absl::ZeroDuration();
  }
  if (is_age) return absl::ToUnixMillis(absl::Now() - age);
  return UsageError(
      absl::StrCat("--", flag, "=", *text,
                   ": expected milliseconds since the epoch, an RFC 3339 time "
                   "(2026-11-01T00:00:00Z) or an age (30d, 12h, 90m)"));
}

absl::Status RunPrune(Context& ctx) {
  absl::StatusOr<std::optional<int64_t>> destroyed_before =
      TimeFlag(ctx, "destroyed-before");
  if (!destroyed_before.ok()) return destroyed_before.status();
  absl::StatusOr<std::optional<int64_t>> idle_before =
      TimeFlag(ctx, "idle-before");
  if (!idle_before.ok()) return idle_before.status();
  if (!*destroyed_before && !*idle_before) {
    return UsageError(
        "give --destroyed-before TIME, --idle-before TIME, or both");
  }
  // A time in the future selects every session (idle) or every destroyed
  // one: almost certainly a mistake, and not one to find out after the fact.
  const int64_t now = absl::ToUnixMillis(absl::Now());
  for (const auto& [flag, time] :
       {std::pair<const char*, std::optional<int64_t>>{"destroyed-before",
                                                       *destroyed_before},
        {"idle-before", *idle_before}}) {
    if (time && *time > now) {
      return UsageError(absl::StrCat(
          "--", flag, " is in the future (", FormatTime(*time),
          "); it would select every session that is ",
          std::string(flag) == "idle-before" ? "stored" : "destroyed",
          ". Give a past time, or an age such as 30d"));
    }
  }
  const PruneRule rule{*destroyed_before, *idle_before};
  const bool dry_run = ctx.Has("dry-run");
  // A dry run only reads, so it works beside a live writer.
  absl::StatusOr<std::unique_ptr<SessionPersistDriver>> opened = ctx.OpenStore(
      ctx.options.db, dry_run ? StoreAccess::kRead : StoreAccess::kWrite);
  if (!opened.ok()) return opened.status();
  SessionPersistDriver& store = **opened;

  std::vector<PrunedSession> selected;
  if (dry_run) {
    // What the rule selects now, with each session's event count.
    absl::Status s = ForEachSession(store, [&](const SessionRecord& record) {
      absl::StatusOr<EventSummary> events = SummarizeEvents(store, record.id);
      if (!events.ok()) return events.status();
      std::optional<PruneReason> reason =
          PruneReasonFor(rule, record, events->last_created_at);
      if (reason) {
        selected.push_back({record, *reason,
                            LastActivity(record, events->last_created_at),
                            events->count});
      }
      return absl::OkStatus();
    });
    if (!s.ok()) return s;
  } else {
    // The driver finds the sessions itself and checks the rule again inside
    // each removal, so a session resumed or written meanwhile stays; it
    // reports the events each removal removed.
    absl::StatusOr<std::vector<PrunedSession>> pruned =
        store.PruneSessions(rule);
    if (!pruned.ok()) return pruned.status();
    selected = *std::move(pruned);
  }

  int64_t events = 0;
  OrderedJson json;
  json["dryRun"] = dry_run;
  json["sessions"] = OrderedJson::array();
  Table table({"ID", "REASON", "EVENTS", "LAST ACTIVITY"},
              {Table::Align::kLeft, Table::Align::kLeft, Table::Align::kRight,
               Table::Align::kLeft});
  for (const PrunedSession& session : selected) {
    const int64_t count = session.events;
    events += count;
    OrderedJson row;
    row["id"] = session.record.id;
    row["reason"] = std::string(PruneReasonName(session.reason));
    row["events"] = count;
    row["lastActivityAt"] = session.last_activity_at;
    json["sessions"].push_back(std::move(row));
    table.AddRow({session.record.id,
                  std::string(PruneReasonName(session.reason)),
                  absl::StrCat(count), FormatTime(session.last_activity_at)});
  }
  json["removedSessions"] = dry_run ? 0 : static_cast<int64_t>(selected.size());
  json["removedEvents"] = dry_run ? 0 : events;
  std::string human = selected.empty() ? "" : table.Render(ctx.style);
  absl::StrAppend(&human, dry_run ? "would remove " : "removed ",
                  selected.size(), " session", selected.size() == 1 ? "" : "s",
                  " (", events, " event", events == 1 ? "" : "s", ")",
                  dry_run ? "; nothing changed (--dry-run)" : "", "\n");
  ctx.Print(json, human);
  return absl::OkStatus();
}

}  // namespace

extern const Command kPruneCommand = {
    "prune",
    "[--destroyed-before TIME] [--idle-before TIME] [--dry-run]",
    "Remove sessions destroyed, or idle, since before a time.",
    "Removes, with all their events, the sessions destroyed before "
    "--destroyed-before, and those\nwhose last activity (the latest of "
    "created, destroyed and their newest event) is before\n--idle-before; "
    "at least one is required. TIME is milliseconds since the epoch, an "
    "RFC 3339\ntime, or an age (30d, 12h, 90m: that long ago). "
    "--dry-run lists what would go and changes\nnothing (it opens the store "
    "read-only; otherwise prune opens it for writing). Events\nunder ids "
    "without a record are left alone. --json prints {dryRun, sessions: "
    "[{id, reason,\nevents, lastActivityAt}], removedSessions, "
    "removedEvents}.",
    {{"destroyed-before", "TIME", "remove sessions destroyed before TIME"},
     {"idle-before", "TIME", "remove sessions with no activity since TIME"},
     {"dry-run", "", "only list what would be removed"}},
    {"prune --destroyed-before 30d --dry-run",
     "prune --destroyed-before 7d --idle-before 2026-11-01T00:00:00Z --json"},
    0,
    0,
    StoreAccess::kNone,
    RunPrune,
};

}  // namespace cli
}  // namespace sessionlog
