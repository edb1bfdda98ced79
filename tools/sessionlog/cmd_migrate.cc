// sessionlog migrate --from URI --to URI: copies a store to another backend.

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "tools/migrate/catch_up.h"
#include "tools/migrate/migrate.h"
#include "tools/sessionlog/command.h"
#include "tools/sessionlog/progress.h"
#include "tools/sessionlog/store_location.h"

namespace sessionlog {
namespace cli {
namespace {

// --catch-up: the full copy, then passes over fresh views of the source
// until one finds nothing new (tools/migrate/catch_up.h); then the cut-over
// point.
absl::Status CatchUp(Context& ctx, const std::string& from,
                     const std::string& to, int max_passes,
                     SessionPersistDriver& destination) {
  CatchUpOptions options;
  options.max_passes = max_passes;
  options.first_pass.resume_cursor = ctx.Get("resume").value_or("");
  OrderedJson passes = OrderedJson::array();
  options.on_pass = [&](const CatchUpPass& p) {
    const double seconds = absl::ToDoubleSeconds(p.took);
    passes.push_back({{"sessions_written", p.sessions_written},
                      {"events_copied", p.events_copied},
                      {"seconds", seconds}});
    if (!ctx.json()) {
      ctx.err << (passes.size() == 1 ? "copy" : "catch-up pass") << " "
              << passes.size() << ": " << p.sessions_written << " records and "
              << p.events_copied << " events, "
              << absl::StrFormat("%.2f", seconds) << " s\n";
    }
  };
  absl::StatusOr<CatchUpReport> report =
      MigrateAndCatchUp([&] { return ctx.OpenStore(from, StoreAccess::kRead); },
                        destination, options);
  absl::Status s = report.status();
  if (s.ok()) s = destination.Flush();
  if (!s.ok()) {
    return WithExitCode(s,
                        absl::IsInvalidArgument(s) ? kExitUsage : kExitFailure);
  }
  const std::string cut_over = absl::FormatTime(
      "%Y-%m-%d %H:%M:%E3S UTC", report->cut_over, absl::UTCTimeZone());
  OrderedJson json;
  json["passes"] = passes;
  json["caught_up"] = report->caught_up;
  json["cut_over"] = cut_over;
  json["cut_over_unix_ms"] = absl::ToUnixMillis(report->cut_over);
  const CatchUpPass& last = report->passes.back();
  std::string human = absl::StrCat(
      report->caught_up ? "caught up" : "not caught up", " after ",
      report->passes.size(), " passes",
      report->caught_up
          ? ""
          : absl::StrCat(" (the last found ", last.sessions_written,
                         " records and ", last.events_copied,
                         " events new: writes go on)"),
      "\ncut-over point: ", cut_over, ": ", Printable(to), " holds everything ",
      Printable(from),
      " held then.\nTo cut over: stop the writers, run this command again "
      "(a pass copies what came after), then point them at ",
      Printable(to), "\n");
  ctx.Print(json, human);
  return absl::OkStatus();
}

absl::Status RunMigrate(Context& ctx) {
  std::optional<std::string> from = ctx.Get("from");
  std::optional<std::string> to = ctx.Get("to");
  if (!from || !to) {
    return UsageError("both --from URI and --to URI are required");
  }
  // Flags are checked before anything is opened, so that a mistyped one
  // creates no destination.
  if (ctx.Has("max-passes") && !ctx.Has("catch-up")) {
    return UsageError("--max-passes counts --catch-up passes; add --catch-up");
  }
  absl::StatusOr<int64_t> max_passes = ctx.IntFlag("max-passes", 10, 2, 1000);
  if (!max_passes.ok()) return max_passes.status();
  // Copying a store onto itself would rewrite the limits its writer
  // recorded (the destination is opened with limits off), so the same store
  // under any other spelling is refused too; and so is a store inside the
  // other (among its files, or a SQLite database's -wal file), whose
  // creation would overwrite the other's files.
  absl::StatusOr<bool> same = *from == *to ? true : SameStore(*from, *to);
  if (!same.ok()) {
    return WithExitCode(same.status(), absl::IsInvalidArgument(same.status())
                                           ? kExitUsage
                                           : kExitStoreUnavailable);
  }
  if (*same) {
    return UsageError(
        absl::StrCat("--from ", *from, " and --to ", *to,
                     " name the same store, or one is inside the other"));
  }
  // The source is read with its own limits (or the flags'), so that events
  // its writer already trimmed are not copied; the destination takes
  // everything, with limits off.
  auto source = ctx.OpenStore(*from, StoreAccess::kRead);
  if (!source.ok()) return source.status();
  auto destination = ctx.OpenStore(*to, StoreAccess::kCreate,
                                   MigrationDriverOptions(ctx.options.driver));
  if (!destination.ok()) return destination.status();
  if (ctx.Has("catch-up")) {
    source->reset();  // Each pass opens a view of its own.
    return CatchUp(ctx, *from, *to, static_cast<int>(*max_passes),
                   **destination);
  }

  ProgressBar progress(ctx.err, ctx.options.progress, "migrate", 0,
                       ProgressBar::Unit::kItems, "events");
  MigrateOptions options;
  options.resume_cursor = ctx.Get("resume").value_or("");
  MigrateProgress last;
  options.on_progress = [&](const MigrateProgress& p) {
    last = p;
    if (p.events_total > 0) progress.set_total(p.events_total);
    progress.Update(p.events_copied);
  };
  absl::Status s = MigrateStore(**source, **destination, options);
  if (s.ok()) s = (*destination)->Flush();
  progress.Finish();
  if (!s.ok()) {
    std::string message(s.message());
    if (!last.resume_cursor.empty()) {
      absl::StrAppend(&message, "\nre-run to continue; --resume ",
                      last.resume_cursor, " skips the sessions already copied");
    }
    return WithExitCode(absl::Status(s.code(), message),
                        absl::IsInvalidArgument(s) ? kExitUsage : kExitFailure);
  }
  if (last.events_total > last.events_copied && options.resume_cursor.empty()) {
    ctx.Warn(absl::StrCat(
        "the source counts ", last.events_total, " events and ",
        last.events_copied,
        " were copied; the rest are under ids with no session record "
        "(or the count is an estimate)"));
  }
  OrderedJson json;
  json["sessions"] = last.sessions_copied;
  json["events"] = last.events_copied;
  ctx.Print(json,
            absl::StrCat("copied ", last.sessions_copied, " sessions and ",
                         last.events_copied, " events from ", Printable(*from),
                         " to ", Printable(*to), "\n"));
  return absl::OkStatus();
}

}  // namespace

extern const Command kMigrateCommand = {
    "migrate",
    "--from URI --to URI [--resume CURSOR] [--catch-up [--max-passes N]]",
    "Copy every session and its events from one store to another.",
    "Works between any backends (rocksdb:, sqlite:, postgresql://, "
    "memory:). The source is opened\nread-only with its limits (those "
    "its writer recorded, or --max-sessions and\n"
    "--max-events-per-session), so events its writer already trimmed "
    "are not copied. The\ndestination is opened with limits off, so "
    "nothing is evicted or trimmed mid-copy, and is\ncreated if "
    "missing.\n\nIdempotent and "
    "resumable: re-running a finished migration changes nothing; after "
    "an\ninterruption, run it again (optionally with the --resume cursor "
    "it printed, to skip the\nsessions already copied). Events under ids "
    "that have no session record are not copied\n(the contract cannot "
    "enumerate them); a warning gives their number where known.\n\nA store "
    "still being written (a live rocksdb: store is read through read-only "
    "views)\nmoves with --catch-up: after the copy, each pass opens a fresh "
    "view and copies the\nrecords that are new or changed and the events "
    "above what the destination holds,\nuntil a pass finds nothing new. The "
    "cut-over point it prints is the moment the\nlast pass opened the "
    "source: the destination holds everything the source held then.\nStop "
    "the writers, run once more, and point them at the destination.",
    {{"from", "URI", "the source store (required)"},
     {"to", "URI", "the destination store (required)"},
     {"resume", "CURSOR",
      "continue after the sessions a previous run completed"},
     {"catch-up", "",
      "the source is still being written: after the copy, pass over it "
      "again until a pass finds nothing new, then print the cut-over point"},
     {"max-passes", "N",
      "with --catch-up: passes at most, the copy "
      "included (default 10)"}},
    {"migrate --from rocksdb:./sessionlog-data --to sqlite:./sessions.db",
     "migrate --from rocksdb:./sessionlog-data --to "
     "postgresql://app@db/app --catch-up",
     "migrate --from sqlite:./sessions.db --to "
     "postgresql://app@localhost/app"},
    0,
    0,
    StoreAccess::kNone,
    RunMigrate,
};

}  // namespace cli
}  // namespace sessionlog
