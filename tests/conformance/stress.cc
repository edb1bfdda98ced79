#include "tests/conformance/stress.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/testing/records.h"

namespace sessionlog {
namespace conformance {
namespace {

std::string Shared(int s) { return absl::StrCat("shared-", s); }

// Event `index` of `session` as the insert `id` writes it: the payload names
// the insert, so that the event read back shows which insert won.
SessionEvent StressEvent(const std::string& session, int64_t index,
                         const std::string& id) {
  SessionEvent e = test::MakeEvent(session, index);
  e.id = id;
  e.payload_json = absl::StrCat(R"({"jsonrpc":"2.0","id":")", id, R"("})");
  return e;
}

// Whether `events` are strictly ascending and contiguous.
bool Contiguous(const std::vector<SessionEvent>& events) {
  for (size_t i = 1; i < events.size(); ++i) {
    if (events[i].event_index != events[i - 1].event_index + 1) return false;
  }
  return true;
}

}  // namespace

DriverOptions StressOptions(const StressConfig& config) {
  DriverOptions options;
  options.max_events_per_session = config.max_events;
  options.max_sessions = config.max_sessions;
  return options;
}

void RunStress(SessionPersistDriver& driver, const StressConfig& config) {
  const int64_t max_events = config.max_events;
  // The shared sessions are the newest, so eviction takes churn sessions.
  for (int s = 0; s < config.shared_sessions; ++s) {
    absl::Status st =
        driver.UpdateSession(test::MakeSession(Shared(s), 1'000'000 + s));
    ASSERT_TRUE(st.ok()) << st;
  }

  std::mutex mu;
  // (session, index) -> ids of the inserts that were acknowledged. More than
  // one is legitimate only below the retention window: a writer whose
  // highest + 1 went stale by max_events inserts below the window, which the
  // contract accepts and trims at once.
  std::map<std::pair<int, int64_t>, std::vector<std::string>> acked;
  std::vector<std::string> errors;
  auto error = [&](std::string text) {
    std::lock_guard<std::mutex> lock(mu);
    if (errors.size() < 20) errors.push_back(std::move(text));
  };
  std::atomic<int> writers_left{config.writers};
  std::atomic<int64_t> retries{0}, reads{0};

  std::vector<std::thread> threads;
  for (int t = 0; t < config.writers; ++t) {
    threads.emplace_back([&, t] {
      for (int n = 0; n < config.inserts_per_writer; ++n) {
        const int s = (t + n) % config.shared_sessions;
        const std::string id = absl::StrCat("w", t, "-", n);
        while (true) {
          auto highest = driver.HighestEventIndex(Shared(s));
          if (!highest.ok()) {
            error(highest.status().ToString());
            --writers_left;
            return;
          }
          const int64_t index = highest->value_or(0) + 1;
          absl::Status st =
              driver.InsertEvent(StressEvent(Shared(s), index, id));
          if (st.ok()) {
            bool twice;
            {
              std::lock_guard<std::mutex> lock(mu);
              std::vector<std::string>& ids = acked[{s, index}];
              ids.push_back(id);
              twice = ids.size() > 1;
            }
            if (twice) {
              // Legitimate only if the index was below the window when this
              // insert ran; the highest index only grows, so a highest read
              // now that is still within reach proves it was not.
              auto now = driver.HighestEventIndex(Shared(s));
              if (now.ok() && now->value_or(0) < index + max_events) {
                error(absl::StrCat("index ", index, " of ", Shared(s),
                                   " was acknowledged twice inside the "
                                   "retention window"));
              }
            }
            break;
          }
          if (!absl::IsAlreadyExists(st)) {
            error(st.ToString());
            --writers_left;
            return;
          }
          ++retries;  // Another writer took the index: the SDK's retry.
        }
      }
      --writers_left;
    });
  }
  for (int r = 0; r < config.readers; ++r) {
    threads.emplace_back([&, r] {
      std::vector<int64_t> last_high(config.shared_sessions, 0);
      while (writers_left.load() > 0) {
        const int s = static_cast<int>(reads.load() % config.shared_sessions);
        ++reads;
        if (r % 2 == 0) {
          ListEventsRequest request;
          request.session_id = Shared(s);
          request.limit = 7;
          auto page = driver.ListEvents(request);
          if (!page.ok()) {
            error(page.status().ToString());
            return;
          }
          if (!Contiguous(page->items) ||
              static_cast<int64_t>(page->items.size()) > 7) {
            error(absl::StrCat("a page of ", Shared(s), " is out of order"));
          }
        } else {
          auto tail = driver.LastEvents(Shared(s), max_events + 10);
          if (!tail.ok()) {
            error(tail.status().ToString());
            return;
          }
          if (!Contiguous(*tail) ||
              static_cast<int64_t>(tail->size()) > max_events) {
            error(absl::StrCat("the tail of ", Shared(s),
                               " is out of order or over the limit"));
          }
          if (!tail->empty()) {
            // The newest index never goes backwards.
            if (tail->back().event_index < last_high[s]) {
              error(absl::StrCat(Shared(s), " went back from ", last_high[s],
                                 " to ", tail->back().event_index));
            }
            last_high[s] = tail->back().event_index;
          }
        }
      }
    });
  }
  threads.emplace_back([&] {
    for (int64_t n = 0; writers_left.load() > 0; ++n) {
      absl::Status st =
          driver.UpdateSession(test::MakeSession(absl::StrCat("churn-", n), n));
      if (!st.ok()) {
        error(absl::StrCat("churn UpdateSession: ", st.ToString()));
        return;
      }
    }
  });
  for (std::thread& t : threads) t.join();
  for (const std::string& e : errors) ADD_FAILURE() << e;

  // Every shared session: exactly the newest max_events acknowledged events.
  int64_t checked = 0, below_window = 0;
  for (int s = 0; s < config.shared_sessions; ++s) {
    int64_t high = 0, count = 0;
    for (const auto& [key, ids] : acked) {
      if (key.first == s) {
        high = std::max(high, key.second);
        ++count;
      }
    }
    for (const auto& [key, ids] : acked) {
      if (key.first != s || ids.size() == 1) continue;
      if (key.second > high - max_events) {
        ADD_FAILURE() << "index " << key.second << " of " << Shared(s)
                      << " is retained but was acknowledged to " << ids.size()
                      << " different events";
      } else {
        below_window += static_cast<int64_t>(ids.size()) - 1;
      }
    }
    EXPECT_EQ(count, high) << Shared(s) << ": acknowledged indexes have gaps";
    std::vector<SessionEvent> all;
    EventWalkOptions walk;
    walk.page_size = 9;
    absl::Status listed = ForEachEvent(
        driver, Shared(s),
        [&](const SessionEvent& e) {
          all.push_back(e);
          return absl::OkStatus();
        },
        walk);
    ASSERT_TRUE(listed.ok()) << listed;
    ASSERT_EQ(static_cast<int64_t>(all.size()), std::min(max_events, high))
        << Shared(s);
    EXPECT_TRUE(Contiguous(all));
    ASSERT_FALSE(all.empty());
    EXPECT_EQ(all.back().event_index, high);
    for (const SessionEvent& e : all) {
      auto it = acked.find({s, e.event_index});
      ASSERT_NE(it, acked.end()) << "unacknowledged event " << e.event_index;
      EXPECT_EQ(e, StressEvent(Shared(s), e.event_index, it->second.front()));
      ++checked;
    }
  }
  // Limits held and the shared sessions survived the churn.
  ListSessionsRequest sessions;
  sessions.limit = 100;
  auto listed = driver.ListSessions(sessions);
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_LE(static_cast<int64_t>(listed->items.size()), config.max_sessions);
  for (int s = 0; s < config.shared_sessions; ++s) {
    EXPECT_TRUE(driver.GetSession(Shared(s)).ok()) << Shared(s) << " evicted";
  }
  std::printf(
      "RESULT stress: %d writers, %d readers, 1 churn thread, %zu indexes "
      "acknowledged, %lld index collisions retried (AlreadyExists), %lld "
      "stale inserts below the window accepted and trimmed, %lld reads, %lld "
      "retained events checked\n",
      config.writers, config.readers, acked.size(),
      static_cast<long long>(retries.load()),
      static_cast<long long>(below_window),
      static_cast<long long>(reads.load()), static_cast<long long>(checked));
}

}  // namespace conformance
}  // namespace sessionlog
