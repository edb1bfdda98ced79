#include "engine/sqlite/sqlite_driver.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cmath>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "engine/sql/sql_backend.h"
#include "engine/sql/sql_driver.h"
#include "engine/sql/statements.h"

namespace sessionlog {
namespace {

constexpr int kBusyTimeoutMs = 5000;

class SqliteBackend final : public SqlBackend, private SqlTransaction {
 public:
  SqliteBackend(std::string path, const DriverOptions& options)
      : path_(std::move(path)), options_(options) {
    for (int i = 0; i < kStmtCount; ++i) {
      texts_[i] = StatementText(dialect_, static_cast<Stmt>(i));
    }
  }

  ~SqliteBackend() override {
    {
      absl::MutexLock lock(&sync_mu_);
      stopping_ = true;
    }
    if (sync_thread_.joinable()) sync_thread_.join();
    for (sqlite3_stmt* stmt : prepared_) sqlite3_finalize(stmt);
    if (db_ != nullptr) sqlite3_close_v2(db_);
  }

  absl::Status Open() {
    struct stat st;
    const bool exists = ::stat(path_.c_str(), &st) == 0;
    if (!exists && (!options_.create_if_missing || options_.read_only)) {
      return absl::NotFoundError(
          absl::StrCat(Name(), ": no such file (create_if_missing is off)"));
    }
    int flags = SQLITE_OPEN_NOMUTEX;
    flags |= options_.read_only ? SQLITE_OPEN_READONLY
                                : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    int rc = sqlite3_open_v2(path_.c_str(), &db_, flags, nullptr);
    if (rc != SQLITE_OK) return Error(rc, "opening the file");
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, kBusyTimeoutMs);
    const char* sync =
        options_.durability == Durability::kFsync ? "FULL" : "NORMAL";
    if (!options_.read_only) {
      if (absl::Status s = Exec("PRAGMA journal_mode=WAL"); !s.ok()) return s;
    }
    if (absl::Status s = Exec(absl::StrCat("PRAGMA synchronous=", sync));
        !s.ok()) {
      return s;
    }
    if (!options_.read_only) {
      if (absl::Status s = CreateSchema(); !s.ok()) return s;
      if (options_.durability == Durability::kProcessCrash &&
          options_.background_sync_interval > absl::ZeroDuration()) {
        sync_thread_ = std::thread([this] { SyncLoop(); });
      }
    }
    return absl::OkStatus();
  }

  absl::Status InTransaction(
      Mode mode,
      absl::FunctionRef<absl::Status(SqlTransaction&)> body) override {
    absl::MutexLock lock(&mu_);
    if (absl::Status s =
            Exec(mode == Mode::kWrite ? "BEGIN IMMEDIATE" : "BEGIN");
        !s.ok()) {
      return s;
    }
    absl::Status s = body(*this);
    if (s.ok()) {
      s = Exec("COMMIT");
      if (s.ok()) return s;
    }
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    return s;
  }

  absl::StatusOr<int64_t> DiskBytes() override {
    return FileSize(path_) + FileSize(path_ + "-wal");
  }

  absl::Status Flush() override {
    // Every committed transaction is in the WAL or, once checkpointed, in the
    // database file: syncing both makes all of them durable.
    for (const std::string& file : {path_ + "-wal", path_}) {
      int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) continue;  // No WAL yet: nothing to sync there.
      int rc = ::fsync(fd);
      ::close(fd);
      if (rc != 0) {
        return absl::InternalError(absl::StrCat("fsync of ", file, " failed"));
      }
    }
    return absl::OkStatus();
  }

