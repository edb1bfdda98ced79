// Options that every driver takes. Grouped by what they affect; each states
// its default and the trade-off. Backend-specific options are ignored by the
// backends they do not apply to.

#ifndef SESSIONLOG_API_OPTIONS_H_
#define SESSIONLOG_API_OPTIONS_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace sessionlog {

// Set a limit to kNoLimit to switch it off.
inline constexpr int64_t kNoLimit = 0;
// Set a limit to kLimitFromStore to use the one the store recorded when its
// last writer opened it: rocksdb: stores record their writers' limits, and a
// new one gets the SDK's default; sqlite: and postgres: stores are the TS
// SDK's tables, which record none and whose TS drivers enforce none, so
// there it means no limit; memory: gets the SDK's default. Tools that inspect
// or maintain a store use it, so that they neither clip what the service keeps
// nor change its retention policy. options() reports the limit in force once
// the driver is open.
inline constexpr int64_t kLimitFromStore = -1;
inline constexpr int64_t kDefaultMaxSessions = 1024;         // As the SDK.
inline constexpr int64_t kDefaultMaxEventsPerSession = 500;  // As the SDK.
inline constexpr int64_t kDefaultPageLimit = 100;            // As the SDK.
inline constexpr int64_t kMaxPageLimit = 10000;
inline constexpr int64_t kMaxIdBytes = 256;
inline constexpr int64_t kMaxTextFieldBytes = 4096;
inline constexpr int64_t kDefaultMaxPayloadBytes = 4 << 20;

// What an acknowledged write survives.
enum class Durability {
  // The write is in the operating system's buffers before it is acknowledged:
  // it survives a crash or kill -9 of the process. A power cut or kernel crash
  // can lose the writes since the last background sync (see
  // DriverOptions::background_sync_interval). The fast default.
  kProcessCrash,
  // The write is fsync'ed before it is acknowledged, so it survives a power
  // cut. Concurrent writers share fsyncs (group commit), so throughput grows
  // with the number of writing threads.
  kFsync,
};

struct DriverOptions {
  // ---- Limits (enforced as the SDK's in-memory driver does) ----

  // When an UpdateSession makes the number of session records exceed this,
  // the sessions that sort first by (created_at, id) are removed with all of
  // their events. kNoLimit switches eviction off.
  int64_t max_sessions = kDefaultMaxSessions;

  // Each session keeps only its newest max_events_per_session events by
  // event_index; older ones disappear from reads at once and from disk at the
  // next compaction. kNoLimit keeps every event.
  int64_t max_events_per_session = kDefaultMaxEventsPerSession;

  // Larger payloads are rejected with InvalidArgument.
  int64_t max_payload_bytes = kDefaultMaxPayloadBytes;

  // ---- Retention by age (beside the count limits above) ----
  //
  // Off by default, as in the SDK, whose drivers keep a session until the
  // count limits evict it. A writable driver checks these once when it opens
  // and then every retention_check_interval, in the background, removing
  // what has expired exactly as PruneSessions() does (see api/driver.h). A
  // read_only driver never removes anything.

  // Sessions destroyed (destroyed_at set) longer ago than this are removed
  // with all of their events. Zero switches it off.
  absl::Duration destroyed_session_ttl = absl::ZeroDuration();

  // Sessions with no activity for longer than this are removed with all of
  // their events. A session's last activity is the latest of its created_at,
  // its destroyed_at and the created_at of its newest event. Zero switches
  // it off.
  absl::Duration idle_session_ttl = absl::ZeroDuration();

  // How often the background check runs. Each check walks the session
  // records and, with idle_session_ttl on, reads the newest event of each
  // session that could be idle: cheap at the default max_sessions, a scan of
  // the records for stores without a session limit.
  absl::Duration retention_check_interval = absl::Minutes(1);

  // ---- Durability ----

  Durability durability = Durability::kProcessCrash;

  // With kProcessCrash, durable backends sync their log at this interval in
  // the background, which bounds what a power cut can lose. Zero switches the
  // background sync off (then only Flush() syncs).
  absl::Duration background_sync_interval = absl::Seconds(1);

  // ---- Embedded stores (rocksdb, sqlite) ----

  // Create the store if it does not exist. When false, opening a missing
  // store is NotFound.
  bool create_if_missing = true;

  // Open without writing anything. For RocksDB this is a read-only instance
  // that can be opened while another process writes the store; it sees the
  // writes made up to the moment it opened. Writes get FailedPrecondition.
  bool read_only = false;

  // RocksDB: writes are refused with ResourceExhausted while the file system
  // holding the store has less free space than this. This RocksDB aborts the
  // process on a full disk, so the guard must trip first; keep it above the
  // size of a memtable flush plus a compaction's output.
  int64_t min_free_disk_bytes = 64ll << 20;

  // ---- Postgres ----

  // The schema holding the tables; must match ^[A-Za-z_][A-Za-z0-9_]*$, as the
  // TS driver requires.
  std::string postgres_schema = "public";
};

// InvalidArgument naming the first option that is out of range.
absl::Status ValidateOptions(const DriverOptions& options);

}  // namespace sessionlog

#endif  // SESSIONLOG_API_OPTIONS_H_
