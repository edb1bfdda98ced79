// The seam between the shared SQL driver (sql_driver.h) and one database
// library (SQLite's C API, libpqxx). A backend runs the statements of
// statements.h inside transactions and maps its library's errors to
// absl::Status; everything the contract means lives in the shared driver.

#ifndef SESSIONLOG_ENGINE_SQL_SQL_BACKEND_H_
#define SESSIONLOG_ENGINE_SQL_SQL_BACKEND_H_

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "engine/sql/statements.h"

namespace sessionlog {

// A parameter or a result column: SQL NULL, an integer, or text. Backends
// that return every column as text (libpq) give integers as decimal text;
// row_mapping.h accepts both.
using SqlValue = std::variant<std::monostate, int64_t, std::string>;
using SqlRow = std::vector<SqlValue>;

class SqlTransaction {
 public:
  virtual ~SqlTransaction() = default;
  // Runs `stmt` with `params` bound to $1, $2, ... in order, appending the
  // result rows to `*rows` when it is not null. Returns the number of rows the
  // statement changed (0 for queries). A statement whose text is empty in
  // this dialect (e.g. Postgres-only locks under SQLite) does nothing.
  virtual absl::StatusOr<int64_t> Run(Stmt stmt,
                                      absl::Span<const SqlValue> params,
                                      std::vector<SqlRow>* rows) = 0;
};

class SqlBackend {
 public:
  enum class Mode { kRead, kWrite };

  virtual ~SqlBackend() = default;

  // Runs `body` in one transaction: committed if it returns OK, rolled back
  // otherwise (its status is returned). kWrite transactions take the write
  // lock at the start (SQLite: BEGIN IMMEDIATE) so that they never fail
  // half-way for lock upgrades. A kRead body may instead see each statement
  // run in a transaction of its own (Postgres: one round trip per read).
  // Errors: Unavailable when the database cannot be reached or stays locked,
  // Aborted when the transaction lost a race and may simply be retried,
  // DataLoss on corruption. Thread-safe: each call gets its own connection or
  // waits for one.
  virtual absl::Status InTransaction(
      Mode mode, absl::FunctionRef<absl::Status(SqlTransaction&)> body) = 0;

  // One statement of a batch.
  struct Step {
    Stmt stmt;
    std::vector<SqlValue> params;
  };
  // Runs `steps` in order in one write transaction, committed if every step
  // succeeds, else rolled back with the first failure's status and
  // *failed_step its position. Steps whose text is empty in the dialect are
  // skipped. For writes that need no result before their commit: a backend
  // may send them all at once (Postgres pipelines the statements and the
  // commit into one round trip); the default runs them through
  // InTransaction. `idempotent`: running the steps twice leaves what running
  // them once does, so when a broken connection leaves unknown whether they
  // were committed, the backend may run them again on a fresh one.
  // Errors as InTransaction's.
  virtual absl::Status RunBatch(absl::Span<const Step> steps, bool idempotent,
                                int* failed_step) {
    (void)idempotent;
    return InTransaction(Mode::kWrite, [&](SqlTransaction& txn) {
      for (size_t i = 0; i < steps.size(); ++i) {
        absl::StatusOr<int64_t> n =
            txn.Run(steps[i].stmt, steps[i].params, nullptr);
        if (!n.ok()) {
          *failed_step = static_cast<int>(i);
          return n.status();
        }
      }
      return absl::OkStatus();
    });
  }

  // Bytes the store occupies, or 0 if unknown.
  virtual absl::StatusOr<int64_t> DiskBytes() = 0;
  // Makes every committed transaction durable against power loss.
  virtual absl::Status Flush() = 0;
  // The database's own consistency check; DataLoss naming what is corrupt.
  virtual absl::Status CheckIntegrity() = 0;
  // Gives the space of deleted rows back (VACUUM).
  virtual absl::Status Compact() = 0;
};

}  // namespace sessionlog

#endif  // SESSIONLOG_ENGINE_SQL_SQL_BACKEND_H_
