// The rocksdb: driver's class, shared by the files that implement its jobs:
//
//   rocksdb_driver.cc    opening a store, its format version and limits
//   session_loading.cc   the lock table and lazy per-session loading
//   session_records.cc   session records and eviction
//   session_events.cc    events: appends, pages and last-N reads
//   session_history.cc   forks and rewinds
//   stats_and_sync.cc    stats, WAL syncs, integrity checks and compaction
//
// Internal to engine/rocksdb; the public entry points are in rocksdb_driver.h.

#ifndef SESSIONLOG_ENGINE_ROCKSDB_ROCKSDB_DRIVER_IMPL_H_
#define SESSIONLOG_ENGINE_ROCKSDB_ROCKSDB_DRIVER_IMPL_H_

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "api/driver.h"
#include "api/internal/periodic_task.h"
#include "engine/rocksdb/disk_guard.h"
#include "engine/rocksdb/keys.h"
#include "engine/rocksdb/retention_filter.h"
#include "engine/rocksdb/rocksdb_status.h"
#include "engine/rocksdb/session_state.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"

namespace sessionlog {
namespace rocksdb_internal {

namespace keys = rocksdb_keys;

// Column families, in the order of RocksDbDriver::cf_.
enum ColumnFamily { kMeta = 0, kSessions, kByAge, kHandles, kEvents, kCount };
inline constexpr const char* kColumnFamilyNames[kCount] = {
    "default", "sessions", "by_age", "handles", "events"};

inline absl::string_view View(const rocksdb::Slice& slice) {
  return absl::string_view(slice.data(), slice.size());
}

// The states of the sessions a write touches, locked; unlocks them on
// destruction. Ids are views of the caller's strings, which outlive it. A
// sorted vector: most writes touch one session.
class LockedStates {
 public:
  LockedStates() = default;
  LockedStates(const LockedStates&) = delete;
  LockedStates& operator=(const LockedStates&) = delete;
  ~LockedStates() {
    for (auto& [id, state] : states_) state->mu.unlock();
  }

  // Ids must be added in ascending order.
  void Add(absl::string_view id, std::shared_ptr<SessionState> state) {
    states_.emplace_back(id, std::move(state));
  }
  SessionState* Get(absl::string_view id) const { return Shared(id).get(); }
  const std::shared_ptr<SessionState>& Shared(absl::string_view id) const {
    if (states_.size() == 1) return states_.front().second;
    auto it = std::lower_bound(states_.begin(), states_.end(), id,
                               [](const auto& entry, absl::string_view key) {
                                 return entry.first < key;
                               });
    return it->second;
  }

 private:
  std::vector<std::pair<absl::string_view, std::shared_ptr<SessionState>>>
      states_;
};

class RocksDbDriver final : public SessionPersistDriver {
 public:
  RocksDbDriver(const DriverOptions& options, std::string path);
  ~RocksDbDriver() override;

  absl::Status OpenStore(rocksdb::Env* env);
  // One attempt of OpenStore. A read-only attempt is Aborted when the
  // store's ManifestState (store_directory.h) is no longer `manifest_before`
  // once RocksDB has opened it: a writer changed the store meanwhile.
  absl::Status OpenStoreOnce(rocksdb::Env* env,
                             const std::string& manifest_before);
  void RememberOpenFailure(const absl::Status& s) { RememberLogFailure(s); }

 protected:
  absl::StatusOr<SessionRecord> DoGetSession(absl::string_view id) override;
  absl::StatusOr<std::vector<SessionRecord>> DoListSessions(
      const std::optional<SessionCursor>& after, int64_t limit) override;
  absl::Status DoUpdateSession(const SessionRecord& record) override;
  absl::StatusOr<std::vector<SessionEvent>> DoListEvents(
      absl::string_view session_id, std::optional<int64_t> after_index,
      int64_t limit) override;
  absl::Status DoInsertEvents(absl::Span<const SessionEvent> events) override;
  absl::StatusOr<std::vector<SessionEvent>> DoLastEvents(
      absl::string_view session_id, int64_t count) override;
  absl::StatusOr<std::optional<int64_t>> DoHighestEventIndex(
      absl::string_view session_id) override;
  absl::Status DoDeleteSession(absl::string_view id) override;
  absl::StatusOr<std::optional<int64_t>> DoDeleteSessionIf(
      absl::string_view id, StillSelected still_selected) override;
  absl::Status DoForkSession(absl::string_view source_id,
                             absl::string_view new_id,
                             int64_t through_index) override;
  absl::Status DoRewindSession(absl::string_view id,
                               int64_t through_index) override;
  absl::StatusOr<DriverStats> DoStats() override;
  absl::Status DoFlush() override;
  absl::Status DoCheckIntegrity() override;
  absl::Status DoCompact() override;

 private:
  int64_t max_events() const { return options().max_events_per_session; }

