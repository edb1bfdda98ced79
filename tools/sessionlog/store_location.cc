#include "tools/sessionlog/store_location.h"

#include <postgresql/libpq-fe.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "tools/sessionlog/output.h"

namespace sessionlog {
namespace cli {
namespace {

bool HasPath(const StoreUri& uri) {
  return uri.scheme == StoreUri::Scheme::kRocksDb ||
         uri.scheme == StoreUri::Scheme::kSqlite;
}

// The server and database a Postgres URI connects to, as one string.
absl::StatusOr<std::string> PostgresIdentity(const std::string& uri) {
  std::unique_ptr<PGconn, void (*)(PGconn*)> conn(PQconnectdb(uri.c_str()),
                                                  PQfinish);
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    return absl::UnavailableError(
        absl::StrCat("cannot connect to tell whether the two stores are one: ",
                     PQerrorMessage(conn.get())));
  }
  // The system identifier names the cluster; where a role may not read it,
  // the start time and port of the server do as well in practice.
  for (const char* query :
       {"SELECT current_database(), system_identifier::text "
        "FROM pg_control_system()",
        "SELECT current_database(), pg_postmaster_start_time()::text || ':' "
        "|| current_setting('port')"}) {
    std::unique_ptr<PGresult, void (*)(PGresult*)> result(
        PQexec(conn.get(), query), PQclear);
    if (PQresultStatus(result.get()) == PGRES_TUPLES_OK &&
        PQntuples(result.get()) == 1) {
      return absl::StrCat(PQgetvalue(result.get(), 0, 1), "/",
                          PQgetvalue(result.get(), 0, 0));
    }
  }
  return absl::UnavailableError(absl::StrCat(
      "cannot tell which database ", uri, " is: ", PQerrorMessage(conn.get())));
}

// Up to three entries of a directory without a CURRENT file that are not
// files RocksDB or sessionlog write; none when it has a CURRENT (then it is
// a store, or the open says what else it is).
std::vector<std::string> ForeignFiles(const std::string& dir) {
  std::vector<std::string> foreign;
  std::error_code error;
  if (std::filesystem::exists(dir + "/CURRENT", error)) return foreign;
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    std::string name = entry.path().filename().string();
    bool ours = name == "LOCK" || name == "LOG" || name == "IDENTITY" ||
                name == "SESSIONLOG" || absl::StartsWith(name, "LOG.old.") ||
                absl::StartsWith(name, "MANIFEST-") ||
                absl::StartsWith(name, "OPTIONS-");
    for (const char* ext : {".sst", ".log", ".ldb", ".blob", ".dbtmp"}) {
      ours = ours || absl::EndsWith(name, ext);
    }
    if (!ours) foreign.push_back(Printable(name));
    if (foreign.size() == 3) break;
  }
  return foreign;
}

}  // namespace

std::optional<bool> LocationExists(const StoreUri& uri) {
  if (!HasPath(uri)) return std::nullopt;
  struct stat st;
  return stat(uri.location.c_str(), &st) == 0;
}

absl::Status CheckLocation(const StoreUri& uri, absl::string_view text,
                           bool creating) {
  if (!HasPath(uri)) return absl::OkStatus();
  struct stat st;
  if (stat(uri.location.c_str(), &st) != 0) {
    switch (errno) {
      case ENOENT:
        return absl::OkStatus();  // Nothing there; the open says the rest.
      case EACCES:
        return absl::PermissionDeniedError(
            absl::StrCat(text, ": ", std::strerror(errno),
                         " (a directory on the way cannot be searched by "
                         "this user)"));
      case ELOOP:
        return absl::FailedPreconditionError(
            absl::StrCat(text, ": ", std::strerror(errno),
                         " (the path goes through a loop of symbolic links)"));
      case ENOTDIR:
        return absl::FailedPreconditionError(
            absl::StrCat(text, ": ", std::strerror(errno),
                         " (a part of the path before the last is a file)"));
      default:
        return absl::OkStatus();  // The open reports it in its own words.
    }
  }
  if (uri.scheme == StoreUri::Scheme::kSqlite && S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(
        text,
        " is a directory, not a SQLite database file; give the file (for a "
        "directory store, use rocksdb:PATH)"));
  }
  if (creating && uri.scheme == StoreUri::Scheme::kRocksDb &&
      S_ISDIR(st.st_mode)) {
    std::vector<std::string> foreign = ForeignFiles(uri.location);
    if (!foreign.empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          text, " holds no store but other files (",
          absl::StrJoin(foreign, ", "),
          "); a new store goes in a new or empty directory, so that none of "
          "them is mixed with RocksDB's files: give another path"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> SameStore(absl::string_view a, absl::string_view b) {
  absl::StatusOr<StoreUri> first = ParseStoreUri(a);
  absl::StatusOr<StoreUri> second = ParseStoreUri(b);
  if (!first.ok()) return first.status();
  if (!second.ok()) return second.status();
  if (first->scheme != second->scheme) return false;
  switch (first->scheme) {
    case StoreUri::Scheme::kMemory:
      return false;  // Each open is a store of its own.
    case StoreUri::Scheme::kRocksDb:
    case StoreUri::Scheme::kSqlite: {
      struct stat x, y;
      if (stat(first->location.c_str(), &x) != 0 ||
          stat(second->location.c_str(), &y) != 0) {
        return false;  // A path with nothing there is no store yet.
      }
      return x.st_dev == y.st_dev && x.st_ino == y.st_ino;
    }
    case StoreUri::Scheme::kPostgres: {
      if (first->location == second->location) return true;
      absl::StatusOr<std::string> x = PostgresIdentity(first->location);
      if (!x.ok()) return x.status();
      absl::StatusOr<std::string> y = PostgresIdentity(second->location);
      if (!y.ok()) return y.status();
      return *x == *y;
    }
  }
  return false;
}

absl::StatusOr<bool> InsideStore(absl::string_view uri,
                                 const std::string& path) {
  absl::StatusOr<StoreUri> parsed = ParseStoreUri(uri);
  if (!parsed.ok()) return parsed.status();
  struct stat store, target;
  if (!HasPath(*parsed) || stat(parsed->location.c_str(), &store) != 0) {
    return false;
  }
  auto same = [&](const std::string& p) {
    return stat(p.c_str(), &target) == 0 && target.st_dev == store.st_dev &&
           target.st_ino == store.st_ino;
  };
  if (parsed->scheme == StoreUri::Scheme::kSqlite) return same(path);
  std::string parent = std::filesystem::path(path).parent_path().string();
  return same(parent.empty() ? "." : parent);
}

}  // namespace cli
}  // namespace sessionlog
