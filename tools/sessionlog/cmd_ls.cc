// sessionlog ls: the sessions of a store, one row each.

#include "absl/strings/str_cat.h"
#include "tools/sessionlog/commands.h"
#include "tools/sessionlog/event_view.h"
#include "tools/sessionlog/walk.h"

namespace sessionlog {
namespace cli {
namespace {

class LsCommand : public Command {
 public:
  const Spec& spec() const override {
    static const Spec* spec = new Spec{
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
        0};
    return *spec;
  }

  int Run(Context& ctx, const Args& args) override {
    absl::StatusOr<int64_t> limit = args.GetInt("limit", 0);
    if (!limit.ok()) return ctx.Fail(limit.status(), kExitUsage);
    auto store = ctx.OpenStore(Context::Access::kRead);
    if (!store.ok()) return ctx.FailStore(store.status());

    Table table(
        {"ID", "AGENT", "CREATED", "DESTROYED", "EVENTS", "LAST ACTIVITY"},
        {Table::Align::kLeft, Table::Align::kLeft, Table::Align::kLeft,
         Table::Align::kLeft, Table::Align::kRight, Table::Align::kLeft});
    OrderedJson json = OrderedJson::array();
    int64_t shown = 0;
    absl::Status s = ForEachSession(**store, [&](const SessionRecord& record) {
      if (*limit > 0 && shown >= *limit) {
        return absl::CancelledError("limit reached");
      }
      ++shown;
      absl::StatusOr<EventSummary> events = SummarizeEvents(**store, record.id);
      if (!events.ok()) return events.status();
      int64_t last = LastActivity(record, *events);
      if (ctx.options.json) {
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
    if (!s.ok() && !absl::IsCancelled(s)) return ctx.FailStore(s);
    if (ctx.options.json) {
      ctx.out << DumpJson(json) << "\n";
    } else {
      table.Print(ctx.out, ctx.style);
    }
    return kExitOk;
  }
};

}  // namespace

std::unique_ptr<Command> NewLsCommand() {
  return std::make_unique<LsCommand>();
}

}  // namespace cli
}  // namespace sessionlog
