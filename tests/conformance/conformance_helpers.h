// Helpers of the conformance suite: status assertions, whole-list readers
// that follow cursor chains, and store snapshots. The record builders are
// tests/testing/records.h, named here too for the suite's files.

#ifndef SESSIONLOG_TESTS_CONFORMANCE_CONFORMANCE_HELPERS_H_
#define SESSIONLOG_TESTS_CONFORMANCE_CONFORMANCE_HELPERS_H_

#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "api/driver.h"
#include "api/session.h"
#include "gtest/gtest.h"
#include "tests/testing/records.h"

namespace sessionlog {

// gtest prints records and events as the SDK's JSON.
void PrintTo(const SessionRecord& record, std::ostream* os);
void PrintTo(const SessionEvent& event, std::ostream* os);

namespace conformance {

inline const absl::Status& ToStatus(const absl::Status& status) {
  return status;
}
template <typename T>
const absl::Status& ToStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

#define SL_CONCAT_INNER(a, b) a##b
#define SL_CONCAT(a, b) SL_CONCAT_INNER(a, b)

#define SL_ASSERT_OK(expr)                                                    \
  do {                                                                        \
    const absl::Status sl_status = ::sessionlog::conformance::ToStatus(expr); \
    ASSERT_TRUE(sl_status.ok()) << #expr << ": " << sl_status;                \
  } while (0)

#define SL_EXPECT_OK(expr)                                                    \
  do {                                                                        \
    const absl::Status sl_status = ::sessionlog::conformance::ToStatus(expr); \
    EXPECT_TRUE(sl_status.ok()) << #expr << ": " << sl_status;                \
  } while (0)

// `lhs = *expr`, failing the test (and returning) if expr is not OK.
#define SL_ASSERT_OK_AND_ASSIGN(lhs, expr) \
  SL_ASSERT_OK_AND_ASSIGN_IMPL(SL_CONCAT(sl_status_or_, __LINE__), lhs, expr)
#define SL_ASSERT_OK_AND_ASSIGN_IMPL(var, lhs, expr)      \
  auto var = (expr);                                      \
  ASSERT_TRUE(var.ok()) << #expr << ": " << var.status(); \
  lhs = std::move(*var)

// `status` is InvalidArgument and its message names `field`.
void ExpectInvalidArgument(const absl::Status& status, absl::string_view field);

// Default options, but for the two limits (kNoLimit switches one off).
DriverOptions Caps(int64_t max_sessions, int64_t max_events_per_session);

using test::MakeEvent;
using test::MakeEventOfSize;
using test::MakeFullSession;
using test::MakeSession;

// Every session record, following next_cursor from the first page with page
// size `limit` (0: the default). Internal if a cursor chain does not advance.
absl::StatusOr<std::vector<SessionRecord>> ListAllSessions(
    SessionPersistDriver& driver, int64_t limit = 0);
// Every retained event of a session, the same way.
absl::StatusOr<std::vector<SessionEvent>> ListAllEvents(
    SessionPersistDriver& driver, absl::string_view session_id,
    int64_t limit = 0);

std::vector<std::string> IdsOf(const std::vector<SessionRecord>& records);
std::vector<int64_t> IndicesOf(const std::vector<SessionEvent>& events);

// What a driver holds, as seen through its public methods: every record and
// the events of the sessions named (events under ids without a record cannot
// be enumerated through the contract).
struct StoreSnapshot {
  std::vector<SessionRecord> sessions;
  std::map<std::string, std::vector<SessionEvent>> events;

  friend bool operator==(const StoreSnapshot& a, const StoreSnapshot& b) {
    return a.sessions == b.sessions && a.events == b.events;
  }
  friend bool operator!=(const StoreSnapshot& a, const StoreSnapshot& b) {
    return !(a == b);
  }
};
void PrintTo(const StoreSnapshot& snapshot, std::ostream* os);

absl::StatusOr<StoreSnapshot> TakeSnapshot(
    SessionPersistDriver& driver,
    const std::vector<std::string>& event_session_ids);

}  // namespace conformance
}  // namespace sessionlog

#endif  // SESSIONLOG_TESTS_CONFORMANCE_CONFORMANCE_HELPERS_H_
