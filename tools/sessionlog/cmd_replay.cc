// sessionlog replay ID: the text the SDK injects when it restores a session.

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "schema/replay.h"
#include "tools/sessionlog/command.h"

namespace sessionlog {
namespace cli {
namespace {

absl::Status RunReplay(Context& ctx) {
  const std::string& id = ctx.arg(0);
  // The ranges ReplayTextForSession takes.
  absl::StatusOr<int64_t> max_events =
      ctx.IntFlag("max-events", kDefaultReplayMaxEvents, 1, kMaxPageLimit);
  if (!max_events.ok()) return max_events.status();
  absl::StatusOr<int64_t> max_chars =
      ctx.IntFlag("max-chars", kDefaultReplayMaxChars, 1);
  if (!max_chars.ok()) return max_chars.status();
  absl::StatusOr<std::optional<std::string>> text =
      ReplayTextForSession(ctx.store(), id, *max_events, *max_chars);
  if (!text.ok()) return text.status();
  if (!*text) {
    absl::StatusOr<SessionRecord> record = ctx.store().GetSession(id);
    if (!record.ok() && absl::IsNotFound(record.status())) {
      return NoSessionError(id);
    }
    if (!ctx.json()) {
      ctx.Warn(absl::StrCat("session \"", id,
                            "\" has no events, so it has no replay text"));
    }
  }
  OrderedJson json;
  json["sessionId"] = id;
  json["text"] = *text ? OrderedJson(**text) : OrderedJson(nullptr);
  // The SDK's text, line by line; JSON has escaped the C0 controls in it,
  // but not DEL or the C1 controls, which Printable does (--json is exact).
  std::string human;
  if (*text) {
    for (absl::string_view line : absl::StrSplit(**text, '\n')) {
      absl::StrAppend(&human, Printable(line), "\n");
    }
    if (absl::EndsWith(**text, "\n")) human.pop_back();
  }
  ctx.Print(json, human);
  return absl::OkStatus();
}

}  // namespace

extern const Command kReplayCommand = {
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
    {{"max-events", "N", "keep the newest N events (default 50, as the SDK)"},
     {"max-chars", "N", "cap the text at N characters (default 12000)"}},
    {"replay fix-flaky-test", "replay fix-flaky-test --max-events 5",
     "replay fix-flaky-test --json | jq -r .text"},
    1,
    1,
    StoreAccess::kRead,
    RunReplay,
};

}  // namespace cli
}  // namespace sessionlog
