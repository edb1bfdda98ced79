// sessionlog show ID: one session's record, field by field.

#include "absl/strings/str_cat.h"
#include "tools/sessionlog/commands.h"
#include "tools/sessionlog/event_view.h"
#include "tools/sessionlog/walk.h"

namespace sessionlog {
namespace cli {
namespace {

class ShowCommand : public Command {
 public:
  const Spec& spec() const override {
    static const Spec* spec = new Spec{
        "show",
        "ID",
        "Show one session's record and a summary of its events.",
        "Prints every field of the SessionRecord (times in local ISO form; "
        "JSON fields as stored),\nthen the number of retained events, their "
        "index range and the last activity.\n--json prints {\"session\": "
        "<the SDK's record JSON>, \"events\": {...}, \"lastActivityAt\": ms}.",
        {},
        {"show 7f9c0e4e-8a51-4cf0-9c1a-1f0e7b6a9d21",
         "show fix-flaky-test --json"},
        1,
        1};
    return *spec;
  }

  int Run(Context& ctx, const Args& args) override {
    const std::string& id = args.positional()[0];
    auto store = ctx.OpenStore(Context::Access::kRead);
    if (!store.ok()) return ctx.FailStore(store.status());
    absl::StatusOr<SessionRecord> record = (*store)->GetSession(id);
    absl::StatusOr<EventSummary> events = SummarizeEvents(**store, id);
    if (!events.ok()) return ctx.FailStore(events.status());
    if (!record.ok()) {
      if (!absl::IsNotFound(record.status())) {
        return ctx.FailStore(record.status());
      }
      std::string message = absl::StrCat("no session \"", id, "\"");
      if (events->count > 0) {
        absl::StrAppend(&message, " (but ", events->count,
                        " events are stored under this id without a record; "
                        "see `sessionlog events ",
                        id, "`)");
      } else {
        absl::StrAppend(&message, "; `sessionlog ls` lists the sessions");
      }
      return ctx.Fail(message, kExitNotFound);
    }
    int64_t last = LastActivity(*record, *events);
    if (ctx.options.json) {
      OrderedJson json;
      json["session"] = ToJsonValue(*record);
      OrderedJson summary;
      summary["count"] = events->count;
      summary["firstIndex"] = events->first_index
                                  ? OrderedJson(*events->first_index)
                                  : OrderedJson(nullptr);
      summary["lastIndex"] = events->last_index
                                 ? OrderedJson(*events->last_index)
                                 : OrderedJson(nullptr);
      json["events"] = std::move(summary);
      json["lastActivityAt"] = last;
      ctx.out << DumpJson(json) << "\n";
      return kExitOk;
    }
    auto text = [](const std::optional<std::string>& value) {
      return value ? *value : std::string("-");
    };
    std::string range = "-";
    if (events->count > 0) {
      range = absl::StrCat(*events->first_index, "..", *events->last_index);
    }
    const std::vector<std::pair<std::string, std::string>> fields = {
        {"id", record->id},
        {"agent", record->agent},
        {"agentSessionId", text(record->agent_session_id)},
        {"lastConnectionId", record->last_connection_id},
        {"createdAt", FormatTime(record->created_at)},
        {"destroyedAt", FormatTime(record->destroyed_at)},
        {"sandboxId", text(record->sandbox_id)},
        {"sessionInit", text(record->session_init_json)},
        {"configOptions", text(record->config_options_json)},
        {"modes", text(record->modes_json)},
        {"events", absl::StrCat(events->count)},
        {"eventIndexes", range},
        {"lastActivity", FormatTime(last)},
    };
    for (const auto& [name, value] : fields) {
      std::string label = name + ":";
      label.resize(18, ' ');
      ctx.out << ctx.style.Bold(label) << value << "\n";
    }
    return kExitOk;
  }
};

}  // namespace

std::unique_ptr<Command> NewShowCommand() {
  return std::make_unique<ShowCommand>();
}

}  // namespace cli
}  // namespace sessionlog
