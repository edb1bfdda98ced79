#include "engine/postgres/postgres_driver.h"

#include <array>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/postgres/pg_connection.h"
#include "engine/postgres/pg_migrations.h"
#include "engine/sql/connection_pool.h"
#include "engine/sql/sql_backend.h"
#include "engine/sql/sql_driver.h"
#include "engine/sql/statements.h"

namespace sessionlog {
namespace {

constexpr int kMaxConnections = 4;

std::string StmtName(int i) { return absl::StrCat("sessionlog_", i); }

class PgTransaction final : public SqlTransaction {
 public:
  PgTransaction(pg::Connection& c,
                const std::array<pg::Statement, kStmtCount>& statements)
      : c_(c), statements_(statements) {}

  absl::StatusOr<int64_t> Run(Stmt stmt, absl::Span<const SqlValue> params,
                              std::vector<SqlRow>* rows) override {
    const pg::Statement& st = statements_[static_cast<int>(stmt)];
    if (st.sql.empty()) return 0;
    return c_.Run(st, params, rows);
  }

 private:
  pg::Connection& c_;
  const std::array<pg::Statement, kStmtCount>& statements_;
};

class PostgresBackend final : public SqlBackend {
 public:
  PostgresBackend(std::string uri, const DriverOptions& options)
      : uri_(std::move(uri)),
        options_(options),
        dialect_{SqlDialect::Kind::kPostgres, options.postgres_schema} {
    for (int i = 0; i < kStmtCount; ++i) {
      statements_[i] = {StmtName(i),
                        StatementText(dialect_, static_cast<Stmt>(i))};
    }
  }

  // For a read-only open, which must read the tables as they are, also as the
  // TS driver alone made them (without the *_raw columns), and change
  // nothing: learns which columns they have. Before any statement runs.
  absl::Status ReadTableLayout() {
    std::vector<SqlRow> rows;
    absl::Status s = WithConnection([&](pg::Connection& c) {
      return c.RunSql(TableColumnsQuery(dialect_), {}, &rows).status();
    });
    if (!s.ok()) return s;
    std::vector<std::string> columns;
    for (const SqlRow& row : rows) {
      const std::string* column =
          row.empty() ? nullptr : std::get_if<std::string>(&row[0]);
      if (column != nullptr) columns.push_back(*column);
    }
    dialect_.missing_columns = MissingColumns(dialect_, columns);
    for (int i = 0; i < kStmtCount; ++i) {
      statements_[i].sql = StatementText(dialect_, static_cast<Stmt>(i));
    }
    return absl::OkStatus();
  }

  // The statements' dialect: which columns the tables have.
  const SqlDialect& dialect() const { return dialect_; }

  // Creates the schema, or brings it up to date (engine/postgres/
  // pg_migrations.h).
  absl::Status CreateSchema() {
    return WithConnection(
        [&](pg::Connection& c) { return pg::Migrate(c, dialect_); });
  }

  absl::Status InTransaction(
      Mode mode,
      absl::FunctionRef<absl::Status(SqlTransaction&)> body) override {
    absl::Status status;
    for (int attempt = 0; attempt < 2; ++attempt) {
      absl::StatusOr<std::unique_ptr<pg::Connection>> c = Acquire();
      if (!c.ok()) return c.status();
      bool retry = false;
      status = mode == Mode::kRead ? RunRead(**c, body, retry)
                                   : RunWrite(**c, body, retry);
      Release(*std::move(c));
      if (!retry) break;
    }
    return status;
  }

  absl::Status RunBatch(absl::Span<const Step> steps, bool idempotent,
                        int* failed_step) override {
    std::vector<pg::Call> calls;
    std::vector<int> positions;  // calls[k] is steps[positions[k]].
    for (size_t i = 0; i < steps.size(); ++i) {
      const pg::Statement& st = statements_[static_cast<int>(steps[i].stmt)];
      if (st.sql.empty()) continue;
      calls.push_back({&st, steps[i].params});
      positions.push_back(static_cast<int>(i));
    }
    absl::Status status;
    for (int attempt = 0; attempt < 2; ++attempt) {
      absl::StatusOr<std::unique_ptr<pg::Connection>> c = Acquire();
      if (!c.ok()) return c.status();
      pg::Connection::Outcome outcome;
      int failed = -1;
      status = (*c)->RunPipeline(calls, &outcome, &failed);
      const bool broken = !(*c)->healthy();
      Release(*std::move(c));
      if (failed >= 0) *failed_step = positions[failed];
      // Nothing was committed, or running it again does no harm: once more
      // on a fresh connection.
      const bool again =
          broken &&
          (outcome == pg::Connection::Outcome::kRolledBack ||
           (outcome == pg::Connection::Outcome::kUnknown && idempotent));
      if (status.ok() || !again) break;
    }
    return status;
  }

