#include "engine/rocksdb/session_state.h"

#include <algorithm>
#include <mutex>

namespace sessionlog {

bool SessionState::Add(int64_t index, int64_t max_events) {
  if (!highest || index > *highest) highest = index;
  if (max_events == 0) return false;
  int64_t before = Watermark(max_events);
  // Appends are the common case: push_back without a search.
  if (retained.empty() || index > retained.back()) {
    retained.push_back(index);
  } else {
    auto at = std::lower_bound(retained.begin(), retained.end(), index);
    if (at != retained.end() && *at == index) return false;
    retained.insert(at, index);
  }
  while (static_cast<int64_t>(retained.size()) > max_events) {
    retained.pop_front();
  }
  return Watermark(max_events) != before;
}

std::shared_ptr<SessionState> SessionStateTable::GetOrCreate(
    absl::string_view id) {
  {
    std::shared_lock<std::shared_mutex> lock(mu_);
    auto it = states_.find(id);
    if (it != states_.end()) return it->second;
  }
  std::lock_guard<std::shared_mutex> lock(mu_);
  auto [it, inserted] = states_.try_emplace(id, nullptr);
  if (inserted) it->second = std::make_shared<SessionState>();
  return it->second;
}

std::shared_ptr<SessionState> SessionStateTable::Find(absl::string_view id) {
  std::shared_lock<std::shared_mutex> lock(mu_);
  auto it = states_.find(id);
  return it == states_.end() ? nullptr : it->second;
}

void SessionStateTable::Remove(absl::string_view id,
                               const std::shared_ptr<SessionState>& state) {
  std::lock_guard<std::shared_mutex> lock(mu_);
  auto it = states_.find(id);
  if (it != states_.end() && it->second == state) states_.erase(it);
}

}  // namespace sessionlog
