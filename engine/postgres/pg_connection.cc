#include "engine/postgres/pg_connection.h"

#include <postgresql/libpq-fe.h>

#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"

namespace sessionlog {
namespace pg {
namespace {

std::string OneLine(absl::string_view text) {
  std::string line = absl::StrReplaceAll(text, {{"\n", " "}});
  return std::string(absl::StripTrailingAsciiWhitespace(line));
}

// libpq takes every parameter as text; nullptr is SQL NULL.
class TextParams {
 public:
  explicit TextParams(absl::Span<const SqlValue> params) {
    storage_.reserve(params.size());
    for (const SqlValue& v : params) {
      if (const int64_t* n = std::get_if<int64_t>(&v)) {
        storage_.push_back(absl::StrCat(*n));
        values_.push_back(storage_.back().c_str());
      } else if (const std::string* s = std::get_if<std::string>(&v)) {
        values_.push_back(s->c_str());
      } else {
        values_.push_back(nullptr);
      }
    }
  }
  int size() const { return static_cast<int>(values_.size()); }
  const char* const* values() const { return values_.data(); }

 private:
  std::vector<std::string> storage_;  // Reserved: c_str()s stay put.
  std::vector<const char*> values_;
};

// Notices (e.g. "schema ... already exists, skipping") are not errors, and a
// library must not print them.
void IgnoreNotice(void*, const char*) {}

}  // namespace

absl::Status StatusFromSqlState(absl::string_view state,
                                absl::string_view message) {
  const std::string msg(message);
  const absl::string_view cls = state.substr(0, 2);
  if (state == "40001" || state == "40P01") return absl::AbortedError(msg);
  if (state == "23505") return absl::AlreadyExistsError(msg);
  if (state == "22P05") {
    return absl::InvalidArgumentError(
        absl::StrCat(msg, "; Postgres JSONB cannot hold the escape \\u0000"));
  }
  if (cls == "22") return absl::InvalidArgumentError(msg);
  if (cls == "23") return absl::FailedPreconditionError(msg);
  if (cls == "53") return absl::ResourceExhaustedError(msg);
  if (cls == "08" || cls == "57") return absl::UnavailableError(msg);
  if (state == "42501") return absl::PermissionDeniedError(msg);
  if (state == "42P01" || state == "3F000") {
    return absl::NotFoundError(
        absl::StrCat(msg,
                     "; the tables are missing: open the store once without "
                     "read_only to create them"));
  }
  if (state == "25006") return absl::FailedPreconditionError(msg);
  return absl::InternalError(absl::StrCat(msg, " [SQLSTATE ", state, "]"));
}

absl::StatusOr<std::unique_ptr<Connection>> Connection::Open(
    const std::string& conninfo, const std::vector<std::string>& setup) {
  PGconn* raw = PQconnectdb(conninfo.c_str());
  if (raw == nullptr) {
    return absl::ResourceExhaustedError(
        "postgres (connecting): libpq could not allocate a connection");
  }
  std::unique_ptr<Connection> c(new Connection(raw));
  if (PQstatus(raw) != CONNECTION_OK) {
    return absl::UnavailableError(
        absl::StrCat("postgres (connecting): ", OneLine(PQerrorMessage(raw)),
                     "; is the server up? The next call tries again"));
  }
  PQsetNoticeProcessor(raw, IgnoreNotice, nullptr);
  for (const std::string& sql : setup) {
    if (absl::Status s = c->Exec(sql); !s.ok()) return s;
  }
  return c;
}

Connection::~Connection() { PQfinish(conn_); }

bool Connection::healthy() const {
  return !broken_ && PQstatus(conn_) == CONNECTION_OK;
}

bool Connection::StillOpen() {
  if (!healthy()) return false;
  // Never blocks: libpq's socket is non-blocking underneath. On EOF it
  // returns 0 and the status goes bad.
  if (PQconsumeInput(conn_) != 1 || PQstatus(conn_) != CONNECTION_OK) {
    broken_ = true;
    return false;
  }
  // A server that is shutting the connection down sends an error first.
  if (!PQisBusy(conn_)) {
    while (PGresult* r = PQgetResult(conn_)) {
      PQclear(r);
      broken_ = true;
    }
  }
  return !broken_;
}

absl::Status Connection::Failed(absl::string_view where, const void* result) {
  const PGresult* r = static_cast<const PGresult*>(result);
  if (PQstatus(conn_) != CONNECTION_OK) {
    broken_ = true;
    return absl::UnavailableError(
        absl::StrCat("postgres (", where, "): ", OneLine(PQerrorMessage(conn_)),
                     "; is the server up? The next call reconnects"));
  }
  const char* state =
      r != nullptr ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  const std::string message = absl::StrCat(
      "postgres (", where, "): ",
      OneLine(r != nullptr ? PQresultErrorMessage(r) : PQerrorMessage(conn_)));
  if (state == nullptr) {
    // No server error: libpq itself failed (out of memory, a protocol
    // error); the connection's state is unknown, so it goes.
    broken_ = true;
    return absl::UnavailableError(message);
  }
  absl::Status s = StatusFromSqlState(state, message);
  if (absl::IsUnavailable(s)) broken_ = true;  // Shutdown, admin command.
  return s;
}

absl::StatusOr<int64_t> Connection::Collect(void* result,
                                            std::vector<SqlRow>* rows,
                                            absl::string_view where) {
  PGresult* r = static_cast<PGresult*>(result);
  const ExecStatusType st =
      r != nullptr ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    absl::Status s = Failed(where, r);
    PQclear(r);
    return s;
  }
  if (rows != nullptr) {
    const int n = PQntuples(r), fields = PQnfields(r);
    for (int i = 0; i < n; ++i) {
      SqlRow row;
      row.reserve(fields);
      for (int j = 0; j < fields; ++j) {
        if (PQgetisnull(r, i, j)) {
          row.emplace_back(std::monostate());
        } else {
          row.emplace_back(
              std::string(PQgetvalue(r, i, j), PQgetlength(r, i, j)));
        }
      }
      rows->push_back(std::move(row));
    }
  }
  int64_t changed = 0;
  if (!absl::SimpleAtoi(PQcmdTuples(r), &changed)) changed = 0;
  PQclear(r);
  return changed;
}

absl::StatusOr<int64_t> Connection::Run(const Statement& statement,
                                        absl::Span<const SqlValue> params,
                                        std::vector<SqlRow>* rows) {
  if (!prepared_.contains(statement.name)) {
    absl::StatusOr<int64_t> done =
        Collect(PQprepare(conn_, statement.name.c_str(), statement.sql.c_str(),
                          0, nullptr),
                nullptr, "preparing a statement");
    if (!done.ok()) return done;
    prepared_.insert(statement.name);
  }
  TextParams p(params);
  return Collect(PQexecPrepared(conn_, statement.name.c_str(), p.size(),
                                p.values(), nullptr, nullptr, 0),
                 rows, "running a statement");
}

absl::StatusOr<int64_t> Connection::RunSql(const std::string& sql,
                                           absl::Span<const SqlValue> params,
                                           std::vector<SqlRow>* rows) {
  TextParams p(params);
  return Collect(PQexecParams(conn_, sql.c_str(), p.size(), nullptr, p.values(),
                              nullptr, nullptr, 0),
                 rows, "running a statement");
}

absl::Status Connection::Exec(const std::string& sql) {
  // PQexec returns the last statement's result; an earlier failure stops the
  // string there and is that result.
  return Collect(PQexec(conn_, sql.c_str()), nullptr, "running a statement")
      .status();
}

absl::Status Connection::RunPipeline(absl::Span<const Call> calls,
                                     Outcome* outcome, int* failed_call) {
  *outcome = Outcome::kRolledBack;
  *failed_call = -1;
  if (PQenterPipelineMode(conn_) != 1) {
    return Failed("starting a pipeline", nullptr);
  }
  // What was sent, in order: each call's preparation when it needs one, and
  // its execution. Results come back in this order, each ended by a null.
  struct Sent {
    int call;
    bool prepare;
  };
  std::vector<Sent> sent;
  std::vector<TextParams> params;
  params.reserve(calls.size());
  absl::flat_hash_set<std::string> preparing;
  for (size_t i = 0; i < calls.size(); ++i) {
    const Statement& st = *calls[i].statement;
    int ok = 1;
    if (!prepared_.contains(st.name) && preparing.insert(st.name).second) {
      ok = PQsendPrepare(conn_, st.name.c_str(), st.sql.c_str(), 0, nullptr);
      sent.push_back({static_cast<int>(i), true});
    }
    params.emplace_back(calls[i].params);
    const TextParams& p = params.back();
    if (ok == 1) {
      ok = PQsendQueryPrepared(conn_, st.name.c_str(), p.size(), p.values(),
                               nullptr, nullptr, 0);
      sent.push_back({static_cast<int>(i), false});
    }
    if (ok != 1) {
      // No Sync has left: the server commits nothing of it.
      absl::Status s = Failed("sending a pipeline", nullptr);
      broken_ = true;
      return s;
    }
  }
  if (PQpipelineSync(conn_) != 1) {
    absl::Status s = Failed("sending a pipeline", nullptr);
    broken_ = true;
    return s;
  }
  absl::Status first;
  size_t at = 0;  // The position in `sent` whose results come next.
  bool synced = false;
  while (!synced) {
    PGresult* r = PQgetResult(conn_);
    if (r == nullptr) {
      if (PQstatus(conn_) != CONNECTION_OK) break;
      ++at;
      continue;
    }
    const ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_PIPELINE_SYNC) {
      synced = true;
    } else if (st == PGRES_FATAL_ERROR) {
      if (first.ok() && PQstatus(conn_) == CONNECTION_OK && at < sent.size()) {
        first = Failed("running a pipeline", r);
        *failed_call = sent[at].call;
      }
    } else if (st == PGRES_COMMAND_OK && at < sent.size() && sent[at].prepare) {
      prepared_.insert(calls[sent[at].call].statement->name);
    }
    PQclear(r);
  }
  if (!synced) {
    broken_ = true;
    if (!first.ok()) return first;  // The transaction had failed already.
    *outcome = Outcome::kUnknown;
    return absl::UnavailableError(absl::StrCat(
        "postgres (running a pipeline): ", OneLine(PQerrorMessage(conn_)),
        "; the connection broke after the commit was sent, so whether the "
        "write was applied is unknown: read it back"));
  }
  if (PQexitPipelineMode(conn_) != 1) broken_ = true;
  if (!first.ok()) return first;
  *outcome = Outcome::kCommitted;
  return absl::OkStatus();
}

}  // namespace pg
}  // namespace sessionlog
