// How far each peer's appends are from the machine's physical limits (issue
// 15, target 6): the bytes they write against the disk's sequential
// bandwidth measured in the same run, and the CPU each append costs, split
// into RocksDB's share (the raw-rocksdb peer's Puts of the same bytes) and
// the engine's own.

#ifndef SESSIONLOG_BENCH_COMPARE_REPORT_LIMITS_H_
#define SESSIONLOG_BENCH_COMPARE_REPORT_LIMITS_H_

#include <string>

#include "nlohmann/json.hpp"

namespace sessionlog::bench {

// The "Distance to the physical limit" section of results.md, from the
// standard phase's append_cpu_us and append_write_bytes and the machine's
// disk_seq_write_bytes_per_s; empty when the standard phase did not run.
std::string PhysicalLimitSection(const nlohmann::json& all);

}  // namespace sessionlog::bench

#endif  // SESSIONLOG_BENCH_COMPARE_REPORT_LIMITS_H_
