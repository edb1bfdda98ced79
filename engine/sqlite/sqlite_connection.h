// One SQLite connection: the statements of engine/sql/statements.h prepared
// once and run with bound parameters, transactions, and SQLite's result codes
// mapped to absl::Status. Not thread-safe: the backend (sqlite_driver.cc)
// hands each connection to one thread at a time.

#ifndef SESSIONLOG_ENGINE_SQLITE_SQLITE_CONNECTION_H_
#define SESSIONLOG_ENGINE_SQLITE_SQLITE_CONNECTION_H_

#include <sqlite3.h>

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/sql/sql_backend.h"
#include "engine/sql/statements.h"

namespace sessionlog {

// How long a connection waits for another connection's write lock before the
// call fails with Unavailable.
inline constexpr int kSqliteBusyTimeoutMs = 5000;

class SqliteConnection final : public SqlTransaction {
 public:
  // Opens `path` read-write (creating it) or read-only, with the busy timeout
  // and `synchronous` ("NORMAL" or "FULL"), for statements in `dialect` (the
  // columns its tables have). Errors name the file.
  static absl::StatusOr<std::unique_ptr<SqliteConnection>> Open(
      const std::string& path, bool read_only, const char* synchronous,
      const SqlDialect& dialect);
  ~SqliteConnection() override;

  // Runs `sql` (no parameters, no result rows).
  absl::Status Exec(const std::string& sql);

  // Syncs the database file and its WAL to disk through SQLite's own file
  // handles, so that every committed transaction is durable. Never opens the
  // files itself: on POSIX, closing any descriptor of a file drops every
  // lock the process holds on it, SQLite's included, and another process
  // may then checkpoint and delete a WAL still in use (corruption; see
  // sqlite.org/howtocorrupt.html, 2.2). Not safe while another thread uses
  // this connection.
  absl::Status SyncFiles();

  // Runs `sql` and returns the first column of each row as text.
  absl::StatusOr<std::vector<std::string>> QueryText(const std::string& sql);

  // Runs `body` in BEGIN IMMEDIATE (write) or BEGIN (read) ... COMMIT;
  // rolled back when `body` or COMMIT fails.
  absl::Status InTransaction(
      SqlBackend::Mode mode,
      absl::FunctionRef<absl::Status(SqlTransaction&)> body);

  // SqlTransaction.
  absl::StatusOr<int64_t> Run(Stmt stmt, absl::Span<const SqlValue> params,
                              std::vector<SqlRow>* rows) override;

  // The status for SQLite result code `rc` while `doing` something.
  absl::Status Error(int rc, absl::string_view doing) const;

 private:
  SqliteConnection(std::string path, sqlite3* db, const SqlDialect& dialect);

  const std::string path_;
  sqlite3* const db_;
  std::array<std::string, kStmtCount> texts_;
  std::array<sqlite3_stmt*, kStmtCount> prepared_{};
};

}  // namespace sessionlog

#endif  // SESSIONLOG_ENGINE_SQLITE_SQLITE_CONNECTION_H_
