#include "engine/sql/sql_driver.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "api/internal/validation.h"
#include "engine/sql/row_mapping.h"

namespace sessionlog {
namespace {

using Mode = SqlBackend::Mode;

constexpr int kMaxAttempts = 5;
constexpr int64_t kBeforeAll = std::numeric_limits<int64_t>::min();

// A stable 64-bit hash (FNV-1a) for advisory-lock keys: it must be the same
// in every process that shares the store.
int64_t LockKey(absl::string_view a, absl::string_view b) {
  uint64_t h = 1469598103934665603ull;
  auto mix = [&h](absl::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ull;
    }
  };
  mix(a);
  mix(absl::string_view("\0", 1));
  mix(b);
  return static_cast<int64_t>(h);
}

class SqlDriver final : public SessionPersistDriver {
 public:
  SqlDriver(const DriverOptions& options, const SqlDialect& dialect,
            std::unique_ptr<SqlBackend> backend)
      : SessionPersistDriver(options),
        schema_(dialect.schema),
        backend_(std::move(backend)) {}

 protected:
  absl::StatusOr<SessionRecord> DoGetSession(absl::string_view id) override {
    std::vector<SqlRow> rows;
    absl::Status s = Transact(Mode::kRead, [&](SqlTransaction& txn) {
      rows.clear();
      return txn.Run(Stmt::kGetSession, {Text(id)}, &rows).status();
    });
    if (!s.ok()) return s;
    if (rows.empty()) {
      return absl::NotFoundError(
          absl::StrCat("session \"", absl::CHexEscape(id), "\" not found"));
    }
    return SessionFromRow(rows[0]);
  }

  absl::StatusOr<std::vector<SessionRecord>> DoListSessions(
      const std::optional<SessionCursor>& after, int64_t limit) override {
    std::vector<SqlRow> rows;
    absl::Status s = Transact(Mode::kRead, [&](SqlTransaction& txn) {
      rows.clear();
      std::vector<SqlValue> params = {after ? after->created_at : kBeforeAll,
                                      after ? after->id : std::string(), limit};
      return txn.Run(Stmt::kListSessions, params, &rows).status();
    });
    if (!s.ok()) return s;
    return MapRows<SessionRecord>(rows, SessionFromRow);
  }

  absl::Status DoUpdateSession(const SessionRecord& record) override {
    return Transact(Mode::kWrite, [&](SqlTransaction& txn) -> absl::Status {
      if (absl::Status s = LockStore(txn, Stmt::kLockStore); !s.ok()) return s;
      absl::StatusOr<int64_t> n =
          txn.Run(Stmt::kUpsertSession, SessionParams(record), nullptr);
      if (!n.ok()) return Context(n.status(), "session", record.id);
      if (options().max_sessions == kNoLimit) return absl::OkStatus();
      // Events first: their statement finds the records to evict.
      for (Stmt evict : {Stmt::kEvictEvents, Stmt::kEvictSessions}) {
        absl::StatusOr<int64_t> d =
            txn.Run(evict, {options().max_sessions}, nullptr);
        if (!d.ok()) return d.status();
      }
      return absl::OkStatus();
    });
  }

  absl::StatusOr<std::vector<SessionEvent>> DoListEvents(
      absl::string_view session_id, std::optional<int64_t> after_index,
      int64_t limit) override {
    std::vector<SqlRow> rows;
    absl::Status s = Transact(Mode::kRead, [&](SqlTransaction& txn) {
      rows.clear();
      std::vector<SqlValue> params = {Text(session_id),
                                      after_index.value_or(kBeforeAll), limit};
      return txn.Run(Stmt::kListEvents, params, &rows).status();
    });
    if (!s.ok()) return s;
    return MapRows<SessionEvent>(rows, EventFromRow);
  }

