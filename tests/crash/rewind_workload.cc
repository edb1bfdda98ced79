#include "tests/crash/rewind_workload.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"

namespace sessionlog {
namespace rewind_crash {
namespace {

std::string Payload(int64_t seq) {
  return absl::StrCat(
      R"({"jsonrpc":"2.0","method":"crash/append","params":{"seq":)", seq,
      "}}");
}

std::string Describe(const Log& log) {
  std::string text = "{";
  for (const auto& [index, payload] : log) {
    absl::StrAppend(&text, " ", index, ":", payload);
  }
  return absl::StrCat(text, " }");
}

}  // namespace

DriverOptions Options(Durability durability) {
  DriverOptions options;
  options.max_events_per_session = kMaxEvents;
  options.durability = durability;
  return options;
}

void Apply(Log& log, const Op& op) {
  if (op.kind == kWillAppend || op.kind == kAppended) {
    log[op.b] = Payload(op.a);
    while (static_cast<int64_t>(log.size()) > kMaxEvents) {
      log.erase(log.begin());
    }
  } else {
    log.erase(log.upper_bound(op.b), log.end());
  }
}

absl::Status Step(SessionPersistDriver& driver, absl::BitGen& rng, int64_t& seq,
                  Log& log, absl::FunctionRef<void(const Op&)> report) {
  const std::optional<int64_t> highest =
      log.empty() ? std::nullopt : std::optional<int64_t>(log.rbegin()->first);
  Op op;
  absl::Status s;
  if (highest && absl::Bernoulli(rng, 0.3)) {
    // Up to 10 back: often within the window of 8, sometimes below it.
    const int64_t through =
        std::max<int64_t>(0, *highest - absl::Uniform<int64_t>(rng, 0, 11));
    report({kWillRewind, 0, through});
    s = driver.RewindSession(kSession, through);
    op = {kRewound, 0, through};
  } else {
    SessionEvent event;
    event.id = absl::StrCat("rw-", seq);
    event.session_id = kSession;
    event.event_index = highest ? *highest + 1 : 1;
    event.created_at = 1700000000000;
    event.connection_id = "conn";
    event.payload_json = Payload(seq);
    report({kWillAppend, seq, event.event_index});
    s = driver.InsertEvent(event);
    op = {kAppended, seq++, event.event_index};
  }
  if (!s.ok()) return s;
  Apply(log, op);
  report(op);
  return absl::OkStatus();
}

absl::StatusOr<Log> Read(SessionPersistDriver& driver) {
  Log log;
  absl::Status s = ForEachEvent(driver, kSession, [&](const SessionEvent& e) {
    log[e.event_index] = e.payload_json;
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return log;
}

void Model::Report(const Op& op) {
  if (op.kind == kWillAppend || op.kind == kWillRewind) {
    in_flight = op;
    return;
  }
  Apply(done, op);
  in_flight.reset();
}

std::string Check(const Model& model, const Log& recovered) {
  if (recovered == model.done) return "";
  Log after = model.done;
  if (model.in_flight) {
    Apply(after, *model.in_flight);
    if (recovered == after) return "";
  }
  return absl::StrCat("done ", Describe(model.done),
                      model.in_flight ? ", in flight would give " : "",
                      model.in_flight ? Describe(after) : "", ", recovered ",
                      Describe(recovered));
}

}  // namespace rewind_crash
}  // namespace sessionlog
