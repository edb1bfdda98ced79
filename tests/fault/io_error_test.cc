// I/O errors: the k-th file operation fails, for every k that a scenario
// reaches, and whatever k hits:
//  * the calls return errors rather than abort (the sweep runs in the
//    process: an abort anywhere fails the whole test);
//  * while the fault is still armed, reading the whole store back gives
//    exactly what was acknowledged, or a clear error: never wrong or missing
//    data;
//  * the store reopens (without the fault) as a consistent state that holds
//    every acknowledged write, and takes writes again.
//
// Faults: the k-th Append, Sync, Rename or Close fails once (transient); from
// the k-th Append/Sync/Rename/Close on, every one of them fails (persistent:
// a dead disk); the k-th read of a file, or every read from the k-th on,
// fails. Write faults hit a scenario that creates a store, writes the
// durability workload, reads it back, Flush()es, Compact()s and closes it.
// Read faults hit the same scenario on an existing store (tables and a log,
// written before the fault is armed), so that recovery reads too.

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
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
using Persistence = FaultFs::Persistence;

constexpr int kSteps = 60;

struct SweepParam {
  FaultFs::Op op;
  Durability durability;
  Persistence persistence = Persistence::kTransient;
  // The store exists before the fault is armed.
  bool existing_store = false;
  // Of the dense part of the sweep (below): the persistent and read sweeps
  // take half, to keep the test's run time modest.
  int density_percent = 100;
};

struct ScenarioResult {
  Acked acked;
  int64_t api_errors = 0;   // Calls that returned an error.
  int64_t read_errors = 0;  // Of those, reads of the armed read-back.
  int64_t injected = 0;     // Errors FaultFs injected.
  int64_t calls[FaultFs::kOpCount] = {};
  // What the armed read-back returned that it must not: wrong or missing
  // data, or an error that does not come from the fault.
  std::vector<std::string> wrong;
};

// A closed store at `path`: tables (after Compact) and a log with newer
// writes. Adds what was acknowledged to `acked`.
void BuildStore(const std::string& path, Durability durability, Acked* acked) {
  auto driver =
      OpenRocksDbDriver(path, durability::WorkloadOptions(durability));
  ASSERT_TRUE(driver.ok()) << driver.status();
  auto writer = durability::Writer::Resume(**driver, 3);
  ASSERT_TRUE(writer.ok()) << writer.status();
  auto write = [&](int steps) {
    for (int i = 0; i < steps; ++i) {
      ASSERT_TRUE(
          writer->Step(**driver, [&](const Ack& ack) { acked->Apply(ack); })
              .ok());
    }
  };
  write(kSteps);
  ASSERT_TRUE((*driver)->Compact().ok());
  write(kSteps / 2);
}

// Reads the store back with the fault armed: what it returns must be exactly
// what was acknowledged; what it cannot read must be an error from the fault.
void ReadBackArmed(SessionPersistDriver& driver, ScenarioResult* result) {
  durability::CheckResult check = durability::Check(driver, result->acked);
  for (const std::string& v : check.violations) {
    if (absl::StrContains(v, "fault injection")) {
      ++result->read_errors;
    } else {
      result->wrong.push_back(v);
    }
  }
  if (check.lost_sessions > 0 || check.lost_events > 0) {
    result->wrong.push_back(
        absl::StrCat("acknowledged writes missing: ", check.Summary()));
  }
  result->api_errors += result->read_errors;
}

// A store built once per sweep, copied for each case of an existing_store
// sweep.
struct Template {
  std::string path;
  Acked acked;
};

// Runs the scenario at `path` with the fault armed at its nth call (0: no
// fault), on a copy of `existing` if it is set, else on a new store.
ScenarioResult RunScenario(const std::string& path, const SweepParam& param,
                           int64_t nth, const Template* existing) {
  ScenarioResult result;
  if (existing != nullptr) {
    std::filesystem::copy(existing->path, path);
    result.acked = existing->acked;
  }
  auto fs = std::make_shared<FaultFs>();
  std::unique_ptr<rocksdb::Env> env = FaultFs::NewEnv(fs);
  if (nth > 0) {
    fs->FailNth(
        {param.op, nth, FaultFs::ErrorKind::kIoError, param.persistence, ""});
  }
  {
    auto driver = OpenRocksDbDriverWithEnv(
        path, durability::WorkloadOptions(param.durability), env.get());
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
      ReadBackArmed(**driver, &result);
      if (!(*driver)->Flush().ok()) ++result.api_errors;
      if (!(*driver)->Compact().ok()) ++result.api_errors;
    }
  }  // Closes the store, fault still armed.
  result.injected = fs->InjectedErrors();
  for (int op = 0; op < FaultFs::kOpCount; ++op) {
    result.calls[op] = fs->Calls(static_cast<FaultFs::Op>(op));
  }
  return result;
}

