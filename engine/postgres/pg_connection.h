// One libpq connection of the Postgres backend (postgres_driver.h), and the
// two ways the backend talks through it:
//  * a statement at a time, each waiting for its result (Run, Exec);
//  * pipelined (RunPipeline): a write transaction's statements and a Sync
//    leave in one go and run as one implicit transaction that the Sync
//    commits, so a whole append or record update costs one round trip
//    (libpq's pipeline mode, libpq 14 and later).
// Errors become absl::Status by SQLSTATE (see StatusFromSqlState). Not
// thread-safe: one caller at a time (the backend's pool hands it out).

#ifndef SESSIONLOG_ENGINE_POSTGRES_PG_CONNECTION_H_
#define SESSIONLOG_ENGINE_POSTGRES_PG_CONNECTION_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "engine/sql/sql_backend.h"

typedef struct pg_conn PGconn;

namespace sessionlog {
namespace pg {

// The status for a server error with SQLSTATE `state`: Aborted for
// serialization failures and deadlocks (retry), AlreadyExists for unique
// violations, InvalidArgument for bad data, Unavailable for connection and
// shutdown classes, NotFound for missing tables, and so on.
absl::Status StatusFromSqlState(absl::string_view state,
                                absl::string_view message);

// A statement that a connection prepares (under `name`) the first time it
// runs it.
struct Statement {
  std::string name;
  std::string sql;
};

// A statement and its parameters, for RunPipeline.
struct Call {
  const Statement* statement;
  absl::Span<const SqlValue> params;
};

class Connection {
 public:
  // Connects (conninfo: a libpq URI or key=value string; libpq picks among
  // several hosts by target_session_attrs) and runs each of `setup` (SQL
  // without parameters). Unavailable when no server can be reached.
  static absl::StatusOr<std::unique_ptr<Connection>> Open(
      const std::string& conninfo, const std::vector<std::string>& setup);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // False once the connection broke; it must not be used again.
  bool healthy() const;
  // For a connection that sat idle: reads, without blocking, what the server
  // sent meanwhile; false when it has closed the connection (a restart, a
  // terminated backend, a failover).
  bool StillOpen();

  // Runs `statement` (preparing it first if this connection has not) and
  // waits for its result; appends the rows (as text) to *rows when not null.
  // Returns the rows it changed.
  absl::StatusOr<int64_t> Run(const Statement& statement,
                              absl::Span<const SqlValue> params,
                              std::vector<SqlRow>* rows);
  // The same for SQL text with parameters ($1, ...), not prepared.
  absl::StatusOr<int64_t> RunSql(const std::string& sql,
                                 absl::Span<const SqlValue> params,
                                 std::vector<SqlRow>* rows);
  // SQL text without parameters, possibly several statements.
  absl::Status Exec(const std::string& sql);

  // What RunPipeline found out about an error's transaction.
  enum class Outcome {
    kCommitted,   // OK.
    kRolledBack,  // Certainly not committed: a statement failed, or the
                  // connection broke before the Sync was sent.
    kUnknown,     // The connection broke after the Sync was sent.
  };
  // Sends `calls` (and the preparation of any statement this connection has
  // not prepared yet) and a Sync, then reads every result: one implicit
  // transaction, committed by the Sync if every statement succeeded, else
  // rolled back. On a statement's error, *failed_call is its position.
  absl::Status RunPipeline(absl::Span<const Call> calls, Outcome* outcome,
                           int* failed_call);

 private:
  explicit Connection(PGconn* conn) : conn_(conn) {}
  // The status for a failed call, marking the connection broken when it is.
  absl::Status Failed(absl::string_view where, const void* result);
  absl::StatusOr<int64_t> Collect(void* result, std::vector<SqlRow>* rows,
                                  absl::string_view where);

  PGconn* conn_;
  bool broken_ = false;
  absl::flat_hash_set<std::string> prepared_;  // Statement names.
};

}  // namespace pg
}  // namespace sessionlog

#endif  // SESSIONLOG_ENGINE_POSTGRES_PG_CONNECTION_H_
