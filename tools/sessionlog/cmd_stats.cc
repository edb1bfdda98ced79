// sessionlog stats: how big a store is, how its events spread over sessions,
// and how much disk that takes.

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "schema/flatbuffers_codec.h"
#include "tools/sessionlog/command.h"
#include "tools/sessionlog/progress.h"
#include "tools/sessionlog/walk.h"

namespace sessionlog {
namespace cli {
namespace {

struct Totals {
  int64_t sessions = 0;
  int64_t destroyed = 0;
  int64_t events = 0;
  // The encoded size of what is stored: records and events as FlatBuffers
  // (events without their session id, as the rocksdb log keeps them). The
  // baseline for space amplification.
  int64_t logical_bytes = 0;
  std::vector<int64_t> events_per_session;
  std::map<std::string, int64_t> sessions_per_agent;
  std::optional<int64_t> oldest_session, newest_session;
  std::optional<int64_t> oldest_event, newest_event;
};

void Widen(std::optional<int64_t>& low, std::optional<int64_t>& high,
           int64_t value) {
  if (!low || value < *low) low = value;
  if (!high || value > *high) high = value;
}

// The value below which `fraction` of the sorted values lie (nearest rank).
int64_t Percentile(const std::vector<int64_t>& sorted, double fraction) {
  if (sorted.empty()) return 0;
  size_t rank = static_cast<size_t>(fraction * (sorted.size() - 1) + 0.5);
  return sorted[std::min(rank, sorted.size() - 1)];
}

absl::Status RunStats(Context& ctx) {
  SessionPersistDriver& store = ctx.store();
  absl::StatusOr<DriverStats> backend = store.Stats();
  if (!backend.ok()) return backend.status();

  Totals t;
  ProgressBar progress(ctx.err, ctx.options.progress, "stats",
                       backend->sessions, ProgressBar::Unit::kItems,
                       "sessions");
  std::string buffer;
  absl::Status s = ForEachSession(store, [&](const SessionRecord& record) {
    ++t.sessions;
    if (record.destroyed_at) ++t.destroyed;
    ++t.sessions_per_agent[record.agent];
    Widen(t.oldest_session, t.newest_session, record.created_at);
    EncodeSessionRecord(record, &buffer);
    t.logical_bytes += static_cast<int64_t>(buffer.size());
    int64_t count = 0;
    absl::Status e =
        ForEachEvent(store, record.id, [&](const SessionEvent& event) {
          ++count;
          Widen(t.oldest_event, t.newest_event, event.created_at);
          EncodeSessionEvent(event, SessionIdField::kOmit, &buffer);
          t.logical_bytes += static_cast<int64_t>(buffer.size());
          return absl::OkStatus();
        });
    t.events += count;
    t.events_per_session.push_back(count);
    progress.Update(t.sessions);
    return e;
  });
  progress.Finish();
  if (!s.ok()) return s;

  std::vector<int64_t> sorted = t.events_per_session;
  std::sort(sorted.begin(), sorted.end());
  std::optional<double> amplification;
  if (backend->disk_bytes > 0 && t.logical_bytes > 0) {
    amplification = static_cast<double>(backend->disk_bytes) / t.logical_bytes;
  }
  const DriverOptions& limits = store.options();
  auto limit_text = [](int64_t limit) {
    return limit == kNoLimit ? std::string("none") : absl::StrCat(limit);
  };
  double mean = t.sessions ? static_cast<double>(t.events) / t.sessions : 0;

  OrderedJson j;
  j["db"] = ctx.options.db;
  j["sessions"] = t.sessions;
  j["destroyedSessions"] = t.destroyed;
  j["events"] = t.events;
  j["backendEvents"] = backend->events;
  j["backendEventsIsEstimate"] = backend->events_is_estimate;
  j["logicalBytes"] = t.logical_bytes;
  j["diskBytes"] = backend->disk_bytes > 0 ? OrderedJson(backend->disk_bytes)
                                           : OrderedJson(nullptr);
  j["spaceAmplification"] =
      amplification ? OrderedJson(*amplification) : OrderedJson(nullptr);
  OrderedJson dist;
  dist["min"] = sorted.empty() ? 0 : sorted.front();
  dist["p50"] = Percentile(sorted, 0.50);
  dist["p90"] = Percentile(sorted, 0.90);
  dist["p99"] = Percentile(sorted, 0.99);
  dist["max"] = sorted.empty() ? 0 : sorted.back();
  dist["mean"] = mean;
  j["eventsPerSession"] = std::move(dist);
  OrderedJson per_agent = OrderedJson::object();
  for (const auto& [agent, n] : t.sessions_per_agent) per_agent[agent] = n;
  j["sessionsPerAgent"] = std::move(per_agent);
  j["oldestSessionAt"] = OptionalJson(t.oldest_session);
  j["newestSessionAt"] = OptionalJson(t.newest_session);
  j["oldestEventAt"] = OptionalJson(t.oldest_event);
  j["newestEventAt"] = OptionalJson(t.newest_event);
  j["maxSessions"] = limits.max_sessions;
  j["maxEventsPerSession"] = limits.max_events_per_session;

  std::string agents;
  for (const auto& [agent, n] : t.sessions_per_agent) {
    absl::StrAppend(&agents, agents.empty() ? "" : ", ", agent, " ", n);
  }
  std::string backend_events = FormatCount(backend->events);
  if (backend->events_is_estimate) backend_events += " (estimate)";
  const std::vector<std::pair<std::string, std::string>> rows = {
      {"store", ctx.options.db},
      {"sessions",
       absl::StrCat(FormatCount(t.sessions), " (", t.destroyed, " destroyed)")},
      {"agents", agents.empty() ? "-" : agents},
      {"events", FormatCount(t.events)},
      {"events (backend)", backend_events},
      {"events/session",
       absl::StrFormat("min %d  p50 %d  p90 %d  p99 %d  max %d  mean %.1f",
                       sorted.empty() ? 0 : sorted.front(),
                       Percentile(sorted, 0.5), Percentile(sorted, 0.9),
                       Percentile(sorted, 0.99),
                       sorted.empty() ? 0 : sorted.back(), mean)},
      {"oldest session", FormatTime(t.oldest_session)},
      {"newest session", FormatTime(t.newest_session)},
      {"oldest event", FormatTime(t.oldest_event)},
      {"newest event", FormatTime(t.newest_event)},
      {"logical bytes", FormatBytes(t.logical_bytes)},
      {"disk bytes", backend->disk_bytes > 0
                         ? FormatBytes(backend->disk_bytes)
                         : std::string("- (not reported by this backend)")},
      {"space amplification", amplification
                                  ? absl::StrFormat("%.2fx", *amplification)
                                  : std::string("-")},
      {"limits", absl::StrCat("max-sessions ", limit_text(limits.max_sessions),
                              ", max-events-per-session ",
                              limit_text(limits.max_events_per_session))},
  };
  ctx.Print(j, FormatFields(rows, 22, ctx.style));
  return absl::OkStatus();
}

}  // namespace

extern const Command kStatsCommand = {
    "stats",
    "",
    "Sessions, events, bytes, the events-per-session distribution, and "
    "space amplification.",
    "Walks the whole store through the API (read-only). LOGICAL BYTES is "
    "the size of the records\nand retained events encoded as FlatBuffers, "
    "the on-disk value format; DISK BYTES is what\nthe backend reports "
    "(RocksDB: its files, including the log and data not yet "
    "compacted\naway). SPACE AMPLIFICATION is their ratio, shown where the "
    "backend reports its size.\nEvents under ids with no session record "
    "are counted only in the backend's total.",
    {},
    {"stats", "stats --json | jq .eventsPerSession.p99"},
    0,
    0,
    StoreAccess::kRead,
    RunStats,
};

}  // namespace cli
}  // namespace sessionlog
