#include "tests/durability/workload.h"

#include <algorithm>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace sessionlog {
namespace durability {
namespace {

constexpr int kMaxExamples = 5;

// Pages through everything with small pages, so that cursors are exercised.
absl::StatusOr<std::vector<SessionRecord>> AllSessions(
    SessionPersistDriver& driver) {
  std::vector<SessionRecord> all;
  SessionWalkOptions options;
  options.page_size = 4;
  absl::Status s = ForEachSession(
      driver,
      [&](const SessionRecord& r) {
        all.push_back(r);
        return absl::OkStatus();
      },
      options);
  if (!s.ok()) return s;
  return all;
}

absl::StatusOr<std::vector<SessionEvent>> AllEvents(
    SessionPersistDriver& driver, const std::string& session_id) {
  std::vector<SessionEvent> all;
  EventWalkOptions options;
  options.page_size = 7;
  absl::Status s = ForEachEvent(
      driver, session_id,
      [&](const SessionEvent& e) {
        all.push_back(e);
        return absl::OkStatus();
      },
      options);
  if (!s.ok()) return s;
  return all;
}

}  // namespace

DriverOptions WorkloadOptions(Durability durability) {
  DriverOptions options;
  options.max_sessions = kMaxSessions;
  options.max_events_per_session = kMaxEventsPerSession;
  options.durability = durability;
  return options;
}

std::string SessionId(int64_t session) {
  return absl::StrFormat("s%06d", session);
}

int64_t SessionNumber(absl::string_view id) {
  int64_t n = -1;
  if (id.size() != 7 || id[0] != 's' || !absl::SimpleAtoi(id.substr(1), &n)) {
    return -1;
  }
  return n;
}

SessionRecord MakeRecord(int64_t session) {
  SessionRecord r;
  r.id = SessionId(session);
  r.agent = "mock";
  r.last_connection_id = absl::StrCat("conn-", session);
  r.created_at = 1'700'000'000'000 + session;
  if (session % 2 == 0) r.session_init_json = R"({"cwd":"/w","mcpServers":[]})";
  if (session % 3 == 0) r.modes_json = "null";
  return r;
}

SessionEvent MakeEvent(int64_t session, int64_t index) {
  SessionEvent e;
  e.id = absl::StrCat("e-", session, "-", index);
  e.event_index = index;
  e.session_id = SessionId(session);
  e.created_at = 1'700'000'000'000 + index;
  e.connection_id = absl::StrCat("conn-", session);
  e.sender = index % 2 == 0 ? Sender::kAgent : Sender::kClient;
  // Sizes vary, so that values straddle WAL blocks and SST blocks.
  const int pad = static_cast<int>((session * 7919 + index * 104729) % 700);
  e.payload_json = absl::StrCat(
      R"({"jsonrpc":"2.0","method":"session/update","params":{"s":)", session,
      R"(,"i":)", index, R"(,"pad":")", std::string(pad, 'x'), R"("}})");
  return e;
}

void Acked::AckSession(int64_t session) {
  highest_session = std::max(highest_session, session);
}

void Acked::AckEvents(int64_t session, int64_t highest) {
  int64_t& h = highest_index[session];
  h = std::max(h, highest);
}

void Acked::Apply(const Ack& ack) {
  if (ack.kind == Ack::kSession) {
    AckSession(ack.session);
  } else {
    AckEvents(ack.session, ack.index);
  }
}

absl::StatusOr<Writer> Writer::Resume(SessionPersistDriver& driver,
                                      uint64_t seed) {
  Writer writer(seed);
  absl::StatusOr<std::vector<SessionRecord>> sessions = AllSessions(driver);
  if (!sessions.ok()) return sessions.status();
  int64_t highest = -1;
  for (const SessionRecord& r : *sessions) {
    highest = std::max(highest, SessionNumber(r.id));
  }
  writer.next_session_ = highest + 1;
  for (int64_t s = std::max<int64_t>(0, highest - kActiveSessions + 1);
       s <= highest; ++s) {
    absl::StatusOr<std::optional<int64_t>> top =
        driver.HighestEventIndex(SessionId(s));
    if (!top.ok()) return top.status();
    writer.next_index_[s] = top->value_or(0) + 1;
  }
  return writer;
}

absl::Status Writer::Step(SessionPersistDriver& driver,
                          const std::function<void(const Ack&)>& on_ack) {
  if (next_index_.empty() || absl::Uniform(rng_, 0, 30) == 0) {
    const int64_t session = next_session_;
    absl::Status s = driver.UpdateSession(MakeRecord(session));
    if (!s.ok()) return s;  // Retried as is by the next step that creates.
    on_ack({Ack::kSession, session, 0});
    ++next_session_;
    next_index_[session] = 1;
    // Only the newest sessions are written, so none is written near the time
    // it may be evicted.
    while (static_cast<int>(next_index_.size()) > kActiveSessions) {
      next_index_.erase(next_index_.begin());
    }
    return s;
  }
  auto it = next_index_.begin();
  std::advance(it, absl::Uniform<size_t>(rng_, 0, next_index_.size()));
  const int64_t session = it->first;
  const int64_t first = it->second;
  const int n = absl::Uniform(rng_, 0, 4) == 0
                    ? absl::Uniform(absl::IntervalClosed, rng_, 1, kMaxBatch)
                    : 1;
  absl::Status s;
  if (n == 1) {
    s = driver.InsertEvent(MakeEvent(session, first));
  } else {
    std::vector<SessionEvent> batch;
    for (int i = 0; i < n; ++i) batch.push_back(MakeEvent(session, first + i));
    s = driver.InsertEvents(batch);
  }
  if (!s.ok()) return s;  // The same events are retried: identity is by index.
  it->second = first + n;
  on_ack({Ack::kEvents, session, first + n - 1});
  return s;
}

std::string CheckResult::Summary() const {
  std::string out = absl::StrCat(
      violations.size(), " violations, ", lost_sessions, " lost sessions, ",
      lost_events, " lost events (", events_checked, " events checked)");
  for (const std::string& v : violations) absl::StrAppend(&out, "\n  ", v);
  if (!lost_examples.empty()) {
    absl::StrAppend(&out, "\n  lost: ", absl::StrJoin(lost_examples, "; "));
  }
  return out;
}

CheckResult Check(SessionPersistDriver& driver, const Acked& acked) {
  CheckResult result;
  auto violation = [&result](std::string text) {
    if (result.violations.size() < 20) {
      result.violations.push_back(std::move(text));
    }
  };
  auto lost = [&result](std::string text) {
    if (result.lost_examples.size() < kMaxExamples) {
      result.lost_examples.push_back(std::move(text));
    }
  };
  const int64_t max_events = driver.options().max_events_per_session;
  const int64_t max_sessions = driver.options().max_sessions;

  absl::StatusOr<std::vector<SessionRecord>> sessions = AllSessions(driver);
  if (!sessions.ok()) {
    violation(absl::StrCat("ListSessions: ", sessions.status().ToString()));
    return result;
  }
  int64_t first = -1, last = -1;
  for (const SessionRecord& r : *sessions) {
    int64_t n = SessionNumber(r.id);
    if (n < 0 || r != MakeRecord(n)) {
      violation(absl::StrCat("session \"", r.id, "\" is not as written"));
      continue;
    }
    if (last >= 0 && n != last + 1) {
      violation(absl::StrCat("sessions ", last, " and ", n,
                             " are listed next to each other: a gap or "
                             "disorder"));
    }
    if (first < 0) first = n;
    last = n;
  }
  if (static_cast<int64_t>(sessions->size()) > max_sessions) {
    violation(absl::StrCat(sessions->size(), " sessions, over max_sessions ",
                           max_sessions));
  }
  if (last >= 0 && first != std::max<int64_t>(0, last - max_sessions + 1)) {
    violation(absl::StrCat("sessions ", first, "..", last,
                           " are not the newest max_sessions"));
  }
  if (acked.highest_session > last) {
    result.lost_sessions = acked.highest_session - last;
    lost(absl::StrCat("sessions ", last + 1, "..", acked.highest_session));
  }
  result.recovered.highest_session = last;

  // Events of the listed sessions, and of those just evicted or lost.
  const int64_t from = std::max<int64_t>(0, (first < 0 ? 0 : first) - 3);
  const int64_t to = std::max(last, acked.highest_session);
  for (int64_t n = from; n <= to; ++n) {
    const std::string id = SessionId(n);
    const bool listed = first >= 0 && n >= first && n <= last;
    absl::StatusOr<std::vector<SessionEvent>> events = AllEvents(driver, id);
    if (!events.ok()) {
      violation(
          absl::StrCat("ListEvents(", id, "): ", events.status().ToString()));
      continue;
    }
    result.events_checked += static_cast<int64_t>(events->size());
    if (!listed) {
      if (!events->empty()) {
        violation(absl::StrCat("session ", id, " has no record but ",
                               events->size(), " events"));
      }
    }
    int64_t low = 0, high = 0;
    for (size_t i = 0; i < events->size(); ++i) {
      const SessionEvent& e = (*events)[i];
      if (i == 0) low = e.event_index;
      if (e != MakeEvent(n, e.event_index)) {
        violation(absl::StrCat("event ", id, "/", e.event_index,
                               " is not as written"));
      }
      if (i > 0 && e.event_index != high + 1) {
        violation(absl::StrCat("events of ", id, " jump from ", high, " to ",
                               e.event_index));
      }
      high = e.event_index;
    }
    if (max_events != kNoLimit &&
        static_cast<int64_t>(events->size()) > max_events) {
      violation(absl::StrCat(id, " holds ", events->size(),
                             " events, over max_events_per_session"));
    }
    if (!events->empty() &&
        low != std::max<int64_t>(1, high - max_events + 1) &&
        max_events != kNoLimit) {
      violation(absl::StrCat(id, " holds events ", low, "..", high,
                             ": not the newest ", max_events));
    }
    absl::StatusOr<std::optional<int64_t>> top = driver.HighestEventIndex(id);
    if (!top.ok() || top->value_or(0) != high) {
      violation(absl::StrCat(
          "HighestEventIndex(", id, ") is ",
          top.ok() ? std::to_string(top->value_or(0)) : top.status().ToString(),
          ", the listing ends at ", high));
    }
    if (!events->empty()) {
      absl::StatusOr<std::vector<SessionEvent>> tail = driver.LastEvents(id, 3);
      const size_t k = std::min<size_t>(3, events->size());
      if (!tail.ok() ||
          !std::equal(tail->begin(), tail->end(), events->end() - k,
                      events->end()) ||
          tail->size() != k) {
        violation(
            absl::StrCat("LastEvents(", id, ") disagrees with ListEvents"));
      }
    }
    auto acked_it = acked.highest_index.find(n);
    const int64_t acked_high =
        acked_it == acked.highest_index.end() ? 0 : acked_it->second;
    if (listed && high > acked_high + kMaxBatch) {
      violation(absl::StrCat(
          id, " holds events up to ", high,
          ", more than were ever written (acknowledged: ", acked_high, ")"));
    }
    // Acknowledged events that are still inside the retention window.
    const bool evicted = !listed && n < first && first >= 0;
    if (!evicted && acked_high > high) {
      const int64_t window_low =
          max_events == kNoLimit ? 0 : acked_high - max_events;
      result.lost_events += acked_high - std::max(high, window_low);
      lost(absl::StrCat(id, "/", std::max(high, window_low) + 1, "..",
                        acked_high));
    }
    if (listed && high > 0) result.recovered.highest_index[n] = high;
  }
  return result;
}

}  // namespace durability
}  // namespace sessionlog
