// One thread that runs the client's callbacks (event listeners, permission
// handlers, completions of asynchronous prompts) in the order they were
// queued, with no lock of the client held. A callback may call back into the
// client; while it runs, later callbacks wait, but the client's stream keeps
// being read and stored.
//
// Thread-safe.

#ifndef SESSIONLOG_API_CLIENT_DISPATCHER_H_
#define SESSIONLOG_API_CLIENT_DISPATCHER_H_

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace sessionlog {

class Dispatcher {
 public:
  Dispatcher();
  ~Dispatcher();  // Stop().

  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // Queues `task`. After Stop, tasks are dropped.
  void Post(std::function<void()> task);

  // Returns once every task queued before the call has run. From the
  // dispatcher's own thread, returns at once.
  void Drain();

  // Runs what is queued, then ends the thread. Idempotent.
  void Stop();

  // True on the dispatcher's thread.
  bool OnDispatcherThread() const;

 private:
  void Run();

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  uint64_t posted_ = 0;
  uint64_t done_ = 0;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace sessionlog

#endif  // SESSIONLOG_API_CLIENT_DISPATCHER_H_
