#include "engine/sqlite/sqlite_connection.h"

#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"

namespace sessionlog {
namespace {

SqlRow ReadRow(sqlite3_stmt* stmt) {
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
        // Any other (a fraction, or beyond int64, whose cast is undefined)
        // keeps SQLite's text for it, which an integer column refuses.
        double d = sqlite3_column_double(stmt, c);
        if (std::trunc(d) == d && d >= -0x1p63 && d < 0x1p63) {
          row.emplace_back(static_cast<int64_t>(d));
        } else {
          const char* text =
              reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
          row.emplace_back(std::string(text, sqlite3_column_bytes(stmt, c)));
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

}  // namespace

absl::StatusOr<std::unique_ptr<SqliteConnection>> SqliteConnection::Open(
    const std::string& path, bool read_only, const char* synchronous,
    const SqlDialect& dialect) {
  int flags = SQLITE_OPEN_NOMUTEX;
  flags |= read_only ? SQLITE_OPEN_READONLY
                     : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  // The connection owns `db` from here on, even when opening failed.
  std::unique_ptr<SqliteConnection> c(new SqliteConnection(path, db, dialect));
  if (rc != SQLITE_OK) return c->Error(rc, "opening the file");
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, kSqliteBusyTimeoutMs);
  if (absl::Status s =
          c->Exec(absl::StrCat("PRAGMA synchronous=", synchronous));
      !s.ok()) {
    return s;
  }
  return c;
}

SqliteConnection::SqliteConnection(std::string path, sqlite3* db,
                                   const SqlDialect& dialect)
    : path_(std::move(path)), db_(db) {
  for (int i = 0; i < kStmtCount; ++i) {
    texts_[i] = StatementText(dialect, static_cast<Stmt>(i));
  }
}

SqliteConnection::~SqliteConnection() {
  for (sqlite3_stmt* stmt : prepared_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

absl::Status SqliteConnection::Error(int rc, absl::string_view doing) const {
  const char* detail =
      db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  std::string msg =
      absl::StrCat("sqlite:", path_, ": ", detail, " (", doing, ")");
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return absl::UnavailableError(
          absl::StrCat(msg, "; another connection held the lock for more than ",
                       kSqliteBusyTimeoutMs, " ms, retry later"));
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

absl::Status SqliteConnection::Exec(const std::string& sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
  sqlite3_free(err);
  if (rc != SQLITE_OK) return Error(rc, sql.substr(0, 60));
  return absl::OkStatus();
}

absl::Status SqliteConnection::SyncFiles() {
  // The WAL first: commits live there until a checkpoint copies them.
  for (int op : {SQLITE_FCNTL_JOURNAL_POINTER, SQLITE_FCNTL_FILE_POINTER}) {
    sqlite3_file* file = nullptr;
    int rc = sqlite3_file_control(db_, "main", op, &file);
    if (rc != SQLITE_OK) return Error(rc, "finding the file to sync");
    // No WAL opened yet (nothing written by this connection): nothing there.
    if (file == nullptr || file->pMethods == nullptr) continue;
    rc = file->pMethods->xSync(file, SQLITE_SYNC_NORMAL);
    if (rc != SQLITE_OK) {
      return Error(rc, op == SQLITE_FCNTL_JOURNAL_POINTER
                           ? "syncing the write-ahead log"
                           : "syncing the database file");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> SqliteConnection::QueryText(
    const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr);
  if (rc != SQLITE_OK) return Error(rc, sql);
  std::vector<std::string> out;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    const unsigned char* text = sqlite3_column_text(stmt, 0);
    out.emplace_back(text ? reinterpret_cast<const char*>(text) : "");
  }
  sqlite3_finalize(stmt);
  if (rc != SQLITE_DONE) return Error(rc, sql);
  return out;
}

absl::Status SqliteConnection::InTransaction(
    SqlBackend::Mode mode,
    absl::FunctionRef<absl::Status(SqlTransaction&)> body) {
  if (absl::Status s =
          Exec(mode == SqlBackend::Mode::kWrite ? "BEGIN IMMEDIATE" : "BEGIN");
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

absl::StatusOr<int64_t> SqliteConnection::Run(Stmt which,
                                              absl::Span<const SqlValue> params,
                                              std::vector<SqlRow>* rows) {
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

}  // namespace sessionlog
