// Waiting for a sandbox-agent server to be healthy, as the SDK does, and
// watching it afterwards, which the SDK does not.
//
// The rule (the SDK's runHealthWait): GET /v1/health until it answers
// {"status":"ok"}. After each failure wait, starting at 500 ms and doubling up
// to 15 s. After 3 consecutive failures call the provider's
// EnsureServer(sandbox_id) (its error is ignored: best effort) and count again
// from zero. A 401 is not retried: the token will not change.
//
// Thread-safe.

#ifndef SESSIONLOG_API_CLIENT_HEALTH_H_
#define SESSIONLOG_API_CLIENT_HEALTH_H_

#include <atomic>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "api/client/client_options.h"
#include "api/client/http.h"

namespace sessionlog {

inline constexpr int kHealthFailuresBeforeEnsureServer = 3;

// The waits between checks. The defaults are the SDK's; tests shorten them.
struct HealthBackoff {
  absl::Duration min_delay = absl::Milliseconds(500);
  absl::Duration max_delay = absl::Seconds(15);
};

class HealthMonitor {
 public:
  // `http` and `provider` (may be null) must outlive the monitor.
  HealthMonitor(const HttpEndpoint* http, ServerProvider* provider,
                std::string sandbox_id, HealthBackoff backoff = {});
  ~HealthMonitor();  // Stop().

  // One check: OK for {"status":"ok"}; Unauthenticated for 401/403;
  // Unavailable for anything else, saying what came back.
  absl::Status CheckOnce() const;

  // Runs the rule above until the server is healthy (OK), or `deadline`
  // passes (Unavailable with the last error and the time waited), or the
  // monitor stops (Cancelled), or a 401 (Unauthenticated).
  absl::Status WaitHealthy(absl::Time deadline);

  // Starts a thread that checks every `interval` and, on a failure, runs the
  // rule until the server is back (so a provider can restart it while nobody
  // is calling). Call at most once.
  void StartMonitor(absl::Duration interval);

  // OK at once when the last check passed. Otherwise waits for health until
  // `deadline`: on the monitor thread's recovery when it runs, or by running
  // the rule on this thread when it does not.
  absl::Status AwaitHealthy(absl::Time deadline);

  // Marks the server unhealthy (a request just failed to reach it), so that
  // the monitor checks at once.
  void ReportFailure(const absl::Status& error);

  // Stops the monitor thread and every wait. Idempotent.
  void Stop();

  bool healthy() const;
  // How many times EnsureServer was called, and how many checks failed.
  int ensure_server_calls() const;
  int failed_checks() const;

 private:
  // The rule, counting `failures` consecutive failed checks already made.
  absl::Status RunRule(absl::Time deadline, int failures);
  bool SleepUnlessStopped(absl::Duration wait);
  void MonitorLoop(absl::Duration interval);
  void SetHealth(bool healthy, const absl::Status& last_error);

  const HttpEndpoint* const http_;
  ServerProvider* const provider_;
  const std::string sandbox_id_;
  const HealthBackoff backoff_;

  mutable absl::Mutex mu_;
  bool healthy_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  bool check_now_ ABSL_GUARDED_BY(mu_) = false;
  bool monitoring_ ABSL_GUARDED_BY(mu_) = false;
  int ensure_server_calls_ ABSL_GUARDED_BY(mu_) = 0;
  int failed_checks_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status last_error_ ABSL_GUARDED_BY(mu_);
  // Only one thread runs the rule at a time, so EnsureServer is never called
  // twice for the same failures.
  absl::Mutex wait_mu_;
  std::thread monitor_;
};

}  // namespace sessionlog

#endif  // SESSIONLOG_API_CLIENT_HEALTH_H_
