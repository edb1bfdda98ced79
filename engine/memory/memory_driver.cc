#include "engine/memory/memory_driver.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "api/internal/validation.h"

namespace sessionlog {
namespace {

using AgeKey = std::pair<int64_t, std::string>;    // (created_at, id)
using EventLog = std::map<int64_t, SessionEvent>;  // event_index -> event

class MemoryDriver final : public SessionPersistDriver {
 public:
  explicit MemoryDriver(const DriverOptions& options)
      : SessionPersistDriver(options) {
    StartRetention();  // Last: the check calls the hooks.
  }
  ~MemoryDriver() override { StopRetention(); }

 protected:
  absl::StatusOr<SessionRecord> DoGetSession(absl::string_view id) override {
    std::shared_lock<std::shared_mutex> lock(mu_);
    auto it = sessions_.find(id);
    if (it == sessions_.end()) {
      return absl::NotFoundError(
          absl::StrCat("session \"", id, "\" not found"));
    }
    return it->second;
  }

  absl::StatusOr<std::vector<SessionRecord>> DoListSessions(
      const std::optional<SessionCursor>& after, int64_t limit) override {
    std::shared_lock<std::shared_mutex> lock(mu_);
    auto it = after ? by_age_.upper_bound({after->created_at, after->id})
                    : by_age_.begin();
    std::vector<SessionRecord> items;
    for (; it != by_age_.end() && static_cast<int64_t>(items.size()) < limit;
         ++it) {
      items.push_back(sessions_.at(it->second));
    }
    return items;
  }

  absl::Status DoUpdateSession(const SessionRecord& record) override {
    std::lock_guard<std::shared_mutex> lock(mu_);
    PutRecord(record);
    return absl::OkStatus();
  }

  // Inserts or replaces `record`, then evicts past max_sessions. Caller holds
  // mu_ exclusively.
  void PutRecord(const SessionRecord& record) {
    auto [it, inserted] = sessions_.try_emplace(record.id, record);
    if (!inserted) {
      by_age_.erase({it->second.created_at, it->second.id});
      it->second = record;
    }
    by_age_.insert({record.created_at, record.id});
    const int64_t max_sessions = options().max_sessions;
    while (max_sessions != kNoLimit &&
           static_cast<int64_t>(sessions_.size()) > max_sessions) {
      std::string victim = by_age_.begin()->second;
      by_age_.erase(by_age_.begin());
      sessions_.erase(victim);
      events_.erase(victim);
    }
  }

  // The sessions that adding the new record `record` would evict, first in
  // (created_at, id) order. Caller holds mu_.
  std::vector<std::string> EvictionVictims(const SessionRecord& record) const {
    std::vector<std::string> victims;
    const int64_t max_sessions = options().max_sessions;
    const int64_t count = static_cast<int64_t>(sessions_.size()) + 1;
    if (max_sessions == kNoLimit || count <= max_sessions) return victims;
    const AgeKey added{record.created_at, record.id};
    bool added_taken = false;
    for (auto it = by_age_.begin();
         static_cast<int64_t>(victims.size()) < count - max_sessions;) {
      if (!added_taken && (it == by_age_.end() || added < *it)) {
        victims.push_back(record.id);
        added_taken = true;
      } else {
        victims.push_back(it->second);
        ++it;
      }
    }
    return victims;
  }

  // Drops the oldest events of `log` past max_events_per_session.
  void Trim(EventLog& log) {
    const int64_t max_events = options().max_events_per_session;
    while (max_events != kNoLimit &&
           static_cast<int64_t>(log.size()) > max_events) {
      log.erase(log.begin());
    }
  }

  // Whether session `id` has events. Caller holds mu_.
  bool HasEvents(absl::string_view id) const {
    auto log = events_.find(id);
    return log != events_.end() && !log->second.empty();
  }

  absl::StatusOr<std::vector<SessionEvent>> DoListEvents(
      absl::string_view session_id, std::optional<int64_t> after_index,
      int64_t limit) override {
    std::shared_lock<std::shared_mutex> lock(mu_);
    std::vector<SessionEvent> items;
    auto log = events_.find(session_id);
    if (log == events_.end()) return items;
    auto it = after_index ? log->second.upper_bound(*after_index)
                          : log->second.begin();
    for (;
         it != log->second.end() && static_cast<int64_t>(items.size()) < limit;
         ++it) {
      items.push_back(it->second);
    }
    return items;
  }

