#include "tools/sessionlog/store_location.h"

#include <postgresql/libpq-fe.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

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

// The files SQLite keeps beside a database and writes as part of it: its
// write-ahead log, the log's index and the rollback journal.
constexpr const char* kSqliteSideSuffixes[] = {"-wal", "-shm", "-journal"};

// The database whose side file `path` is, when that database exists.
std::optional<std::string> SqliteDatabaseOf(const std::string& path) {
  for (const char* suffix : kSqliteSideSuffixes) {
    if (!absl::EndsWith(path, suffix)) continue;
    std::string database = path.substr(0, path.size() - strlen(suffix));
    struct stat st;
    if (!database.empty() && stat(database.c_str(), &st) == 0 &&
        S_ISREG(st.st_mode)) {
      return database;
    }
  }
  return std::nullopt;
}

bool SameObject(const std::string& a, const std::string& b) {
  struct stat x, y;
  return stat(a.c_str(), &x) == 0 && stat(b.c_str(), &y) == 0 &&
         x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

}  // namespace

std::string ResolvePath(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code error;
  fs::path p = fs::absolute(path, error);
  if (error) return path;
  // A chain of links ends where lstat finds no link; a loop is left to the
  // open that follows, which reports ELOOP.
  for (int hops = 0; hops < 40; ++hops) {
    struct stat st;
    if (lstat(p.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) break;
    char target[PATH_MAX];
    ssize_t n = readlink(p.c_str(), target, sizeof(target) - 1);
    if (n < 0) return path;
    fs::path next(std::string(target, static_cast<size_t>(n)));
    p = next.is_absolute() ? next : p.parent_path() / next;
  }
  fs::path resolved = fs::weakly_canonical(p, error);
  return error ? p.lexically_normal().string() : resolved.string();
}

std::optional<bool> LocationExists(const StoreUri& uri) {
  if (!HasPath(uri)) return std::nullopt;
  struct stat st;
  return stat(uri.location.c_str(), &st) == 0;
}

absl::Status CheckLocation(const StoreUri& uri, absl::string_view text,
                           bool creating) {
  if (!HasPath(uri)) return absl::OkStatus();
  // Whether or not the side file exists yet (SQLite removes an empty one).
  if (uri.scheme == StoreUri::Scheme::kSqlite) {
    if (std::optional<std::string> database =
            SqliteDatabaseOf(ResolvePath(uri.location))) {
      return absl::FailedPreconditionError(absl::StrCat(
          text, " is a file SQLite keeps beside the database ",
          Printable(*database),
          " as part of it, not a database: give the database file"));
    }
  }
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
  if (HasPath(*first) && HasPath(*second)) {
    // A store inside the other shares files with it whatever the schemes:
    // writing one writes the other.
    if (SameObject(first->location, second->location)) return true;
    for (const auto& [store, path] :
         {std::pair(a, second->location), std::pair(b, first->location)}) {
      absl::StatusOr<bool> inside = InsideStore(store, path);
      if (!inside.ok()) return inside.status();
      if (*inside) return true;
    }
    return false;
  }
  if (first->scheme != second->scheme) return false;
  switch (first->scheme) {
    case StoreUri::Scheme::kMemory:
      return false;  // Each open is a store of its own.
    case StoreUri::Scheme::kRocksDb:
    case StoreUri::Scheme::kSqlite:
      break;  // Below, with the stores of another scheme.
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
  struct stat st;
  if (!HasPath(*parsed) || stat(parsed->location.c_str(), &st) != 0) {
    return false;
  }
  const std::string store = ResolvePath(parsed->location);
  const std::filesystem::path target = ResolvePath(path);
  if (parsed->scheme == StoreUri::Scheme::kSqlite) {
    // A hard link to the database (or a side file) is the same file.
    if (target == store || SameObject(target, store)) return true;
    for (const char* suffix : kSqliteSideSuffixes) {
      const std::string file = store + suffix;
      if (target == file || SameObject(target, file)) return true;
    }
    return false;
  }
  // The directory, or any directory on the way down to the target.
  for (std::filesystem::path p = target; !p.empty(); p = p.parent_path()) {
    if (p == store || SameObject(p, store)) return true;
    if (p == p.parent_path()) break;
  }
  return false;
}

}  // namespace cli
}  // namespace sessionlog
