#include "engine/sql/sql_driver.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "api/internal/validation.h"
#include "engine/sql/group_commit.h"
#include "engine/sql/row_mapping.h"

namespace sessionlog {
namespace {

using Mode = SqlBackend::Mode;

constexpr int kMaxAttempts = 5;
constexpr int64_t kBeforeAll = std::numeric_limits<int64_t>::min();
// Group commit of appends (group_commit.h): two groups on the wire at once,
// so that one is built and sent while the server runs the other; events per
// group capped so that one statement's arrays stay a few MB.
constexpr int kGroupsInFlight = 2;
constexpr size_t kMaxGroupEvents = 4096;

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
        batched_appends_(HasBatchedAppends(dialect)),
        backend_(std::move(backend)) {
    // These stores are the TS SDK's tables, which record no limits, and the
    // TS SQL drivers enforce none: a tool that asks for the store's own
    // limits must clip nothing.
    AdoptStoredLimits(options.max_sessions == kLimitFromStore
                          ? kNoLimit
                          : this->options().max_sessions,
                      options.max_events_per_session == kLimitFromStore
                          ? kNoLimit
                          : this->options().max_events_per_session);
    StartRetention();  // Last: the check calls the hooks.
  }
  ~SqlDriver() override { StopRetention(); }

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
    std::vector<SqlBackend::Step> steps = {
        {Stmt::kLockStore, {StoreKey()}},
        {Stmt::kUpsertSession, SessionParams(record)}};
    if (options().max_sessions != kNoLimit) {
      // Events first: their statement finds the records to evict.
      steps.push_back({Stmt::kEvictEvents, {options().max_sessions}});
      steps.push_back({Stmt::kEvictSessions, {options().max_sessions}});
    }
    int failed = -1;
    absl::Status s = Batch(steps, &failed);
    if (!s.ok() && failed == 1) return Context(s, "session", record.id);
    return s;
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
    if (!batched_appends_ || options().read_only) {
      return InsertOneByOne(events);
    }
    GroupCommit::Call call{events};
    groups_.Submit(&call, [this](absl::Span<GroupCommit::Call* const> group) {
      RunGroup(group);
    });
    return call.status;
  }

  // A group of appends in one batch: the locks, one multi-row insert that
  // fails on any conflict, one trim. If anything in it is refused (an index
  // or id taken, even by an identical retry; a value the server rejects),
  // each call runs again on its own, statement by statement, which tells
  // identical retries, aliases and real conflicts apart.
  void RunGroup(absl::Span<GroupCommit::Call* const> group) {
    std::vector<const SessionEvent*> events;
    for (const GroupCommit::Call* c : group) {
      for (const SessionEvent& e : c->events) events.push_back(&e);
    }
    absl::Status s = InsertBatched(events);
    if (s.ok() || absl::IsUnavailable(s) || absl::IsAborted(s)) {
      for (GroupCommit::Call* c : group) c->status = s;
      return;
    }
    for (GroupCommit::Call* c : group) c->status = InsertOneByOne(c->events);
  }

  absl::Status InsertBatched(const std::vector<const SessionEvent*>& events) {
    std::vector<std::pair<int64_t, absl::string_view>> sessions;
    for (const SessionEvent* e : events) {
      sessions.push_back({LockKey(schema_, e->session_id), e->session_id});
    }
    SortSessions(sessions);
    std::vector<int64_t> keys;
    std::vector<std::optional<std::string>> ids;
    for (const auto& [key, id] : sessions) {
      keys.push_back(key);
      ids.emplace_back(std::string(id));
    }
    // Column j of every event, as one array parameter.
    constexpr int kColumns = 7;
    std::vector<std::vector<std::optional<std::string>>> columns(kColumns);
    for (const SessionEvent* e : events) {
      std::vector<SqlValue> row = EventParams(*e);
      for (int j = 0; j < kColumns; ++j) {
        if (const int64_t* n = std::get_if<int64_t>(&row[j])) {
          columns[j].emplace_back(absl::StrCat(*n));
        } else if (std::string* t = std::get_if<std::string>(&row[j])) {
          columns[j].emplace_back(std::move(*t));
        } else {
          columns[j].emplace_back(std::nullopt);
        }
      }
    }
    std::vector<SqlBackend::Step> steps(2);
    steps[0] = {Stmt::kLockStoreSharedAndKeys,
                {StoreKey(), ArrayLiteral(keys)}};
    steps[1].stmt = Stmt::kInsertEventRows;
    for (const auto& column : columns) {
      steps[1].params.emplace_back(ArrayLiteral(column));
    }
    if (options().max_events_per_session != kNoLimit) {
      steps.push_back({Stmt::kTrimSessions,
                       {ArrayLiteral(ids), options().max_events_per_session}});
    }
    int failed = -1;
    return Batch(steps, &failed);
  }

