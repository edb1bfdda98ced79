// sessionlog export: the store as JSON Lines, the interchange format of
// schema/json_codec.h.

#include <cerrno>
#include <cstring>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "schema/json_codec.h"
#include "tools/sessionlog/commands.h"
#include "tools/sessionlog/progress.h"
#include "tools/sessionlog/walk.h"

namespace sessionlog {
namespace cli {
namespace {

class ExportCommand : public Command {
 public:
  const Spec& spec() const override {
    static const Spec* spec = new Spec{
        "export",
        "[--session ID] [--output FILE]",
        "Write sessions and their events as JSON Lines.",
        "One object per line: {\"session\":{...}} or {\"event\":{...}}, with "
        "the SDK's field names.\nSessions come in list order ((createdAt, "
        "id)), "
        "each followed by its events in eventIndex\norder. Only retained "
        "events are exported: for a store written without limits,\npass "
        "--max-events-per-session none.\n\nEvents stored under an id that has "
        "no session record "
        "cannot be found by walking the\nsessions, so a whole-store export "
        "leaves them out and warns with their number (where\nthe backend "
        "counts "
        "events); export them with --session ID, which writes that id's "
        "record\n(if any) and its events.\n\nThe store is opened read-only; "
        "`sessionlog import` reads the output back.",
        {{"session", "ID", "export only this session"},
         {"output", "FILE", "write to FILE instead of stdout"}},
        {"export > backup.jsonl", "export --session fix-flaky-test",
         "--db rocksdb:./a export | sessionlog --db rocksdb:./b import -"},
        0,
        0};
    return *spec;
  }

  int Run(Context& ctx, const Args& args) override {
    auto store = ctx.OpenStore(Context::Access::kRead);
    if (!store.ok()) return ctx.FailStore(store.status());

    std::ofstream file;
    std::ostream* out = &ctx.out;
    if (auto path = args.Get("output")) {
      file.open(*path, std::ios::out | std::ios::trunc | std::ios::binary);
      if (!file) {
        return ctx.Fail(absl::StrCat("cannot write --output ", *path, ": ",
                                     std::strerror(errno)),
                        kExitFailure);
      }
      out = &file;
    }

    absl::StatusOr<DriverStats> stats = (*store)->Stats();
    if (!stats.ok()) return ctx.FailStore(stats.status());
    int64_t sessions = 0, events = 0;
    auto write_events = [&](const std::string& id, ProgressBar& progress) {
      return ForEachEvent(**store, id, [&](const SessionEvent& event) {
        *out << JsonLineToJson(event) << "\n";
        ++events;
        progress.Add(1);
        return absl::OkStatus();
      });
    };

    absl::Status s;
    if (auto id = args.Get("session")) {
      ProgressBar progress(ctx.err, ctx.options.progress, "export", 0,
                           ProgressBar::Unit::kItems, "events");
      absl::StatusOr<SessionRecord> record = (*store)->GetSession(*id);
      if (record.ok()) {
        *out << JsonLineToJson(*record) << "\n";
        ++sessions;
      } else if (!absl::IsNotFound(record.status())) {
        return ctx.FailStore(record.status());
      }
      s = write_events(*id, progress);
      if (s.ok() && sessions == 0 && events == 0) {
        return ctx.Fail(absl::StrCat("no session \"", *id,
                                     "\" and no events under that id"),
                        kExitNotFound);
      }
    } else {
      ProgressBar progress(ctx.err, ctx.options.progress, "export",
                           stats->events, ProgressBar::Unit::kItems, "events");
      s = ForEachSession(**store, [&](const SessionRecord& record) {
        *out << JsonLineToJson(record) << "\n";
        ++sessions;
        return write_events(record.id, progress);
      });
      if (s.ok() && !stats->events_is_estimate && stats->events > events) {
        ctx.Warn(absl::StrCat(
            stats->events - events,
            " events are stored under ids with no session record and were "
            "not exported; export them with --session ID"));
      }
    }
    if (!s.ok()) return ctx.FailStore(s);
    out->flush();
    if (!*out) {
      return ctx.Fail("writing the output failed (disk full or pipe closed?)",
                      kExitFailure);
    }
    if (ctx.options.progress) {
      ctx.err << "exported " << sessions << " sessions, " << events
              << " events\n";
    }
    return kExitOk;
  }
};

}  // namespace

std::unique_ptr<Command> NewExportCommand() {
  return std::make_unique<ExportCommand>();
}

}  // namespace cli
}  // namespace sessionlog
