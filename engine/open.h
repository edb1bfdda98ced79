// Open(uri): one entry point that chooses a backend by URI, so that tools,
// tests and benchmarks treat every backend alike.
//
//   rocksdb:PATH            the embedded RocksDB event log (the default)
//   sqlite:FILE             SQLite, in the TS SDK's tables
//   postgresql://...        Postgres (also postgres://), in the TS SDK's tables
//   memory:                 in-process, nothing survives the process
//
// Errors: InvalidArgument for a malformed URI or unknown scheme (the message
// lists the schemes), or for options out of range; otherwise what the backend
// says (e.g. FailedPrecondition for a locked store, NotFound for a missing
// store with create_if_missing = false).

#ifndef SESSIONLOG_ENGINE_OPEN_H_
#define SESSIONLOG_ENGINE_OPEN_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "api/driver.h"
#include "api/options.h"

namespace sessionlog {

absl::StatusOr<std::unique_ptr<SessionPersistDriver>> Open(
    absl::string_view uri, const DriverOptions& options = DriverOptions());

// The parts of a store URI.
struct StoreUri {
  enum class Scheme { kRocksDb, kSqlite, kPostgres, kMemory };
  Scheme scheme;
  std::string location;  // Path, file, or the whole postgres connection URI.
};

// InvalidArgument naming what is wrong with `uri`.
absl::StatusOr<StoreUri> ParseStoreUri(absl::string_view uri);

}  // namespace sessionlog

#endif  // SESSIONLOG_ENGINE_OPEN_H_
