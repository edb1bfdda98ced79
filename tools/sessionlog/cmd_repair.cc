// sessionlog repair --output DIR: recovers a damaged rocksdb: store into a
// new directory, never writing the damaged one (engine/rocksdb/repair.h).

#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/open.h"
#include "engine/rocksdb/repair.h"
#include "tools/sessionlog/command.h"
#include "tools/sessionlog/progress.h"
#include "tools/sessionlog/store_location.h"

namespace sessionlog {
namespace cli {
namespace {

OrderedJson StringsJson(const std::vector<std::string>& strings) {
  OrderedJson list = OrderedJson::array();
  for (const std::string& s : strings) list.push_back(s);
  return list;
}

// A new empty directory beside `output` (same filesystem, so that a rename
// moves it into place), hidden: ".DIR.sessionlog-repair-XXXXXX".
absl::StatusOr<std::string> MakeStagingDirectory(const std::string& output) {
  std::filesystem::path target =
      std::filesystem::absolute(output).lexically_normal();
  if (!target.has_filename()) target = target.parent_path();
  std::string pattern =
      (target.parent_path() / absl::StrCat(".", target.filename().string(),
                                           ".sessionlog-repair-XXXXXX"))
          .string();
  if (mkdtemp(pattern.data()) == nullptr) {
    const int saved = errno;
    return absl::Status(
        absl::ErrnoToStatusCode(saved),
        absl::StrCat("--output ", Printable(output),
                     ": cannot create a directory beside it in ",
                     Printable(target.parent_path().string()), ": ",
                     std::strerror(saved)));
  }
  return pattern;
}

std::string Describe(const RepairReport& report, const std::string& source,
                     const std::string& output) {
  std::string text;
  for (const std::string& problem : report.problems) {
    absl::StrAppend(&text, "found: ", Printable(problem), "\n");
  }
  switch (report.method) {
    case RepairReport::Method::kNothingToRepair:
      absl::StrAppend(&text, "nothing to repair: the copy opened as it was\n");
      break;
    case RepairReport::Method::kRewroteCurrent:
      absl::StrAppend(&text, "repaired: CURRENT rewritten to name ",
                      Printable(report.manifest),
                      ", the newest MANIFEST; nothing was dropped\n");
      break;
    case RepairReport::Method::kRepairDb:
      absl::StrAppend(&text,
                      "repaired: RocksDB's RepairDB rebuilt the MANIFEST from "
                      "the tables and logs (best effort)\n");
      break;
  }
  for (const std::string& warning : report.warnings) {
    absl::StrAppend(&text, "warning: ", Printable(warning), "\n");
  }
  if (!report.set_aside.empty()) {
    absl::StrAppend(&text, "set aside in ", Printable(output),
                    "/lost (unreadable, not recovered): ",
                    Printable(absl::StrJoin(report.set_aside, ", ")), "\n");
  }
  absl::StrAppend(
      &text, "copied ", report.files_copied, " files (",
      FormatBytes(report.bytes_copied), ", ", report.table_files, " tables, ",
      report.log_files, " logs) from ", Printable(source), " (unchanged)\n",
      "recovered ", report.sessions, " sessions and ", report.events,
      " events (", report.sessions_with_events,
      " session ids with events) into rocksdb:", Printable(output), "\n",
      "next: check it with `sessionlog --db rocksdb:", Printable(output),
      " verify`, then stop the writer and put it in place of the damaged "
      "store\n");
  return text;
}

absl::Status RunRepair(Context& ctx) {
  absl::StatusOr<StoreUri> uri = ParseStoreUri(ctx.options.db);
  if (!uri.ok()) return WithExitCode(uri.status(), kExitUsage);
  if (uri->scheme != StoreUri::Scheme::kRocksDb) {
    return UsageError(absl::StrCat(
        "repair works on rocksdb: stores; ", Printable(ctx.options.db),
        " is not one (for a damaged SQLite file, sqlite3's .recover)"));
  }
  std::optional<std::string> output = ctx.Get("output");
  if (!output || output->empty()) {
    return UsageError(
        "--output DIR is required: the new directory to recover into (the "
        "damaged store is never written)");
  }
  std::error_code error;
  if (std::filesystem::exists(*output, error) &&
      !(std::filesystem::is_directory(*output, error) &&
        std::filesystem::is_empty(*output, error))) {
    return UsageError(absl::StrCat("--output ", Printable(*output),
                                   " exists and is not an empty directory; "
                                   "give a new path"));
  }

  // Checked here, before anything is created beside DIR: the damaged store's
  // directory is never written.
  if (absl::StatusOr<bool> inside = InsideStore(ctx.options.db, *output);
      inside.ok() && *inside) {
    return UsageError(absl::StrCat("--output ", Printable(*output),
                                   " is the damaged store itself, or inside "
                                   "it; recover elsewhere"));
  }
  // The recovery is made in a hidden sibling of DIR and renamed to DIR only
  // once it is complete: an interrupted repair (Ctrl-C, kill) leaves no
  // half-made DIR that the next repair refuses and that a write would take
  // for a store whose creation stopped.
  absl::StatusOr<std::string> staging = MakeStagingDirectory(*output);
  if (!staging.ok()) {
    return WithExitCode(staging.status(), kExitStoreUnavailable);
  }
  absl::StatusOr<RepairReport> report;
  RunShowingElapsed(ctx.err, ctx.options.progress, "repair",
                    [&] { report = RepairStore(uri->location, *staging); });
  if (report.ok()) {
    std::filesystem::rename(*staging, *output, error);
    if (error) {
      return WithExitCode(
          absl::InternalError(absl::StrCat(
              "the recovered store is complete in ", Printable(*staging),
              " but could not be renamed to ", Printable(*output), ": ",
              error.message(), "; rename it by hand")),
          kExitFailure);
    }
  } else {
    std::filesystem::remove_all(*staging, error);
  }
  if (!report.ok()) {
    // Nothing usable was produced, and the source is as it was.
    return WithExitCode(report.status(),
                        absl::IsInvalidArgument(report.status()) ? kExitUsage
                        : absl::IsNotFound(report.status()) ||
                                absl::IsFailedPrecondition(report.status()) ||
                                absl::IsPermissionDenied(report.status())
                            ? kExitStoreUnavailable
                            : kExitFailure);
  }

  OrderedJson json;
  json["db"] = ctx.options.db;
  json["output"] = absl::StrCat("rocksdb:", *output);
  json["method"] = std::string(RepairMethodName(report->method));
  json["problems"] = StringsJson(report->problems);
  json["manifest"] = report->manifest.empty() ? OrderedJson(nullptr)
                                              : OrderedJson(report->manifest);
  json["filesCopied"] = report->files_copied;
  json["bytesCopied"] = report->bytes_copied;
  json["tableFiles"] = report->table_files;
  json["logFiles"] = report->log_files;
  json["setAside"] = StringsJson(report->set_aside);
  json["warnings"] = StringsJson(report->warnings);
  json["sessions"] = report->sessions;
  json["sessionsWithEvents"] = report->sessions_with_events;
  json["events"] = report->events;
  ctx.Print(json, Describe(*report, ctx.options.db, *output));
  return absl::OkStatus();
}

}  // namespace

extern const Command kRepairCommand = {
    "repair",
    "--output DIR",
    "Recover a damaged rocksdb: store into a new directory, leaving it as it "
    "is.",
    "Copies the store's files into DIR (which must not exist, or be empty) "
    "and recovers the\ncopy there; the damaged store is only ever read. "
    "A store whose CURRENT file is missing\ngets a CURRENT naming its newest "
    "MANIFEST, which keeps everything; otherwise RocksDB's\nRepairDB "
    "rebuilds the MANIFEST from the tables and logs it can read (best "
    "effort: damaged\nlog records and unreadable tables are dropped, the "
    "latter set aside in DIR/lost). Then\nevery session and event of the "
    "copy is read back, and the report says what was found,\nhow it was "
    "recovered and what the copy holds. A store open for writing in another\n"
    "process is refused: stop the writer first. Check the copy with verify, "
    "then put it in\nplace of the damaged store yourself.",
    {{"output", "DIR", "the new directory to recover into (required)"}},
    {"--db rocksdb:/var/lib/app/sessions repair --output "
     "/var/lib/app/sessions.repaired",
     "--db rocksdb:./damaged repair --output ./recovered --json"},
    0,
    0,
    StoreAccess::kNone,
    RunRepair,
};

}  // namespace cli
}  // namespace sessionlog