  absl::Status DoInsertEvents(absl::Span<const SessionEvent> events) override {
    std::lock_guard<std::shared_mutex> lock(mu_);
    // Check every event against the store and the batch before changing
    // anything, so that a failing batch leaves no trace.
    absl::flat_hash_map<std::pair<absl::string_view, int64_t>,
                        const SessionEvent*>
        in_batch;
    for (const SessionEvent& event : events) {
      const SessionEvent* stored = nullptr;
      auto earlier = in_batch.find({event.session_id, event.event_index});
      if (earlier != in_batch.end()) {
        stored = earlier->second;
      } else if (auto log = events_.find(event.session_id);
                 log != events_.end()) {
        auto found = log->second.find(event.event_index);
        if (found != log->second.end()) stored = &found->second;
      }
      if (stored != nullptr) {
        if (absl::Status s = CheckDuplicateEvent(*stored, event); !s.ok()) {
          return s;
        }
      }
      in_batch.try_emplace({event.session_id, event.event_index}, &event);
    }
    for (const SessionEvent& event : events) {
      EventLog& log = events_[event.session_id];
      log.try_emplace(event.event_index, event);
      Trim(log);
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<SessionEvent>> DoLastEvents(
      absl::string_view session_id, int64_t count) override {
    std::shared_lock<std::shared_mutex> lock(mu_);
    std::vector<SessionEvent> items;
    auto log = events_.find(session_id);
    if (log == events_.end()) return items;
    auto it = log->second.end();
    while (it != log->second.begin() &&
           static_cast<int64_t>(items.size()) < count) {
      items.push_back((--it)->second);
    }
    std::reverse(items.begin(), items.end());
    return items;
  }

  absl::StatusOr<std::optional<int64_t>> DoHighestEventIndex(
      absl::string_view session_id) override {
    std::shared_lock<std::shared_mutex> lock(mu_);
    auto log = events_.find(session_id);
    if (log == events_.end() || log->second.empty()) return std::nullopt;
    return log->second.rbegin()->first;
  }

  absl::Status DoDeleteSession(absl::string_view id) override {
    std::lock_guard<std::shared_mutex> lock(mu_);
    if (auto it = sessions_.find(id); it != sessions_.end()) {
      by_age_.erase({it->second.created_at, it->second.id});
      sessions_.erase(it);
    }
    events_.erase(id);
    return absl::OkStatus();
  }

  absl::StatusOr<std::optional<int64_t>> DoDeleteSessionIf(
      absl::string_view id, StillSelected still_selected) override {
    std::lock_guard<std::shared_mutex> lock(mu_);
    auto it = sessions_.find(id);
    if (it == sessions_.end()) return std::nullopt;
    std::optional<int64_t> newest_event_at;
    int64_t events = 0;
    if (auto log = events_.find(id);
        log != events_.end() && !log->second.empty()) {
      newest_event_at = log->second.rbegin()->second.created_at;
      events = static_cast<int64_t>(log->second.size());
    }
    if (!still_selected(it->second, newest_event_at)) return std::nullopt;
    by_age_.erase({it->second.created_at, it->second.id});
    sessions_.erase(it);
    events_.erase(id);
    return events;
  }

  absl::Status DoForkSession(absl::string_view source_id,
                             absl::string_view new_id,
                             int64_t through_index) override {
    std::lock_guard<std::shared_mutex> lock(mu_);
    auto source = sessions_.find(source_id);
    if (source == sessions_.end()) return ForkSourceNotFound(source_id);
    if (sessions_.contains(new_id) || HasEvents(new_id)) {
      return ForkTargetExists(new_id);
    }
    const EventLog* source_log = nullptr;
    std::optional<int64_t> highest;
    if (auto log = events_.find(source_id);
        log != events_.end() && !log->second.empty()) {
      source_log = &log->second;
      highest = log->second.rbegin()->first;
    }
    if (absl::Status s = CheckThroughIndex(source_id, highest, through_index);
        !s.ok()) {
      return s;
    }
    const SessionRecord fork = ForkedRecord(source->second, new_id);
    if (absl::Status s = CheckForkEvictions(
            source_id, new_id, EvictionVictims(fork), options().max_sessions);
        !s.ok()) {
      return s;
    }
    EventLog fork_log;
    for (auto it = source_log->begin();
         it != source_log->end() && it->first <= through_index; ++it) {
      fork_log.emplace(it->first, ForkedEvent(it->second, new_id));
    }
    Trim(fork_log);
    events_.emplace(std::string(new_id), std::move(fork_log));
    PutRecord(fork);
    return absl::OkStatus();
  }

  absl::Status DoRewindSession(absl::string_view id,
                               int64_t through_index) override {
    std::lock_guard<std::shared_mutex> lock(mu_);
    auto log = events_.find(id);
    std::optional<int64_t> highest;
    if (log != events_.end() && !log->second.empty()) {
      highest = log->second.rbegin()->first;
    }
    if (!highest && !sessions_.contains(id)) return RewindSessionNotFound(id);
    // Past here the session has events: CheckThroughIndex refuses otherwise.
    if (absl::Status s = CheckThroughIndex(id, highest, through_index);
        !s.ok()) {
      return s;
    }
    log->second.erase(log->second.upper_bound(through_index),
                      log->second.end());
    return absl::OkStatus();
  }

  absl::StatusOr<DriverStats> DoStats() override {
    std::shared_lock<std::shared_mutex> lock(mu_);
    DriverStats stats;
    stats.sessions = static_cast<int64_t>(sessions_.size());
    for (const auto& [id, log] : events_) stats.events += log.size();
    return stats;
  }

  absl::Status DoFlush() override { return absl::OkStatus(); }

 private:
  // Guards everything below; std::shared_mutex, not absl::Mutex, for the
  // reasons in engine/rocksdb/session_state.h.
  std::shared_mutex mu_;
  absl::flat_hash_map<std::string, SessionRecord> sessions_;
  std::set<AgeKey> by_age_;
  absl::flat_hash_map<std::string, EventLog> events_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<SessionPersistDriver>> OpenMemoryDriver(
    const DriverOptions& options) {
  if (absl::Status s = ValidateOptions(options); !s.ok()) return s;
  return std::make_unique<MemoryDriver>(options);
}

}  // namespace sessionlog
