#include "bench/raw_sqlite_peer.h"

#include <sqlite3.h>

#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace sessionlog::bench {
namespace {

constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS sessions (
  id TEXT PRIMARY KEY, agent TEXT NOT NULL, agent_session_id TEXT NOT NULL,
  last_connection_id TEXT NOT NULL, created_at INTEGER NOT NULL,
  destroyed_at INTEGER, sandbox_id TEXT, session_init_json TEXT,
  config_options_json TEXT, modes_json TEXT);
CREATE TABLE IF NOT EXISTS events (
  id TEXT PRIMARY KEY, event_index INTEGER NOT NULL, session_id TEXT NOT NULL,
  created_at INTEGER NOT NULL, connection_id TEXT NOT NULL,
  sender TEXT NOT NULL, payload_json TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS idx_events_session_order
  ON events(session_id, event_index, id);
)sql";

constexpr char kUpsertSession[] = R"sql(
INSERT INTO sessions (id, agent, agent_session_id, last_connection_id,
  created_at, destroyed_at, sandbox_id, session_init_json,
  config_options_json, modes_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT(id) DO UPDATE SET agent = excluded.agent,
  agent_session_id = excluded.agent_session_id,
  last_connection_id = excluded.last_connection_id,
  created_at = excluded.created_at, destroyed_at = excluded.destroyed_at,
  sandbox_id = excluded.sandbox_id,
  session_init_json = excluded.session_init_json,
  config_options_json = excluded.config_options_json,
  modes_json = excluded.modes_json)sql";

constexpr char kUpsertEvent[] = R"sql(
INSERT INTO events (id, event_index, session_id, created_at, connection_id,
  sender, payload_json) VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT(id) DO UPDATE SET event_index = excluded.event_index,
  session_id = excluded.session_id, created_at = excluded.created_at,
  connection_id = excluded.connection_id, sender = excluded.sender,
  payload_json = excluded.payload_json)sql";

constexpr char kLastEvents[] = R"sql(
SELECT id, event_index, session_id, created_at, connection_id, sender,
  payload_json FROM events WHERE session_id = ?
ORDER BY event_index DESC, id DESC LIMIT ?)sql";

constexpr char kGetSession[] = R"sql(
SELECT id, agent, agent_session_id, last_connection_id, created_at,
  destroyed_at, sandbox_id, session_init_json, config_options_json, modes_json
FROM sessions WHERE id = ?)sql";

std::string Column(sqlite3_stmt* stmt, int i) {
  const unsigned char* text = sqlite3_column_text(stmt, i);
  return text == nullptr ? std::string()
                         : std::string(reinterpret_cast<const char*>(text),
                                       sqlite3_column_bytes(stmt, i));
}

void BindText(sqlite3_stmt* stmt, int i, absl::string_view text) {
  sqlite3_bind_text(stmt, i, text.data(), static_cast<int>(text.size()),
                    SQLITE_STATIC);
}

void BindOptional(sqlite3_stmt* stmt, int i,
                  const std::optional<std::string>& text) {
  if (text) {
    BindText(stmt, i, *text);
  } else {
    sqlite3_bind_null(stmt, i);
  }
}

class RawSqlitePeer final : public Peer {
 public:
  explicit RawSqlitePeer(sqlite3* db) : db_(db) {}
  ~RawSqlitePeer() override { Close().IgnoreError(); }

  absl::Status Prepare() {
    for (auto [sql, stmt] : {std::pair{kUpsertSession, &upsert_session_},
                             std::pair{kUpsertEvent, &upsert_event_},
                             std::pair{kLastEvents, &last_events_},
                             std::pair{kGetSession, &get_session_}}) {
      if (sqlite3_prepare_v2(db_, sql, -1, stmt, nullptr) != SQLITE_OK) {
        return Error("prepare");
      }
    }
    return absl::OkStatus();
  }

  absl::Status PutSession(const SessionRecord& r) override {
    sqlite3_stmt* s = upsert_session_;
    BindText(s, 1, r.id);
    BindText(s, 2, r.agent);
    BindOptional(s, 3, r.agent_session_id);
    BindText(s, 4, r.last_connection_id);
    sqlite3_bind_int64(s, 5, r.created_at);
    if (r.destroyed_at) {
      sqlite3_bind_int64(s, 6, *r.destroyed_at);
    } else {
      sqlite3_bind_null(s, 6);
    }
    BindOptional(s, 7, r.sandbox_id);
    BindOptional(s, 8, r.session_init_json);
    BindOptional(s, 9, r.config_options_json);
    BindOptional(s, 10, r.modes_json);
    return Step(s, "upsert session");
  }

