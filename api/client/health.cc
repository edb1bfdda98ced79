#include "api/client/health.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "nlohmann/json.hpp"

namespace sessionlog {

HealthMonitor::HealthMonitor(const HttpEndpoint* http, ServerProvider* provider,
                             std::string sandbox_id, HealthBackoff backoff)
    : http_(http),
      provider_(provider),
      sandbox_id_(std::move(sandbox_id)),
      backoff_(backoff) {}

HealthMonitor::~HealthMonitor() { Stop(); }

absl::Status HealthMonitor::CheckOnce() const {
  absl::StatusOr<HttpReply> reply =
      http_->Send("GET", "/v1/health", "", absl::Seconds(5));
  if (!reply.ok()) return reply.status();
  if (reply->status != 200) {
    return absl::UnavailableError(
        ReplyError("GET /v1/health", *reply).message());
  }
  nlohmann::json health = nlohmann::json::parse(reply->body, nullptr, false);
  if (health.is_object() && health.value("status", "") == "ok") {
    return absl::OkStatus();
  }
  return absl::UnavailableError(absl::StrCat(
      "sandbox-agent at ", http_->base_url(),
      " answered an unexpected health response: ", reply->body.substr(0, 200)));
}

void HealthMonitor::SetHealth(bool healthy, const absl::Status& last_error) {
  absl::MutexLock lock(&mu_);
  healthy_ = healthy;
  last_error_ = last_error;
  if (!healthy) ++failed_checks_;
}

absl::Status HealthMonitor::WaitHealthy(absl::Time deadline) {
  return RunRule(deadline, /*failures=*/0);
}

absl::Status HealthMonitor::RunRule(absl::Time deadline, int failures) {
  if (!wait_mu_.LockWhenWithDeadline(absl::Condition::kTrue, deadline)) {
    wait_mu_.Unlock();
    absl::MutexLock lock(&mu_);
    return healthy_ ? absl::OkStatus()
                    : absl::UnavailableError(
                          absl::StrCat("sandbox-agent at ", http_->base_url(),
                                       " is not healthy by the deadline: ",
                                       last_error_.message()));
  }
  const absl::Time started = absl::Now();
  absl::Duration delay = backoff_.min_delay;
  if (failures > 0) {
    // The caller's check failed just now: wait, as after any failure.
    SleepUnlessStopped(std::min(delay, deadline - started));
    delay = std::min(delay * 2, backoff_.max_delay);
  }
  absl::Status result;
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (stopped_) {
        result = absl::CancelledError("the client is shutting down");
        break;
      }
    }
    absl::Status check = CheckOnce();
    SetHealth(check.ok(), check);
    if (check.ok() || absl::IsUnauthenticated(check)) {
      result = check;
      break;
    }
    if (++failures >= kHealthFailuresBeforeEnsureServer &&
        provider_ != nullptr) {
      provider_->EnsureServer(sandbox_id_).IgnoreError();
      absl::MutexLock lock(&mu_);
      ++ensure_server_calls_;
      failures = 0;
    }
    absl::Time now = absl::Now();
    if (now >= deadline) {
      result = absl::UnavailableError(absl::StrCat(
          "sandbox-agent at ", http_->base_url(), " is not healthy after ",
          absl::FormatDuration(
              absl::Trunc(now - started, absl::Milliseconds(1))),
          " (the health deadline): ", check.message()));
      break;
    }
    if (SleepUnlessStopped(std::min(delay, deadline - now))) continue;
    delay = std::min(delay * 2, backoff_.max_delay);
  }
  wait_mu_.Unlock();
  return result;
}

// Sleeps `wait`, or less when the monitor stops. True when stopped.
bool HealthMonitor::SleepUnlessStopped(absl::Duration wait) {
  absl::MutexLock lock(&mu_);
  return mu_.AwaitWithTimeout(absl::Condition(&stopped_), wait);
}

void HealthMonitor::StartMonitor(absl::Duration interval) {
  absl::MutexLock lock(&mu_);
  if (monitoring_ || stopped_) return;
  monitoring_ = true;
  monitor_ = std::thread([this, interval] { MonitorLoop(interval); });
}

void HealthMonitor::MonitorLoop(absl::Duration interval) {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      auto wake = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopped_ || check_now_;
      };
      mu_.AwaitWithTimeout(absl::Condition(&wake), interval);
      if (stopped_) return;
      check_now_ = false;
    }
    absl::Status check = CheckOnce();
    SetHealth(check.ok(), check);
    if (check.ok() || absl::IsUnauthenticated(check)) continue;
    // Down: run the rule (with EnsureServer) until it is back. The check
    // that failed is the rule's first failure.
    RunRule(absl::InfiniteFuture(), /*failures=*/1).IgnoreError();
  }
}

absl::Status HealthMonitor::AwaitHealthy(absl::Time deadline) {
  {
    absl::MutexLock lock(&mu_);
    if (healthy_) return absl::OkStatus();
    if (stopped_) return absl::CancelledError("the client is shutting down");
    if (absl::IsUnauthenticated(last_error_)) return last_error_;
    if (monitoring_) {
      check_now_ = true;
      auto settled = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return healthy_ || stopped_ || absl::IsUnauthenticated(last_error_);
      };
      mu_.AwaitWithDeadline(absl::Condition(&settled), deadline);
      if (healthy_) return absl::OkStatus();
      if (stopped_) return absl::CancelledError("the client is shutting down");
      if (absl::IsUnauthenticated(last_error_)) return last_error_;
      return absl::UnavailableError(absl::StrCat(
          "sandbox-agent at ", http_->base_url(),
          " is not healthy by the health deadline: ", last_error_.message()));
    }
  }
  return WaitHealthy(deadline);
}

void HealthMonitor::ReportFailure(const absl::Status& error) {
  absl::MutexLock lock(&mu_);
  healthy_ = false;
  last_error_ = error;
  check_now_ = true;
}

void HealthMonitor::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopped_ = true;
  }
  if (monitor_.joinable()) monitor_.join();
}

bool HealthMonitor::healthy() const {
  absl::MutexLock lock(&mu_);
  return healthy_;
}

int HealthMonitor::failed_checks() const {
  absl::MutexLock lock(&mu_);
  return failed_checks_;
}

int HealthMonitor::ensure_server_calls() const {
  absl::MutexLock lock(&mu_);
  return ensure_server_calls_;
}

}  // namespace sessionlog