  absl::Status CheckIntegrity() override {
    absl::MutexLock lock(&mu_);
    sqlite3_stmt* stmt = nullptr;
    int rc =
        sqlite3_prepare_v2(db_, "PRAGMA integrity_check", -1, &stmt, nullptr);
    if (rc != SQLITE_OK) return Error(rc, "starting integrity_check");
    std::vector<std::string> problems;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      const unsigned char* text = sqlite3_column_text(stmt, 0);
      std::string line = text ? reinterpret_cast<const char*>(text) : "";
      if (line != "ok" && problems.size() < 10) problems.push_back(line);
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE) return Error(rc, "running integrity_check");
    if (!problems.empty()) {
      return absl::DataLossError(
          absl::StrCat(Name(), ": PRAGMA integrity_check found corruption: ",
                       absl::StrJoin(problems, "; ")));
    }
    return absl::OkStatus();
  }

  absl::Status Compact() override {
    absl::MutexLock lock(&mu_);
    // VACUUM rewrites the file without the deleted rows; the checkpoint then
    // empties the WAL that VACUUM filled.
    if (absl::Status s = Exec("VACUUM"); !s.ok()) return s;
    return Exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }

 private:
  std::string Name() const { return absl::StrCat("sqlite:", path_); }

  static int64_t FileSize(const std::string& file) {
    struct stat st;
    return ::stat(file.c_str(), &st) == 0 ? st.st_size : 0;
  }

  absl::Status Error(int rc, absl::string_view doing) const {
    const char* detail =
        db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    std::string msg = absl::StrCat(Name(), ": ", detail, " (", doing, ")");
    switch (rc & 0xff) {
      case SQLITE_BUSY:
      case SQLITE_LOCKED:
        return absl::UnavailableError(absl::StrCat(
            msg, "; another connection held the lock for more than ",
            kBusyTimeoutMs, " ms, retry later"));
      case SQLITE_CONSTRAINT:
        if (rc == SQLITE_CONSTRAINT_UNIQUE ||
            rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
          return absl::AlreadyExistsError(msg);
        }
        return absl::FailedPreconditionError(absl::StrCat(
            msg, "; the table's constraints differ from sessionlog's"));
      case SQLITE_CORRUPT:
      case SQLITE_NOTADB:
        return absl::DataLossError(msg);
      case SQLITE_FULL:
        return absl::ResourceExhaustedError(msg);
      case SQLITE_READONLY:
        return absl::FailedPreconditionError(msg);
      case SQLITE_CANTOPEN:
        return absl::NotFoundError(msg);
      default:
        return absl::InternalError(msg);
    }
  }

  absl::Status Exec(const std::string& sql) {
    char* err = nullptr;
    int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
    sqlite3_free(err);
    if (rc != SQLITE_OK) return Error(rc, sql.substr(0, 60));
    return absl::OkStatus();
  }

  absl::Status CreateSchema() {
    absl::MutexLock lock(&mu_);
    if (absl::Status s = Exec("BEGIN IMMEDIATE"); !s.ok()) return s;
    absl::Status s = CreateSchemaInTransaction();
    if (s.ok()) s = Exec("COMMIT");
    if (!s.ok()) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    return s;
  }

  absl::Status CreateSchemaInTransaction() {
    // Tables first, then any column an older TS driver did not create, then
    // the indexes (which may name those columns).
    std::vector<std::string> statements = SchemaStatements(dialect_);
    std::vector<std::string> indexes;
    for (const std::string& sql : statements) {
      if (!absl::StartsWith(sql, "CREATE TABLE")) {
        indexes.push_back(sql);
        continue;
      }
      if (absl::Status s = Exec(sql); !s.ok()) return s;
    }
    for (const char* table : {"sessions", "events"}) {
      absl::StatusOr<std::vector<std::string>> columns = ColumnNames(table);
      if (!columns.ok()) return columns.status();
      for (const std::string& sql :
           AddMissingColumns(dialect_, table, *columns)) {
        if (absl::Status s = Exec(sql); !s.ok()) return s;
      }
    }
    for (const std::string& sql : indexes) {
      absl::Status s = Exec(sql);
      if (absl::IsAlreadyExists(s)) {
        return absl::FailedPreconditionError(absl::StrCat(
            s.message(),
            "; the events table holds two events at one (session_id, "
            "event_index), which sessionlog's unique index refuses: "
            "renumber or delete one of them, then open again"));
      }
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<std::string>> ColumnNames(const char* table) {
    sqlite3_stmt* stmt = nullptr;
    std::string sql = absl::StrCat("PRAGMA table_info(", table, ")");
    int rc = sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr);
    if (rc != SQLITE_OK) return Error(rc, sql);
    std::vector<std::string> names;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      names.emplace_back(
          reinterpret_cast<const char*>(sqlite3_column_text(stmt, 1)));
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE) return Error(rc, sql);
    return names;
  }

  // SqlTransaction, called with mu_ held inside InTransaction.
  absl::StatusOr<int64_t> Run(Stmt which, absl::Span<const SqlValue> params,
                              std::vector<SqlRow>* rows) override
      ABSL_NO_THREAD_SAFETY_ANALYSIS {
    const int i = static_cast<int>(which);
    if (texts_[i].empty()) return 0;
    if (prepared_[i] == nullptr) {
      int rc =
          sqlite3_prepare_v3(db_, texts_[i].c_str(), -1,
                             SQLITE_PREPARE_PERSISTENT, &prepared_[i], nullptr);
      if (rc != SQLITE_OK) return Error(rc, "preparing a statement");
    }
    sqlite3_stmt* stmt = prepared_[i];
    for (size_t p = 0; p < params.size(); ++p) {
      const int n = static_cast<int>(p) + 1;
      int rc = SQLITE_OK;
      if (const int64_t* v = std::get_if<int64_t>(&params[p])) {
        rc = sqlite3_bind_int64(stmt, n, *v);
      } else if (const std::string* t = std::get_if<std::string>(&params[p])) {
        rc = sqlite3_bind_text64(stmt, n, t->data(), t->size(), SQLITE_STATIC,
                                 SQLITE_UTF8);
      } else {
        rc = sqlite3_bind_null(stmt, n);
      }
      if (rc != SQLITE_OK) {
        sqlite3_reset(stmt);
        sqlite3_clear_bindings(stmt);
        return Error(rc, "binding a parameter");
      }
    }
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      if (rows != nullptr) rows->push_back(ReadRow(stmt));
    }
    const int64_t changed =
        sqlite3_stmt_readonly(stmt) ? 0 : sqlite3_changes64(db_);
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    if (rc != SQLITE_DONE) return Error(rc, "running a statement");
    return changed;
  }

  static SqlRow ReadRow(sqlite3_stmt* stmt) {
    SqlRow row;
    const int n = sqlite3_column_count(stmt);
    row.reserve(n);
    for (int c = 0; c < n; ++c) {
      switch (sqlite3_column_type(stmt, c)) {
        case SQLITE_INTEGER:
          row.emplace_back(static_cast<int64_t>(sqlite3_column_int64(stmt, c)));
          break;
        case SQLITE_FLOAT: {
          // JavaScript numbers may arrive as REAL; integral ones are integers.
          double d = sqlite3_column_double(stmt, c);
          if (std::trunc(d) == d) {
            row.emplace_back(static_cast<int64_t>(d));
          } else {
            row.emplace_back(absl::StrCat(d));
          }
          break;
        }
        case SQLITE_NULL:
          row.emplace_back(std::monostate());
          break;
        default: {
          const char* text =
              reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
          row.emplace_back(std::string(text, sqlite3_column_bytes(stmt, c)));
        }
      }
    }
    return row;
  }

  // Bounds what a power cut can lose under synchronous=NORMAL.
  void SyncLoop() {
    absl::MutexLock lock(&sync_mu_);
    while (!sync_mu_.AwaitWithTimeout(absl::Condition(&stopping_),
                                      options_.background_sync_interval)) {
      sync_mu_.Unlock();
      Flush().IgnoreError();
      sync_mu_.Lock();
    }
  }

  const std::string path_;
  const DriverOptions options_;
  const SqlDialect dialect_{SqlDialect::Kind::kSqlite, ""};
  std::array<std::string, kStmtCount> texts_;

  absl::Mutex mu_;
  sqlite3* db_ = nullptr;
  std::array<sqlite3_stmt*, kStmtCount> prepared_{};

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
  auto backend = std::make_unique<SqliteBackend>(std::string(path), options);
  if (absl::Status s = backend->Open(); !s.ok()) return s;
  return NewSqlDriver(options, SqlDialect{SqlDialect::Kind::kSqlite, ""},
                      std::move(backend));
}

}  // namespace sessionlog
