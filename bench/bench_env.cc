#include "bench/bench_env.h"

#include <stdlib.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>

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

}  // namespace sessionlog::bench