  // Statement by statement, in one transaction.
  absl::Status InsertOneByOne(absl::Span<const SessionEvent> events) {
    std::vector<std::pair<int64_t, absl::string_view>> sessions;
    for (const SessionEvent& e : events) {
      sessions.push_back({LockKey(schema_, e.session_id), e.session_id});
    }
    SortSessions(sessions);
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
    absl::StatusOr<std::optional<int64_t>> highest;
    absl::Status s = Transact(Mode::kRead, [&](SqlTransaction& txn) {
      highest = Highest(txn, session_id);
      return highest.status();
    });
    if (!s.ok()) return s;
    return highest;
  }

  // In one write transaction that holds the store lock exclusively, as
  // record writes do: the checks, the record, the copies of the events (page
  // by page, so that a long session is never read at once), and the limits.
  absl::Status DoForkSession(absl::string_view source_id,
                             absl::string_view new_id,
                             int64_t through_index) override {
    return Transact(Mode::kWrite, [&](SqlTransaction& txn) -> absl::Status {
      absl::StatusOr<int64_t> locked =
          txn.Run(Stmt::kLockStore, {StoreKey()}, nullptr);
      if (!locked.ok()) return locked.status();
      absl::StatusOr<std::optional<SessionRecord>> source =
          Record(txn, source_id);
      if (!source.ok()) return source.status();
      if (!source->has_value()) return ForkSourceNotFound(source_id);
      absl::StatusOr<std::optional<SessionRecord>> target = Record(txn, new_id);
      if (!target.ok()) return target.status();
      absl::StatusOr<std::optional<int64_t>> target_highest =
          Highest(txn, new_id);
      if (!target_highest.ok()) return target_highest.status();
      if (target->has_value() || target_highest->has_value()) {
        return ForkTargetExists(new_id);
      }
      absl::StatusOr<std::optional<int64_t>> highest = Highest(txn, source_id);
      if (!highest.ok()) return highest.status();
      if (absl::Status s =
              CheckThroughIndex(source_id, *highest, through_index);
          !s.ok()) {
        return s;
      }
      absl::StatusOr<int64_t> upserted =
          txn.Run(Stmt::kUpsertSession,
                  SessionParams(ForkedRecord(**source, new_id)), nullptr);
      if (!upserted.ok()) return Context(upserted.status(), "session", new_id);
      int64_t after = kBeforeAll;
      bool more = true;
      while (more) {
        std::vector<SqlRow> rows;
        absl::StatusOr<int64_t> q = txn.Run(
            Stmt::kListEvents, {Text(source_id), after, kMaxPageLimit}, &rows);
        if (!q.ok()) return q.status();
        more = static_cast<int64_t>(rows.size()) == kMaxPageLimit;
        for (const SqlRow& row : rows) {
          absl::StatusOr<SessionEvent> event = EventFromRow(row);
          if (!event.ok()) return event.status();
          if (event->event_index > through_index) {
            more = false;
            break;
          }
          after = event->event_index;
          if (absl::Status s = InsertOne(txn, ForkedEvent(*event, new_id));
              !s.ok()) {
            return s;
          }
        }
      }
      if (options().max_events_per_session != kNoLimit) {
        if (absl::Status s = Trim(txn, new_id); !s.ok()) return s;
      }
      if (options().max_sessions == kNoLimit) return absl::OkStatus();
      // The fork is in place: the first `count - max_sessions` records are
      // what eviction takes, and must be neither the source nor the fork.
      std::vector<SqlRow> counted;
      absl::StatusOr<int64_t> c = txn.Run(Stmt::kCountSessions, {}, &counted);
      if (!c.ok()) return c.status();
      if (counted.empty())
        return absl::InternalError("COUNT(*) returned no row");
      absl::StatusOr<std::optional<int64_t>> count = IntColumn(counted[0], 0);
      if (!count.ok()) return count.status();
      const int64_t overflow = count->value_or(0) - options().max_sessions;
      if (overflow > 0) {
        std::vector<SqlRow> oldest;
        absl::StatusOr<int64_t> q =
            txn.Run(Stmt::kListSessions, {kBeforeAll, std::string(), overflow},
                    &oldest);
        if (!q.ok()) return q.status();
        absl::StatusOr<std::vector<SessionRecord>> victims =
            MapRows<SessionRecord>(oldest, SessionFromRow);
        if (!victims.ok()) return victims.status();
        std::vector<std::string> ids;
        for (const SessionRecord& victim : *victims) ids.push_back(victim.id);
        if (absl::Status s = CheckForkEvictions(source_id, new_id, ids,
                                                options().max_sessions);
            !s.ok()) {
          return s;
        }
      }
      for (Stmt evict : {Stmt::kEvictEvents, Stmt::kEvictSessions}) {
        absl::StatusOr<int64_t> n =
            txn.Run(evict, {options().max_sessions}, nullptr);
        if (!n.ok()) return n.status();
      }
      return absl::OkStatus();
    });
  }

