#include "engine/rocksdb/rocksdb_driver.h"

namespace sessionlog {

absl::StatusOr<std::unique_ptr<SessionPersistDriver>> OpenRocksDbDriver(
    absl::string_view path, const DriverOptions& options) {
  return OpenRocksDbDriverWithEnv(path, options, nullptr);
}

absl::StatusOr<std::unique_ptr<SessionPersistDriver>> OpenRocksDbDriverWithEnv(
    absl::string_view path, const DriverOptions& options, rocksdb::Env* env) {
  return absl::UnimplementedError("rocksdb driver: being written");
}

}  // namespace sessionlog
