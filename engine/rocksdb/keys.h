// The on-disk layout of a rocksdb: store.
//
// Column families, one job each:
//
//   default   meta. "format_version" -> decimal text (kFormatVersion);
//             "next_handle" -> fixed64 BE; "session_count" -> fixed64 BE;
//             "max_sessions", "max_events_per_session" -> fixed64 BE, the
//             last writer's limits (0: none), which read-only instances
//             read with.
//   sessions  session id -> SessionRecord FlatBuffer (schema/session.fbs).
//   by_age    AgeKey(created_at, id) -> "" : list order and eviction order.
//   handles   'i' + session id -> fixed64 BE handle, and
//             'h' + fixed64 BE handle -> session id (the reverse map), and
//             'f' + fixed64 BE handle -> fixed64 BE floor: the session's low
//             watermark as last synced. Events below it were trimmed, and
//             stay so whatever limits the store is opened with later.
//   events    EventKey(handle, event_index) -> SessionEvent FlatBuffer without
//             its session id (the key names the session).
//
// EventKey is 16 bytes: the session's handle then the event index, both
// big-endian, so that bytewise order is (session, index) order and a whole
// session is one contiguous range:
//
//   +----------------------+----------------------+
//   | handle  (uint64, BE) | event_index (u64 BE) |
//   +----------------------+----------------------+
//
// A handle is allocated the first time a session id gets an event, and is
// never given to another id while its events may exist: an evicted or deleted
// id that comes back gets a new handle, so its old events cannot reappear.
//
// AgeKey is created_at with its sign bit flipped (so that bytewise order is
// numeric order), big-endian, followed by the id bytes.

#ifndef SESSIONLOG_ENGINE_ROCKSDB_KEYS_H_
#define SESSIONLOG_ENGINE_ROCKSDB_KEYS_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace sessionlog {
namespace rocksdb_keys {

inline constexpr int kFormatVersion = 1;
inline constexpr size_t kEventKeySize = 16;

inline constexpr char kFormatVersionKey[] = "format_version";
inline constexpr char kNextHandleKey[] = "next_handle";
inline constexpr char kSessionCountKey[] = "session_count";
inline constexpr char kMaxSessionsKey[] = "max_sessions";
inline constexpr char kMaxEventsPerSessionKey[] = "max_events_per_session";

std::string EncodeFixed64(uint64_t value);
// False unless `bytes` is exactly 8 bytes.
bool DecodeFixed64(absl::string_view bytes, uint64_t* value);

std::string EventKey(uint64_t handle, int64_t event_index);
// False unless `key` is a well-formed event key.
bool DecodeEventKey(absl::string_view key, uint64_t* handle,
                    int64_t* event_index);

std::string AgeKey(int64_t created_at, absl::string_view id);
bool DecodeAgeKey(absl::string_view key, int64_t* created_at, std::string* id);

std::string HandleByIdKey(absl::string_view id);  // 'i' + id
std::string IdByHandleKey(uint64_t handle);       // 'h' + handle
std::string FloorByHandleKey(uint64_t handle);    // 'f' + handle
inline constexpr char kIdByHandlePrefix = 'h';

}  // namespace rocksdb_keys
}  // namespace sessionlog

#endif  // SESSIONLOG_ENGINE_ROCKSDB_KEYS_H_