  // Locks as appends do (the store shared, the session exclusive), so that
  // it is ordered with the session's appends, deletes and evictions.
  absl::Status DoRewindSession(absl::string_view id,
                               int64_t through_index) override {
    return Transact(Mode::kWrite, [&](SqlTransaction& txn) -> absl::Status {
      absl::StatusOr<int64_t> locked =
          txn.Run(Stmt::kLockStoreSharedAndKey,
                  {StoreKey(), LockKey(schema_, id)}, nullptr);
      if (!locked.ok()) return locked.status();
      absl::StatusOr<std::optional<int64_t>> highest = Highest(txn, id);
      if (!highest.ok()) return highest.status();
      if (!highest->has_value()) {
        absl::StatusOr<std::optional<SessionRecord>> record = Record(txn, id);
        if (!record.ok()) return record.status();
        if (!record->has_value()) return RewindSessionNotFound(id);
      }
      if (absl::Status s = CheckThroughIndex(id, *highest, through_index);
          !s.ok()) {
        return s;
      }
      return txn
          .Run(Stmt::kDeleteEventsAfter, {Text(id), through_index}, nullptr)
          .status();
    });
  }

  absl::Status DoDeleteSession(absl::string_view id) override {
    int failed = -1;
    return Batch({{Stmt::kLockStore, {StoreKey()}},
                  {Stmt::kDeleteEvents, {Text(id)}},
                  {Stmt::kDeleteSession, {Text(id)}}},
                 &failed);
  }