  absl::StatusOr<int64_t> DiskBytes() override {
    std::vector<SqlRow> rows;
    absl::Status s = WithConnection([&](pg::Connection& c) {
      return c
          .RunSql(
              "SELECT pg_total_relation_size($1::regclass) + "
              "pg_total_relation_size($2::regclass)",
              {SessionsTable(dialect_), EventsTable(dialect_)}, &rows)
          .status();
    });
    if (!s.ok()) return s;
    if (rows.empty() || rows[0].empty()) return 0;
    const std::string* text = std::get_if<std::string>(&rows[0][0]);
    return text != nullptr ? std::stoll(*text) : 0;
  }

  absl::Status Flush() override {
    // A commit with synchronous_commit=on flushes the WAL up to itself, and
    // so every earlier commit; txid_current() makes the commit write a record.
    return WithConnection([](pg::Connection& c) {
      return c.Exec(
          "BEGIN; SET LOCAL synchronous_commit TO on; SELECT txid_current(); "
          "COMMIT");
    });
  }

  absl::Status CheckIntegrity() override {
    return WithConnection([](pg::Connection& c) { return c.Exec("SELECT 1"); });
  }

  absl::Status Compact() override {
    // VACUUM cannot run inside a transaction block: one statement each.
    return WithConnection([&](pg::Connection& c) {
      absl::Status s = c.Exec(absl::StrCat("VACUUM ", SessionsTable(dialect_)));
      if (s.ok()) s = c.Exec(absl::StrCat("VACUUM ", EventsTable(dialect_)));
      return s;
    });
  }

 private:
  // A read: each statement commits by itself, one round trip each. A broken
  // connection changed nothing, so the call may run again.
  absl::Status RunRead(pg::Connection& c,
                       absl::FunctionRef<absl::Status(SqlTransaction&)> body,
                       bool& retry) {
    PgTransaction txn(c, statements_);
    absl::Status s = body(txn);
    retry = !s.ok() && !c.healthy();
    return s;
  }

  // BEGIN, the body's statements, COMMIT: until COMMIT is sent, a broken
  // connection leaves nothing behind, and the call may run again.
  absl::Status RunWrite(pg::Connection& c,
                        absl::FunctionRef<absl::Status(SqlTransaction&)> body,
                        bool& retry) {
    absl::Status s = c.Exec("BEGIN");
    if (s.ok()) {
      PgTransaction txn(c, statements_);
      s = body(txn);
    }
    if (!s.ok()) {
      retry = !c.healthy();
      if (c.healthy()) c.Exec("ROLLBACK").IgnoreError();
      return s;
    }
    s = c.Exec("COMMIT");
    if (!s.ok() && !c.healthy()) {
      return absl::UnavailableError(absl::StrCat(
          s.message(),
          "; the connection broke during COMMIT, so whether the write was "
          "applied is unknown: read it back"));
    }
    return s;
  }

  // Runs `fn` on a pooled connection, outside the prepared statements; once
  // more on a fresh connection if it broke.
  template <typename F>
  absl::Status WithConnection(F fn) {
    absl::Status status;
    for (int attempt = 0; attempt < 2; ++attempt) {
      absl::StatusOr<std::unique_ptr<pg::Connection>> c = Acquire();
      if (!c.ok()) return c.status();
      status = fn(**c);
      const bool broken = !(*c)->healthy();
      Release(*std::move(c));
      if (status.ok() || !broken) break;
    }
    return status;
  }

  // A pooled connection that is still open (one the server closed while it
  // sat idle, e.g. across a restart or a failover, is dropped), else a new
  // one.
  absl::StatusOr<std::unique_ptr<pg::Connection>> Acquire() {
    for (;;) {
      absl::StatusOr<std::unique_ptr<pg::Connection>> c =
          pool_.Acquire([this] { return Connect(); });
      if (!c.ok() || (*c)->StillOpen()) return c;
      pool_.Release(*std::move(c), /*reusable=*/false);
    }
  }

  void Release(std::unique_ptr<pg::Connection> c) {
    const bool reusable = c->healthy();
    pool_.Release(std::move(c), reusable);
  }

  absl::StatusOr<std::unique_ptr<pg::Connection>> Connect() {
    return pg::Connection::Open(uri_, {options_.durability == Durability::kFsync
                                           ? "SET synchronous_commit TO on"
                                           : "SET synchronous_commit TO off"});
  }

  const std::string uri_;
  const DriverOptions options_;
  // Set while opening, before any statement runs; constant afterwards.
  SqlDialect dialect_;
  std::array<pg::Statement, kStmtCount> statements_;

  ConnectionPool<pg::Connection> pool_{kMaxConnections};
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
  } else if (absl::Status s = backend->ReadTableLayout(); !s.ok()) {
    return s;
  }
  const SqlDialect dialect = backend->dialect();
  return NewSqlDriver(options, dialect, std::move(backend));
}

}  // namespace sessionlog
