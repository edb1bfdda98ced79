// sessionlog tail ID [-f]: a session's newest events, then (with -f) the new
// ones as another process writes them.

#include <csignal>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "api/options.h"
#include "tools/sessionlog/command.h"
#include "tools/sessionlog/event_view.h"

namespace sessionlog {
namespace cli {
namespace {

volatile std::sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

absl::Status RunTail(Context& ctx) {
  const std::string& id = ctx.arg(0);
  absl::StatusOr<int64_t> lines = ctx.IntFlag("lines", 10, 0, kMaxPageLimit);
  if (!lines.ok()) return lines.status();
  absl::StatusOr<int64_t> interval =
      ctx.IntFlag("interval", 500, 1, 24 * 3600 * 1000);
  if (!interval.ok()) return interval.status();
  const bool follow = ctx.Has("follow");
  const bool wide = ctx.Has("wide");

  std::optional<int64_t> last_index;
  auto print = [&](const SessionEvent& event) {
    ctx.Print(ToJsonValue(event),
              absl::StrCat(EventLine(event, ctx.style, wide), "\n"));
    last_index = event.event_index;
    return absl::OkStatus();
  };

  if (*lines > 0) {
    absl::StatusOr<std::vector<SessionEvent>> newest =
        ctx.store().LastEvents(id, *lines);
    if (!newest.ok()) return newest.status();
    for (const SessionEvent& event : *newest) (void)print(event);
  }
  if (!last_index) {
    absl::StatusOr<std::optional<int64_t>> highest =
        ctx.store().HighestEventIndex(id);
    if (!highest.ok()) return highest.status();
    last_index = *highest;
    if (!last_index && !follow) {
      absl::StatusOr<SessionRecord> record = ctx.store().GetSession(id);
      if (!record.ok() && absl::IsNotFound(record.status())) {
        return NoSessionError(id, " (with -f, tail waits for them)");
      }
    }
  }
  if (!follow) return absl::OkStatus();
  if (absl::Status s = CheckOutput(ctx.out); !s.ok()) return s;

  g_stop = 0;
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  // memory: stores live in this process, so there is nothing to reopen.
  const bool reopen = ctx.options.db != "memory:";
  while (!g_stop) {
    absl::SleepFor(absl::Milliseconds(*interval));
    if (g_stop) break;
    if (reopen) {
      if (absl::Status s = ctx.ReopenStore(); !s.ok()) return s;
    }
    EventWalkOptions walk;
    walk.after_index = last_index;
    if (absl::Status s = ForEachEvent(ctx.store(), id, print, walk); !s.ok()) {
      return s;
    }
    // Following into a pipe or file that takes no more ends here.
    if (absl::Status s = CheckOutput(ctx.out); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace

extern const Command kTailCommand = {
    "tail",
    "ID [-f] [-n N] [--interval MS] [--wide]",
    "Print a session's newest events; with -f, follow new ones.",
    "Prints the newest N events (default 10) in the format of `events`, "
    "then with -f waits\nfor new events and prints each as it arrives, "
    "until interrupted (Ctrl-C; exit code 0).\n\nFollowing never disturbs "
    "the writer: for rocksdb: stores, each poll opens a read-only\n"
    "instance (which sees everything written up to that moment, WAL "
    "included) and closes it\nagain, so the writing process keeps its lock "
    "and its speed. A session that does not exist\nyet is waited for. "
    "--json prints one SDK event object per line.",
    {{"follow", "", "follow new events until interrupted", 'f'},
     {"lines", "N",
      "how many of the newest events to print first "
      "(default 10; 0 for none)",
      'n'},
     {"interval", "MS", "with -f, how often to poll (default 500)"},
     {"wide", "", "do not cut the TEXT column"}},
    {"tail fix-flaky-test", "tail fix-flaky-test -f",
     "tail fix-flaky-test -f --json | jq -c .payload"},
    1,
    1,
    StoreAccess::kRead,
    RunTail,
};

}  // namespace cli
}  // namespace sessionlog
