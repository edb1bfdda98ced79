#include "engine/sqlite/sqlite_driver.h"

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "engine/sql/connection_pool.h"
#include "engine/sql/sql_backend.h"
#include "engine/sql/sql_driver.h"
#include "engine/sql/statements.h"
#include "engine/sqlite/sqlite_connection.h"

namespace sessionlog {
namespace {

// Readers beyond this wait for one another; WAL lets them all run beside the
// one writer.
constexpr int kMaxReaders = 4;

// Whether the database at `path` is a store, from its tables: one with the
// `sessions` or `events` table (sessionlog's, or the TS driver's, which are
// the same) is; one with no table at all (a new or 0-byte file) is an empty
// place that only a write may make a store (NotFound for a read); one that
// holds only other tables is another application's database, which
// sessionlog neither reads as a store nor writes into (FailedPrecondition).
absl::Status CheckHoldsAStore(SqliteConnection& connection,
                              const std::string& path, bool creating) {
  absl::StatusOr<std::vector<std::string>> tables = connection.QueryText(
      "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
  if (!tables.ok()) return tables.status();
  for (const std::string& table : *tables) {
    if (table == "sessions" || table == "events") return absl::OkStatus();
  }
  if (tables->empty()) {
    if (creating) return absl::OkStatus();
    return absl::NotFoundError(
        absl::StrCat("sqlite:", path, ": an empty database, no store yet"));
  }
  std::vector<std::string> shown(
      tables->begin(), tables->begin() + std::min<size_t>(tables->size(), 3));
  return absl::FailedPreconditionError(absl::StrCat(
      "sqlite:", path,
      ": not a session store: the database holds other tables (",
      absl::StrJoin(shown, ", "), tables->size() > 3 ? ", ..." : "",
      ") and no sessions or events table; sessionlog does not write into "
      "another application's database: give another file"));
}

class SqliteBackend final : public SqlBackend {
 public:
  SqliteBackend(std::string path, const DriverOptions& options)
      : path_(std::move(path)),
        options_(options),
        synchronous_(options.durability == Durability::kFsync ? "FULL"
                                                              : "NORMAL") {}

  ~SqliteBackend() override {
    {
      absl::MutexLock lock(&sync_mu_);
      stopping_ = true;
    }
    if (sync_thread_.joinable()) sync_thread_.join();
  }

  absl::Status Open() {
    struct stat st;
    const bool exists = ::stat(path_.c_str(), &st) == 0;
    if (!exists && (!options_.create_if_missing || options_.read_only)) {
      return absl::NotFoundError(absl::StrCat(
          "sqlite:", path_, ": no such file (create_if_missing is off)"));
    }
    if (options_.read_only) {
      // Reads work on the tables as they are, also as an older TS driver
      // made them, without changing them: learn which columns they have.
      // (Fails here, not at the first call, on a file that is no database.)
      absl::StatusOr<std::unique_ptr<SqliteConnection>> probe = NewReader();
      if (!probe.ok()) return probe.status();
      if (absl::Status s = CheckHoldsAStore(**probe, path_, /*creating=*/false);
          !s.ok()) {
        return s;
      }
      absl::StatusOr<std::vector<std::string>> columns =
          (*probe)->QueryText(TableColumnsQuery(dialect_));
      if (!columns.ok()) return columns.status();
      // Readers are made from here on, for these columns.
      dialect_.missing_columns = MissingColumns(dialect_, *columns);
      return absl::OkStatus();
    }
    absl::StatusOr<std::unique_ptr<SqliteConnection>> writer =
        SqliteConnection::Open(path_, /*read_only=*/false, synchronous_,
                               dialect_);
    if (!writer.ok()) return writer.status();
    // Before anything is written: switching to WAL already changes the
    // file's header.
    if (absl::Status s =
            CheckHoldsAStore(**writer, path_, options_.create_if_missing);
        !s.ok()) {
      return s;
    }
    absl::MutexLock lock(&writer_mu_);
    writer_ = *std::move(writer);
    if (absl::Status s = writer_->Exec("PRAGMA journal_mode=WAL"); !s.ok()) {
      return s;
    }
    if (absl::Status s = CreateSchema(); !s.ok()) return s;
    if (options_.durability == Durability::kProcessCrash &&
        options_.background_sync_interval > absl::ZeroDuration()) {
      sync_thread_ = std::thread([this] { SyncLoop(); });
    }
    return absl::OkStatus();
  }

  absl::Status InTransaction(
      Mode mode,
      absl::FunctionRef<absl::Status(SqlTransaction&)> body) override {
    if (mode == Mode::kWrite) {
      absl::MutexLock lock(&writer_mu_);
      if (writer_ == nullptr) {
        return absl::FailedPreconditionError(absl::StrCat(
            "sqlite:", path_, ": opened read_only; writes are refused"));
      }
      absl::Status s = writer_->InTransaction(mode, body);
      unsynced_writes_ = true;
      return s;
    }
    absl::StatusOr<std::unique_ptr<SqliteConnection>> reader = Acquire();
    if (!reader.ok()) return reader.status();
    absl::Status s = (*reader)->InTransaction(mode, body);
    Release(*std::move(reader));
    return s;
  }

  absl::StatusOr<int64_t> DiskBytes() override {
    return FileSize(path_) + FileSize(path_ + "-wal");
  }

  absl::Status Flush() override {
    // Every committed transaction is in the WAL or, once checkpointed, in the
    // database file: syncing both makes all of them durable. Through the
    // writer's own handles (SyncFiles says why never through a descriptor
    // of ours). A read-only store has written nothing to make durable.
    absl::MutexLock lock(&writer_mu_);
    if (writer_ == nullptr) return absl::OkStatus();
    return writer_->SyncFiles();
  }

  absl::Status CheckIntegrity() override {
    absl::StatusOr<std::unique_ptr<SqliteConnection>> reader = Acquire();
    if (!reader.ok()) return reader.status();
    absl::StatusOr<std::vector<std::string>> lines =
        (*reader)->QueryText("PRAGMA integrity_check");
    Release(*std::move(reader));
    if (!lines.ok()) return lines.status();
    std::vector<std::string> problems;
    for (const std::string& line : *lines) {
      if (line != "ok" && problems.size() < 10) problems.push_back(line);
    }
    if (!problems.empty()) {
      return absl::DataLossError(absl::StrCat(
          "sqlite:", path_, ": PRAGMA integrity_check found corruption: ",
          absl::StrJoin(problems, "; ")));
    }
    return absl::OkStatus();
  }

  absl::Status Compact() override {
    absl::MutexLock lock(&writer_mu_);
    if (writer_ == nullptr) {
      return absl::FailedPreconditionError("opened read_only");
    }
    // VACUUM rewrites the file without the deleted rows; the checkpoint then
    // empties the WAL that VACUUM filled.
    if (absl::Status s = writer_->Exec("VACUUM"); !s.ok()) return s;
    return writer_->Exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }

  // The statements' dialect: which columns the tables have.
  const SqlDialect& dialect() const { return dialect_; }

 private:
  static int64_t FileSize(const std::string& file) {
    struct stat st;
    return ::stat(file.c_str(), &st) == 0 ? st.st_size : 0;
  }

  absl::Status CreateSchema() ABSL_EXCLUSIVE_LOCKS_REQUIRED(writer_mu_) {
    return writer_->InTransaction(
        Mode::kWrite, [&](SqlTransaction&) { return CreateSchemaIn(); });
  }

  absl::Status CreateSchemaIn() ABSL_EXCLUSIVE_LOCKS_REQUIRED(writer_mu_) {
    // Tables first, then any column an older TS driver did not create, then
    // the indexes (which may name those columns).
    std::vector<std::string> indexes;
    for (const std::string& sql : SchemaStatements(dialect_)) {
      if (!absl::StartsWith(sql, "CREATE TABLE")) {
        indexes.push_back(sql);
        continue;
      }
      if (absl::Status s = writer_->Exec(sql); !s.ok()) return s;
    }
    for (const char* table : {"sessions", "events"}) {
      absl::StatusOr<std::vector<std::string>> columns = writer_->QueryText(
          absl::StrCat("SELECT name FROM pragma_table_info('", table, "')"));
      if (!columns.ok()) return columns.status();
      for (const std::string& sql :
           AddMissingColumns(dialect_, table, *columns)) {
        if (absl::Status s = writer_->Exec(sql); !s.ok()) return s;
      }
    }
    for (const std::string& sql : indexes) {
      absl::Status s = writer_->Exec(sql);
      if (absl::IsAlreadyExists(s)) return DuplicateEventIndexesError(s);
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::unique_ptr<SqliteConnection>> NewReader() {
    return SqliteConnection::Open(path_, /*read_only=*/true, synchronous_,
                                  dialect_);
  }

  absl::StatusOr<std::unique_ptr<SqliteConnection>> Acquire() {
    return readers_.Acquire([this] { return NewReader(); });
  }

  void Release(std::unique_ptr<SqliteConnection> c) {
    readers_.Release(std::move(c));
  }

  // Bounds what a power cut can lose under synchronous=NORMAL.
  void SyncLoop() {
    absl::MutexLock lock(&sync_mu_);
    while (!sync_mu_.AwaitWithTimeout(absl::Condition(&stopping_),
                                      options_.background_sync_interval)) {
      sync_mu_.Unlock();
      // An idle store costs no fsync.
      if (unsynced_writes_.exchange(false)) Flush().IgnoreError();
      sync_mu_.Lock();
    }
  }

  const std::string path_;
  const DriverOptions options_;
  const char* const synchronous_;
  // Set while opening, before any reader is made; constant afterwards.
  SqlDialect dialect_{SqlDialect::Kind::kSqlite, ""};

  // The one writing connection; write transactions serialize on it (and,
  // across processes, on SQLite's write lock).
  absl::Mutex writer_mu_;
  std::unique_ptr<SqliteConnection> writer_ ABSL_GUARDED_BY(writer_mu_);

  // Read-only connections, opened on demand.
  ConnectionPool<SqliteConnection> readers_{kMaxReaders};

  std::atomic<bool> unsynced_writes_{false};
  absl::Mutex sync_mu_;
  bool stopping_ ABSL_GUARDED_BY(sync_mu_) = false;
  std::thread sync_thread_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<SessionPersistDriver>> OpenSqliteDriver(
    absl::string_view path, const DriverOptions& options) {
  if (absl::Status s = ValidateOptions(options); !s.ok()) return s;
  if (path.empty() || path.find('\0') != absl::string_view::npos) {
    return absl::InvalidArgumentError(
        "sqlite path: must be a non-empty file name without NUL bytes");
  }
  if (path == ":memory:") {
    // Every connection (the writer, each pooled reader) would open a
    // database of its own, so reads would not see the writes.
    return absl::InvalidArgumentError(
        "sqlite path \":memory:\": SQLite gives each connection its own "
        "in-memory database, and this backend reads through other connections "
        "than it writes through; use the memory: store for an in-process "
        "store, or a file");
  }
  auto backend = std::make_unique<SqliteBackend>(std::string(path), options);
  if (absl::Status s = backend->Open(); !s.ok()) return s;
  const SqlDialect dialect = backend->dialect();
  return NewSqlDriver(options, dialect, std::move(backend));
}

}  // namespace sessionlog
