// Group commit for the SQL backends' appends: concurrent InsertEvents calls
// of one driver ride together in one transaction, so N writers pay one round
// trip and one commit (and, with kFsync, one WAL flush) per group instead of
// one each.
//
// A caller that finds fewer than max_in_flight groups running leads one at
// once: it takes every call queued by then (itself included, up to
// max_group_events events) and runs them; callers that arrive meanwhile wait
// and form the next group. So a lone writer never waits for company, and
// under load groups grow by themselves to what queued during one round trip.
// Thread-safe.

#ifndef SESSIONLOG_ENGINE_SQL_GROUP_COMMIT_H_
#define SESSIONLOG_ENGINE_SQL_GROUP_COMMIT_H_

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/types/span.h"
#include "api/session.h"

namespace sessionlog {

class GroupCommit {
 public:
  struct Call {
    absl::Span<const SessionEvent> events;
    absl::Status status;  // Set by the group that ran the call.
    bool done = false;    // Guarded by the GroupCommit's lock.
  };
  using RunGroup = absl::FunctionRef<void(absl::Span<Call* const> group)>;

  GroupCommit(int max_in_flight, size_t max_group_events)
      : max_in_flight_(max_in_flight), max_group_events_(max_group_events) {}

  // Returns once `call` has run, in a group that this thread or another led;
  // call->status is then its outcome. `run` applies a group of calls and
  // sets each one's status; every caller must pass an equivalent `run`.
  void Submit(Call* call, RunGroup run) {
    std::unique_lock<std::mutex> lock(mu_);
    queue_.push_back(call);
    while (!call->done) {
      if (in_flight_ >= max_in_flight_ || queue_.empty()) {
        changed_.wait(lock);
        continue;
      }
      std::vector<Call*> group;
      size_t events = 0;
      while (!queue_.empty() &&
             (group.empty() ||
              events + queue_.front()->events.size() <= max_group_events_)) {
        events += queue_.front()->events.size();
        group.push_back(queue_.front());
        queue_.pop_front();
      }
      ++in_flight_;
      lock.unlock();
      run(group);
      lock.lock();
      --in_flight_;
      for (Call* c : group) c->done = true;
      changed_.notify_all();
    }
  }

 private:
  const int max_in_flight_;
  const size_t max_group_events_;
  std::mutex mu_;
  std::condition_variable changed_;  // A group ended.
  std::deque<Call*> queue_;          // Guarded by mu_.
  int in_flight_ = 0;                // Guarded by mu_.
};

}  // namespace sessionlog

#endif  // SESSIONLOG_ENGINE_SQL_GROUP_COMMIT_H_
