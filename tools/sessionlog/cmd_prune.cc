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

struct Victim {
  SessionRecord record;
  EventSummary events;
  std::string reason;  // "destroyed" or "idle".
};

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
  const bool dry_run = ctx.Has("dry-run");
  // A dry run only reads, so it works beside a live writer.
  absl::StatusOr<std::unique_ptr<SessionPersistDriver>> opened = ctx.OpenStore(
      ctx.options.db, dry_run ? StoreAccess::kRead : StoreAccess::kWrite);
  if (!opened.ok()) return opened.status();
  SessionPersistDriver& store = **opened;

  // First the whole list, then the removals: a walk may go on while records
  // go, but the list is also what --dry-run prints.
  std::vector<Victim> victims;
  absl::Status s = ForEachSession(store, [&](const SessionRecord& record) {
    absl::StatusOr<EventSummary> events = SummarizeEvents(store, record.id);
    if (!events.ok()) return events.status();
    std::string reason;
    if (*destroyed_before && record.destroyed_at &&
        *record.destroyed_at < **destroyed_before) {
      reason = "destroyed";
    } else if (*idle_before && LastActivity(record, *events) < **idle_before) {
      reason = "idle";
    }
    if (!reason.empty()) {
      victims.push_back({record, *std::move(events), std::move(reason)});
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  int64_t events = 0;
  for (const Victim& victim : victims) {
    if (!dry_run) {
      if (absl::Status d = store.DeleteSession(victim.record.id); !d.ok()) {
        return d;
      }
    }
    events += victim.events.count;
  }

  OrderedJson json;
  json["dryRun"] = dry_run;
  json["sessions"] = OrderedJson::array();
  Table table({"ID", "REASON", "EVENTS", "LAST ACTIVITY"},
              {Table::Align::kLeft, Table::Align::kLeft, Table::Align::kRight,
               Table::Align::kLeft});
  for (const Victim& victim : victims) {
    const int64_t last = LastActivity(victim.record, victim.events);
    OrderedJson row;
    row["id"] = victim.record.id;
    row["reason"] = victim.reason;
    row["events"] = victim.events.count;
    row["lastActivityAt"] = last;
    json["sessions"].push_back(std::move(row));
    table.AddRow({victim.record.id, victim.reason,
                  absl::StrCat(victim.events.count), FormatTime(last)});
  }
  json["removedSessions"] = dry_run ? 0 : static_cast<int64_t>(victims.size());
  json["removedEvents"] = dry_run ? 0 : events;
  std::string human = victims.empty() ? "" : table.Render(ctx.style);
  absl::StrAppend(&human, dry_run ? "would remove " : "removed ",
                  victims.size(), " session", victims.size() == 1 ? "" : "s",
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