  absl::Status DoInsertEvents(absl::Span<const SessionEvent> events) override {
    // Sessions in a fixed order, so that concurrent batches take their
    // per-session locks in the same order and cannot deadlock.
    std::vector<std::pair<int64_t, absl::string_view>> sessions;
    for (const SessionEvent& e : events) {
      sessions.push_back({LockKey(schema_, e.session_id), e.session_id});
    }
    std::sort(sessions.begin(), sessions.end());
    sessions.erase(std::unique(sessions.begin(), sessions.end()),
                   sessions.end());
    return Transact(Mode::kWrite, [&](SqlTransaction& txn) -> absl::Status {
      // One round trip takes the shared store lock and the first session's;
      // a batch over several sessions takes the others one by one.
      for (size_t i = 0; i < sessions.size(); ++i) {
        absl::StatusOr<int64_t> n =
            i == 0 ? txn.Run(Stmt::kLockStoreSharedAndKey,
                             {StoreKey(), sessions[i].first}, nullptr)
                   : txn.Run(Stmt::kLockKey, {sessions[i].first}, nullptr);
        if (!n.ok()) return n.status();
      }
      for (const SessionEvent& e : events) {
        if (absl::Status s = InsertOne(txn, e); !s.ok()) return s;
      }
      if (options().max_events_per_session == kNoLimit) return absl::OkStatus();
      for (const auto& [key, session_id] : sessions) {
        if (absl::Status s = Trim(txn, session_id); !s.ok()) return s;
      }
      return absl::OkStatus();
    });
  }

  absl::StatusOr<std::vector<SessionEvent>> DoLastEvents(
      absl::string_view session_id, int64_t count) override {
    std::vector<SqlRow> rows;
    absl::Status s = Transact(Mode::kRead, [&](SqlTransaction& txn) {
      rows.clear();
      return txn.Run(Stmt::kLastEvents, {Text(session_id), count}, &rows)
          .status();
    });
    if (!s.ok()) return s;
    std::reverse(rows.begin(), rows.end());
    return MapRows<SessionEvent>(rows, EventFromRow);
  }

  absl::StatusOr<std::optional<int64_t>> DoHighestEventIndex(
      absl::string_view session_id) override {
    std::vector<SqlRow> rows;
    absl::Status s = Transact(Mode::kRead, [&](SqlTransaction& txn) {
      rows.clear();
      return txn.Run(Stmt::kHighestIndex, {Text(session_id)}, &rows).status();
    });
    if (!s.ok()) return s;
    if (rows.empty()) return std::nullopt;
    return IntColumn(rows[0], 0);
  }

  absl::Status DoDeleteSession(absl::string_view id) override {
    return Transact(Mode::kWrite, [&](SqlTransaction& txn) -> absl::Status {
      if (absl::Status s = LockStore(txn, Stmt::kLockStore); !s.ok()) return s;
      if (absl::StatusOr<int64_t> n =
              txn.Run(Stmt::kDeleteEvents, {Text(id)}, nullptr);
          !n.ok()) {
        return n.status();
      }
      return txn.Run(Stmt::kDeleteSession, {Text(id)}, nullptr).status();
    });
  }

  absl::StatusOr<DriverStats> DoStats() override {
    DriverStats stats;
    absl::Status s = Transact(Mode::kRead, [&](SqlTransaction& txn) {
      std::vector<SqlRow> sessions, events;
      absl::StatusOr<int64_t> a = txn.Run(Stmt::kCountSessions, {}, &sessions);
      if (!a.ok()) return a.status();
      absl::StatusOr<int64_t> b = txn.Run(Stmt::kCountEvents, {}, &events);
      if (!b.ok()) return b.status();
      if (sessions.empty() || events.empty()) {
        return absl::InternalError("COUNT(*) returned no row");
      }
      absl::StatusOr<std::optional<int64_t>> ns = IntColumn(sessions[0], 0);
      absl::StatusOr<std::optional<int64_t>> ne = IntColumn(events[0], 0);
      if (!ns.ok()) return ns.status();
      if (!ne.ok()) return ne.status();
      stats.sessions = ns->value_or(0);
      stats.events = ne->value_or(0);
      return absl::OkStatus();
    });
    if (!s.ok()) return s;
    absl::StatusOr<int64_t> bytes = backend_->DiskBytes();
    if (!bytes.ok()) return bytes.status();
    stats.disk_bytes = *bytes;
    return stats;
  }

