#include "engine/open.h"

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/memory/memory_driver.h"
#include "engine/postgres/postgres_driver.h"
#include "engine/rocksdb/rocksdb_driver.h"
#include "engine/sqlite/sqlite_driver.h"

namespace sessionlog {
namespace {

constexpr char kSchemes[] =
    "rocksdb:PATH, sqlite:FILE, postgresql://..., or memory:";

absl::Status BadUri(absl::string_view uri, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("store URI \"", absl::CHexEscape(uri.substr(0, 200)),
                   "\": ", why, "; expected ", kSchemes));
}

}  // namespace

absl::StatusOr<StoreUri> ParseStoreUri(absl::string_view uri) {
  if (uri.find('\0') != absl::string_view::npos) {
    return BadUri(uri, "contains a NUL byte");
  }
  StoreUri parsed;
  if (absl::StartsWith(uri, "postgresql://") ||
      absl::StartsWith(uri, "postgres://")) {
    parsed.scheme = StoreUri::Scheme::kPostgres;
    parsed.location = std::string(uri);
    return parsed;
  }
  size_t colon = uri.find(':');
  if (colon == absl::string_view::npos) {
    return BadUri(uri, "has no scheme");
  }
  absl::string_view scheme = uri.substr(0, colon);
  absl::string_view rest = uri.substr(colon + 1);
  if (scheme == "memory") {
    if (!rest.empty()) return BadUri(uri, "memory: takes no location");
    parsed.scheme = StoreUri::Scheme::kMemory;
    return parsed;
  }
  if (scheme == "rocksdb") {
    parsed.scheme = StoreUri::Scheme::kRocksDb;
  } else if (scheme == "sqlite") {
    parsed.scheme = StoreUri::Scheme::kSqlite;
  } else {
    return BadUri(
        uri, absl::StrCat("unknown scheme \"", absl::CHexEscape(scheme), "\""));
  }
  if (rest.empty()) return BadUri(uri, "has no path after the scheme");
  parsed.location = std::string(rest);
  return parsed;
}

absl::StatusOr<std::unique_ptr<SessionPersistDriver>> Open(
    absl::string_view uri, const DriverOptions& options) {
  absl::StatusOr<StoreUri> parsed = ParseStoreUri(uri);
  if (!parsed.ok()) return parsed.status();
  if (absl::Status s = ValidateOptions(options); !s.ok()) return s;
  switch (parsed->scheme) {
    case StoreUri::Scheme::kMemory:
      return OpenMemoryDriver(options);
    case StoreUri::Scheme::kRocksDb:
      return OpenRocksDbDriver(parsed->location, options);
    case StoreUri::Scheme::kSqlite:
      return OpenSqliteDriver(parsed->location, options);
    case StoreUri::Scheme::kPostgres:
      return OpenPostgresDriver(parsed->location, options);
  }
  return absl::InternalError("unreachable: unknown store scheme");
}

}  // namespace sessionlog
