// Failover (docs/SCALE-OUT.md): a primary and a streaming standby on
// 127.0.0.1, made and driven by tools/scripts/services.sh (start_postgres_pair
// and friends), and one store URI naming both hosts with
// target_session_attrs=read-write. Writers append with kFsync while the test
// pauses replication, kills the primary (SIGKILL to every process of it, as a
// lost machine), and promotes the standby:
//  * writers get Unavailable while no primary exists, and resume on the new
//    primary by themselves, through the same driver;
//  * with a synchronous standby, no acknowledged event is lost;
//  * the negative control, an asynchronous standby, loses the events
//    acknowledged while replication was paused, and the test sees it.
// Needs root (the servers run as the postgres user), Debian's postgresql-15,
// and SESSIONLOG_SERVICES_SH naming tools/scripts/services.sh, which
// tools/scripts/test.sh passes (tag "external": it runs in bazel test //...).

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "api/driver.h"
#include "engine/open.h"
#include "gtest/gtest.h"
#include "tests/scaleout/scaleout_support.h"

namespace sessionlog::scaleout {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kWriters = 4;

double Seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

// A primary and a standby, stopped and removed when the object goes.
class Pair {
 public:
  absl::Status Start(const std::string& mode) {
    absl::StatusOr<std::string> sh = RequiredEnv(
        "SESSIONLOG_SERVICES_SH",
        "pass --test_env=SESSIONLOG_SERVICES_SH=$PWD/tools/scripts/services.sh "
        "(tools/scripts/test.sh does)");
    if (!sh.ok()) return sh.status();
    services_ = *sh;
    absl::StatusOr<std::string> out =
        Run(absl::StrCat("start_postgres_pair ", mode,
                         " >&2 && echo \"$SESSIONLOG_PG_PAIR_DIR\" && echo "
                         "\"$SESSIONLOG_PG_PAIR_URI\""));
    if (!out.ok()) return out.status();
    std::vector<std::string> lines =
        absl::StrSplit(*out, '\n', absl::SkipEmpty());
    if (lines.size() < 2) {
      return absl::InternalError(absl::StrCat("start_postgres_pair: ", *out));
    }
    uri_ = lines[lines.size() - 1];
    dir_ = lines[lines.size() - 2];
    return absl::OkStatus();
  }

  ~Pair() { Stop(); }

  // Stops both servers (which also frees writers waiting on one).
  void Stop() {
    if (!dir_.empty()) Do("stop_postgres_pair").IgnoreError();
    dir_.clear();
  }

  // Runs one of services.sh's functions on this pair.
  absl::Status Do(const std::string& function) {
    return Run(absl::StrCat("PG_PAIR_DIR='", dir_, "'; ", function)).status();
  }

  const std::string& uri() const { return uri_; }

 private:
  absl::StatusOr<std::string> Run(const std::string& command) {
    // Bazel's test PATH lacks the sbin directories, where runuser is.
    return Bash(absl::StrCat("set -e; export PATH=\"$PATH:/usr/sbin:/sbin\"; ",
                             "source '", services_, "'; ", command));
  }

  std::string services_, dir_, uri_;
};

struct Result {
  int64_t acked = 0;
  int64_t acked_before_kill = 0;
  int64_t acked_after_promote = 0;
  int64_t lost = 0;
  int64_t unavailable = 0;  // Unavailable answers between kill and promote.
  int64_t other_errors = 0;
  std::string first_other_error;
  int writers_resumed = 0;
  double resume_seconds = 0;  // Promotion to the last writer's first ack.
  double outage_seconds = 0;  // Kill to the first ack after promotion.
};

// Writers append to sessions of their own through one driver, retrying each
// event until it is acknowledged.
class Writers {
 public:
  explicit Writers(SessionPersistDriver& store) : store_(store) {
    for (int w = 0; w < kWriters; ++w) {
      threads_.emplace_back([this, w] { Loop(w); });
    }
  }
  ~Writers() { Stop(); }

