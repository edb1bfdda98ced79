// sessionlog replay ID: the text the SDK injects when it restores a session.

#include "absl/strings/str_cat.h"
#include "schema/replay.h"
#include "tools/sessionlog/commands.h"
#include "tools/sessionlog/event_view.h"

namespace sessionlog {
namespace cli {
namespace {

class ReplayCommand : public Command {
 public:
  const Spec& spec() const override {
    static const Spec* spec = new Spec{
        "replay",
        "ID [--max-events N] [--max-chars N]",
        "Print the replay text that restoring a session would inject.",
        "When the SDK restores a session whose agent session is gone, it puts "
        "this text in the\nfirst text block of the next session/prompt: a "
        "fixed first line, then one line of\nJSON {createdAt, sender, payload} "
        "per event, oldest first, for the newest --max-events\nevents, cut "
        "before --max-chars (UTF-16 code units) with \"[history truncated]\". "
        "The output\nis byte for byte the SDK's (api/replay.h). A session with "
        "no events has no replay text.\n--json prints {\"sessionId\", "
        "\"text\"} with text null when there is none.",
        {{"max-events", "N",
          "keep the newest N events (default 50, as the SDK)"},
         {"max-chars", "N", "cap the text at N characters (default 12000)"}},
        {"replay fix-flaky-test", "replay fix-flaky-test --max-events 5",
         "replay fix-flaky-test --json | jq -r .text"},
        1,
        1};
    return *spec;
  }

  int Run(Context& ctx, const Args& args) override {
    const std::string& id = args.positional()[0];
    absl::StatusOr<int64_t> max_events =
        args.GetInt("max-events", kDefaultReplayMaxEvents);
    if (!max_events.ok()) return ctx.Fail(max_events.status(), kExitUsage);
    absl::StatusOr<int64_t> max_chars =
        args.GetInt("max-chars", kDefaultReplayMaxChars);
    if (!max_chars.ok()) return ctx.Fail(max_chars.status(), kExitUsage);
    auto store = ctx.OpenStore(Context::Access::kRead);
    if (!store.ok()) return ctx.FailStore(store.status());
    absl::StatusOr<std::optional<std::string>> text =
        ReplayTextForSession(**store, id, *max_events, *max_chars);
    if (!text.ok()) {
      if (absl::IsInvalidArgument(text.status())) {
        return ctx.Fail(text.status(), kExitUsage);
      }
      return ctx.FailStore(text.status());
    }
    if (!*text) {
      absl::StatusOr<SessionRecord> record = (*store)->GetSession(id);
      if (!record.ok() && absl::IsNotFound(record.status())) {
        return ctx.Fail(
            absl::StrCat("no session \"", id, "\" and no events under that id"),
            kExitNotFound);
      }
    }
    if (ctx.options.json) {
      OrderedJson json;
      json["sessionId"] = id;
      json["text"] = *text ? OrderedJson(**text) : OrderedJson(nullptr);
      ctx.out << DumpJson(json) << "\n";
    } else if (*text) {
      ctx.out << **text;
      if (!text->value().empty() && text->value().back() != '\n') {
        ctx.out << "\n";
      }
    } else {
      ctx.Warn(absl::StrCat("session \"", id,
                            "\" has no events, so it has no replay text"));
    }
    return kExitOk;
  }
};

}  // namespace

std::unique_ptr<Command> NewReplayCommand() {
  return std::make_unique<ReplayCommand>();
}

}  // namespace cli
}  // namespace sessionlog
