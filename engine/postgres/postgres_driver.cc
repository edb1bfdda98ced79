#include "engine/postgres/postgres_driver.h"

#include <array>
#include <exception>
#include <memory>
#include <pqxx/pqxx>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/synchronization/mutex.h"
#include "engine/sql/connection_pool.h"
#include "engine/sql/sql_backend.h"
#include "engine/sql/sql_driver.h"
#include "engine/sql/statements.h"

namespace sessionlog {
namespace {

constexpr int kMaxConnections = 4;

std::string StmtName(int i) { return absl::StrCat("sessionlog_", i); }

// Why a call failed, and whether it may run again on a fresh connection.
struct Failure {
  absl::Status status;
  bool connection_broken = false;  // Drop the connection.
  bool retry = false;              // Nothing was committed; safe to rerun.
};

// Maps whatever libpqxx threw to a status. Called only inside a catch block.
Failure CurrentException(absl::string_view where) {
  auto msg = [&](const std::exception& e) {
    std::string what = absl::StrReplaceAll(e.what(), {{"\n", " "}});
    while (!what.empty() && what.back() == ' ') what.pop_back();
    return absl::StrCat("postgres (", where, "): ", what);
  };
  try {
    throw;
  } catch (const pqxx::in_doubt_error& e) {
    return {absl::UnavailableError(
                absl::StrCat(msg(e),
                             "; the connection broke during COMMIT, so whether "
                             "the write was applied is unknown: read it back")),
            true, false};
  } catch (const pqxx::broken_connection& e) {
    return {absl::UnavailableError(absl::StrCat(
                msg(e), "; is the server up? The next call reconnects")),
            true, true};
  } catch (const pqxx::sql_error& e) {
    const std::string& state = e.sqlstate();
    absl::string_view cls = absl::string_view(state).substr(0, 2);
    if (state == "40001" || state == "40P01") {
      return {absl::AbortedError(msg(e))};
    }
    if (state == "23505") return {absl::AlreadyExistsError(msg(e))};
    if (state == "22P05") {
      return {absl::InvalidArgumentError(absl::StrCat(
          msg(e), "; Postgres JSONB cannot hold the escape \\u0000"))};
    }
    if (cls == "22") return {absl::InvalidArgumentError(msg(e))};
    if (cls == "23") return {absl::FailedPreconditionError(msg(e))};
    if (cls == "53") return {absl::ResourceExhaustedError(msg(e))};
    if (cls == "08" || cls == "57") {
      return {absl::UnavailableError(msg(e)), true, false};
    }
    if (state == "42501") return {absl::PermissionDeniedError(msg(e))};
    if (state == "42P01" || state == "3F000") {
      return {absl::NotFoundError(
          absl::StrCat(msg(e),
                       "; the tables are missing: open the store once without "
                       "read_only to create them"))};
    }
    if (state == "25006") return {absl::FailedPreconditionError(msg(e))};
    return {
        absl::InternalError(absl::StrCat(msg(e), " [SQLSTATE ", state, "]"))};
  } catch (const std::exception& e) {
    return {absl::InternalError(msg(e))};
  }
}

struct Connection {
  std::unique_ptr<pqxx::connection> conn;
  bool broken = false;
};

class PgTransaction final : public SqlTransaction {
 public:
  PgTransaction(pqxx::work& txn,
                const std::array<std::string, kStmtCount>& texts,
                Connection& connection)
      : txn_(txn), texts_(texts), connection_(connection) {}

