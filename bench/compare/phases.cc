#include "bench/compare/phases.h"

#include <algorithm>
#include <filesystem>
#include <memory>
#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "api/options.h"
#include "bench/bench_env.h"
#include "bench/compare/latency.h"
#include "bench/event_stream.h"
#include "bench/peer.h"

namespace sessionlog::bench {
namespace {

using Clock = Latencies::Clock;
using Json = nlohmann::json;

DriverOptions NoLimits() {
  DriverOptions options;
  options.max_sessions = kNoLimit;
  options.max_events_per_session = kNoLimit;
  return options;
}

absl::StatusOr<std::unique_ptr<Peer>> OpenIn(const PhaseConfig& config,
                                             const std::string& dir,
                                             const DriverOptions& options) {
  return OpenPeer(config.peer, dir, config.pg_uri, options);
}

absl::Status PutSessions(Peer& peer, const Workload& workload) {
  for (int64_t s = 0; s < workload.spec().sessions; ++s) {
    if (absl::Status st = peer.PutSession(workload.Session(s)); !st.ok()) {
      return st;
    }
  }
  return absl::OkStatus();
}

// Appends `count` events from `stream`, timing each one into `latencies`
// unless it is null; returns wall seconds.
absl::StatusOr<double> TimedAppends(Peer& peer, EventStream& stream,
                                    int64_t count, Latencies* latencies) {
  const Clock::time_point start = Clock::now();
  for (int64_t i = 0; i < count; ++i) {
    const SessionEvent& event = stream.Next();
    if (latencies == nullptr) {
      if (absl::Status st = peer.Append(event); !st.ok()) return st;
      continue;
    }
    const Clock::time_point t0 = Clock::now();
    absl::Status st = peer.Append(event);
    latencies->Add(t0, Clock::now());
    if (!st.ok()) return st;
  }
  return SecondsSince(start);
}

// A session order that visits every session but not in storage order.
int64_t Spread(int64_t i, int64_t sessions) { return (i * 7919) % sessions; }

// Times up to `reads` replay reads over the sessions of `workload`, stopping
// early (after at least 3) once `max_seconds` have passed.
absl::StatusOr<Json> TimedReplays(Peer& peer, const Workload& workload,
                                  int64_t reads, double max_seconds,
                                  int64_t count) {
  Latencies latencies;
  latencies.Reserve(reads);
  const int64_t sessions = workload.spec().sessions;
  const Clock::time_point start = Clock::now();
  for (int64_t i = 0; i < reads; ++i) {
    if (i >= 3 && SecondsSince(start) > max_seconds) break;
    const std::string id = workload.SessionId(Spread(i, sessions));
    const Clock::time_point t0 = Clock::now();
    absl::StatusOr<int64_t> got = peer.LastEvents(id, count);
    latencies.Add(t0, Clock::now());
    if (!got.ok()) return got.status();
    const int64_t expected =
        std::min(count, workload.spec().events_per_session);
    if (*got != expected) {
      return absl::InternalError(absl::StrCat(
          "replay of session ", id, " read ", *got, " events, not ", expected));
    }
  }
  const double seconds = SecondsSince(start);
  return Json{{"replays", latencies.count()},
              {"replays_per_s", latencies.count() / seconds},
              {"replay_p50_us", latencies.QuantileMicros(0.5)},
              {"replay_p99_us", latencies.QuantileMicros(0.99)}};
}

}  // namespace

WorkloadSpec ReplaySpec(const PhaseConfig& config, int64_t length) {
  WorkloadSpec spec = config.spec;
  spec.events_per_session = length;
  spec.sessions = std::max<int64_t>(1, config.replay_store_events / length);
  return spec;
}

int64_t ReplayRounds(const PhaseConfig& config, int64_t length) {
  return std::min(length, config.rounds_in_pool);
}

absl::StatusOr<Json> RunStandard(const PhaseConfig& config) {
  const Workload workload(config.spec);
  EventStream stream(workload, config.rounds_in_pool);
  auto peer = OpenIn(config, config.dir, DriverOptions());
  if (!peer.ok()) return peer.status();
  if (absl::Status st = PutSessions(**peer, workload); !st.ok()) return st;

  const int64_t total = config.spec.total_events();
  Latencies appends;
  appends.Reserve(total);
  const int64_t cpu_before = ProcessCpuMicros();
  const int64_t written_before = StorageWriteBytes();
  absl::StatusOr<double> seconds =
      TimedAppends(**peer, stream, total, &appends);
  if (!seconds.ok()) return seconds.status();
  Json result = {
      {"events", total},
      {"appends_per_s", total / *seconds},
      {"append_p50_us", appends.QuantileMicros(0.5)},
      {"append_p99_us", appends.QuantileMicros(0.99)},
      // Every thread of the child: the engine's flushes and
      // compactions during the appends count (a server's do not).
      {"append_cpu_us",
       static_cast<double>(ProcessCpuMicros() - cpu_before) / total}};
  if (written_before >= 0) {
    result["append_write_bytes"] =
        static_cast<double>(StorageWriteBytes() - written_before) / total;
  }

  absl::StatusOr<Json> replays =
      TimedReplays(**peer, workload, config.reads, config.max_read_seconds,
                   config.replay_count);
  if (!replays.ok()) return replays.status();
  result.update(*replays);

  Latencies gets;
  gets.Reserve(config.reads);
  const Clock::time_point start = Clock::now();
  for (int64_t i = 0; i < config.reads; ++i) {
    const std::string id = workload.SessionId(Spread(i, config.spec.sessions));
    const Clock::time_point t0 = Clock::now();
    absl::Status st = (*peer)->GetSession(id);
    gets.Add(t0, Clock::now());
    if (!st.ok()) return st;
  }
  result["gets_per_s"] = config.reads / SecondsSince(start);
  result["get_p50_us"] = gets.QuantileMicros(0.5);
  result["get_p99_us"] = gets.QuantileMicros(0.99);
  result["rss_bytes"] = CurrentRssBytes();
  if (absl::Status st = (*peer)->Close(); !st.ok()) return st;
  result["disk_bytes"] = DiskBytes(config.dir);
  return result;
}

absl::StatusOr<Json> RunScaling(const PhaseConfig& config) {
  const Workload workload(config.spec);
  EventStream stream(workload, config.rounds_in_pool);
  auto peer = OpenIn(config, config.dir, NoLimits());
  if (!peer.ok()) return peer.status();
  if (absl::Status st = PutSessions(**peer, workload); !st.ok()) return st;
  Json points = Json::array();
  int64_t done = 0;
  double seconds = 0;
  for (int64_t checkpoint : config.checkpoints) {
    // No per-append latencies here: their buffer would count in the RSS.
    absl::StatusOr<double> s =
        TimedAppends(**peer, stream, checkpoint - done, nullptr);
    if (!s.ok()) return s.status();
    seconds += *s;
    points.push_back({{"events", checkpoint},
                      {"appends_per_s", checkpoint / seconds},
                      {"window_appends_per_s", (checkpoint - done) / *s},
                      {"rss_bytes", CurrentRssBytes()}});
    done = checkpoint;
  }
  Json result = {{"points", points}, {"peak_rss_bytes", PeakRssBytes()}};
  if (absl::Status st = (*peer)->Close(); !st.ok()) return st;
  result["disk_bytes"] = DiskBytes(config.dir);
  return result;
}

absl::StatusOr<Json> RunReplay(const PhaseConfig& config) {
  Json points = Json::array();
  for (int64_t length : config.replay_lengths) {
    const WorkloadSpec spec = ReplaySpec(config, length);
    const Workload workload(spec);
    EventStream stream(workload, ReplayRounds(config, length));
    const std::string dir = absl::StrCat(config.dir, "/len", length);
    std::filesystem::create_directories(dir);
    auto peer = OpenIn(config, dir, NoLimits());
    if (!peer.ok()) return peer.status();
    // Filling is not what this phase measures: batches keep it short.
    for (int64_t n = 0; n < spec.total_events(); n += 500) {
      const std::vector<SessionEvent> batch =
          stream.NextBatch(std::min<int64_t>(500, spec.total_events() - n));
      if (absl::Status st = (*peer)->AppendBatch(batch); !st.ok()) return st;
    }
    absl::StatusOr<Json> replays =
        TimedReplays(**peer, workload, config.reads, config.max_read_seconds,
                     config.replay_count);
    if (!replays.ok()) return replays.status();
    (*replays)["events_per_session"] = length;
    points.push_back(*replays);
    if (absl::Status st = (*peer)->Close(); !st.ok()) return st;
  }
  return Json{{"points", points}};
}

absl::StatusOr<Json> RunConcurrentWriters(const PhaseConfig& config) {
  Json points = Json::array();
  for (int64_t writers : config.writers) {
    const std::string dir = absl::StrCat(config.dir, "/w", writers);
    std::filesystem::create_directories(dir);
    auto peer = OpenIn(config, dir, DriverOptions());
    if (!peer.ok()) return peer.status();
    absl::Mutex mu;
    absl::Status failure;
    Latencies all;
    std::vector<std::thread> threads;
    const Clock::time_point start = Clock::now();
    for (int64_t t = 0; t < writers; ++t) {
      threads.emplace_back([&, t] {
        // Each writer has sessions of its own, as each SDK client does.
        WorkloadSpec spec = config.spec;
        spec.seed = config.spec.seed + 1000 + t;
        spec.sessions = 8;
        const Workload workload(spec);
        EventStream stream(workload, 4);
        Latencies mine;
        absl::StatusOr<double> s =
            TimedAppends(**peer, stream, config.appends_per_writer, &mine);
        absl::MutexLock lock(&mu);
        if (!s.ok() && failure.ok()) failure = s.status();
        all.Merge(mine);
      });
    }
    for (std::thread& thread : threads) thread.join();
    const double seconds = SecondsSince(start);
    if (!failure.ok()) return failure;
    points.push_back(
        {{"writers", writers},
         {"appends_per_s", writers * config.appends_per_writer / seconds},
         {"append_p50_us", all.QuantileMicros(0.5)},
         {"append_p99_us", all.QuantileMicros(0.99)}});
    if (absl::Status st = (*peer)->Close(); !st.ok()) return st;
  }
  return Json{{"points", points}};
}

}  // namespace sessionlog::bench