  absl::Status Status(const rocksdb::Status& s, absl::string_view what) const {
    if (s.ok()) return absl::OkStatus();  // No message to build per write.
    return FromRocksDb(s, absl::StrCat(context_, ": ", what));
  }

  absl::Status RefuseIfReadOnly() const {
    if (!options().read_only) return absl::OkStatus();
    return absl::FailedPreconditionError(absl::StrCat(
        context_, " is open read-only; reopen it without read_only to write"));
  }

  absl::Status Write(rocksdb::WriteBatch* batch) {
    if (absl::Status s = guard_.Admit(batch->GetDataSize()); !s.ok()) return s;
    absl::Status s = Status(db_->Write(write_options_, batch), "write");
    if (!s.ok()) RememberLogFailure(s);
    return s;
  }

  // Debian's librocksdb is built with assertions on: once the WAL writer has
  // seen an error, another sync or append on it aborts the process
  // (WritableFileWriter::AssertFalseAndGetStatusForPrevError). So after a
  // failed write or sync this handle never syncs again (syncs ride the write
  // queue for the same reason; see SyncAndPublish); RocksDB refuses writes
  // too, and reopening the store recovers.
  void RememberLogFailure(const absl::Status& s) {
    std::lock_guard<std::mutex> lock(log_failure_mu_);
    if (log_failure_.ok()) log_failure_ = s;
  }
  absl::Status LogFailure() {
    std::lock_guard<std::mutex> lock(log_failure_mu_);
    if (log_failure_.ok()) return absl::OkStatus();
    return absl::UnavailableError(absl::StrCat(
        context_, ": an earlier write failed (", log_failure_.message(),
        "); this handle can no longer sync. Reopen the store to recover"));
  }

  // ---- Opening (rocksdb_driver.cc) ----

  // The next free handle, the session count and the limits in force.
  absl::Status ReadMeta();

  // ---- The lock table and lazy loading (session_loading.cc) ----

  // What a caller needs of a session's state: all of it, or only its handle
  // (a session about to be removed needs no retained window).
  enum class LoadDepth { kFull, kHandleOnly };

  // Reads the session's handle and, when a limit is on, its retained indexes.
  // kHandleOnly stops after the handle and leaves the state unloaded, so that
  // the next full lock reads the rest.
  absl::Status Load(absl::string_view id, SessionState* state,
                    LoadDepth depth);  // Caller holds state->mu exclusively.

  // Locks the states of `ids` in sorted order (so that writers never
  // deadlock), each alive and loaded to `depth`.
  absl::Status LockStates(std::vector<absl::string_view> ids,
                          LockedStates* locked,
                          LoadDepth depth = LoadDepth::kFull);

  // The session's state, reader-locked and loaded; null if the session has no
  // events. The caller unlocks.
  absl::StatusOr<std::shared_ptr<SessionState>> ReadLock(absl::string_view id);

  // Up to `count` events of session `handle` with index >= from, oldest
  // first (forward) or newest first; `add(it, out)` appends what the iterator
  // is at to `out`, and the scan stops once `out` holds `count`.
  template <typename Container, typename Add>
  absl::Status ScanSession(uint64_t handle, int64_t from, bool forward,
                           int64_t count, Add add, Container* out);

  // The newest-window read, used by a session's first touch (its retained
  // indexes) and by last-N reads (its newest events): the newest `count`
  // events of session `handle` with index >= `start`, given its highest
  // index. `add(it, out)` appends what the iterator is at to `out`, which
  // ends up oldest first.
  template <typename Container, typename Add>
  absl::Status ReadNewestWindow(uint64_t handle, int64_t start, int64_t highest,
                                int64_t count, Add add, Container* out);

  // ---- Records and eviction (session_records.cc) ----

  absl::StatusOr<std::optional<SessionRecord>> ReadRecord(absl::string_view id);

  // The ids of the sessions that updating `record` evicts, first in
  // (created_at, id) order; `count` is the session count after the update.
  // `floor_after` is age_floor_ as it may be once they are removed.
  absl::StatusOr<std::vector<std::string>> EvictionVictims(
      const SessionRecord& record, int64_t count, std::string* floor_after);

  // Adds to `batch` the write of `record` (which replaces `old`), the
  // removal of the `victims` of eviction, whose states `locked` holds, and
  // the session count after both, `final_count`. Returns whether `record`
  // survives its own eviction. Caller holds sessions_mu_.
  absl::StatusOr<bool> AppendRecordWrite(
      const SessionRecord& record, const std::optional<SessionRecord>& old,
      const std::vector<std::string>& victims, const LockedStates& locked,
      int64_t final_count, rocksdb::WriteBatch* batch);

  // Adds to `batch` the removal of session `id`'s events and handle.
  void AppendEventRemoval(
      absl::string_view id, const SessionState& state,
      rocksdb::WriteBatch* batch);  // Caller holds state.mu.

