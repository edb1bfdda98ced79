// What every benchmark binary needs from its surroundings: the size of a
// store on disk and the process's memory. Scratch directories are
// tests/testing/temp_dir.h's TempDir.

#ifndef SESSIONLOG_BENCH_BENCH_ENV_H_
#define SESSIONLOG_BENCH_BENCH_ENV_H_

#include <cstdint>
#include <string>

namespace sessionlog::bench {

// Bytes of the regular files under `path` (recursively); 0 if it is missing.
int64_t DiskBytes(const std::string& path);

// Resident set size of this process now, and its peak (VmHWM), in bytes.
int64_t CurrentRssBytes();
int64_t PeakRssBytes();

}  // namespace sessionlog::bench

#endif  // SESSIONLOG_BENCH_BENCH_ENV_H_
