#include "engine/sql/connection_pool.h"

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace sessionlog {
namespace {

struct FakeConnection {
  int serial = 0;
};

// A new connection numbered after the ones opened before.
absl::StatusOr<std::unique_ptr<FakeConnection>> OpenNumbered(int& opened) {
  auto c = std::make_unique<FakeConnection>();
  c->serial = ++opened;
  return c;
}

TEST(ConnectionPoolTest, ReusesIdleConnections) {
  ConnectionPool<FakeConnection> pool(2);
  int opened = 0;
  auto open = [&] { return OpenNumbered(opened); };
  auto a = pool.Acquire(open);
  ASSERT_TRUE(a.ok());
  pool.Release(*std::move(a));
  auto b = pool.Acquire(open);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ((*b)->serial, 1);
  EXPECT_EQ(opened, 1);
}

TEST(ConnectionPoolTest, ADiscardedConnectionIsReplacedByAFreshOne) {
  ConnectionPool<FakeConnection> pool(1);
  int opened = 0;
  auto open = [&] { return OpenNumbered(opened); };
  auto a = pool.Acquire(open);
  pool.Release(*std::move(a), /*reusable=*/false);
  auto b = pool.Acquire(open);  // Would wait forever if the slot leaked.
  ASSERT_TRUE(b.ok());
  EXPECT_EQ((*b)->serial, 2);
}

TEST(ConnectionPoolTest, AFailedOpenGivesItsSlotBack) {
  ConnectionPool<FakeConnection> pool(1);
  auto fail = []() -> absl::StatusOr<std::unique_ptr<FakeConnection>> {
    return absl::UnavailableError("server down");
  };
  EXPECT_EQ(pool.Acquire(fail).status().code(), absl::StatusCode::kUnavailable);
  auto ok = []() -> absl::StatusOr<std::unique_ptr<FakeConnection>> {
    return std::make_unique<FakeConnection>();
  };
  EXPECT_TRUE(pool.Acquire(ok).ok());
}

TEST(ConnectionPoolTest, NeverMoreThanMaxOpenInUse) {
  constexpr int kMax = 3;
  ConnectionPool<FakeConnection> pool(kMax);
  std::atomic<int> in_use{0}, peak{0}, opened{0};
  auto open = [&]() -> absl::StatusOr<std::unique_ptr<FakeConnection>> {
    ++opened;
    return std::make_unique<FakeConnection>();
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        auto c = pool.Acquire(open);
        ASSERT_TRUE(c.ok());
        int now = ++in_use;
        int seen = peak.load();
        while (now > seen && !peak.compare_exchange_weak(seen, now)) {
        }
        absl::SleepFor(absl::Microseconds(50));
        --in_use;
        pool.Release(*std::move(c));
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_LE(peak.load(), kMax);
  EXPECT_LE(opened.load(), kMax);
}

}  // namespace
}  // namespace sessionlog
