#include "api/client/health.h"

#include <atomic>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "api/client/fake_server.h"
#include "gtest/gtest.h"

namespace sessionlog {
namespace {

class CountingProvider : public ServerProvider {
 public:
  absl::Status EnsureServer(absl::string_view sandbox_id) override {
    absl::MutexLock lock(&mu_);
    ++calls_;
    last_sandbox_id_ = std::string(sandbox_id);
    return absl::InternalError("providers' errors are ignored");
  }
  int calls() {
    absl::MutexLock lock(&mu_);
    return calls_;
  }
  std::string last_sandbox_id() {
    absl::MutexLock lock(&mu_);
    return last_sandbox_id_;
  }

 private:
  absl::Mutex mu_;
  int calls_ = 0;
  std::string last_sandbox_id_;
};

constexpr HealthBackoff kFast = {absl::Milliseconds(1), absl::Milliseconds(4)};

// A health route that fails while `failing` says so, counting the checks.
struct HealthRoute {
  std::atomic<int> checks{0};
  std::atomic<bool> failing{true};
  std::atomic<int> fail_first{1 << 30};  // Fail this many checks, then pass.
  std::string failure_body = "{\"status\":\"starting\"}";
  int failure_code = 503;

  void Install(FakeServer& fake) {
    fake.server().Get(
        "/v1/health", [this](const httplib::Request&, httplib::Response& res) {
          int n = ++checks;
          if (failing && n <= fail_first) {
            res.status = failure_code;
            res.set_content(failure_body, "application/json");
          } else {
            res.set_content("{\"status\":\"ok\"}", "application/json");
          }
        });
  }
};

HttpEndpoint Endpoint(const FakeServer& fake, std::string token = "") {
  absl::StatusOr<HttpEndpoint> http =
      HttpEndpoint::Create(fake.base_url(), std::move(token), {});
  EXPECT_TRUE(http.ok()) << http.status();
  return *std::move(http);
}

TEST(HealthTest, EnsureServerAfterThreeConsecutiveFailuresThenCountsAgain) {
  FakeServer fake;
  HealthRoute route;
  route.fail_first = 7;
  route.Install(fake);
  ASSERT_TRUE(fake.Start());
  HttpEndpoint http = Endpoint(fake);
  CountingProvider provider;
  HealthMonitor health(&http, &provider, "local/sb1", kFast);
  absl::Status s = health.WaitHealthy(absl::Now() + absl::Seconds(20));
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(route.checks, 8);
  EXPECT_EQ(health.failed_checks(), 7);
  // After failures 3 and 6; the 7th starts a new count that never reaches 3.
  EXPECT_EQ(provider.calls(), 2);
  EXPECT_EQ(health.ensure_server_calls(), 2);
  EXPECT_EQ(provider.last_sandbox_id(), "local/sb1");
  EXPECT_TRUE(health.healthy());
}

TEST(HealthTest, UnhealthyPastTheDeadlineIsUnavailable) {
  FakeServer fake;
  HealthRoute route;
  route.Install(fake);
  ASSERT_TRUE(fake.Start());
  HttpEndpoint http = Endpoint(fake);
  HealthMonitor health(&http, nullptr, "",
                       {absl::Milliseconds(20), absl::Milliseconds(40)});
  absl::Time start = absl::Now();
  absl::Status s = health.WaitHealthy(start + absl::Milliseconds(300));
  absl::Duration waited = absl::Now() - start;
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_NE(s.message().find("starting"), std::string::npos) << s;
  EXPECT_GE(waited, absl::Milliseconds(300));
  EXPECT_LT(waited, absl::Seconds(3));
  EXPECT_GE(route.checks, 3);
  EXPECT_FALSE(health.healthy());
}

TEST(HealthTest, UnauthorizedIsNotRetriedAndHidesTheToken) {
  FakeServer fake;
  HealthRoute route;
  route.failure_code = 401;
  route.failure_body = "{\"title\":\"Unauthorized\"}";
  route.Install(fake);
  ASSERT_TRUE(fake.Start());
  HttpEndpoint http = Endpoint(fake, "s3cr3t-token");
  CountingProvider provider;
  HealthMonitor health(&http, &provider, "", kFast);
  absl::Status s = health.WaitHealthy(absl::Now() + absl::Seconds(5));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated) << s;
  EXPECT_EQ(s.message().find("s3cr3t"), std::string::npos) << s;
  EXPECT_NE(s.message().find("does not match"), std::string::npos) << s;
  EXPECT_EQ(route.checks, 1);
  EXPECT_EQ(provider.calls(), 0);
}

TEST(HealthTest, MonitorNoticesAnOutageAndRunsTheRule) {
  FakeServer fake;
  HealthRoute route;
  route.failing = false;
  route.Install(fake);
  ASSERT_TRUE(fake.Start());
  HttpEndpoint http = Endpoint(fake);
  CountingProvider provider;
  HealthMonitor health(&http, &provider, "sb", kFast);
  ASSERT_TRUE(health.WaitHealthy(absl::Now() + absl::Seconds(5)).ok());
  health.StartMonitor(absl::Milliseconds(10));
  route.checks = 0;
  route.fail_first = 4;  // The next four checks fail.
  route.failing = true;
  absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (provider.calls() == 0 && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_EQ(provider.calls(), 1);
  while (route.checks <= 4 && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_TRUE(health.AwaitHealthy(absl::Now() + absl::Seconds(5)).ok());
  health.Stop();
  EXPECT_EQ(provider.calls(), 1);
}

// The monitor's own failed check is the rule's first: EnsureServer comes
// after 3 consecutive failed checks, not 4.
TEST(HealthTest, MonitorCallsEnsureServerAfterThreeFailedChecks) {
  FakeServer fake;
  HealthRoute route;
  route.failing = false;
  route.Install(fake);
  ASSERT_TRUE(fake.Start());
  HttpEndpoint http = Endpoint(fake);
  CountingProvider provider;
  HealthMonitor health(&http, &provider, "sb", kFast);
  ASSERT_TRUE(health.WaitHealthy(absl::Now() + absl::Seconds(5)).ok());
  route.checks = 0;
  route.fail_first = 3;  // The next three checks fail.
  route.failing = true;
  health.StartMonitor(absl::Milliseconds(10));
  absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (route.checks <= 3 && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_TRUE(health.AwaitHealthy(absl::Now() + absl::Seconds(5)).ok());
  health.Stop();
  EXPECT_EQ(provider.calls(), 1);
  EXPECT_EQ(health.failed_checks(), 3);
}

TEST(HealthTest, AwaitHealthyWithoutMonitorRunsTheRuleItself) {
  FakeServer fake;
  HealthRoute route;
  route.fail_first = 2;
  route.Install(fake);
  ASSERT_TRUE(fake.Start());
  HttpEndpoint http = Endpoint(fake);
  HealthMonitor health(&http, nullptr, "", kFast);
  EXPECT_TRUE(health.AwaitHealthy(absl::Now() + absl::Seconds(5)).ok());
  EXPECT_EQ(route.checks, 3);
}

}  // namespace
}  // namespace sessionlog
