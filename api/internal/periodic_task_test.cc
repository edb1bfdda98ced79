#include "api/internal/periodic_task.h"

#include <atomic>
#include <chrono>
#include <thread>

#include "gtest/gtest.h"

namespace sessionlog {
namespace {

TEST(PeriodicTaskTest, RunsRepeatedlyUntilStopped) {
  std::atomic<int> runs{0};
  PeriodicTask task(absl::Milliseconds(1), PeriodicTask::Start::kAtOnce,
                    [&] { ++runs; });
  while (runs.load() < 3)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  task.Stop();
  const int after_stop = runs.load();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(runs.load(), after_stop);
}

TEST(PeriodicTaskTest, StopCutsTheWaitShort) {
  std::atomic<int> runs{0};
  const auto start = std::chrono::steady_clock::now();
  {
    PeriodicTask task(absl::Hours(1), PeriodicTask::Start::kAfterInterval,
                      [&] { ++runs; });
  }
  EXPECT_EQ(runs.load(), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
}

TEST(PeriodicTaskTest, AtOnceRunsBeforeTheFirstInterval) {
  std::atomic<int> runs{0};
  PeriodicTask task(absl::Hours(1), PeriodicTask::Start::kAtOnce,
                    [&] { ++runs; });
  for (int i = 0; i < 30000 && runs.load() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(runs.load(), 1);
}

TEST(PeriodicTaskTest, StopWaitsForTheCallInProgress) {
  std::atomic<bool> inside{false}, finished{false};
  PeriodicTask task(absl::Hours(1), PeriodicTask::Start::kAtOnce, [&] {
    inside = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    finished = true;
  });
  while (!inside.load())
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  task.Stop();
  EXPECT_TRUE(finished.load());
}

}  // namespace
}  // namespace sessionlog
