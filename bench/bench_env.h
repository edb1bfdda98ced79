// What every benchmark binary needs from its surroundings: scratch
// directories it cleans up, the size of a store on disk, and the process's
// memory.

#ifndef SESSIONLOG_BENCH_BENCH_ENV_H_
#define SESSIONLOG_BENCH_BENCH_ENV_H_

#include <cstdint>
#include <string>

namespace sessionlog::bench {

// A fresh directory under $TEST_TMPDIR, $TMPDIR or /tmp, removed with
// everything in it when the object goes away.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Bytes of the regular files under `path` (recursively); 0 if it is missing.
int64_t DiskBytes(const std::string& path);

// Resident set size of this process now, and its peak (VmHWM), in bytes.
int64_t CurrentRssBytes();
int64_t PeakRssBytes();

}  // namespace sessionlog::bench

#endif  // SESSIONLOG_BENCH_BENCH_ENV_H_