  void Stop() {
    stop_ = true;
    for (std::thread& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

  void MarkKilled() {
    std::lock_guard<std::mutex> lock(mu_);
    killed_ = Clock::now();
    acked_at_kill_ = acked_;
  }
  void MarkPromoted() {
    std::lock_guard<std::mutex> lock(mu_);
    promoted_ = Clock::now();
    acked_at_promote_ = acked_;
  }

  // Waits until every writer has an ack after the promotion.
  bool WaitResumed(std::chrono::seconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (static_cast<int>(resumed_at_.size()) == kWriters) return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  Result Finish(SessionPersistDriver& reader) {
    Stop();
    Result r;
    r.acked = acked_;
    r.acked_before_kill = acked_at_kill_;
    r.acked_after_promote = acked_ - acked_at_promote_;
    r.unavailable = unavailable_;
    r.other_errors = other_errors_;
    r.first_other_error = first_other_error_;
    r.writers_resumed = static_cast<int>(resumed_at_.size());
    if (!resumed_at_.empty()) {
      r.resume_seconds =
          Seconds(*std::max_element(resumed_at_.begin(), resumed_at_.end()) -
                  promoted_);
      r.outage_seconds = Seconds(
          *std::min_element(resumed_at_.begin(), resumed_at_.end()) - killed_);
    }
    for (int w = 0; w < kWriters; ++w) {
      std::set<int64_t> stored;
      absl::Status s =
          ForEachEvent(reader, Session(w), [&](const SessionEvent& e) {
            stored.insert(e.event_index);
            if (e != WriterEvent(Session(w), e.event_index, w, e.event_index)) {
              ADD_FAILURE() << Session(w) << " #" << e.event_index
                            << " differs from what was written";
            }
            return absl::OkStatus();
          });
      EXPECT_TRUE(s.ok()) << s;
      for (int64_t index : acked_indexes_[w]) {
        if (stored.count(index) == 0) ++r.lost;
      }
    }
    return r;
  }

 private:
  static std::string Session(int w) { return absl::StrCat("failover-", w); }

  void Loop(int w) {
    bool resumed = false;
    for (int64_t index = 1; !stop_;) {
      absl::Status s =
          store_.InsertEvent(WriterEvent(Session(w), index, w, index));
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (s.ok()) {
          ++acked_;
          acked_indexes_[w].push_back(index++);
          if (!resumed && promoted_ != Clock::time_point()) {
            resumed = true;
            resumed_at_.push_back(Clock::now());
          }
          continue;
        }
        if (absl::IsUnavailable(s)) {
          if (killed_ != Clock::time_point() &&
              promoted_ == Clock::time_point()) {
            ++unavailable_;
          }
        } else if (other_errors_++ == 0) {
          first_other_error_ = s.ToString();
        }
      }
      // Retry the same event, as a service would; an identical insert is a
      // no-op, so an in-doubt commit that did happen is harmless.
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  SessionPersistDriver& store_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  int64_t acked_ = 0, acked_at_kill_ = 0, acked_at_promote_ = 0;
  int64_t unavailable_ = 0, other_errors_ = 0;
  std::string first_other_error_;
  std::vector<int64_t> acked_indexes_[kWriters];
  std::vector<Clock::time_point> resumed_at_;
  Clock::time_point killed_, promoted_;
  std::vector<std::thread> threads_;
};

DriverOptions Options() {
  DriverOptions options;
  options.durability = Durability::kFsync;  // synchronous_commit=on.
  options.max_events_per_session = kNoLimit;
  return options;
}

Result Failover(const std::string& mode) {
  Pair pair;
  absl::Status started = pair.Start(mode);
  EXPECT_TRUE(started.ok()) << started;
  if (!started.ok()) return {};
  auto store = Open(pair.uri(), Options());
  EXPECT_TRUE(store.ok()) << store.status();
  if (!store.ok()) return {};
  Writers writers(**store);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  // Replication stops; with a synchronous standby, commits stop being
  // acknowledged; with an asynchronous one, they go on.
  EXPECT_TRUE(pair.Do("pause_postgres_replication").ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  writers.MarkKilled();
  EXPECT_TRUE(pair.Do("kill_postgres_primary").ok());
  // No primary: every write is Unavailable.
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  writers.MarkPromoted();
  EXPECT_TRUE(pair.Do("promote_postgres_standby").ok());
  if (!writers.WaitResumed(std::chrono::seconds(30))) {
    ADD_FAILURE() << "writers did not resume on the new primary";
    pair.Stop();
    writers.Stop();
    return {};
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  auto reader = Open(pair.uri(), Options());
  EXPECT_TRUE(reader.ok()) << reader.status();
  if (!reader.ok()) return {};
  Result r = writers.Finish(**reader);
  std::printf(
      "%s standby: %lld acknowledged (%lld before the kill, %lld after the "
      "promotion), %lld lost; %lld Unavailable answers without a primary; "
      "first write %.2f s after the kill, every writer back %.2f s after the "
      "promotion\n",
      mode.c_str(), static_cast<long long>(r.acked),
      static_cast<long long>(r.acked_before_kill),
      static_cast<long long>(r.acked_after_promote),
      static_cast<long long>(r.lost), static_cast<long long>(r.unavailable),
      r.outage_seconds, r.resume_seconds);
  return r;
}

TEST(FailoverTest, SynchronousStandbyLosesNothingAcknowledged) {
  Result r = Failover("sync");
  EXPECT_GT(r.acked_before_kill, 0);
  EXPECT_EQ(r.lost, 0);
  EXPECT_GT(r.unavailable, 0) << "writes without a primary were not refused";
  EXPECT_EQ(r.writers_resumed, kWriters);
  EXPECT_GT(r.acked_after_promote, 0);
  EXPECT_EQ(r.other_errors, 0) << r.first_other_error;
}

// The negative control: with an asynchronous standby, the primary
// acknowledges what the standby never received, and the same checks see the
// loss. (Were this to lose nothing, the test above would prove nothing.)
TEST(FailoverTest, AsynchronousStandbyLosesWhatItNeverReceived) {
  Result r = Failover("async");
  EXPECT_GT(r.lost, 0) << "the async standby lost nothing: the test cannot "
                          "tell a safe failover from an unsafe one";
  EXPECT_GT(r.unavailable, 0);
  EXPECT_EQ(r.writers_resumed, kWriters);
  EXPECT_EQ(r.other_errors, 0) << r.first_other_error;
}

}  // namespace
}  // namespace sessionlog::scaleout
