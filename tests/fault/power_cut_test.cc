// Power cuts: a writer thread runs the durability workload on a store over
// FaultFs; at a random moment the power goes (every write fails from then
// on), the store is closed, everything not synced is dropped, and the store
// reopens. fsync mode must lose nothing acknowledged. The default mode may
// lose the writes since the last background sync; the test measures that
// window and checks it stays near background_sync_interval.
//
// POWER_CUT_CYCLES overrides the number of cycles per mode (default 200).

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "engine/rocksdb/rocksdb_driver.h"
#include "gtest/gtest.h"
#include "tests/durability/workload.h"
#include "tests/fault/fault_fs.h"
#include "tests/testing/temp_dir.h"

namespace sessionlog {
namespace {

using durability::Ack;
using durability::Acked;

int Cycles() {
  int cycles = 200;
  const char* env = std::getenv("POWER_CUT_CYCLES");
  if (env != nullptr) absl::SimpleAtoi(env, &cycles);
  return cycles;
}

struct TimedAck {
  Ack ack;
  absl::Time at;
};

struct CutResult {
  std::vector<TimedAck> acks;
  absl::Time cut;
  int64_t dropped_bytes = 0;
};

// Opens the store over a fresh FaultFs, writes until the power is cut after
// `run_for`, then closes it and drops what was not synced.
CutResult WriteAndCut(const std::string& store, const DriverOptions& options,
                      absl::Duration run_for, uint64_t seed) {
  CutResult result;
  auto fs = std::make_shared<FaultFs>();
  std::unique_ptr<rocksdb::Env> env = FaultFs::NewEnv(fs);
  auto driver = OpenRocksDbDriverWithEnv(store, options, env.get());
  if (!driver.ok()) {
    ADD_FAILURE() << "open: " << driver.status();
    return result;
  }
  absl::Mutex mu;
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    auto w = durability::Writer::Resume(**driver, seed);
    if (!w.ok()) {
      ADD_FAILURE() << "resume: " << w.status();
      return;
    }
    while (!stop.load()) {
      absl::Status s = w->Step(**driver, [&](const Ack& ack) {
        absl::Time now = absl::Now();
        absl::MutexLock lock(&mu);
        result.acks.push_back({ack, now});
      });
      if (!s.ok()) break;  // The power is off.
    }
  });
  absl::SleepFor(run_for);
  fs->SetActive(false);
  result.cut = absl::Now();
  stop = true;
  writer.join();
  driver->reset();  // Closes against a dead disk: every write fails.
  result.dropped_bytes = fs->DropUnsyncedData();
  return result;
}

struct PowerCutFigures {
  int cycles = 0;
  int64_t acked = 0;
  int64_t lost = 0;
  int64_t dropped_bytes = 0;
  absl::Duration worst_window;  // Oldest lost acknowledgement before a cut.
};

// Runs `cycles` cuts against one store; every reopened store must be a
// consistent state of the history. Returns the figures.
PowerCutFigures RunCycles(const DriverOptions& options, int cycles,
                          absl::Duration max_run) {
  TempDir dir;
  const std::string store = dir.Sub("store");
  absl::BitGen rng;
  PowerCutFigures figures;
  Acked acked;
  for (int cycle = 0; cycle < cycles; ++cycle) {
    absl::Duration run_for = absl::Microseconds(
        absl::Uniform<int64_t>(rng, 0, absl::ToInt64Microseconds(max_run)));
    CutResult cut = WriteAndCut(store, options, run_for, cycle);
    for (const TimedAck& t : cut.acks) acked.Apply(t.ack);
    auto driver = OpenRocksDbDriver(store, options);
    if (!driver.ok()) {
      ADD_FAILURE() << "cycle " << cycle << ": reopen: " << driver.status();
      return figures;
    }
    durability::CheckResult check = durability::Check(**driver, acked);
    if (!check.violations.empty()) {
      ADD_FAILURE() << "cycle " << cycle << ": " << check.Summary();
      return figures;
    }
    // Which acknowledgements did the cut take, and how old were they?
    const Acked& kept = check.recovered;
    const int64_t oldest_kept_session =
        kept.highest_session - durability::kMaxSessions + 1;
    for (const TimedAck& t : cut.acks) {
      bool lost;
      if (t.ack.kind == Ack::kSession) {
        lost = t.ack.session > kept.highest_session;
      } else {
        auto it = kept.highest_index.find(t.ack.session);
        const int64_t high = it == kept.highest_index.end() ? 0 : it->second;
        lost = t.ack.session >= oldest_kept_session && t.ack.index > high;
      }
      if (lost) {
        ++figures.lost;
        figures.worst_window = std::max(figures.worst_window, cut.cut - t.at);
      }
    }
    figures.acked += static_cast<int64_t>(cut.acks.size());
    figures.dropped_bytes += cut.dropped_bytes;
    ++figures.cycles;
    acked = check.recovered;
  }
  return figures;
}

