// sessionlog migrate --from URI --to URI: copies a store to another backend.

#include "absl/strings/str_cat.h"
#include "tools/migrate/migrate.h"
#include "tools/sessionlog/command.h"
#include "tools/sessionlog/progress.h"
#include "tools/sessionlog/store_location.h"

namespace sessionlog {
namespace cli {
namespace {

absl::Status RunMigrate(Context& ctx) {
  std::optional<std::string> from = ctx.Get("from");
  std::optional<std::string> to = ctx.Get("to");
  if (!from || !to) {
    return UsageError("both --from URI and --to URI are required");
  }
  // Copying a store onto itself would rewrite the limits its writer
  // recorded (the destination is opened with limits off), so the same store
  // under any other spelling is refused too.
  absl::StatusOr<bool> same = *from == *to ? true : SameStore(*from, *to);
  if (!same.ok()) {
    return WithExitCode(same.status(), absl::IsInvalidArgument(same.status())
                                           ? kExitUsage
                                           : kExitStoreUnavailable);
  }
  if (*same) {
    return UsageError(absl::StrCat("--from ", *from, " and --to ", *to,
                                   " name the same store"));
  }
  // The source is read with its own limits (or the flags'), so that events
  // its writer already trimmed are not copied; the destination takes
  // everything, with limits off.
  auto source = ctx.OpenStore(*from, StoreAccess::kRead);
  if (!source.ok()) return source.status();
  auto destination = ctx.OpenStore(*to, StoreAccess::kCreate,
                                   MigrationDriverOptions(ctx.options.driver));
  if (!destination.ok()) return destination.status();

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
    "--from URI --to URI [--resume CURSOR]",
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
    "enumerate them); a warning gives their number where known.",
    {{"from", "URI", "the source store (required)"},
     {"to", "URI", "the destination store (required)"},
     {"resume", "CURSOR",
      "continue after the sessions a previous run completed"}},
    {"migrate --from rocksdb:./sessionlog-data --to sqlite:./sessions.db",
     "migrate --from sqlite:./sessions.db --to "
     "postgresql://app@localhost/app"},
    0,
    0,
    StoreAccess::kNone,
    RunMigrate,
};

}  // namespace cli
}  // namespace sessionlog
