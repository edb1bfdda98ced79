// sessionlog compact: reclaims the space of trimmed, evicted and deleted data.

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tools/sessionlog/command.h"
#include "tools/sessionlog/progress.h"

namespace sessionlog {
namespace cli {
namespace {

absl::Status RunCompact(Context& ctx) {
  SessionPersistDriver& store = ctx.store();
  absl::StatusOr<DriverStats> before = store.Stats();
  if (!before.ok()) return before.status();

  absl::Time start = absl::Now();
  absl::Status result;
  RunShowingElapsed(ctx.err, ctx.options.progress, "compact",
                    [&] { result = store.Compact(); });
  if (!result.ok()) return result;
  absl::StatusOr<DriverStats> after = store.Stats();
  if (!after.ok()) return after.status();
  absl::Duration took = absl::Now() - start;

  OrderedJson json;
  json["diskBytesBefore"] = before->disk_bytes;
  json["diskBytesAfter"] = after->disk_bytes;
  json["seconds"] = absl::ToDoubleSeconds(took);
  std::string human;
  if (before->disk_bytes > 0 || after->disk_bytes > 0) {
    human = absl::StrCat(
        "compacted ", Printable(ctx.options.db), " in ",
        absl::FormatDuration(absl::Trunc(took, absl::Milliseconds(1))), ": ",
        FormatBytes(before->disk_bytes), " -> ", FormatBytes(after->disk_bytes),
        "\n");
  } else {
    human = absl::StrCat("compacted ", Printable(ctx.options.db),
                         " (this backend does not report its size)\n");
  }
  ctx.Print(json, human);
  return absl::OkStatus();
}

}  // namespace

extern const Command kCompactCommand = {
    "compact",
    "",
    "Reclaim disk space: drop trimmed, evicted and deleted data "
    "physically.",
    "Runs the backend's compaction (RocksDB: a full manual compaction, "
    "which runs the retention\nfilter over every file; SQLite: VACUUM; a "
    "no-op elsewhere) and reports the disk size\nbefore and after. Opens "
    "the store for writing, so no other process may hold it. Reads\nand "
    "writes through this process may go on meanwhile; on a large store it "
    "takes a while,\nwith a progress line on a terminal. The limits it is "
    "opened with (--max-events-per-session)\nare the ones compaction "
    "enforces.",
    {},
    {"compact", "--db rocksdb:/var/lib/app/sessions compact --json"},
    0,
    0,
    StoreAccess::kWrite,
    RunCompact,
};

}  // namespace cli
}  // namespace sessionlog
