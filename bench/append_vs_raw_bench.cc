// The engine's yardstick: the rocksdb driver's appends/s with the default
// durability next to raw RocksDB Puts of the same key and value bytes, in one
// run. The raw peer also has to encode each event (any program storing these
// events must); a third row, raw Puts of values encoded beforehand, shows what
// the encoding itself costs.
//
//   bazel run //bench:append_vs_raw_bench
//   bazel run //bench:append_vs_raw_bench -- --appends=100000
//   --benchmark_repetitions=5
//
// Every run opens a fresh store and appends the same --appends events
// round-robin over 1,000 sessions with the default limits; repetitions are
// interleaved so that machine noise hits every peer alike. The last line prints
// engine / raw from the medians.

#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "api/options.h"
#include "bench/bench_env.h"
#include "bench/event_stream.h"
#include "bench/peer.h"
#include "bench/workload.h"
#include "benchmark/benchmark.h"
#include "rocksdb/db.h"
#include "schema/flatbuffers_codec.h"
#include "tests/testing/temp_dir.h"

ABSL_FLAG(int64_t, appends, 200000, "appends per run, into a fresh store");
ABSL_FLAG(int64_t, sessions, 1000, "sessions the appends go round-robin over");

namespace sessionlog::bench {
namespace {

Workload MakeWorkload() {
  WorkloadSpec spec;
  spec.sessions = absl::GetFlag(FLAGS_sessions);
  return Workload(spec);
}

void Fail(benchmark::State& state, const absl::Status& status) {
  state.SkipWithError(std::string(status.message()).c_str());
}

// Appends through a Peer (the driver, or raw RocksDB encoding as it goes).
void BM_Append(benchmark::State& state, const std::string& peer_name) {
  const Workload workload = MakeWorkload();
  EventStream stream(workload, 20);
  TempDir dir("sessionlog-bench");
  auto peer = OpenPeer(peer_name, dir.path(), "", DriverOptions());
  if (!peer.ok()) return Fail(state, peer.status());
  for (int64_t s = 0; s < workload.spec().sessions; ++s) {
    if (auto st = (*peer)->PutSession(workload.Session(s)); !st.ok()) {
      return Fail(state, st);
    }
  }
  int64_t bytes = 0;
  for (auto _ : state) {
    const SessionEvent& event = stream.Next();
    bytes += event.payload_json.size();
    if (auto st = (*peer)->Append(event); !st.ok()) return Fail(state, st);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(bytes);
  if (auto st = (*peer)->Close(); !st.ok()) return Fail(state, st);
}

// Raw Puts of values encoded before the clock starts: the floor.
void BM_RawPutPreEncoded(benchmark::State& state) {
  const Workload workload = MakeWorkload();
  EventStream stream(workload, 20);
  std::vector<std::pair<std::string, std::string>> pool;
  for (int64_t i = 0; i < stream.pool_size(); ++i) {
    const SessionEvent& e = stream.Next();
    std::string key(16, '\0');
    uint64_t handle = workload.SessionOfAppend(i) + 1;
    for (int b = 0; b < 8; ++b) {
      key[7 - b] = static_cast<char>(handle >> (8 * b));
    }
    std::string value;
    EncodeSessionEvent(e, SessionIdField::kOmit, &value);
    pool.emplace_back(std::move(key), std::move(value));
  }
  TempDir dir("sessionlog-bench");
  rocksdb::Options options;
  options.create_if_missing = true;
  rocksdb::DB* raw = nullptr;
  if (!rocksdb::DB::Open(options, dir.path() + "/raw", &raw).ok()) {
    return Fail(state, absl::InternalError("open raw rocksdb"));
  }
  std::unique_ptr<rocksdb::DB> db(raw);
  rocksdb::WriteOptions write_options;
  int64_t n = 0, bytes = 0;
  const int64_t sessions = workload.spec().sessions;
  for (auto _ : state) {
    auto& [key, value] = pool[n % pool.size()];
    // The index half of the key: unique across laps of the pool.
    uint64_t index = n / sessions + 1;
    for (int b = 0; b < 8; ++b)
      key[15 - b] = static_cast<char>(index >> (8 * b));
    bytes += value.size();
    if (!db->Put(write_options, key, value).ok()) {
      return Fail(state, absl::InternalError("raw put"));
    }
    ++n;
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(bytes);
}

// Keeps the console output and remembers each benchmark's median rate.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      if (run.error_occurred) continue;
      const bool median =
          run.run_type == Run::RT_Aggregate && run.aggregate_name == "median";
      const bool single = run.run_type == Run::RT_Iteration;
      if (!median && !single) continue;
      auto it = run.counters.find("items_per_second");
      if (it == run.counters.end()) continue;
      const std::string name = run.run_name.function_name;
      // A median overrides single repetitions; without repetitions the one
      // iteration run is the figure.
      if (median || !medians_.count(name)) rates_[name] = it->second.value;
      if (median) medians_[name] = true;
    }
  }

  double Rate(const std::string& name) const {
    auto it = rates_.find(name);
    return it == rates_.end() ? 0 : it->second;
  }

 private:
  std::map<std::string, double> rates_;
  std::map<std::string, bool> medians_;
};

}  // namespace
}  // namespace sessionlog::bench

int main(int argc, char** argv) {
  using namespace sessionlog::bench;
  benchmark::Initialize(&argc, argv);
  absl::ParseCommandLine(argc, argv);
  const int64_t appends = absl::GetFlag(FLAGS_appends);
  benchmark::RegisterBenchmark("engine_rocksdb_append", BM_Append,
                               std::string("sessionlog-rocksdb"))
      ->Iterations(appends)
      ->Unit(benchmark::kMicrosecond)
      ->UseRealTime();
  benchmark::RegisterBenchmark("raw_rocksdb_put", BM_Append,
                               std::string("raw-rocksdb"))
      ->Iterations(appends)
      ->Unit(benchmark::kMicrosecond)
      ->UseRealTime();
  benchmark::RegisterBenchmark("raw_rocksdb_put_preencoded",
                               BM_RawPutPreEncoded)
      ->Iterations(appends)
      ->Unit(benchmark::kMicrosecond)
      ->UseRealTime();
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  const double engine = reporter.Rate("engine_rocksdb_append");
  const double raw = reporter.Rate("raw_rocksdb_put");
  const double floor = reporter.Rate("raw_rocksdb_put_preencoded");
  if (engine > 0 && raw > 0) {
    printf(
        "\nengine %.0f appends/s, raw RocksDB %.0f Puts/s (encoding included), "
        "%.0f Puts/s (pre-encoded)\n",
        engine, raw, floor);
    printf(
        "engine / raw = %.3f (target >= 0.90); engine / pre-encoded raw = "
        "%.3f\n",
        engine / raw, floor > 0 ? engine / floor : 0.0);
  }
  benchmark::Shutdown();
  return 0;
}
