// The rewind workload of crash_test: one session, appended to one event at a
// time and rewound at random (sometimes below its retained window), under a
// small max_events_per_session, so that a kill -9 lands among range deletes
// and floor updates. The parent keeps a model of what was acknowledged and
// checks the reopened store against it.

#ifndef SESSIONLOG_TESTS_CRASH_REWIND_WORKLOAD_H_
#define SESSIONLOG_TESTS_CRASH_REWIND_WORKLOAD_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "api/driver.h"
#include "api/options.h"

namespace sessionlog {
namespace rewind_crash {

inline constexpr char kSession[] = "rewound";
inline constexpr int64_t kMaxEvents = 8;

// What the child reports, as (kind, a, b): before each operation what it is
// about to do, and after it returned OK that it is done. An append is (seq,
// index), a rewind (0, through_index).
enum Kind : int64_t {
  kWillAppend = 10,
  kWillRewind = 11,
  kAppended = 12,
  kRewound = 13,
};
struct Op {
  int64_t kind;
  int64_t a;
  int64_t b;
};

DriverOptions Options(Durability durability);

// The session: event index -> payload.
using Log = std::map<int64_t, std::string>;

// What the contract makes of the session after an append or rewind (either
// kind of report of it).
void Apply(Log& log, const Op& op);

// One operation on `driver`, reported before and after to `report`. `log` is
// the session as the store holds it (Read at start, then kept by Step), so
// that the writer spends its time in the operations rather than in reads.
// `seq` is unique per append across restarts (the caller starts it from the
// clock).
absl::Status Step(SessionPersistDriver& driver, absl::BitGen& rng, int64_t& seq,
                  Log& log, absl::FunctionRef<void(const Op&)> report);

absl::StatusOr<Log> Read(SessionPersistDriver& driver);

// What the parent knows from the reports: the session as of the last
// operation reported done, and the one reported begun but not done.
struct Model {
  Log done;
  std::optional<Op> in_flight;

  void Report(const Op& op);
};

// Empty if `recovered` is the model's `done`, or `done` after its in-flight
// operation; else what is wrong.
std::string Check(const Model& model, const Log& recovered);

}  // namespace rewind_crash
}  // namespace sessionlog

#endif  // SESSIONLOG_TESTS_CRASH_REWIND_WORKLOAD_H_
