#include "tools/migrate/catch_up_testing.h"

#include <chrono>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/testing/records.h"

namespace sessionlog {
namespace test {

AckingWriter::AckingWriter(SessionPersistDriver& store, int sessions)
    : store_(store), sessions_(sessions) {
  for (int s = 0; s < sessions_ && status_.ok(); ++s) {
    status_ = store_.UpdateSession(MakeSession(absl::StrCat("s", s), s));
  }
  if (status_.ok()) thread_ = std::thread([this] { Loop(); });
}

void AckingWriter::Loop() {
  for (int64_t i = 1; !stop_; ++i) {
    for (int s = 0; s < sessions_; ++s) {
      SessionEvent e = MakeEvent(absl::StrCat("s", s), i);
      absl::Status status = store_.InsertEvent(e);
      std::lock_guard<std::mutex> lock(mu_);
      if (!status.ok()) {
        status_ = status;
        return;
      }
      acked_.push_back({e, absl::Now()});
    }
    // A record changes while it is copied, too.
    if (i % 50 == 0) {
      SessionRecord r = MakeSession("s0", 0);
      r.destroyed_at = i;
      absl::Status status = store_.UpdateSession(r);
      if (!status.ok()) {
        std::lock_guard<std::mutex> lock(mu_);
        status_ = status;
        return;
      }
    }
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
}

absl::Status AckingWriter::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  std::lock_guard<std::mutex> lock(mu_);
  return status_;
}

std::vector<AckedEvent> AckingWriter::acked() const {
  std::lock_guard<std::mutex> lock(mu_);
  return acked_;
}

int64_t ExpectCopiedBefore(const std::vector<AckedEvent>& acked,
                           absl::Time cut_over, SessionPersistDriver& to) {
  std::set<std::string> sessions;
  for (const AckedEvent& a : acked) sessions.insert(a.event.session_id);
  std::map<std::pair<std::string, int64_t>, SessionEvent> copied;
  for (const std::string& id : sessions) {
    absl::Status s = ForEachEvent(to, id, [&](const SessionEvent& e) {
      copied[{e.session_id, e.event_index}] = e;
      return absl::OkStatus();
    });
    EXPECT_TRUE(s.ok()) << s;
  }
  int64_t checked = 0;
  for (const AckedEvent& a : acked) {
    if (a.at >= cut_over) break;
    auto it = copied.find({a.event.session_id, a.event.event_index});
    if (it == copied.end()) {
      ADD_FAILURE() << a.event.session_id << " #" << a.event.event_index
                    << " was acknowledged before the cut-over point but is "
                       "not in the destination";
      return checked;
    }
    EXPECT_EQ(it->second, a.event);
    ++checked;
  }
  return checked;
}

}  // namespace test
}  // namespace sessionlog