  absl::StatusOr<int64_t> Run(Stmt stmt, absl::Span<const SqlValue> params,
                              std::vector<SqlRow>* rows) override {
    const int i = static_cast<int>(stmt);
    if (texts_[i].empty()) return 0;
    // libpq takes every parameter as text; nullptr is SQL NULL.
    std::vector<std::string> storage;
    storage.reserve(params.size());
    std::vector<const char*> values;
    for (const SqlValue& v : params) {
      if (const int64_t* n = std::get_if<int64_t>(&v)) {
        storage.push_back(absl::StrCat(*n));
        values.push_back(storage.back().c_str());
      } else if (const std::string* s = std::get_if<std::string>(&v)) {
        values.push_back(s->c_str());
      } else {
        values.push_back(nullptr);
      }
    }
    try {
      pqxx::result result = txn_.exec_prepared(
          StmtName(i), pqxx::prepare::make_dynamic_params(values));
      if (rows != nullptr) {
        for (const pqxx::row& r : result) {
          SqlRow row;
          row.reserve(r.size());
          for (const pqxx::field& f : r) {
            if (f.is_null()) {
              row.emplace_back(std::monostate());
            } else {
              row.emplace_back(std::string(f.c_str(), f.size()));
            }
          }
          rows->push_back(std::move(row));
        }
      }
      return static_cast<int64_t>(result.affected_rows());
    } catch (...) {
      Failure failure = CurrentException("running a statement");
      if (failure.connection_broken) connection_.broken = true;
      retry_ = failure.retry;
      return failure.status;
    }
  }

  bool retry() const { return retry_; }

 private:
  pqxx::work& txn_;
  const std::array<std::string, kStmtCount>& texts_;
  Connection& connection_;
  bool retry_ = false;
};

class PostgresBackend final : public SqlBackend {
 public:
  PostgresBackend(std::string uri, const DriverOptions& options)
      : uri_(std::move(uri)),
        options_(options),
        dialect_{SqlDialect::Kind::kPostgres, options.postgres_schema} {
    for (int i = 0; i < kStmtCount; ++i) {
      texts_[i] = StatementText(dialect_, static_cast<Stmt>(i));
    }
  }

  absl::Status CreateSchema() {
    return RawTransaction("creating the tables", [&](pqxx::work& txn) {
      // Several processes may open a new schema at once; CREATE ... IF NOT
      // EXISTS is not safe against that by itself.
      txn.exec_params("SELECT pg_advisory_xact_lock(hashtext($1))",
                      "sessionlog-schema:" + dialect_.schema);
      for (const std::string& sql : SchemaStatements(dialect_)) {
        txn.exec(sql);
      }
    });
  }

  absl::Status InTransaction(
      Mode mode,
      absl::FunctionRef<absl::Status(SqlTransaction&)> body) override {
    absl::Status status;
    for (int attempt = 0; attempt < 2; ++attempt) {
      absl::StatusOr<std::unique_ptr<Connection>> c = Acquire();
      if (!c.ok()) return c.status();
      bool retry = false;
      status = RunBody(**c, body, retry);
      Release(*std::move(c));
      if (!retry) break;
    }
    return status;
  }

  absl::StatusOr<int64_t> DiskBytes() override {
    int64_t bytes = 0;
    absl::Status s =
        RawTransaction("measuring the tables", [&](pqxx::work& txn) {
          pqxx::row r = txn.exec_params1(
              "SELECT pg_total_relation_size($1::regclass) + "
              "pg_total_relation_size($2::regclass)",
              SessionsTable(dialect_), EventsTable(dialect_));
          bytes = r[0].as<int64_t>();
        });
    if (!s.ok()) return s;
    return bytes;
  }

  absl::Status Flush() override {
    // A commit with synchronous_commit=on flushes the WAL up to itself, and
    // so every earlier commit; txid_current() makes the commit write a record.
    return RawTransaction("flushing the WAL", [](pqxx::work& txn) {
      txn.exec("SET LOCAL synchronous_commit TO on");
      txn.exec("SELECT txid_current()");
    });
  }

  absl::Status CheckIntegrity() override {
    return RawTransaction("checking the connection",
                          [](pqxx::work& txn) { txn.exec("SELECT 1"); });
  }

