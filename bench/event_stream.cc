#include "bench/event_stream.h"

#include <cstdio>
#include <memory>

#include "absl/strings/str_cat.h"
#include "schema/json_codec.h"

namespace sessionlog::bench {

EventStream::EventStream(const Workload& workload, int64_t rounds_in_pool)
    : workload_(workload), rounds_in_pool_(rounds_in_pool) {
  const int64_t size = workload.spec().sessions * rounds_in_pool;
  pool_.reserve(size);
  for (int64_t n = 0; n < size; ++n) pool_.push_back(workload.Append(n));
}

const SessionEvent& EventStream::Next() {
  const int64_t size = pool_size();
  const int64_t slot = next_ % size;
  const int64_t lap = next_ / size;
  ++next_;
  SessionEvent& event = pool_[slot];
  if (lap > 0) {
    event.event_index = workload_.IndexOfAppend(slot) + lap * rounds_in_pool_;
    // A fresh id per append, as the SDK makes one per insert: stores keyed
    // by event id (the TS schema) must see inserts, not updates.
    char lap_hex[9];
    snprintf(lap_hex, sizeof(lap_hex), "%08x",
             static_cast<unsigned>(lap & 0xffffffff));
    event.id.replace(0, 8, lap_hex);
  }
  return event;
}

std::vector<SessionEvent> EventStream::NextBatch(int64_t count) {
  std::vector<SessionEvent> batch;
  batch.reserve(count);
  for (int64_t i = 0; i < count; ++i) batch.push_back(Next());
  return batch;
}

absl::Status EventStream::WriteJsonLines(int64_t appends,
                                         const std::string& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> file(fopen(path.c_str(), "w"), fclose);
  if (file == nullptr) {
    return absl::InternalError(
        absl::StrCat("workload file ", path, ": cannot create it"));
  }
  auto write_line = [&](const std::string& line) {
    fwrite(line.data(), 1, line.size(), file.get());
    fputc('\n', file.get());
  };
  for (int64_t s = 0; s < workload_.spec().sessions; ++s) {
    write_line(JsonLineToJson(workload_.Session(s)));
  }
  for (int64_t n = 0; n < appends; ++n) write_line(JsonLineToJson(Next()));
  if (ferror(file.get())) {
    return absl::InternalError(
        absl::StrCat("workload file ", path, ": write failed"));
  }
  return absl::OkStatus();
}

}  // namespace sessionlog::bench
