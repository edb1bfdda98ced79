// sessionlog tail ID [-f]: a session's newest events, then (with -f) the new
// ones as another process writes them.

#include <csignal>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "api/options.h"
#include "tools/sessionlog/commands.h"
#include "tools/sessionlog/event_view.h"
#include "tools/sessionlog/walk.h"

namespace sessionlog {
namespace cli {
namespace {

volatile std::sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

class TailCommand : public Command {
 public:
  const Spec& spec() const override {
    static const Spec* spec = new Spec{
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
        1};
    return *spec;
  }

  int Run(Context& ctx, const Args& args) override {
    const std::string& id = args.positional()[0];
    absl::StatusOr<int64_t> lines = args.GetInt("lines", 10);
    if (!lines.ok()) return ctx.Fail(lines.status(), kExitUsage);
    if (*lines > kMaxPageLimit) {
      return ctx.Fail(
          absl::StrCat("--lines ", *lines, ": at most ", kMaxPageLimit),
          kExitUsage);
    }
    absl::StatusOr<int64_t> interval = args.GetInt("interval", 500);
    if (!interval.ok() || *interval < 1) {
      return ctx.Fail("--interval: expected a positive number of ms",
                      kExitUsage);
    }
    const bool follow = args.Has("follow");
    const bool wide = args.Has("wide");

    auto store = ctx.OpenStore(Context::Access::kRead);
    if (!store.ok()) return ctx.FailStore(store.status());
    std::optional<int64_t> last_index;
    auto print = [&](const SessionEvent& event) {
      if (ctx.options.json) {
        ctx.out << DumpJson(ToJsonValue(event)) << "\n";
      } else {
        ctx.out << EventLine(event, ctx.style, wide) << "\n";
      }
      last_index = event.event_index;
      return absl::OkStatus();
    };

    if (*lines > 0) {
      absl::StatusOr<std::vector<SessionEvent>> newest =
          (*store)->LastEvents(id, *lines);
      if (!newest.ok()) return ctx.FailStore(newest.status());
      for (const SessionEvent& event : *newest) (void)print(event);
    }
    if (!last_index) {
      absl::StatusOr<std::optional<int64_t>> highest =
          (*store)->HighestEventIndex(id);
      if (!highest.ok()) return ctx.FailStore(highest.status());
      last_index = *highest;
      if (!last_index && !follow) {
        absl::StatusOr<SessionRecord> record = (*store)->GetSession(id);
        if (!record.ok() && absl::IsNotFound(record.status())) {
          return ctx.Fail(absl::StrCat("no session \"", id,
                                       "\" and no events under that id (with "
                                       "-f, tail waits for them)"),
                          kExitNotFound);
        }
      }
    }
    ctx.out.flush();
    if (!follow) return kExitOk;

    g_stop = 0;
    std::signal(SIGINT, OnSignal);
    std::signal(SIGTERM, OnSignal);
    // memory: stores live in this process, so there is nothing to reopen.
    const bool reopen = ctx.options.db != "memory:";
    while (!g_stop) {
      absl::SleepFor(absl::Milliseconds(*interval));
      if (g_stop) break;
      if (reopen) {
        store->reset();  // Close before reopening: one instance at a time.
        store = ctx.OpenStore(Context::Access::kRead);
        if (!store.ok()) return ctx.FailStore(store.status());
      }
      EventWalkOptions walk;
      walk.after_index = last_index;
      absl::Status s = ForEachEvent(**store, id, print, walk);
      if (!s.ok()) return ctx.FailStore(s);
      ctx.out.flush();
    }
    return kExitOk;
  }
};

}  // namespace

std::unique_ptr<Command> NewTailCommand() {
  return std::make_unique<TailCommand>();
}

}  // namespace cli
}  // namespace sessionlog
