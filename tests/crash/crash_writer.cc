// The child of crash_test: opens a store, writes the durability workload
// forever, and reports every acknowledged write to its parent on fd 3 as
// three little-endian int64s (kind, session, index), written after the call
// returned OK. The parent kills it with SIGKILL at a random moment.
//
//   crash_writer process_crash|fsync STORE SEED
//   crash_writer rewind|rewind_fsync STORE SEED
//   crash_writer control_no_wal STORE SEED
//
// rewind appends to one session and rewinds it (rewind_workload.h), reporting
// each operation before and after it.
//
// control_no_wal is the negative control: raw RocksDB Puts with the WAL
// disabled, which kill -9 must lose. sessionlog has no switch that turns its
// WAL off, so the control writes RocksDB directly, in the same harness.

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>

#include "absl/random/random.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "engine/rocksdb/rocksdb_driver.h"
#include "rocksdb/db.h"
#include "tests/crash/control_store.h"
#include "tests/crash/rewind_workload.h"
#include "tests/durability/workload.h"

namespace sessionlog {
namespace {

constexpr int kAckFd = 3;

void SendAck(int64_t kind, int64_t session, int64_t index) {
  int64_t record[3] = {kind, session, index};
  // At most PIPE_BUF bytes: the kernel writes it whole or not at all.
  if (write(kAckFd, record, sizeof(record)) != sizeof(record)) std::_Exit(3);
}

int RunEngine(const std::string& store, Durability durability, uint64_t seed) {
  auto driver =
      OpenRocksDbDriver(store, durability::WorkloadOptions(durability));
  if (!driver.ok()) {
    std::fprintf(stderr, "open: %s\n", driver.status().ToString().c_str());
    return 1;
  }
  auto writer = durability::Writer::Resume(**driver, seed);
  if (!writer.ok()) {
    std::fprintf(stderr, "resume: %s\n", writer.status().ToString().c_str());
    return 1;
  }
  while (true) {
    absl::Status s = writer->Step(**driver, [](const durability::Ack& ack) {
      SendAck(ack.kind, ack.session, ack.index);
    });
    if (!s.ok()) {
      std::fprintf(stderr, "write: %s\n", s.ToString().c_str());
      return 1;
    }
  }
}

int RunRewinds(const std::string& store, Durability durability, uint64_t seed) {
  auto driver = OpenRocksDbDriver(store, rewind_crash::Options(durability));
  if (!driver.ok()) {
    std::fprintf(stderr, "open: %s\n", driver.status().ToString().c_str());
    return 1;
  }
  absl::StatusOr<rewind_crash::Log> log = rewind_crash::Read(**driver);
  if (!log.ok()) {
    std::fprintf(stderr, "read: %s\n", log.status().ToString().c_str());
    return 1;
  }
  absl::BitGen rng(std::seed_seq{seed});
  // Unique across restarts, so that a rewound event written again differs.
  int64_t seq = absl::ToUnixMicros(absl::Now());
  while (true) {
    absl::Status s = rewind_crash::Step(
        **driver, rng, seq, *log,
        [](const rewind_crash::Op& op) { SendAck(op.kind, op.a, op.b); });
    if (!s.ok()) {
      std::fprintf(stderr, "write: %s\n", s.ToString().c_str());
      return 1;
    }
  }
}

int RunControl(const std::string& store) {
  std::unique_ptr<rocksdb::DB> db;
  rocksdb::Status s = OpenControlStore(store, &db);
  if (!s.ok()) {
    std::fprintf(stderr, "open: %s\n", s.ToString().c_str());
    return 1;
  }
  int64_t next = ControlHighest(*db) + 1;
  rocksdb::WriteOptions no_wal;
  no_wal.disableWAL = true;
  while (true) {
    s = db->Put(no_wal, ControlKey(next), ControlValue(next));
    if (!s.ok()) return 1;
    SendAck(durability::Ack::kEvents, 0, next);
    ++next;
  }
}

}  // namespace
}  // namespace sessionlog

int main(int argc, char** argv) {
  uint64_t seed = 0;
  if (argc != 4 || !absl::SimpleAtoi(argv[3], &seed)) {
    std::fprintf(stderr, "usage: crash_writer MODE STORE SEED\n");
    return 2;
  }
  const std::string mode = argv[1];
  if (mode == "process_crash") {
    return sessionlog::RunEngine(argv[2], sessionlog::Durability::kProcessCrash,
                                 seed);
  }
  if (mode == "fsync") {
    return sessionlog::RunEngine(argv[2], sessionlog::Durability::kFsync, seed);
  }
  if (mode == "rewind") {
    return sessionlog::RunRewinds(argv[2],
                                  sessionlog::Durability::kProcessCrash, seed);
  }
  if (mode == "rewind_fsync") {
    return sessionlog::RunRewinds(argv[2], sessionlog::Durability::kFsync,
                                  seed);
  }
  if (mode == "control_no_wal") return sessionlog::RunControl(argv[2]);
  std::fprintf(stderr, "unknown mode %s\n", mode.c_str());
  return 2;
}
