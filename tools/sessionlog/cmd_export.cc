// sessionlog export: the store as JSON Lines, the interchange format of
// schema/json_codec.h.

#include <cerrno>
#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"
#include "schema/json_codec.h"
#include "tools/sessionlog/command.h"
#include "tools/sessionlog/output_file.h"
#include "tools/sessionlog/progress.h"
#include "tools/sessionlog/store_location.h"

namespace sessionlog {
namespace cli {
namespace {

absl::Status RunExport(Context& ctx) {
  SessionPersistDriver& store = ctx.store();
  // --output FILE appears whole or not at all; "-" is stdout.
  std::unique_ptr<ReplacingFile> file;
  std::ostream* out = &ctx.out;
  const std::string path = ctx.Get("output").value_or("-");
  if (path != "-") {
    // Replacing the store's own file, or writing among its files, would
    // destroy what is being exported.
    if (absl::StatusOr<bool> inside = InsideStore(ctx.options.db, path);
        inside.ok() && *inside) {
      return UsageError(absl::StrCat("--output ", Printable(path),
                                     " is the store itself, or inside it; "
                                     "write the export elsewhere"));
    }
    absl::StatusOr<std::unique_ptr<ReplacingFile>> created =
        ReplacingFile::Create(path);
    if (!created.ok()) return created.status();
    file = *std::move(created);
    out = &file->stream();
  }
  // Stops the walk as soon as the output takes no more.
  auto written = [&]() -> absl::Status {
    if (*out) return absl::OkStatus();
    if (!file) return CheckOutput(*out);
    return absl::UnknownError(absl::StrCat("cannot write --output ", path, ": ",
                                           std::strerror(errno)));
  };

  absl::StatusOr<DriverStats> stats = store.Stats();
  if (!stats.ok()) return stats.status();
  int64_t sessions = 0, events = 0;
  auto write_events = [&](const std::string& id, ProgressBar& progress) {
    return ForEachEvent(store, id, [&](const SessionEvent& event) {
      *out << JsonLineToJson(event) << "\n";
      ++events;
      progress.Add(1);
      return written();
    });
  };

  absl::Status s;
  if (auto id = ctx.Get("session")) {
    ProgressBar progress(ctx.err, ctx.options.progress, "export", 0,
                         ProgressBar::Unit::kItems, "events");
    absl::StatusOr<SessionRecord> record = store.GetSession(*id);
    if (record.ok()) {
      *out << JsonLineToJson(*record) << "\n";
      ++sessions;
    } else if (!absl::IsNotFound(record.status())) {
      return record.status();
    }
    s = write_events(*id, progress);
    if (s.ok() && sessions == 0 && events == 0) return NoSessionError(*id);
  } else {
    ProgressBar progress(ctx.err, ctx.options.progress, "export", stats->events,
                         ProgressBar::Unit::kItems, "events");
    s = ForEachSession(store, [&](const SessionRecord& record) {
      *out << JsonLineToJson(record) << "\n";
      ++sessions;
      if (absl::Status w = written(); !w.ok()) return w;
      return write_events(record.id, progress);
    });
    if (s.ok() && !stats->events_is_estimate && stats->events > events) {
      ctx.Warn(absl::StrCat(
          stats->events - events,
          " events are stored under ids with no session record and were "
          "not exported; export them with --session ID"));
    }
  }
  if (!s.ok()) return s;
  if (file) {
    if (absl::Status c = file->Commit(); !c.ok()) return c;
  } else if (absl::Status c = CheckOutput(*out); !c.ok()) {
    return c;
  }
  if (ctx.options.progress) {
    ctx.err << "exported " << sessions << " sessions, " << events
            << " events\n";
  }
  return absl::OkStatus();
}

}  // namespace

extern const Command kExportCommand = {
    "export",
    "[--session ID] [--output FILE]",
    "Write sessions and their events as JSON Lines.",
    "One object per line: {\"session\":{...}} or {\"event\":{...}}, with "
    "the SDK's field names.\nSessions come in list order ((createdAt, "
    "id)), each followed by its events in eventIndex\norder. Only retained "
    "events are exported: for a store written without limits,\npass "
    "--max-events-per-session none.\n\nEvents stored under an id that has "
    "no session record cannot be found by walking the\nsessions, so a "
    "whole-store export leaves them out and warns with their number "
    "(where\nthe backend counts events); export them with --session ID, "
    "which writes that id's record\n(if any) and its events.\n\nThe store "
    "is opened read-only; `sessionlog import` reads the output back.",
    {{"session", "ID", "export only this session"},
     {"output", "FILE",
      "write to FILE instead of stdout (- is stdout); FILE is replaced only "
      "once the export is complete"}},
    {"export > backup.jsonl", "export --session fix-flaky-test",
     "--db rocksdb:./a export | sessionlog --db rocksdb:./b import -"},
    0,
    0,
    StoreAccess::kRead,
    RunExport,
};

}  // namespace cli
}  // namespace sessionlog