  absl::Status Append(const SessionEvent& event) override {
    return InsertEvent(event);
  }

  absl::Status AppendBatch(absl::Span<const SessionEvent> events) override {
    if (absl::Status s = Exec("BEGIN"); !s.ok()) return s;
    for (const SessionEvent& event : events) {
      if (absl::Status s = InsertEvent(event); !s.ok()) {
        Exec("ROLLBACK").IgnoreError();
        return s;
      }
    }
    return Exec("COMMIT");
  }

  absl::StatusOr<int64_t> LastEvents(absl::string_view session_id,
                                     int64_t count) override {
    sqlite3_stmt* s = last_events_;
    BindText(s, 1, session_id);
    sqlite3_bind_int64(s, 2, count);
    std::vector<SessionEvent> events;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      SessionEvent e;
      e.id = Column(s, 0);
      e.event_index = sqlite3_column_int64(s, 1);
      e.session_id = Column(s, 2);
      e.created_at = sqlite3_column_int64(s, 3);
      e.connection_id = Column(s, 4);
      e.sender = Column(s, 5) == "agent" ? Sender::kAgent : Sender::kClient;
      e.payload_json = Column(s, 6);
      events.push_back(std::move(e));
    }
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) return Error("last events");
    return static_cast<int64_t>(events.size());
  }

  absl::Status GetSession(absl::string_view id) override {
    sqlite3_stmt* s = get_session_;
    BindText(s, 1, id);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
      SessionRecord r;
      r.id = Column(s, 0);
      r.agent = Column(s, 1);
      r.agent_session_id = Column(s, 2);
      r.last_connection_id = Column(s, 3);
      r.created_at = sqlite3_column_int64(s, 4);
      r.sandbox_id = Column(s, 6);
      r.session_init_json = Column(s, 7);
    }
    sqlite3_reset(s);
    if (rc == SQLITE_DONE) {
      return absl::NotFoundError(absl::StrCat("raw sqlite: session ", id));
    }
    return rc == SQLITE_ROW ? absl::OkStatus() : Error("get session");
  }

  absl::Status Close() override {
    if (db_ == nullptr) return absl::OkStatus();
    for (sqlite3_stmt* s :
         {upsert_session_, upsert_event_, last_events_, get_session_}) {
      sqlite3_finalize(s);
    }
    // Fold the WAL back into the database file so that its size is the
    // store's size.
    absl::Status s = Exec("PRAGMA wal_checkpoint(TRUNCATE)");
    sqlite3_close(db_);
    db_ = nullptr;
    return s;
  }

  absl::Status Exec(const char* sql) {
    return sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) == SQLITE_OK
               ? absl::OkStatus()
               : Error(sql);
  }

 private:
  absl::Status InsertEvent(const SessionEvent& e) {
    sqlite3_stmt* s = upsert_event_;
    BindText(s, 1, e.id);
    sqlite3_bind_int64(s, 2, e.event_index);
    BindText(s, 3, e.session_id);
    sqlite3_bind_int64(s, 4, e.created_at);
    BindText(s, 5, e.connection_id);
    BindText(s, 6, SenderName(e.sender));
    BindText(s, 7, e.payload_json);
    return Step(s, "upsert event");
  }

  absl::Status Step(sqlite3_stmt* s, absl::string_view what) {
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? absl::OkStatus() : Error(what);
  }

  absl::Status Error(absl::string_view what) {
    return absl::InternalError(
        absl::StrCat("raw sqlite ", what, ": ", sqlite3_errmsg(db_)));
  }

  sqlite3* db_;
  sqlite3_stmt* upsert_session_ = nullptr;
  sqlite3_stmt* upsert_event_ = nullptr;
  sqlite3_stmt* last_events_ = nullptr;
  sqlite3_stmt* get_session_ = nullptr;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Peer>> OpenRawSqlitePeer(const std::string& file,
                                                        bool sync) {
  sqlite3* db = nullptr;
  if (sqlite3_open(file.c_str(), &db) != SQLITE_OK) {
    std::string why = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return absl::InternalError(
        absl::StrCat("raw sqlite open ", file, ": ", why));
  }
  auto peer = std::make_unique<RawSqlitePeer>(db);
  for (const char* sql :
       {"PRAGMA journal_mode=WAL",
        sync ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL",
        kSchema}) {
    if (absl::Status s = peer->Exec(sql); !s.ok()) return s;
  }
  if (absl::Status s = peer->Prepare(); !s.ok()) return s;
  return peer;
}

}  // namespace sessionlog::bench
