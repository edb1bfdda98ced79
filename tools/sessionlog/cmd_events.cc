// sessionlog events ID: a session's envelopes, one line each.

#include "absl/strings/str_cat.h"
#include "tools/sessionlog/commands.h"
#include "tools/sessionlog/event_view.h"
#include "tools/sessionlog/walk.h"

namespace sessionlog {
namespace cli {
namespace {

class EventsCommand : public Command {
 public:
  const Spec& spec() const override {
    static const Spec* spec = new Spec{
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
        1};
    return *spec;
  }

  int Run(Context& ctx, const Args& args) override {
    const std::string& id = args.positional()[0];
    absl::StatusOr<int64_t> from = args.GetInt("from", 0);
    if (!from.ok()) return ctx.Fail(from.status(), kExitUsage);
    absl::StatusOr<int64_t> limit = args.GetInt("limit", 0);
    if (!limit.ok()) return ctx.Fail(limit.status(), kExitUsage);
    auto store = ctx.OpenStore(Context::Access::kRead);
    if (!store.ok()) return ctx.FailStore(store.status());

    Table table(EventTableHeaders(), EventTableAligns());
    OrderedJson json = OrderedJson::array();
    int64_t shown = 0;
    std::optional<int64_t> after;
    if (args.Has("from") && *from > 0) after = *from - 1;
    EventWalkOptions walk;
    walk.after_index = after;
    absl::Status s = ForEachEvent(
        **store, id,
        [&](const SessionEvent& event) {
          if (*limit > 0 && shown >= *limit) {
            return absl::CancelledError("limit reached");
          }
          ++shown;
          if (ctx.options.json) {
            json.push_back(ToJsonValue(event));
          } else {
            table.AddRow(EventTableRow(event, ctx.style, args.Has("wide")));
          }
          return absl::OkStatus();
        },
        walk);
    if (!s.ok() && !absl::IsCancelled(s)) return ctx.FailStore(s);
    if (shown == 0) {
      // An unknown session has no events; say so rather than print nothing,
      // unless the session exists and is merely empty (or past --from).
      absl::StatusOr<SessionRecord> record = (*store)->GetSession(id);
      if (!record.ok() && absl::IsNotFound(record.status()) && !after) {
        return ctx.Fail(absl::StrCat("no session \"", id,
                                     "\" and no events under that id; "
                                     "`sessionlog ls` lists the sessions"),
                        kExitNotFound);
      }
    }
    if (ctx.options.json) {
      ctx.out << DumpJson(json) << "\n";
    } else {
      table.Print(ctx.out, ctx.style);
    }
    return kExitOk;
  }
};

}  // namespace

std::unique_ptr<Command> NewEventsCommand() {
  return std::make_unique<EventsCommand>();
}

}  // namespace cli
}  // namespace sessionlog
