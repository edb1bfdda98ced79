#include "engine/rocksdb/retention_filter.h"

#include <string>

#include "engine/rocksdb/keys.h"

namespace sessionlog {
namespace {

class RetentionFilter : public rocksdb::CompactionFilter {
 public:
  explicit RetentionFilter(std::shared_ptr<const WatermarkMap> watermarks)
      : watermarks_(std::move(watermarks)) {}

  bool Filter(int /*level*/, const rocksdb::Slice& key,
              const rocksdb::Slice& /*value*/, std::string* /*new_value*/,
              bool* /*value_changed*/) const override {
    uint64_t handle;
    int64_t index;
    if (!rocksdb_keys::DecodeEventKey(absl::string_view(key.data(), key.size()),
                                      &handle, &index)) {
      return false;  // Not ours to judge: keep it.
    }
    auto it = watermarks_->find(handle);
    return it != watermarks_->end() && index < it->second;
  }

  const char* Name() const override { return "sessionlog.RetentionFilter"; }

 private:
  std::shared_ptr<const WatermarkMap> watermarks_;
};

}  // namespace

void WatermarkTable::Raise(uint64_t handle, int64_t watermark) {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t& current = pending_[handle];
  if (watermark > current) current = watermark;
}

void WatermarkTable::Forget(uint64_t handle) {
  std::lock_guard<std::mutex> lock(mu_);
  pending_.erase(handle);
}

std::shared_ptr<const WatermarkMap> WatermarkTable::Pending() const {
  std::lock_guard<std::mutex> lock(mu_);
  return std::make_shared<WatermarkMap>(pending_);
}

void WatermarkTable::Publish(std::shared_ptr<const WatermarkMap> snapshot) {
  std::lock_guard<std::mutex> lock(mu_);
  published_ = std::move(snapshot);
}

std::shared_ptr<const WatermarkMap> WatermarkTable::Published() const {
  std::lock_guard<std::mutex> lock(mu_);
  return published_;
}

std::unique_ptr<rocksdb::CompactionFilter>
RetentionFilterFactory::CreateCompactionFilter(
    const rocksdb::CompactionFilter::Context& /*context*/) {
  if (publish_on_create_) table_->Publish(table_->Pending());
  return std::make_unique<RetentionFilter>(table_->Published());
}

}  // namespace sessionlog