  absl::Status DoFlush() override { return backend_->Flush(); }

  absl::Status DoCheckIntegrity() override {
    return backend_->CheckIntegrity();
  }

  absl::Status DoCompact() override {
    if (options().read_only) {
      return absl::FailedPreconditionError(
          "the store was opened read_only; compaction writes, so it is "
          "refused");
    }
    return backend_->Compact();
  }

 private:
  static SqlValue Text(absl::string_view s) { return std::string(s); }

  template <typename T, typename F>
  static absl::StatusOr<std::vector<T>> MapRows(const std::vector<SqlRow>& rows,
                                                F map) {
    std::vector<T> items;
    items.reserve(rows.size());
    for (const SqlRow& row : rows) {
      absl::StatusOr<T> item = map(row);
      if (!item.ok()) return item.status();
      items.push_back(*std::move(item));
    }
    return items;
  }

  static absl::Status Context(const absl::Status& s, absl::string_view what,
                              absl::string_view id) {
    return absl::Status(
        s.code(),
        absl::StrCat(what, " \"", absl::CHexEscape(id), "\": ", s.message()));
  }

  // Runs `body` in a transaction, again when it lost a race (Aborted).
  absl::Status Transact(Mode mode,
                        absl::FunctionRef<absl::Status(SqlTransaction&)> body) {
    if (mode == Mode::kWrite && options().read_only) {
      return absl::FailedPreconditionError(
          "the store was opened read_only; writes are refused");
    }
    absl::Status s;
    for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
      s = backend_->InTransaction(mode, body);
      if (!absl::IsAborted(s)) return s;
    }
    return s;
  }

  int64_t StoreKey() const { return LockKey("sessionlog-store", schema_); }

  absl::Status LockStore(SqlTransaction& txn, Stmt lock) {
    return txn.Run(lock, {StoreKey()}, nullptr).status();
  }

  absl::Status InsertOne(SqlTransaction& txn, const SessionEvent& e) {
    absl::StatusOr<int64_t> inserted =
        txn.Run(Stmt::kInsertEvent, EventParams(e), nullptr);
    if (!inserted.ok()) return Context(inserted.status(), "event", e.id);
    if (*inserted > 0) return absl::OkStatus();
    // A conflict: on (session_id, event_index), or on the event id.
    std::vector<SqlRow> rows;
    absl::StatusOr<int64_t> q =
        txn.Run(Stmt::kFindEvent, {Text(e.session_id), e.event_index}, &rows);
    if (!q.ok()) return q.status();
    if (!rows.empty()) {
      absl::StatusOr<SessionEvent> stored = EventFromRow(rows[0]);
      if (!stored.ok()) return stored.status();
      return CheckDuplicateEvent(*stored, e);
    }
    // The id is taken by another (session_id, event_index): store this one
    // under its alias (row_mapping.h). The alias names this slot, which was
    // just found free, so it cannot conflict.
    inserted = txn.Run(Stmt::kInsertEvent, AliasedEventParams(e), nullptr);
    if (!inserted.ok()) return Context(inserted.status(), "event", e.id);
    if (*inserted == 0) {
      return absl::InternalError(
          absl::StrCat("event \"", absl::CHexEscape(e.id),
                       "\": its alias id is taken, though its slot is free"));
    }
    return absl::OkStatus();
  }

  absl::Status Trim(SqlTransaction& txn, absl::string_view session_id) {
    return txn
        .Run(Stmt::kTrimEvents,
             {Text(session_id), options().max_events_per_session}, nullptr)
        .status();
  }

  const std::string schema_;
  const std::unique_ptr<SqlBackend> backend_;
};

}  // namespace

std::unique_ptr<SessionPersistDriver> NewSqlDriver(
    const DriverOptions& options, const SqlDialect& dialect,
    std::unique_ptr<SqlBackend> backend) {
  return std::make_unique<SqlDriver>(options, dialect, std::move(backend));
}

}  // namespace sessionlog
