// The measured phases of the comparison harness, for the C++ peers. Each runs
// in a child process of its own (see main.cc), so that its RSS and its disk
// bytes are its own, and returns its figures as one JSON object. The node
// peers (bench/node/ts_peer.mjs) return the same fields.

#ifndef SESSIONLOG_BENCH_COMPARE_PHASES_H_
#define SESSIONLOG_BENCH_COMPARE_PHASES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "bench/workload.h"
#include "nlohmann/json.hpp"

namespace sessionlog::bench {

struct PhaseConfig {
  std::string peer;
  std::string dir;     // An empty scratch directory for the peer's store.
  std::string pg_uri;  // For sessionlog-postgres.
  WorkloadSpec spec;   // sessions x events_per_session, payload size.
  int64_t rounds_in_pool = 20;  // EventStream pool, as the JSON Lines file.
  int64_t reads = 5000;         // Replay reads and session gets to time.
  int64_t replay_count = 50;    // Events per replay read (the SDK's 50).
  double max_read_seconds = 5;  // Replay reads stop early past this.
  // scaling: cumulative appends at which figures are taken.
  std::vector<int64_t> checkpoints;
  // replay: events per session to test, over a store of replay_store_events.
  std::vector<int64_t> replay_lengths;
  int64_t replay_store_events = 200000;
  // fsync and writers: writer threads to test, and appends per writer.
  std::vector<int64_t> writers;
  int64_t appends_per_writer = 500;
};

// The default workload with the SDK's limits: appends (round-robin), then
// replay reads (last `replay_count`), then session gets. Fields:
// appends_per_s, append_p50_us, append_p99_us, replays_per_s, replay_p50_us,
// replay_p99_us, gets_per_s, get_p50_us, get_p99_us, rss_bytes, disk_bytes.
absl::StatusOr<nlohmann::json> RunStandard(const PhaseConfig& config);

// Limits off; appends until the last checkpoint. Fields: points[] of
// {events, appends_per_s (cumulative), rss_bytes}, disk_bytes.
absl::StatusOr<nlohmann::json> RunScaling(const PhaseConfig& config);

// Limits off; for each length L, a fresh store of replay_store_events events
// in sessions of L events, then timed last-`replay_count` reads. Fields:
// points[] of {events_per_session, replay_p50_us, replays_per_s}.
absl::StatusOr<nlohmann::json> RunReplay(const PhaseConfig& config);

// The workload of the replay store for sessions of `length` events, and its
// EventStream pool rounds (the node peers read the same events from a file).
WorkloadSpec ReplaySpec(const PhaseConfig& config, int64_t length);
int64_t ReplayRounds(const PhaseConfig& config, int64_t length);

// For each writer count, a fresh store and that many threads appending to
// their own sessions (the fsync phase with peers that sync every append, the
// writers phase with the default durability). Fields: points[] of {writers,
// appends_per_s, append_p50_us, append_p99_us}.
absl::StatusOr<nlohmann::json> RunConcurrentWriters(const PhaseConfig& config);

}  // namespace sessionlog::bench

#endif  // SESSIONLOG_BENCH_COMPARE_PHASES_H_
