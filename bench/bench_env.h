// What every benchmark binary needs from its surroundings: the size of a
// store on disk, the process's memory, CPU time and writes, and the disk's
// own speed. Scratch directories are tests/testing/temp_dir.h's TempDir.

#ifndef SESSIONLOG_BENCH_BENCH_ENV_H_
#define SESSIONLOG_BENCH_BENCH_ENV_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace sessionlog::bench {

// Bytes of the regular files under `path` (recursively); 0 if it is missing.
int64_t DiskBytes(const std::string& path);

// Resident set size of this process now, and its peak (VmHWM), in bytes.
int64_t CurrentRssBytes();
int64_t PeakRssBytes();

// CPU time (user + system) of every thread of this process so far, in
// microseconds: an engine's background threads (flushes, compactions) count.
int64_t ProcessCpuMicros();

// Bytes this process has caused to be written to storage so far
// (/proc/self/io write_bytes: counted when pages are dirtied, so a WAL, a
// flush and a compaction all count, whenever the kernel writes them back).
// -1 where the kernel does not report it.
int64_t StorageWriteBytes();

// Writes `bytes` to a new file in `dir` in 1 MiB writes, then fdatasync()s
// it, and returns bytes per second over the whole (the sequential write
// bandwidth the storage under `dir` gives a plain file); removes the file.
absl::StatusOr<double> SequentialWriteBytesPerSecond(const std::string& dir,
                                                     int64_t bytes);

}  // namespace sessionlog::bench

#endif  // SESSIONLOG_BENCH_BENCH_ENV_H_
