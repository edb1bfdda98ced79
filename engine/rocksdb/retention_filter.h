// Physical retention: a compaction filter that drops the events each session
// has already trimmed logically.
//
// The logical state is "each session's newest max_events_per_session events";
// reads clip to it at once, from the in-memory watermark (the lowest index a
// session keeps). The filter only catches up on disk. It must never drop an
// event that a crash could make visible again as one of the newest N, so it is
// told a watermark only once the events that justify it are durable:
//
//   Raise()    records the watermark after the write that justified it.
//   Publish()  makes a snapshot taken with Pending() visible to filters; the
//              caller takes the snapshot, syncs the WAL, then publishes.
//
// The filter runs on RocksDB's background threads and ignores snapshots (see
// rocksdb/compaction_filter.h), which is harmless here: reads enforce the
// watermark themselves.

#ifndef SESSIONLOG_ENGINE_ROCKSDB_RETENTION_FILTER_H_
#define SESSIONLOG_ENGINE_ROCKSDB_RETENTION_FILTER_H_

#include <cstdint>
#include <memory>
#include <mutex>

#include "absl/container/flat_hash_map.h"
#include "rocksdb/compaction_filter.h"

namespace sessionlog {

// Session handle -> lowest event index to keep.
using WatermarkMap = absl::flat_hash_map<uint64_t, int64_t>;

class WatermarkTable {
 public:
  void Raise(uint64_t handle, int64_t watermark);
  // For a session whose events were deleted with a range delete.
  void Forget(uint64_t handle);

  std::shared_ptr<const WatermarkMap> Pending() const;
  void Publish(std::shared_ptr<const WatermarkMap> snapshot);
  std::shared_ptr<const WatermarkMap> Published() const;

 private:
  mutable std::mutex mu_;  // Guards the two maps; see session_state.h.
  WatermarkMap pending_;
  std::shared_ptr<const WatermarkMap> published_ =
      std::make_shared<WatermarkMap>();
};

// Creates one filter per compaction, over the watermarks published when the
// compaction starts. With publish_on_create (fsync durability: every
// acknowledged write is already durable), pending watermarks are published
// first.
class RetentionFilterFactory : public rocksdb::CompactionFilterFactory {
 public:
  RetentionFilterFactory(std::shared_ptr<WatermarkTable> table,
                         bool publish_on_create)
      : table_(std::move(table)), publish_on_create_(publish_on_create) {}

  std::unique_ptr<rocksdb::CompactionFilter> CreateCompactionFilter(
      const rocksdb::CompactionFilter::Context& context) override;
  const char* Name() const override { return "sessionlog.RetentionFilter"; }

 private:
  std::shared_ptr<WatermarkTable> table_;
  const bool publish_on_create_;
};

}  // namespace sessionlog

#endif  // SESSIONLOG_ENGINE_ROCKSDB_RETENTION_FILTER_H_