  absl::StatusOr<std::optional<int64_t>> DoDeleteSessionIf(
      absl::string_view id, StillSelected still_selected) override {
    std::optional<int64_t> deleted;
    absl::Status s = Transact(Mode::kWrite, [&](SqlTransaction& txn) {
      deleted.reset();
      // Exclusive, as DeleteSession's: appends and updates of `id` wait.
      absl::StatusOr<int64_t> locked =
          txn.Run(Stmt::kLockStore, {StoreKey()}, nullptr);
      if (!locked.ok()) return locked.status();
      absl::StatusOr<std::optional<SessionRecord>> record = Record(txn, id);
      if (!record.ok()) return record.status();
      if (!record->has_value()) return absl::OkStatus();
      std::vector<SqlRow> newest;
      absl::StatusOr<int64_t> read =
          txn.Run(Stmt::kLastEvents, {Text(id), int64_t{1}}, &newest);
      if (!read.ok()) return read.status();
      std::optional<int64_t> newest_event_at;
      if (!newest.empty()) {
        absl::StatusOr<SessionEvent> event = EventFromRow(newest[0]);
        if (!event.ok()) return event.status();
        newest_event_at = event->created_at;
      }
      if (!still_selected(**record, newest_event_at)) return absl::OkStatus();
      absl::StatusOr<int64_t> events =
          txn.Run(Stmt::kDeleteEvents, {Text(id)}, nullptr);
      if (!events.ok()) return events.status();
      absl::StatusOr<int64_t> sessions =
          txn.Run(Stmt::kDeleteSession, {Text(id)}, nullptr);
      if (!sessions.ok()) return sessions.status();
      deleted = *events;
      return absl::OkStatus();
    });
    if (!s.ok()) return s;
    return deleted;
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

  // Runs `steps` in one batch, again when it lost a race (Aborted). Every
  // batch of this driver is idempotent: upserts, deletes, and inserts whose
  // identical rerun is refused as a conflict, then found identical.
  absl::Status Batch(absl::Span<const SqlBackend::Step> steps,
                     int* failed_step) {
    if (options().read_only) {
      return absl::FailedPreconditionError(
          "the store was opened read_only; writes are refused");
    }
    absl::Status s;
    for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
      s = backend_->RunBatch(steps, /*idempotent=*/true, failed_step);
      if (!absl::IsAborted(s)) return s;
    }
    return s;
  }

  // Sessions in a fixed order (by lock key), once each, so that concurrent
  // writers take their per-session locks in the same order and cannot
  // deadlock.
  static void SortSessions(
      std::vector<std::pair<int64_t, absl::string_view>>& sessions) {
    std::sort(sessions.begin(), sessions.end());
    sessions.erase(std::unique(sessions.begin(), sessions.end()),
                   sessions.end());
  }

  int64_t StoreKey() const { return LockKey("sessionlog-store", schema_); }

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

  // The highest event index of a session, or nullopt when it has none.
  static absl::StatusOr<std::optional<int64_t>> Highest(
      SqlTransaction& txn, absl::string_view session_id) {
    std::vector<SqlRow> rows;
    absl::StatusOr<int64_t> q =
        txn.Run(Stmt::kHighestIndex, {Text(session_id)}, &rows);
    if (!q.ok()) return q.status();
    if (rows.empty()) return std::nullopt;
    return IntColumn(rows[0], 0);
  }

  // The record of `id`, or nullopt.
  static absl::StatusOr<std::optional<SessionRecord>> Record(
      SqlTransaction& txn, absl::string_view id) {
    std::vector<SqlRow> rows;
    absl::StatusOr<int64_t> q = txn.Run(Stmt::kGetSession, {Text(id)}, &rows);
    if (!q.ok()) return q.status();
    if (rows.empty()) return std::nullopt;
    return SessionFromRow(rows[0]);
  }

  absl::Status Trim(SqlTransaction& txn, absl::string_view session_id) {
    return txn
        .Run(Stmt::kTrimEvents,
             {Text(session_id), options().max_events_per_session}, nullptr)
        .status();
  }

  const std::string schema_;
  const bool batched_appends_;
  const std::unique_ptr<SqlBackend> backend_;
  GroupCommit groups_{kGroupsInFlight, kMaxGroupEvents};
};

}  // namespace

std::unique_ptr<SessionPersistDriver> NewSqlDriver(
    const DriverOptions& options, const SqlDialect& dialect,
    std::unique_ptr<SqlBackend> backend) {
  return std::make_unique<SqlDriver>(options, dialect, std::move(backend));
}

}  // namespace sessionlog
