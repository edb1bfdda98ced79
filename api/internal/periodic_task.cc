#include "api/internal/periodic_task.h"

#include <utility>

namespace sessionlog {

PeriodicTask::PeriodicTask(absl::Duration interval, Start start,
                           std::function<void()> run)
    : run_(std::move(run)),
      thread_([this, interval, start] { Loop(interval, start); }) {}

PeriodicTask::~PeriodicTask() { Stop(); }

void PeriodicTask::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) {
    thread_.join();
  }
}

void PeriodicTask::Loop(absl::Duration interval, Start start) {
  const auto wait = absl::ToChronoMilliseconds(interval);
  std::unique_lock<std::mutex> lock(mu_);
  if (start == Start::kAfterInterval &&
      wake_.wait_for(lock, wait, [this] { return stopping_; })) {
    return;
  }
  while (!stopping_) {
    lock.unlock();
    run_();
    lock.lock();
    if (wake_.wait_for(lock, wait, [this] { return stopping_; })) return;
  }
}

}  // namespace sessionlog