void Print(const char* mode, const PowerCutFigures& f) {
  std::printf(
      "RESULT power_cut_test %s: %d cuts, %lld acknowledged writes, %lld lost, "
      "worst loss window %s, %lld unsynced bytes dropped\n",
      mode, f.cycles, static_cast<long long>(f.acked),
      static_cast<long long>(f.lost),
      absl::FormatDuration(f.worst_window).c_str(),
      static_cast<long long>(f.dropped_bytes));
}

TEST(PowerCutTest, FsyncModeLosesNothing) {
  DriverOptions options = durability::WorkloadOptions(Durability::kFsync);
  PowerCutFigures f = RunCycles(options, Cycles(), absl::Milliseconds(80));
  EXPECT_EQ(f.cycles, Cycles());
  EXPECT_GT(f.acked, Cycles());
  EXPECT_EQ(f.lost, 0);
  Print("fsync", f);
}

// Cuts in the default mode with the background sync every `interval`: every
// acknowledgement older than a sync must survive. Returns the figures.
PowerCutFigures CutBetweenBackgroundSyncs(absl::Duration interval,
                                          absl::Duration max_run) {
  DriverOptions options =
      durability::WorkloadOptions(Durability::kProcessCrash);
  options.background_sync_interval = interval;
  PowerCutFigures f = RunCycles(options, Cycles(), max_run);
  EXPECT_EQ(f.cycles, Cycles());
  // The loss is bounded by the sync interval (plus a sync's duration and
  // scheduling slack on a loaded machine).
  EXPECT_LT(f.worst_window, interval + absl::Milliseconds(400));
  Print(absl::StrCat("process_crash, background_sync_interval=",
                     absl::FormatDuration(interval))
            .c_str(),
        f);
  return f;
}

TEST(PowerCutTest, DefaultModeLosesOnlyTheLastSyncInterval) {
  // A short interval, so that many cuts fall between syncs.
  PowerCutFigures f = CutBetweenBackgroundSyncs(absl::Milliseconds(100),
                                                absl::Milliseconds(300));
  // The harness must see the loss that unsynced writes suffer.
  EXPECT_GT(f.lost, 0);
}

// The background sync runs while the cut makes a write fail. RocksDB 7.8's
// SyncWAL() aborts the process (an assertion Debian's build keeps) if it
// reaches a WAL writer that a concurrent write has just failed on; the
// engine's sync must therefore be ordered after such a write, not beside it.
// Syncing without pause puts a sync next to nearly every cut: before the
// fix this test aborted in about two runs of three at 100 cycles.
TEST(PowerCutTest, CutsDuringConstantBackgroundSyncsNeitherAbortNorLose) {
  CutBetweenBackgroundSyncs(absl::Microseconds(1), absl::Milliseconds(20));
}

TEST(PowerCutTest, DefaultIntervalBoundsTheLossToAboutOneSecond) {
  DriverOptions options =
      durability::WorkloadOptions(Durability::kProcessCrash);
  ASSERT_EQ(options.background_sync_interval, absl::Seconds(1));
  PowerCutFigures f = RunCycles(options, 8, absl::Milliseconds(2500));
  EXPECT_LT(f.worst_window, absl::Milliseconds(1400));
  Print("process_crash, background_sync_interval=1s (default)", f);
}

}  // namespace
}  // namespace sessionlog
