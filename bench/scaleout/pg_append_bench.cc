// Single appends to Postgres from 1..N concurrent writer threads of one
// process (docs/SCALE-OUT.md): each writer appends one event per InsertEvent
// call to sessions of its own, for a fixed time; appends/s and latency per
// writer count, and each count's rate next to one writer's.
//
//   bazel run //bench/scaleout:pg_append_bench -- --uri=postgresql://...
//       --writers=1,4,16 --seconds=5 --durability=default   (one line)
//
// Needs a Postgres (SESSIONLOG_PG_URI or --uri); writes into a schema of its
// own, dropped at the end.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "bench/workload.h"
#include "engine/open.h"
#include "pqxx/pqxx"

ABSL_FLAG(std::string, uri, "",
          "postgresql:// URI (default $SESSIONLOG_PG_URI)");
ABSL_FLAG(std::string, writers, "1,4,16", "writer thread counts to run");
ABSL_FLAG(double, seconds, 5, "seconds per writer count");
ABSL_FLAG(std::string, durability, "default", "default or fsync");
ABSL_FLAG(int64_t, sessions_per_writer, 4, "sessions each writer appends to");
ABSL_FLAG(int64_t, max_events_per_session,
          sessionlog::kDefaultMaxEventsPerSession,
          "the store's limit (0: none); past it each append trims one event");

namespace sessionlog::bench {
namespace {

struct Point {
  int writers = 0;
  int64_t appends = 0;
  double seconds = 0;
  double p50_us = 0, p99_us = 0;
  int64_t errors = 0;
};

Point Run(SessionPersistDriver& store, int writers, double seconds,
          int64_t sessions_per_writer, int64_t* next_session) {
  Workload workload(WorkloadSpec{});
  const int64_t first = *next_session;
  *next_session += writers * sessions_per_writer;
  std::vector<std::vector<double>> latencies(writers);
  std::atomic<int64_t> errors{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  const auto start = std::chrono::steady_clock::now();
  for (int w = 0; w < writers; ++w) {
    threads.emplace_back([&, w] {
      std::vector<int64_t> next(sessions_per_writer, 1);
      for (int64_t n = 0; !stop.load(std::memory_order_relaxed); ++n) {
        const int64_t k = n % sessions_per_writer;
        SessionEvent e =
            workload.Event(first + w * sessions_per_writer + k, next[k]++);
        const auto t0 = std::chrono::steady_clock::now();
        absl::Status s = store.InsertEvent(e);
        const auto t1 = std::chrono::steady_clock::now();
        if (!s.ok()) {
          if (errors.fetch_add(1) == 0) {
            std::fprintf(stderr, "append failed: %s\n", s.ToString().c_str());
          }
          continue;
        }
        latencies[w].push_back(
            std::chrono::duration<double, std::micro>(t1 - t0).count());
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (std::thread& t : threads) t.join();
  Point p;
  p.writers = writers;
  p.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  std::vector<double> all;
  for (const auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  p.appends = static_cast<int64_t>(all.size());
  if (!all.empty()) {
    p.p50_us = all[all.size() / 2];
    p.p99_us = all[std::min(all.size() - 1, all.size() * 99 / 100)];
  }
  p.errors = errors.load();
  return p;
}

int Main() {
  std::string uri = absl::GetFlag(FLAGS_uri);
  if (uri.empty() && std::getenv("SESSIONLOG_PG_URI") != nullptr) {
    uri = std::getenv("SESSIONLOG_PG_URI");
  }
  if (uri.empty()) {
    std::fprintf(stderr,
                 "no Postgres: pass --uri or set SESSIONLOG_PG_URI "
                 "(source tools/scripts/services.sh; start_postgres)\n");
    return 2;
  }
  std::vector<int> counts;
  for (absl::string_view part :
       absl::StrSplit(absl::GetFlag(FLAGS_writers), ',')) {
    int n = 0;
    if (!absl::SimpleAtoi(part, &n) || n < 1) {
      std::fprintf(stderr, "bad --writers entry \"%s\"\n",
                   std::string(part).c_str());
      return 2;
    }
    counts.push_back(n);
  }
  DriverOptions options;
  const int64_t max_events = absl::GetFlag(FLAGS_max_events_per_session);
  options.max_events_per_session = max_events == 0 ? kNoLimit : max_events;
  options.postgres_schema =
      absl::StrCat("sl_append_bench_", std::random_device()() % 1000000);
  const std::string durability = absl::GetFlag(FLAGS_durability);
  if (durability == "fsync") {
    options.durability = Durability::kFsync;
  } else if (durability != "default") {
    std::fprintf(stderr, "--durability is default or fsync\n");
    return 2;
  }
  int rc = 0;
  {
    auto store = Open(uri, options);
    if (!store.ok()) {
      std::fprintf(stderr, "open: %s\n", store.status().ToString().c_str());
      return 1;
    }
    std::printf("| writers | appends/s | vs 1 writer | p50 us | p99 us |\n");
    std::printf("|---|---|---|---|---|\n");
    int64_t next_session = 0;
    double one = 0;
    for (int writers : counts) {
      Point p = Run(**store, writers, absl::GetFlag(FLAGS_seconds),
                    absl::GetFlag(FLAGS_sessions_per_writer), &next_session);
      const double rate = p.appends / p.seconds;
      if (writers == 1) one = rate;
      std::printf("| %d | %.0f | %s | %.0f | %.0f |\n", writers, rate,
                  one > 0 ? absl::StrCat(rate / one).substr(0, 4).c_str() : "-",
                  p.p50_us, p.p99_us);
      std::fflush(stdout);
      if (p.errors > 0) {
        std::fprintf(stderr, "%lld appends failed\n",
                     static_cast<long long>(p.errors));
        rc = 1;
      }
    }
  }
  try {
    pqxx::connection c(uri);
    pqxx::nontransaction(c).exec(absl::StrCat(
        "DROP SCHEMA IF EXISTS \"", options.postgres_schema, "\" CASCADE"));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "dropping the schema: %s\n", e.what());
  }
  return rc;
}

}  // namespace
}  // namespace sessionlog::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return sessionlog::bench::Main();
}
