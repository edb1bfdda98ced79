// sessionlog events ID: a session's envelopes, one line each.

#include "absl/strings/str_cat.h"
#include "tools/sessionlog/command.h"
#include "tools/sessionlog/event_view.h"

namespace sessionlog {
namespace cli {
namespace {

absl::Status RunEvents(Context& ctx) {
  const std::string& id = ctx.arg(0);
  // The range of eventIndex, so that past it is an error, not an empty page.
  absl::StatusOr<int64_t> from = ctx.IntFlag("from", 0, 0, kMaxSafeInteger);
  if (!from.ok()) return from.status();
  absl::StatusOr<int64_t> limit = ctx.IntFlag("limit", kAllRows);
  if (!limit.ok()) return limit.status();

  Table table = EventTable(ctx.Has("wide"));
  OrderedJson json = OrderedJson::array();
  int64_t shown = 0;
  bool any = false;  // Whether the session has an event (shown or not).
  EventWalkOptions walk;
  if (*from > 0) walk.after_index = *from - 1;
  absl::Status s = ForEachEvent(
      ctx.store(), id,
      [&](const SessionEvent& event) {
        any = true;
        if (shown >= *limit) {
          return absl::CancelledError("limit reached");
        }
        ++shown;
        if (ctx.json()) {
          json.push_back(ToJsonValue(event));
        } else {
          AddEventRow(table, event);
        }
        return absl::OkStatus();
      },
      walk);
  if (!s.ok() && !absl::IsCancelled(s)) return s;
  if (!any) {
    // An unknown session has no events; say so rather than print nothing,
    // unless the session exists and is merely empty (or past --from).
    absl::StatusOr<SessionRecord> record = ctx.store().GetSession(id);
    if (!record.ok() && absl::IsNotFound(record.status()) &&
        !walk.after_index) {
      return NoSessionError(id, "; `sessionlog ls` lists the sessions");
    }
  }
  ctx.Print(json, table.Render(ctx.style));
  return absl::OkStatus();
}

}  // namespace

extern const Command kEventsCommand = {
    "events",
    "ID [--from N] [--limit N] [--wide]",
    "List a session's events: index, time, sender, JSON-RPC method, text.",
    "Events are listed in eventIndex order. METHOD is the envelope's "
    "method (for session/update,\nthe update kind too), or \"result #ID\" "
    "/ \"error #ID\" for a response. TEXT is the prompt or\nmessage text, "
    "a tool call's title and status, or a result's stopReason.\n--json "
    "prints a JSON array of the events in the SDK's form.",
    {{"from", "N", "start at eventIndex N (default: the first)"},
     {"limit", "N", "show at most N events (default: all)"},
     {"wide", "", "do not cut the TEXT column"}},
    {"events fix-flaky-test", "events fix-flaky-test --from 20 --limit 10",
     "events fix-flaky-test --json | jq '.[].payload.method'"},
    1,
    1,
    StoreAccess::kRead,
    RunEvents,
};

}  // namespace cli
}  // namespace sessionlog
