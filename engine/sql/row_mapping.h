// Records <-> SQL rows, shared by the SQLite and Postgres backends.
//
// Parameters and result columns follow the table order of statements.h:
//   session: id, agent, agent_session_id, last_connection_id, created_at,
//            destroyed_at, sandbox_id, session_init_json, config_options_json,
//            modes_json
//   event:   id, event_index, session_id, created_at, connection_id, sender,
//            payload_json
// An absent optional field is SQL NULL; a null `modes` is the JSON text
// "null", so absent and null stay distinct (as the TS drivers store them).
//
// Event ids: the TS tables make events.id the PRIMARY KEY (the TS drivers
// upsert ON CONFLICT(id)), while the contract lets two sessions, or two
// indexes, use one event id. The rare second use is stored under an alias id
// that no valid id can equal (longer than kMaxIdBytes):
//   <id> "#sessionlog-alias#" <event_index> "#" <session_id> "#"... <len(id), 4
//   digits>
// and reads back as <id>. TS readers see the alias; ids that the SDK makes
// (fresh v4 UUIDs) never collide, so they never get one.

#ifndef SESSIONLOG_ENGINE_SQL_ROW_MAPPING_H_
#define SESSIONLOG_ENGINE_SQL_ROW_MAPPING_H_

#include <vector>

#include "absl/status/statusor.h"
#include "api/session.h"
#include "engine/sql/sql_backend.h"

namespace sessionlog {

std::vector<SqlValue> SessionParams(const SessionRecord& record);
std::vector<SqlValue> EventParams(const SessionEvent& event);
// The same, with the event stored under its alias id.
std::vector<SqlValue> AliasedEventParams(const SessionEvent& event);

// DataLoss, naming the row and column, when a row does not hold a valid
// record (e.g. a sender other than client/agent written by another program).
absl::StatusOr<SessionRecord> SessionFromRow(const SqlRow& row);
absl::StatusOr<SessionEvent> EventFromRow(const SqlRow& row);

// Column `i` as an integer (an integer, or decimal text), or nullopt for NULL.
absl::StatusOr<std::optional<int64_t>> IntColumn(const SqlRow& row, size_t i);
// Column `i` as text, or nullopt for NULL.
absl::StatusOr<std::optional<std::string>> TextColumn(const SqlRow& row,
                                                      size_t i);

}  // namespace sessionlog

#endif  // SESSIONLOG_ENGINE_SQL_ROW_MAPPING_H_
