// sessionlog ls: the sessions of a store, one row each.

#include "absl/strings/str_cat.h"
#include "tools/sessionlog/command.h"
#include "tools/sessionlog/walk.h"

namespace sessionlog {
namespace cli {
namespace {

// Agent names are free text of up to 4 KiB; ids are shown whole.
constexpr size_t kAgentColumnWidth = 32;

absl::Status RunLs(Context& ctx) {
  absl::StatusOr<int64_t> limit = ctx.IntFlag("limit", kAllRows);
  if (!limit.ok()) return limit.status();
  Table table(
      {"ID", "AGENT", "CREATED", "DESTROYED", "EVENTS", "LAST ACTIVITY"},
      {Table::Align::kLeft, Table::Align::kLeft, Table::Align::kLeft,
       Table::Align::kLeft, Table::Align::kRight, Table::Align::kLeft});
  table.SetMaxWidth(1, kAgentColumnWidth);
  OrderedJson json = OrderedJson::array();
  int64_t shown = 0;
  absl::Status s =
      ForEachSession(ctx.store(), [&](const SessionRecord& record) {
        if (shown >= *limit) {
          return absl::CancelledError("limit reached");
        }
        ++shown;
        absl::StatusOr<EventSummary> events =
            SummarizeEvents(ctx.store(), record.id);
        if (!events.ok()) return events.status();
        int64_t last = LastActivity(record, events->last_created_at);
        if (ctx.json()) {
          OrderedJson row;
          row["id"] = record.id;
          row["agent"] = record.agent;
          row["createdAt"] = record.created_at;
          row["destroyedAt"] = record.destroyed_at
                                   ? OrderedJson(*record.destroyed_at)
                                   : OrderedJson(nullptr);
          row["events"] = events->count;
          row["lastActivityAt"] = last;
          json.push_back(std::move(row));
        } else {
          table.AddRow({record.id, record.agent, FormatTime(record.created_at),
                        FormatTime(record.destroyed_at),
                        absl::StrCat(events->count), FormatTime(last)});
        }
        return absl::OkStatus();
      });
  if (!s.ok() && !absl::IsCancelled(s)) return s;
  ctx.Print(json, table.Render(ctx.style));
  return absl::OkStatus();
}

}  // namespace

extern const Command kLsCommand = {
    "ls",
    "[--limit N]",
    "List sessions: id, agent, created, destroyed, event count, last "
    "activity.",
    "Sessions are listed in (createdAt, id) order, the order of the SDK's "
    "listSessions.\nEVENTS counts the events the store retains (at most "
    "--max-events-per-session).\nLAST ACTIVITY is the latest of the "
    "session's creation, destruction and last event.\nThe store is opened "
    "read-only, so a live writer is not disturbed.",
    {{"limit", "N", "show at most N sessions (default: all)"}},
    {"ls", "--db rocksdb:/var/lib/app/sessions ls",
     "ls --json | jq '.[] | select(.destroyedAt == null) | .id'"},
    0,
    0,
    StoreAccess::kRead,
    RunLs,
};

}  // namespace cli
}  // namespace sessionlog
