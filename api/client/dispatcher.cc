#include "api/client/dispatcher.h"

#include <utility>

namespace sessionlog {

Dispatcher::Dispatcher() : thread_([this] { Run(); }) {}

Dispatcher::~Dispatcher() { Stop(); }

void Dispatcher::Post(std::function<void()> task) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) return;
  queue_.push_back(std::move(task));
  ++posted_;
  cv_.notify_all();
}

void Dispatcher::Drain() {
  if (OnDispatcherThread()) return;
  std::unique_lock<std::mutex> lock(mu_);
  uint64_t target = posted_;
  cv_.wait(lock, [&] { return done_ >= target || !thread_.joinable(); });
}

void Dispatcher::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable() && !OnDispatcherThread()) thread_.join();
}

bool Dispatcher::OnDispatcherThread() const {
  return std::this_thread::get_id() == thread_.get_id();
}

void Dispatcher::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) break;  // Stopping, and nothing left.
    std::function<void()> task = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    task();
    lock.lock();
    ++done_;
    cv_.notify_all();
  }
}

}  // namespace sessionlog
