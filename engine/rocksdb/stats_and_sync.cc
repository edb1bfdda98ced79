// Stats, WAL syncs (on Flush, in the background, and on close) with the
// publication of retention watermarks they allow, integrity checks and
// compaction.

#include <filesystem>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "engine/rocksdb/rocksdb_driver_impl.h"

namespace sessionlog {
namespace rocksdb_internal {

absl::StatusOr<DriverStats> RocksDbDriver::DoStats() {
  DriverStats stats;
  {
    std::lock_guard<std::mutex> lock(sessions_mu_);
    stats.sessions = session_count_;
  }
  uint64_t keys_estimate = 0;
  db_->GetIntProperty(cf_[kEvents], "rocksdb.estimate-num-keys",
                      &keys_estimate);
  stats.events = static_cast<int64_t>(keys_estimate);
  stats.events_is_estimate = true;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(path_, ec)) {
    if (entry.is_regular_file(ec)) {
      stats.disk_bytes += static_cast<int64_t>(entry.file_size(ec));
    }
  }
  return stats;
}

absl::Status RocksDbDriver::SyncAndPublish() {
  std::lock_guard<std::mutex> lock(publish_mu_);
  if (absl::Status failed = LogFailure(); !failed.ok()) return failed;
  std::shared_ptr<const WatermarkMap> pending = watermarks_->Pending();
  // The watermarks become the sessions' recorded floors in the WAL ahead of
  // the sync that makes them durable, with the events that justify them; so
  // what the filter may drop is below the floors, and trimmed events never
  // come back when the store is opened with a larger limit, or none.
  rocksdb::WriteBatch floors;
  for (const auto& [handle, watermark] : *pending) {
    auto recorded = recorded_floors_->find(handle);
    if (recorded == recorded_floors_->end() || recorded->second != watermark) {
      floors.Put(cf_[kHandles], keys::FloorByHandleKey(handle),
                 keys::EncodeFixed64(static_cast<uint64_t>(watermark)));
    }
  }
  // Near a full disk the guard refuses the floors: the WAL is still synced,
  // but no new watermark is published, so the filter drops nothing new.
  const bool publish =
      floors.Count() == 0 || guard_.Admit(floors.GetDataSize()).ok();
  if (!publish) floors.Clear();
  // The sync is a synced write (of the floors, or of nothing), not
  // SyncWAL(): RocksDB 7.8's SyncWAL() runs beside the write path and aborts
  // the process (an assertion Debian's build keeps) when a concurrent write
  // has just failed on the WAL. A synced write joins the write queue, so it
  // follows any failed write, and RocksDB refuses it with that write's error.
  // The price: writers queue behind the fsync, once per sync interval.
  rocksdb::WriteOptions synced;
  synced.sync = true;
  rocksdb::Status s = db_->Write(synced, &floors);
  if (!s.ok()) {
    absl::Status status = Status(s, "sync WAL");
    RememberLogFailure(status);
    return status;
  }
  if (publish) {
    recorded_floors_ = pending;
    watermarks_->Publish(std::move(pending));
  }
  return absl::OkStatus();
}

absl::Status RocksDbDriver::DoFlush() {
  if (options().read_only) return absl::OkStatus();
  return SyncAndPublish();
}

absl::Status RocksDbDriver::DoCheckIntegrity() {
  return Status(db_->VerifyChecksum(), "verify checksums");
}

absl::Status RocksDbDriver::DoCompact() {
  if (absl::Status s = RefuseIfReadOnly(); !s.ok()) return s;
  if (absl::Status s = SyncAndPublish(); !s.ok()) return s;
  rocksdb::CompactRangeOptions compact;
  compact.bottommost_level_compaction =
      rocksdb::BottommostLevelCompaction::kForce;
  for (rocksdb::ColumnFamilyHandle* cf : cf_) {
    rocksdb::Status s = db_->CompactRange(compact, cf, nullptr, nullptr);
    if (!s.ok()) return Status(s, "compact");
  }
  return absl::OkStatus();
}

void RocksDbDriver::StartBackgroundSync() {
  if (options().durability != Durability::kProcessCrash ||
      options().background_sync_interval <= absl::ZeroDuration()) {
    return;
  }
  background_sync_ = std::make_unique<PeriodicTask>(
      options().background_sync_interval, PeriodicTask::Start::kAfterInterval,
      // Errors surface on the next write; a failed sync publishes nothing.
      [this] { SyncAndPublish().IgnoreError(); });
}

void RocksDbDriver::StopBackgroundSync() {
  if (background_sync_ != nullptr) background_sync_->Stop();
}

}  // namespace rocksdb_internal
}  // namespace sessionlog
