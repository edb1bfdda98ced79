// kill -9 at random moments: a child (crash_writer) writes the durability
// workload and acknowledges each write over a pipe; the parent kills it,
// reopens the store, and checks that every acknowledged write is there, that
// no limit is exceeded and that each session's events are contiguous. The
// store is reused from cycle to cycle, so recovery itself gets killed too.
//
// The negative control writes raw RocksDB without a WAL in the same harness
// and must lose acknowledged writes: it proves the harness can see loss.
//
// The rewind cycles do the same to a session that is appended to and rewound
// (rewind_workload.h).
//
// CRASH_CYCLES overrides the number of cycles per mode (default 300; the
// rewind cycles run a third as many).

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "engine/rocksdb/rocksdb_driver.h"
#include "gtest/gtest.h"
#include "tests/crash/control_store.h"
#include "tests/crash/rewind_workload.h"
#include "tests/durability/workload.h"
#include "tests/testing/temp_dir.h"

extern char** environ;

namespace sessionlog {
namespace {

using durability::Ack;
using durability::Acked;

std::string g_writer_path;  // From argv[1].

int Cycles() {
  int cycles = 300;
  const char* env = std::getenv("CRASH_CYCLES");
  if (env != nullptr) absl::SimpleAtoi(env, &cycles);
  return cycles;
}

struct CycleResult {
  std::vector<Ack> acks;
  bool killed = false;  // False: the child died by itself.
};

// Starts the writer, kills it at a random moment, and returns what it
// acknowledged.
CycleResult RunAndKill(const std::string& mode, const std::string& store,
                       uint64_t seed, absl::BitGen& rng) {
  CycleResult result;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) std::abort();
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 3);
  std::string seed_text = std::to_string(seed);
  std::vector<char*> argv = {
      g_writer_path.data(), const_cast<char*>(mode.c_str()),
      const_cast<char*>(store.c_str()), seed_text.data(), nullptr};
  pid_t pid;
  if (posix_spawn(&pid, g_writer_path.c_str(), &actions, nullptr, argv.data(),
                  environ) != 0) {
    std::abort();
  }
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);

  std::string bytes;
  auto read_available = [&](int timeout_ms) {
    pollfd p = {fds[0], POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0) return false;
    char buffer[4096];
    ssize_t n = read(fds[0], buffer, sizeof(buffer));
    if (n <= 0) return false;
    bytes.append(buffer, n);
    return true;
  };
  if (absl::Bernoulli(rng, 0.2)) {
    // Anywhere, including while the child opens and recovers the store.
    absl::SleepFor(absl::Milliseconds(absl::Uniform(rng, 0, 40)));
  } else {
    // Mid-write: after the first acknowledgement, then a while more.
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (bytes.empty() && absl::Now() < deadline) read_available(100);
    absl::SleepFor(absl::Microseconds(absl::Uniform(rng, 0, 40'000)));
  }
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  result.killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
  while (read_available(0)) {
  }
  close(fds[0]);
  for (size_t at = 0; at + 24 <= bytes.size(); at += 24) {
    int64_t record[3];
    memcpy(record, bytes.data() + at, sizeof(record));
    result.acks.push_back(
        {static_cast<Ack::Kind>(record[0]), record[1], record[2]});
  }
  return result;
}

class CrashTest : public ::testing::TestWithParam<Durability> {};

TEST_P(CrashTest, KillNineLosesNoAcknowledgedWrite) {
  const Durability durability = GetParam();
  const std::string mode =
      durability == Durability::kFsync ? "fsync" : "process_crash";
  TempDir dir;
  const std::string store = dir.Sub("store");
  absl::BitGen rng;
  Acked acked;
  int64_t acknowledged_writes = 0, checked = 0, mid_write_kills = 0;
  const int cycles = Cycles();
  for (int cycle = 0; cycle < cycles; ++cycle) {
    CycleResult run = RunAndKill(mode, store, cycle, rng);
    ASSERT_TRUE(run.killed)
        << "cycle " << cycle << ": the writer died by itself (see its stderr)";
    for (const Ack& ack : run.acks) acked.Apply(ack);
    acknowledged_writes += static_cast<int64_t>(run.acks.size());
    if (!run.acks.empty()) ++mid_write_kills;

    auto driver =
        OpenRocksDbDriver(store, durability::WorkloadOptions(durability));
    ASSERT_TRUE(driver.ok()) << "cycle " << cycle << ": " << driver.status();
    durability::CheckResult check = durability::Check(**driver, acked);
    ASSERT_TRUE(check.ok()) << "cycle " << cycle << ": " << check.Summary();
    checked += check.events_checked;
    acked = check.recovered;
  }
  // The test is only worth something if the kills landed among writes.
  EXPECT_GT(mid_write_kills, cycles / 2);
  EXPECT_GT(acknowledged_writes, cycles);
  std::printf(
      "RESULT crash_test %s: %d kill -9 cycles (%lld mid-write), %lld "
      "acknowledged writes, %lld events checked, 0 lost, 0 violations\n",
      mode.c_str(), cycles, static_cast<long long>(mid_write_kills),
      static_cast<long long>(acknowledged_writes),
      static_cast<long long>(checked));
}

INSTANTIATE_TEST_SUITE_P(Durability, CrashTest,
                         ::testing::Values(Durability::kProcessCrash,
                                           Durability::kFsync),
                         [](const auto& info) {
                           return info.param == Durability::kFsync
                                      ? "Fsync"
                                      : "ProcessCrash";
                         });

// Rewinds under kill -9: the reopened session is what the operations
// reported done made of it, or that and the one in flight; never events that
// a rewind or the limit dropped, and never a half-done rewind.
TEST_P(CrashTest, KillNineDuringRewindsLeavesWholeOperations) {
  const Durability durability = GetParam();
  const std::string mode =
      durability == Durability::kFsync ? "rewind_fsync" : "rewind";
  TempDir dir;
  const std::string store = dir.Sub("store");
  absl::BitGen rng;
  rewind_crash::Model model;
  int64_t rewinds = 0, in_flight_kills = 0;
  const int cycles = std::max(1, Cycles() / 3);
  for (int cycle = 0; cycle < cycles; ++cycle) {
    CycleResult run = RunAndKill(mode, store, cycle, rng);
    ASSERT_TRUE(run.killed)
        << "cycle " << cycle << ": the writer died by itself (see its stderr)";
    for (const Ack& ack : run.acks) {
      model.Report({ack.kind, ack.session, ack.index});
      if (static_cast<int64_t>(ack.kind) == rewind_crash::kRewound) {
        ++rewinds;
      }
    }
    if (model.in_flight) ++in_flight_kills;

    auto driver = OpenRocksDbDriver(store, rewind_crash::Options(durability));
    ASSERT_TRUE(driver.ok()) << "cycle " << cycle << ": " << driver.status();
    absl::StatusOr<rewind_crash::Log> recovered = rewind_crash::Read(**driver);
    ASSERT_TRUE(recovered.ok()) << recovered.status();
    std::string wrong = rewind_crash::Check(model, *recovered);
    ASSERT_EQ(wrong, "") << "cycle " << cycle;
    model.done = *std::move(recovered);
    model.in_flight.reset();
  }
  // Only worth something if kills landed among rewinds.
  EXPECT_GT(rewinds, cycles / 4);
  EXPECT_GT(in_flight_kills, cycles / 2);
  std::printf(
      "RESULT crash_test %s: %d kill -9 cycles (%lld with an operation in "
      "flight), %lld acknowledged rewinds, 0 violations\n",
      mode.c_str(), cycles, static_cast<long long>(in_flight_kills),
      static_cast<long long>(rewinds));
}

TEST(CrashControlTest, WritesWithoutWalAreLostByTheSameHarness) {
  TempDir dir;
  const std::string store = dir.Sub("control");
  absl::BitGen rng;
  int64_t lost = 0, acknowledged = 0;
  const int cycles = 20;
  for (int cycle = 0; cycle < cycles; ++cycle) {
    CycleResult run = RunAndKill("control_no_wal", store, cycle, rng);
    ASSERT_TRUE(run.killed);
    int64_t highest = 0;
    for (const Ack& ack : run.acks) highest = std::max(highest, ack.index);
    acknowledged += static_cast<int64_t>(run.acks.size());
    std::unique_ptr<rocksdb::DB> db;
    ASSERT_TRUE(OpenControlStore(store, &db).ok());
    lost += ControlMissing(*db, highest);
  }
  EXPECT_GT(lost, 0) << "the harness failed to see the loss of unlogged writes";
  std::printf(
      "RESULT crash_test control (raw RocksDB, disableWAL): %d cycles, %lld "
      "acknowledged writes, %lld lost\n",
      cycles, static_cast<long long>(acknowledged),
      static_cast<long long>(lost));
}

}  // namespace
}  // namespace sessionlog

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (argc < 2) {
    std::fprintf(stderr, "usage: crash_test PATH_TO_CRASH_WRITER\n");
    return 2;
  }
  sessionlog::g_writer_path = argv[1];
  return RUN_ALL_TESTS();
}
