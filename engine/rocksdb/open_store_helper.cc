// For open_refusal_test: opens a rocksdb: store as an unprivileged user and
// prints the outcome, "<status code> <message>", on stdout.
//
//   open_store_helper write|read PATH
//
// Run as root, it first becomes nobody (uid and gid 65534), whom file modes
// bind; otherwise it runs as it is.

#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "absl/status/status.h"
#include "engine/rocksdb/rocksdb_driver.h"

int main(int argc, char** argv) {
  if (argc != 3 || (std::strcmp(argv[1], "write") != 0 &&
                    std::strcmp(argv[1], "read") != 0)) {
    std::fprintf(stderr, "usage: open_store_helper write|read PATH\n");
    return 2;
  }
  if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0)) {
    std::perror("open_store_helper: cannot become nobody");
    return 2;
  }
  sessionlog::DriverOptions options;
  options.read_only = std::strcmp(argv[1], "read") == 0;
  options.create_if_missing = false;
  auto store = sessionlog::OpenRocksDbDriver(argv[2], options);
  const absl::Status status = store.status();
  std::printf("%s %s\n", absl::StatusCodeToString(status.code()).c_str(),
              std::string(status.message()).c_str());
  return 0;
}
