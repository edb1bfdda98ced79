// sessionlog show ID: one session's record, field by field.

#include "absl/strings/str_cat.h"
#include "tools/sessionlog/command.h"
#include "tools/sessionlog/event_view.h"
#include "tools/sessionlog/walk.h"

namespace sessionlog {
namespace cli {
namespace {

absl::Status RunShow(Context& ctx) {
  const std::string& id = ctx.arg(0);
  absl::StatusOr<SessionRecord> record = ctx.store().GetSession(id);
  absl::StatusOr<EventSummary> events = SummarizeEvents(ctx.store(), id);
  if (!events.ok()) return events.status();
  if (!record.ok()) {
    if (!absl::IsNotFound(record.status())) return record.status();
    if (events->count > 0) {
      return WithExitCode(
          absl::NotFoundError(absl::StrCat(
              "no session \"", id, "\" (but ", events->count,
              " events are stored under this id without a record; see "
              "`sessionlog events ",
              id, "`)")),
          kExitNotFound);
    }
    return WithExitCode(
        absl::NotFoundError(absl::StrCat(
            "no session \"", id, "\"; `sessionlog ls` lists the sessions")),
        kExitNotFound);
  }
  int64_t last = LastActivity(*record, events->last_created_at);

  OrderedJson json;
  json["session"] = ToJsonValue(*record);
  OrderedJson summary;
  summary["count"] = events->count;
  summary["firstIndex"] = OptionalJson(events->first_index);
  summary["lastIndex"] = OptionalJson(events->last_index);
  json["events"] = std::move(summary);
  json["lastActivityAt"] = last;

  auto text = [](const std::optional<std::string>& value) {
    return value ? *value : std::string("-");
  };
  std::string range = "-";
  if (events->count > 0) {
    range = absl::StrCat(*events->first_index, "..", *events->last_index);
  }
  ctx.Print(json,
            FormatFields({{"id", record->id},
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
                          {"lastActivity", FormatTime(last)}},
                         18, ctx.style));
  return absl::OkStatus();
}

}  // namespace

extern const Command kShowCommand = {
    "show",
    "ID",
    "Show one session's record and a summary of its events.",
    "Prints every field of the SessionRecord (times in local ISO form; "
    "JSON fields as stored),\nthen the number of retained events, their "
    "index range and the last activity.\n--json prints {\"session\": "
    "<the SDK's record JSON>, \"events\": {...}, \"lastActivityAt\": ms}.",
    {},
    {"show 7f9c0e4e-8a51-4cf0-9c1a-1f0e7b6a9d21", "show fix-flaky-test --json"},
    1,
    1,
    StoreAccess::kRead,
    RunShow,
};

}  // namespace cli
}  // namespace sessionlog
