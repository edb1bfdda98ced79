// Records and events for tests: one set of builders, so that every test
// writes the same well-formed values and a test states only what it changes.

#ifndef SESSIONLOG_TESTS_TESTING_RECORDS_H_
#define SESSIONLOG_TESTS_TESTING_RECORDS_H_

#include <cstdint>

#include "absl/strings/string_view.h"
#include "api/session.h"

namespace sessionlog {
namespace test {

// A record with the required fields and agentSessionId ("agent-<id>"), agent
// "mock", lastConnectionId "conn-1"; no other optional field.
SessionRecord MakeSession(absl::string_view id, int64_t created_at);

// A record with every optional field set, non-ASCII text included.
SessionRecord MakeFullSession(absl::string_view id, int64_t created_at);

// Event `index` of a session: id "<session>/e<index>", createdAt
// 1700000000000 + index, connectionId "conn-1", a JSON-RPC payload that names
// the index, sender agent for even indexes and client for odd ones.
SessionEvent MakeEvent(absl::string_view session_id, int64_t index);

// The same event with a payload of about `payload_bytes` bytes (a JSON-RPC
// notification whose text is that many 'x').
SessionEvent MakeEventOfSize(absl::string_view session_id, int64_t index,
                             int64_t payload_bytes);

}  // namespace test
}  // namespace sessionlog

#endif  // SESSIONLOG_TESTS_TESTING_RECORDS_H_
