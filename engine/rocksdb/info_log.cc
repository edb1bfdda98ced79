#include "engine/rocksdb/info_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdarg>
#include <cstdio>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace sessionlog {
namespace {

class ErrorTolerantLogger final : public rocksdb::Logger {
 public:
  explicit ErrorTolerantLogger(int fd) : fd_(fd) {}
  ~ErrorTolerantLogger() override {
    if (fd_ >= 0) close(fd_);
  }

  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    if (fd_ < 0) return;
    char line[4096];
    std::string stamp = absl::FormatTime("%Y/%m/%d-%H:%M:%E6S ", absl::Now(),
                                         absl::LocalTimeZone());
    int n = std::vsnprintf(line, sizeof(line) - 1, format, ap);
    if (n < 0) return;
    size_t size = std::min<size_t>(n, sizeof(line) - 2);
    line[size++] = '\n';
    stamp.append(line, size);
    // O_APPEND and a single write: lines from concurrent threads never
    // interleave. The result is ignored on purpose (see info_log.h).
    ssize_t ignored = write(fd_, stamp.data(), stamp.size());
    (void)ignored;
  }

 private:
  const int fd_;
};

}  // namespace

std::shared_ptr<rocksdb::Logger> OpenErrorTolerantInfoLog(
    const std::string& dir) {
  const std::string path = dir + "/LOG";
  std::rename(path.c_str(), (path + ".old").c_str());  // Missing is fine.
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  return std::make_shared<ErrorTolerantLogger>(fd);
}

}  // namespace sessionlog
