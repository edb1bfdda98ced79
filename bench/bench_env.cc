#include "bench/bench_env.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace sessionlog::bench {
namespace {

int64_t StatusField(const char* field) {
  FILE* f = fopen("/proc/self/status", "r");
  if (f == nullptr) return 0;
  char line[256];
  int64_t kib = 0;
  const size_t len = strlen(field);
  while (fgets(line, sizeof(line), f) != nullptr) {
    if (strncmp(line, field, len) == 0 && line[len] == ':') {
      kib = strtoll(line + len + 1, nullptr, 10);
      break;
    }
  }
  fclose(f);
  return kib * 1024;
}

}  // namespace

int64_t DiskBytes(const std::string& path) {
  std::error_code ec;
  int64_t total = 0;
  for (auto it = std::filesystem::recursive_directory_iterator(path, ec);
       !ec && it != std::filesystem::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->is_regular_file(ec)) total += it->file_size(ec);
  }
  return total;
}

int64_t CurrentRssBytes() { return StatusField("VmRSS"); }
int64_t PeakRssBytes() { return StatusField("VmHWM"); }

int64_t ProcessCpuMicros() {
  struct rusage usage;
  if (getrusage(RUSAGE_SELF, &usage) != 0) return 0;
  auto micros = [](const struct timeval& tv) {
    return static_cast<int64_t>(tv.tv_sec) * 1000000 + tv.tv_usec;
  };
  return micros(usage.ru_utime) + micros(usage.ru_stime);
}

int64_t StorageWriteBytes() {
  FILE* f = fopen("/proc/self/io", "r");
  if (f == nullptr) return -1;
  char line[256];
  int64_t bytes = -1;
  while (fgets(line, sizeof(line), f) != nullptr) {
    if (strncmp(line, "write_bytes:", 12) == 0) {
      bytes = strtoll(line + 12, nullptr, 10);
      break;
    }
  }
  fclose(f);
  return bytes;
}

absl::StatusOr<double> SequentialWriteBytesPerSecond(const std::string& dir,
                                                     int64_t bytes) {
  if (bytes <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("bytes to write must be positive, got ", bytes));
  }
  const std::string path = dir + "/sequential-write-probe";
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot create ", path, ": ", strerror(errno)));
  }
  // Not zeros: a compressing or deduplicating layer must not flatter it.
  std::vector<char> chunk(1 << 20);
  for (size_t i = 0; i < chunk.size(); ++i) {
    chunk[i] = static_cast<char>((i * 2654435761u) >> 13);
  }
  const auto start = std::chrono::steady_clock::now();
  absl::Status status;
  for (int64_t done = 0; done < bytes && status.ok();) {
    const size_t n = static_cast<size_t>(
        std::min<int64_t>(static_cast<int64_t>(chunk.size()), bytes - done));
    const ssize_t written = write(fd, chunk.data(), n);
    if (written <= 0) {
      status = absl::UnavailableError(
          absl::StrCat("cannot write ", path, ": ", strerror(errno)));
    } else {
      done += written;
    }
  }
  if (status.ok() && fdatasync(fd) != 0) {
    status = absl::UnavailableError(
        absl::StrCat("cannot sync ", path, ": ", strerror(errno)));
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  close(fd);
  unlink(path.c_str());
  if (!status.ok()) return status;
  return bytes / seconds;
}

}  // namespace sessionlog::bench
