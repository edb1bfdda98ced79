// I/O errors: the k-th Append, Sync, Rename or Close fails, for every k that a
// scenario reaches (open a new store, write the durability workload, Flush,
// Compact, close). Whatever k hits, the calls return errors rather than
// abort, and the store reopens (without the fault) as a consistent state that
// holds every acknowledged write, and takes writes again. The sweep runs in
// the process: an abort anywhere fails the whole test.

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "engine/rocksdb/rocksdb_driver.h"
#include "gtest/gtest.h"
#include "tests/durability/workload.h"
#include "tests/fault/fault_fs.h"
#include "tests/testing/temp_dir.h"

namespace sessionlog {
namespace {

using durability::Ack;
using durability::Acked;

constexpr int kSteps = 60;

struct ScenarioResult {
  Acked acked;
  int64_t api_errors = 0;  // Calls that returned an error.
  int64_t injected = 0;    // Errors FaultFs injected.
  int64_t calls[4] = {0, 0, 0, 0};
};

// Runs the scenario on a new store at `path` with `fault` armed (nth = 0: no
// fault).
ScenarioResult RunScenario(const std::string& path, Durability durability,
                           const FaultFs::Fault& fault) {
  ScenarioResult result;
  auto fs = std::make_shared<FaultFs>();
  std::unique_ptr<rocksdb::Env> env = FaultFs::NewEnv(fs);
  if (fault.nth > 0) fs->FailNth(fault);
  {
    auto driver = OpenRocksDbDriverWithEnv(
        path, durability::WorkloadOptions(durability), env.get());
    if (!driver.ok()) {
      EXPECT_FALSE(driver.status().message().empty());
      ++result.api_errors;
    } else {
      auto writer = durability::Writer::Resume(**driver, 1);
      if (writer.ok()) {
        for (int i = 0; i < kSteps; ++i) {
          absl::Status s = writer->Step(
              **driver, [&](const Ack& ack) { result.acked.Apply(ack); });
          if (!s.ok()) ++result.api_errors;
        }
      } else {
        ++result.api_errors;
      }
      if (!(*driver)->Flush().ok()) ++result.api_errors;
      if (!(*driver)->Compact().ok()) ++result.api_errors;
    }
  }  // Closes the store, fault still armed.
  result.injected = fs->InjectedErrors();
  for (int op = 0; op < 4; ++op) {
    result.calls[op] = fs->Calls(static_cast<FaultFs::Op>(op));
  }
  return result;
}

struct SweepParam {
  FaultFs::Op op;
  Durability durability;
};

class IoErrorTest : public ::testing::TestWithParam<SweepParam> {};

TEST_P(IoErrorTest, EveryKthFailureLeavesAConsistentStore) {
  const SweepParam param = GetParam();
  // How many calls of this kind the scenario makes without faults.
  int64_t total;
  {
    TempDir dir;
    ScenarioResult clean =
        RunScenario(dir.Sub("store"), param.durability, {param.op, 0});
    total = clean.calls[static_cast<int>(param.op)];
    ASSERT_EQ(clean.api_errors, 0);
  }
  ASSERT_GT(total, 0) << OpName(param.op) << " never happens in the scenario";
  // Every k up to `dense`, then a stride, so that each sweep stays near
  // 2 * dense runs. IO_ERROR_DENSE (default 40) lowers it for slow builds
  // (sanitizers).
  int64_t dense = 40;
  if (const char* env = std::getenv("IO_ERROR_DENSE")) {
    absl::SimpleAtoi(env, &dense);
  }
  std::vector<int64_t> ks;
  for (int64_t k = 1; k <= total + 1;
       k += (k < dense ? 1 : 1 + total / dense)) {
    ks.push_back(k);
  }
  int64_t cases = 0, hit = 0, surfaced = 0;
  for (int64_t k : ks) {
    TempDir dir;
    const std::string path = dir.Sub("store");
    ScenarioResult run = RunScenario(path, param.durability,
                                     {param.op, k, FaultFs::ErrorKind::kIoError,
                                      FaultFs::Persistence::kTransient, ""});
    ++cases;
    if (run.injected > 0) ++hit;
    if (run.api_errors > 0) ++surfaced;

    // Reopen without the fault: consistent, nothing acknowledged lost.
    auto driver =
        OpenRocksDbDriver(path, durability::WorkloadOptions(param.durability));
    ASSERT_TRUE(driver.ok()) << OpName(param.op) << " #" << k
                             << ": reopen failed: " << driver.status();
    durability::CheckResult check = durability::Check(**driver, run.acked);
    ASSERT_TRUE(check.ok())
        << OpName(param.op) << " #" << k << ": " << check.Summary();
    // And it takes writes again.
    auto writer = durability::Writer::Resume(**driver, 2);
    ASSERT_TRUE(writer.ok()) << writer.status();
    for (int i = 0; i < 10; ++i) {
      ASSERT_TRUE(writer->Step(**driver, [](const Ack&) {}).ok())
          << OpName(param.op) << " #" << k << ": the reopened store refuses "
          << "writes";
    }
  }
  EXPECT_GT(hit, 0);
  std::printf(
      "RESULT io_error_test %s (%s): %lld calls in the scenario, %lld cases "
      "swept, %lld hit by the fault, %lld surfaced an error to the caller, 0 "
      "aborts, 0 inconsistent reopens\n",
      std::string(OpName(param.op)).c_str(),
      param.durability == Durability::kFsync ? "fsync" : "process_crash",
      static_cast<long long>(total), static_cast<long long>(cases),
      static_cast<long long>(hit), static_cast<long long>(surfaced));
}

INSTANTIATE_TEST_SUITE_P(
    Sweep, IoErrorTest,
    ::testing::Values(SweepParam{FaultFs::Op::kAppend,
                                 Durability::kProcessCrash},
                      SweepParam{FaultFs::Op::kAppend, Durability::kFsync},
                      SweepParam{FaultFs::Op::kSync, Durability::kFsync},
                      SweepParam{FaultFs::Op::kRename, Durability::kFsync},
                      SweepParam{FaultFs::Op::kClose, Durability::kFsync}),
    [](const auto& info) {
      return absl::StrCat(OpName(info.param.op),
                          info.param.durability == Durability::kFsync
                              ? "Fsync"
                              : "ProcessCrash");
    });

// Regression: this librocksdb asserts (aborts) in SyncWAL() once the WAL
// writer has seen an error, and the driver synced after a failed write in
// Flush(), in its background sync and on close.
TEST(IoErrorRegressionTest, FlushAfterAFailedLogAppendIsAnErrorNotAnAbort) {
  TempDir dir;
  auto fs = std::make_shared<FaultFs>();
  std::unique_ptr<rocksdb::Env> env = FaultFs::NewEnv(fs);
  DriverOptions options =
      durability::WorkloadOptions(Durability::kProcessCrash);
  auto driver = OpenRocksDbDriverWithEnv(dir.Sub("store"), options, env.get());
  ASSERT_TRUE(driver.ok()) << driver.status();
  ASSERT_TRUE((*driver)->InsertEvent(durability::MakeEvent(0, 1)).ok());
  fs->FailNth({FaultFs::Op::kAppend, 1, FaultFs::ErrorKind::kIoError,
               FaultFs::Persistence::kTransient, ".log"});
  EXPECT_FALSE((*driver)->InsertEvent(durability::MakeEvent(0, 2)).ok());
  absl::Status flush = (*driver)->Flush();
  EXPECT_FALSE(flush.ok());
  EXPECT_NE(flush.message().find("Reopen"), std::string::npos) << flush;
  driver->reset();  // Closing syncs too: must not abort either.
  auto reopened = OpenRocksDbDriver(dir.Sub("store"), options);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  auto last = (*reopened)->LastEvents(durability::SessionId(0), 10);
  ASSERT_TRUE(last.ok());
  ASSERT_FALSE(last->empty());
  EXPECT_EQ(last->front(), durability::MakeEvent(0, 1));
}

}  // namespace
}  // namespace sessionlog