  // Removes session `id`, whose record is `old` (nullopt: none) and whose
  // state `locked` holds, with all of its events, in one write. Caller holds
  // sessions_mu_.
  absl::Status RemoveSession(absl::string_view id,
                             const std::optional<SessionRecord>& old,
                             const LockedStates& locked);

  // Marks removed sessions dead once their removal is written.
  void ForgetSessions(const std::vector<std::string>& ids,
                      const LockedStates& locked);

  // ---- Events (session_events.cc) ----

  enum class Direction { kOldestFirst, kNewestFirst };

  // Up to `count` retained events of a session with index > after_index,
  // taken from the oldest or from the newest end; returned oldest first.
  absl::StatusOr<std::vector<SessionEvent>> ScanEvents(
      absl::string_view session_id, std::optional<int64_t> after_index,
      int64_t count, Direction direction);

  // ---- Fork and rewind (session_history.cc) ----

  // Adds to `batch` the fork's copies of the retained events of `source`
  // with index <= through_index, under a new handle for `new_id`; leaves
  // `batch` as it was when there are none to copy.
  absl::Status AppendForkedEvents(absl::string_view source_id,
                                  const SessionState& source,
                                  absl::string_view new_id,
                                  int64_t through_index,
                                  rocksdb::WriteBatch* batch);

  // ---- Syncs (stats_and_sync.cc) ----

  // Syncs the WAL, then lets the compaction filter act on the watermarks
  // whose justifying events that sync made durable.
  absl::Status SyncAndPublish();
  void StartBackgroundSync();
  void StopBackgroundSync();

  const std::string path_;
  const std::string context_;
  DiskGuard guard_;
  std::shared_ptr<WatermarkTable> watermarks_;
  rocksdb::WriteOptions write_options_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> cf_;
  SessionStateTable states_;
  std::atomic<uint64_t> next_handle_{1};
  // As asked, before kLimitFromStore is resolved.
  const int64_t requested_max_sessions_;
  const int64_t requested_max_events_;

  // Serializes changes to session records, and so eviction.
  // Taken before any SessionState::mu. The engine's locks are std types, for
  // the reasons in session_state.h.
  std::mutex sessions_mu_;
  int64_t session_count_ = 0;  // Guarded by sessions_mu_.
  // No live by_age key sorts before this (guarded by sessions_mu_). Eviction
  // seeks here rather than to the first key: the keys it removed before
  // stay in the memtable as tombstones at the head of by_age until a
  // compaction, and skipping thousands of them made an evicting update ~80x
  // a plain one.
  std::string age_floor_;

  std::mutex log_failure_mu_;
  absl::Status log_failure_;  // Guarded by log_failure_mu_.

  // Serializes SyncAndPublish.
  std::mutex publish_mu_;
  // The watermarks last recorded as floors (keys.h). Guarded by publish_mu_.
  std::shared_ptr<const WatermarkMap> recorded_floors_ =
      std::make_shared<WatermarkMap>();

  std::unique_ptr<PeriodicTask> background_sync_;
};

template <typename Container, typename Add>
absl::Status RocksDbDriver::ScanSession(uint64_t handle, int64_t from,
                                        bool forward, int64_t count, Add add,
                                        Container* out) {
  const std::string lower = keys::EventKey(handle, from);
  const std::string upper = keys::EventKey(handle + 1, 0);
  rocksdb::Slice lower_slice(lower), upper_slice(upper);
  rocksdb::ReadOptions read;
  read.iterate_lower_bound = &lower_slice;
  read.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read, cf_[kEvents]));
  for (forward ? it->SeekToFirst() : it->SeekToLast();
       it->Valid() && static_cast<int64_t>(out->size()) < count;
       forward ? it->Next() : it->Prev()) {
    if (absl::Status s = add(*it, out); !s.ok()) return s;
  }
  return it->status().ok() ? absl::OkStatus()
                           : Status(it->status(), "read events");
}

template <typename Container, typename Add>
absl::Status RocksDbDriver::ReadNewestWindow(uint64_t handle, int64_t start,
                                             int64_t highest, int64_t count,
                                             Add add, Container* out) {
  // The newest `count` are usually exactly (highest - count, highest]: read
  // them forward, which is ~3x faster than walking back, since every Prev()
  // in a memtable is a fresh search. Gaps in the indexes leave that short;
  // then walk back from the newest.
  const int64_t from = std::max(start, highest - count + 1);
  absl::Status s = ScanSession(handle, from, /*forward=*/true, count, add, out);
  if (!s.ok() || static_cast<int64_t>(out->size()) >= count || from <= start) {
    return s;
  }
  out->clear();
  s = ScanSession(handle, start, /*forward=*/false, count, add, out);
  std::reverse(out->begin(), out->end());  // Callers get oldest first.
  return s;
}

}  // namespace rocksdb_internal
}  // namespace sessionlog

#endif  // SESSIONLOG_ENGINE_ROCKSDB_ROCKSDB_DRIVER_IMPL_H_
