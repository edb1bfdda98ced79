// PeriodicTask: runs a function on a thread of its own, at a fixed interval,
// until it is stopped. The backends' background syncs and the age limits'
// check use it.

#ifndef SESSIONLOG_API_INTERNAL_PERIODIC_TASK_H_
#define SESSIONLOG_API_INTERNAL_PERIODIC_TASK_H_

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "absl/time/time.h"

namespace sessionlog {

class PeriodicTask {
 public:
  enum class Start { kAfterInterval, kAtOnce };

  // Starts the thread: `run` is called every `interval` (> 0), the first
  // time at once or after one interval. Calls never overlap; the interval
  // is measured from the end of one call to the start of the next.
  PeriodicTask(absl::Duration interval, Start start, std::function<void()> run);
  PeriodicTask(const PeriodicTask&) = delete;
  PeriodicTask& operator=(const PeriodicTask&) = delete;
  // Stops.
  ~PeriodicTask();

  // Returns once no call is running and none will start. A call in progress
  // finishes first; waiting for the next one is cut short. Idempotent.
  void Stop();

 private:
  void Loop(absl::Duration interval, Start start);

  std::function<void()> run_;
  std::mutex mu_;  // Guards stopping_.
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;  // Last: it starts once the rest is built.
};

}  // namespace sessionlog

#endif  // SESSIONLOG_API_INTERNAL_PERIODIC_TASK_H_