std::string ParamName(const SweepParam& param) {
  return absl::StrCat(
      OpName(param.op),
      param.persistence == Persistence::kPersistent ? "Persistent" : "",
      param.durability == Durability::kFsync ? "Fsync" : "ProcessCrash",
      param.existing_store ? "ExistingStore" : "");
}

class IoErrorTest : public ::testing::TestWithParam<SweepParam> {};

TEST_P(IoErrorTest, EveryKthFailureLeavesAConsistentStore) {
  const SweepParam param = GetParam();
  const std::string name = ParamName(param);
  TempDir template_dir;
  Template existing{template_dir.Sub("store"), {}};
  if (param.existing_store) {
    ASSERT_NO_FATAL_FAILURE(
        BuildStore(existing.path, param.durability, &existing.acked));
  }
  const Template* from = param.existing_store ? &existing : nullptr;
  // How many calls of this kind the scenario makes without faults.
  int64_t total;
  {
    TempDir dir;
    ScenarioResult clean = RunScenario(dir.Sub("store"), param, 0, from);
    total = clean.calls[static_cast<int>(param.op)];
    ASSERT_EQ(clean.api_errors, 0);
    ASSERT_TRUE(clean.wrong.empty()) << clean.wrong.front();
  }
  ASSERT_GT(total, 0) << OpName(param.op) << " never happens in the scenario";
  // Every k up to `dense`, then a stride, so that each sweep stays near
  // 2 * dense runs. IO_ERROR_DENSE (default 40) lowers it for slow builds
  // (sanitizers).
  int64_t dense = 40;
  if (const char* env = std::getenv("IO_ERROR_DENSE")) {
    absl::SimpleAtoi(env, &dense);
  }
  dense = std::max<int64_t>(1, dense * param.density_percent / 100);
  std::vector<int64_t> ks;
  for (int64_t k = 1; k <= total + 1;
       k += (k < dense ? 1 : 1 + total / dense)) {
    ks.push_back(k);
  }
  int64_t cases = 0, hit = 0, surfaced = 0, read_errors = 0;
  for (int64_t k : ks) {
    TempDir dir;
    const std::string path = dir.Sub("store");
    ScenarioResult run = RunScenario(path, param, k, from);
    ++cases;
    if (run.injected > 0) ++hit;
    if (run.api_errors > 0) ++surfaced;
    read_errors += run.read_errors;
    ASSERT_TRUE(run.wrong.empty())
        << name << " #" << k
        << ": read back while the fault was armed: " << run.wrong.front();

    // Reopen without the fault: consistent, nothing acknowledged lost.
    auto driver =
        OpenRocksDbDriver(path, durability::WorkloadOptions(param.durability));
    ASSERT_TRUE(driver.ok())
        << name << " #" << k << ": reopen failed: " << driver.status();
    durability::CheckResult check = durability::Check(**driver, run.acked);
    ASSERT_TRUE(check.ok()) << name << " #" << k << ": " << check.Summary();
    // And it takes writes again.
    auto writer = durability::Writer::Resume(**driver, 2);
    ASSERT_TRUE(writer.ok()) << writer.status();
    for (int i = 0; i < 10; ++i) {
      ASSERT_TRUE(writer->Step(**driver, [](const Ack&) {}).ok())
          << name << " #" << k << ": the reopened store refuses writes";
    }
  }
  EXPECT_GT(hit, 0);
  std::printf(
      "RESULT io_error_test %s: %lld calls in the scenario, %lld cases "
      "swept, %lld hit by the fault, %lld surfaced an error to the caller "
      "(%lld failed reads of the armed read-back), 0 wrong reads, 0 aborts, "
      "0 inconsistent reopens\n",
      name.c_str(), static_cast<long long>(total),
      static_cast<long long>(cases), static_cast<long long>(hit),
      static_cast<long long>(surfaced), static_cast<long long>(read_errors));
}

INSTANTIATE_TEST_SUITE_P(
    Sweep, IoErrorTest,
    ::testing::Values(
        // One failed call.
        SweepParam{FaultFs::Op::kAppend, Durability::kProcessCrash},
        SweepParam{FaultFs::Op::kAppend, Durability::kFsync},
        SweepParam{FaultFs::Op::kSync, Durability::kFsync},
        SweepParam{FaultFs::Op::kRename, Durability::kFsync},
        SweepParam{FaultFs::Op::kClose, Durability::kFsync},
        // A dead disk: every write from the k-th on.
        SweepParam{FaultFs::Op::kAnyWrite, Durability::kProcessCrash,
                   Persistence::kPersistent, false, 50},
        SweepParam{FaultFs::Op::kAnyWrite, Durability::kFsync,
                   Persistence::kPersistent, false, 50},
        // Failing reads, of a store that exists: once, and from the k-th on.
        SweepParam{FaultFs::Op::kRead, Durability::kProcessCrash,
                   Persistence::kTransient, true, 50},
        SweepParam{FaultFs::Op::kRead, Durability::kFsync,
                   Persistence::kPersistent, true, 50}),
    [](const auto& info) { return ParamName(info.param); });

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
