// Moving a store that is still being written (docs/SCALE-OUT.md): a full copy
// (MigrateStore), then catch-up passes, each over a fresh view of the source,
// copying only what is new since the destination last saw it, until a pass
// finds nothing new; then the cut-over point.
//
// A catch-up pass walks the source's records: a record that the destination
// lacks or holds differently is written again (a full replace), and each
// session's events above the destination's highest index are appended. It
// costs two destination reads per session plus what is new. Not carried
// over: sessions deleted from the source, and events inserted below a
// session's highest index after the destination saw it (appends in index
// order, as the SDK makes them, are always caught). What the source's limits
// trimmed or evicted after an earlier pass stays in the destination, whose
// limits are off; its first writer with limits on applies them.
//
// The cut-over point is the instant just before the last pass opened its view
// of the source: the destination holds everything the source held at that
// instant. To cut over, stop the writers (or let them finish), run one more
// pass, and point them at the destination.

#ifndef SESSIONLOG_TOOLS_MIGRATE_CATCH_UP_H_
#define SESSIONLOG_TOOLS_MIGRATE_CATCH_UP_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "api/driver.h"
#include "tools/migrate/migrate.h"

namespace sessionlog {

struct CatchUpPass {
  absl::Time source_view;        // When the pass opened the source.
  absl::Duration took;           // From then to the end of the pass.
  int64_t sessions_written = 0;  // Records new or changed since before.
  int64_t events_copied = 0;     // Events new since before.
  int64_t sessions_seen = 0;     // Records in the source's view.
};

struct CatchUpReport {
  std::vector<CatchUpPass> passes;  // The full copy first.
  // Whether the last pass found nothing new. Otherwise max_passes ran out
  // while writes went on: passes.back() says how far behind one pass is.
  bool caught_up = false;
  // The cut-over point: passes.back().source_view.
  absl::Time cut_over;
};

struct CatchUpOptions {
  // Passes in all, the full copy included (at least 1).
  int max_passes = 10;
  // Pause between passes, so that a pass has something to find.
  absl::Duration pause = absl::Milliseconds(200);
  // The full copy's options (batch size, destination limits); batch_size
  // also sizes the catch-up passes' InsertEvents batches.
  MigrateOptions first_pass;
  // Called after each pass, on the calling thread. May be empty.
  std::function<void(const CatchUpPass&)> on_pass;
};

// Opens a fresh view of the source: e.g. a rocksdb: store opened read-only
// sees what was written up to the moment it opened.
using OpenSource =
    std::function<absl::StatusOr<std::unique_ptr<SessionPersistDriver>>()>;

// The full copy, then catch-up passes as described above. Errors as
// MigrateStore's; what was copied stays, and a re-run continues.
absl::StatusOr<CatchUpReport> MigrateAndCatchUp(
    const OpenSource& open_source, SessionPersistDriver& to,
    const CatchUpOptions& options = CatchUpOptions());

// One catch-up pass of `from` into `to`.
absl::StatusOr<CatchUpPass> CatchUpOnce(SessionPersistDriver& from,
                                        SessionPersistDriver& to,
                                        int64_t batch_size);

}  // namespace sessionlog

#endif  // SESSIONLOG_TOOLS_MIGRATE_CATCH_UP_H_
