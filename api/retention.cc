// Retention by age: PruneSessions, and the background check that applies
// DriverOptions' age limits through it. One piece of code for every backend;
// each backend only supplies DoDeleteSessionIf, the conditional removal.

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "api/driver.h"
#include "api/internal/periodic_task.h"

namespace sessionlog {

absl::string_view PruneReasonName(PruneReason reason) {
  return reason == PruneReason::kDestroyed ? "destroyed" : "idle";
}

int64_t LastActivity(const SessionRecord& record,
                     std::optional<int64_t> newest_event_at) {
  int64_t last = record.created_at;
  if (record.destroyed_at) last = std::max(last, *record.destroyed_at);
  if (newest_event_at) last = std::max(last, *newest_event_at);
  return last;
}

std::optional<PruneReason> PruneReasonFor(
    const PruneRule& rule, const SessionRecord& record,
    std::optional<int64_t> newest_event_at) {
  if (rule.destroyed_before && record.destroyed_at &&
      *record.destroyed_at < *rule.destroyed_before) {
    return PruneReason::kDestroyed;
  }
  if (rule.idle_before &&
      LastActivity(record, newest_event_at) < *rule.idle_before) {
    return PruneReason::kIdle;
  }
  return std::nullopt;
}

namespace {

absl::Status ValidatePruneRule(const PruneRule& rule) {
  if (!rule.destroyed_before && !rule.idle_before) {
    return absl::InvalidArgumentError(
        "PruneRule: set destroyed_before, idle_before or both; with neither "
        "it selects nothing");
  }
  for (const auto& [name, time] :
       {std::pair<const char*, std::optional<int64_t>>{"destroyed_before",
                                                       rule.destroyed_before},
        {"idle_before", rule.idle_before}}) {
    if (time && (*time < 0 || *time > kMaxSafeInteger)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "PruneRule.", name, ": must be milliseconds since the epoch in [0, ",
          kMaxSafeInteger, "], got ", *time));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<PrunedSession>> SessionPersistDriver::PruneSessions(
    const PruneRule& rule) {
  if (absl::Status s = ValidatePruneRule(rule); !s.ok()) return s;
  if (options().read_only) {
    return absl::FailedPreconditionError(
        "the store is open read_only; pruning removes sessions, so reopen it "
        "without read_only");
  }
  // First the candidates, by reads alone, so that the conditional removals
  // (writes, which may lock the whole store) are only for sessions that
  // look expired.
  std::vector<std::string> candidates;
  absl::Status walked = ForEachSession(*this, [&](const SessionRecord& record) {
    // The record alone gives a lower bound on the last activity: if it is
    // recent, no event can make the session idle.
    std::optional<PruneReason> by_record =
        PruneReasonFor(rule, record, std::nullopt);
    if (!by_record) return absl::OkStatus();
    if (*by_record == PruneReason::kIdle) {
      // Idle only if no event is recent either.
      absl::StatusOr<std::vector<SessionEvent>> newest =
          LastEvents(record.id, 1);
      if (!newest.ok()) return newest.status();
      std::optional<int64_t> newest_at;
      if (!newest->empty()) newest_at = newest->back().created_at;
      if (!PruneReasonFor(rule, record, newest_at)) return absl::OkStatus();
    }
    candidates.push_back(record.id);
    return absl::OkStatus();
  });
  if (!walked.ok()) return walked;

  std::vector<PrunedSession> pruned;
  for (const std::string& id : candidates) {
    PrunedSession removed;
    absl::StatusOr<std::optional<int64_t>> deleted =
        DoDeleteSessionIf(id, [&](const SessionRecord& record,
                                  std::optional<int64_t> newest_event_at) {
          std::optional<PruneReason> reason =
              PruneReasonFor(rule, record, newest_event_at);
          if (!reason) return false;
          removed = {record, *reason, LastActivity(record, newest_event_at)};
          return true;
        });
    if (!deleted.ok()) {
      return absl::Status(
          deleted.status().code(),
          absl::StrCat("pruning session \"", absl::CHexEscape(id),
                       "\" (after removing ", pruned.size(),
                       " sessions): ", deleted.status().message()));
    }
    if (deleted->has_value()) {
      removed.events = **deleted;
      pruned.push_back(std::move(removed));
    }
  }
  return pruned;
}

absl::StatusOr<std::optional<int64_t>> SessionPersistDriver::DoDeleteSessionIf(
    absl::string_view, StillSelected) {
  return absl::UnimplementedError("this driver cannot prune sessions");
}

void SessionPersistDriver::StartRetention() {
  if (options().read_only ||
      (options().destroyed_session_ttl == absl::ZeroDuration() &&
       options().idle_session_ttl == absl::ZeroDuration())) {
    return;
  }
  retention_ = std::make_unique<PeriodicTask>(
      options().retention_check_interval, PeriodicTask::Start::kAtOnce,
      [this] { EnforceAgeLimits(); });
}

void SessionPersistDriver::StopRetention() {
  if (retention_ != nullptr) retention_->Stop();
}

void SessionPersistDriver::EnforceAgeLimits() {
  const absl::Time now = absl::Now();
  PruneRule rule;
  if (options().destroyed_session_ttl > absl::ZeroDuration()) {
    rule.destroyed_before = std::max<int64_t>(
        0, absl::ToUnixMillis(now - options().destroyed_session_ttl));
  }
  if (options().idle_session_ttl > absl::ZeroDuration()) {
    rule.idle_before = std::max<int64_t>(
        0, absl::ToUnixMillis(now - options().idle_session_ttl));
  }
  absl::StatusOr<std::vector<PrunedSession>> pruned = PruneSessions(rule);
  std::lock_guard<std::mutex> lock(retention_mu_);
  if (pruned.ok()) {
    sessions_expired_ += static_cast<int64_t>(pruned->size());
    retention_error_.clear();
  } else {
    retention_error_ = std::string(pruned.status().message());
  }
}

// Here rather than in the header, where PeriodicTask is incomplete.
SessionPersistDriver::SessionPersistDriver(const DriverOptions& options)
    : options_(WithDefaultLimits(options)) {}

SessionPersistDriver::~SessionPersistDriver() { StopRetention(); }

}  // namespace sessionlog