  absl::Status Compact() override {
    // VACUUM cannot run inside a transaction block.
    absl::StatusOr<std::unique_ptr<Connection>> c = Acquire();
    if (!c.ok()) return c.status();
    absl::Status status;
    try {
      pqxx::nontransaction txn(*(*c)->conn);
      txn.exec(absl::StrCat("VACUUM ", SessionsTable(dialect_)));
      txn.exec(absl::StrCat("VACUUM ", EventsTable(dialect_)));
    } catch (...) {
      Failure failure = CurrentException("vacuuming the tables");
      if (failure.connection_broken) (*c)->broken = true;
      status = failure.status;
    }
    Release(*std::move(c));
    return status;
  }

 private:
  absl::Status RunBody(Connection& c,
                       absl::FunctionRef<absl::Status(SqlTransaction&)> body,
                       bool& retry) {
    try {
      pqxx::work txn(*c.conn);
      PgTransaction adapter(txn, texts_, c);
      absl::Status s = body(adapter);
      if (!s.ok()) {
        retry = adapter.retry();
        return s;  // ~work rolls back.
      }
      txn.commit();
      return absl::OkStatus();
    } catch (...) {
      Failure failure = CurrentException("a transaction");
      if (failure.connection_broken) c.broken = true;
      retry = failure.retry;
      return failure.status;
    }
  }

  // Runs `fn` in a transaction of its own, outside the prepared statements.
  template <typename F>
  absl::Status RawTransaction(absl::string_view what, F fn) {
    absl::StatusOr<std::unique_ptr<Connection>> c = Acquire();
    if (!c.ok()) return c.status();
    absl::Status status;
    try {
      pqxx::work txn(*(*c)->conn);
      fn(txn);
      txn.commit();
    } catch (...) {
      Failure failure = CurrentException(what);
      if (failure.connection_broken) (*c)->broken = true;
      status = failure.status;
    }
    Release(*std::move(c));
    return status;
  }

  absl::StatusOr<std::unique_ptr<Connection>> Acquire() {
    return pool_.Acquire([this] { return Connect(); });
  }

  void Release(std::unique_ptr<Connection> c) {
    const bool reusable = !c->broken;
    pool_.Release(std::move(c), reusable);
  }

  absl::StatusOr<std::unique_ptr<Connection>> Connect() {
    auto c = std::make_unique<Connection>();
    try {
      c->conn = std::make_unique<pqxx::connection>(uri_);
      pqxx::nontransaction setup(*c->conn);
      setup.exec(options_.durability == Durability::kFsync
                     ? "SET synchronous_commit TO on"
                     : "SET synchronous_commit TO off");
      setup.commit();
      for (int i = 0; i < kStmtCount; ++i) {
        if (!texts_[i].empty()) c->conn->prepare(StmtName(i), texts_[i]);
      }
      return c;
    } catch (...) {
      return CurrentException("connecting").status;
    }
  }

  const std::string uri_;
  const DriverOptions options_;
  const SqlDialect dialect_;
  std::array<std::string, kStmtCount> texts_;

  ConnectionPool<Connection> pool_{kMaxConnections};
};

}  // namespace

absl::StatusOr<std::unique_ptr<SessionPersistDriver>> OpenPostgresDriver(
    absl::string_view uri, const DriverOptions& options) {
  if (absl::Status s = ValidateOptions(options); !s.ok()) return s;
  if (uri.find('\0') != absl::string_view::npos) {
    return absl::InvalidArgumentError("postgres URI: contains a NUL byte");
  }
  auto backend = std::make_unique<PostgresBackend>(std::string(uri), options);
  if (!options.read_only) {
    absl::Status s = backend->CreateSchema();
    if (absl::IsAlreadyExists(s)) return DuplicateEventIndexesError(s);
    if (!s.ok()) return s;
  } else if (absl::Status s = backend->CheckIntegrity(); !s.ok()) {
    return s;
  }
  return NewSqlDriver(
      options, SqlDialect{SqlDialect::Kind::kPostgres, options.postgres_schema},
      std::move(backend));
}

}  // namespace sessionlog
