// Random operation scripts for the differential test: the SDK's five driver
// operations, generated so that they stay inside what sessionlog keeps the
// same as the SDK (DESIGN.md, api/driver.h):
//  * each session's event indices strictly increase (with gaps) and no event
//    is inserted twice, so (sessionId, eventIndex) is unique, and "newest by
//    index" retention equals the SDK's "latest inserted";
//  * session ids use only [a-z0-9], where JavaScript's localeCompare agrees
//    with byte order;
//  * limits are 0 (the default) or >= 1;
//  * listings are whole cursor chains, compared page by page, never one
//    backend's cursor fed to the other.

#ifndef SESSIONLOG_TESTS_DIFFERENTIAL_OP_GENERATOR_H_
#define SESSIONLOG_TESTS_DIFFERENTIAL_OP_GENERATOR_H_

#include <cstdint>
#include <string>
#include <vector>

#include "api/session.h"

namespace sessionlog {

struct Op {
  enum class Kind {
    kUpdateSession,
    kInsertEvent,
    kGetSession,
    kListSessions,  // A whole cursor chain with page size `limit`.
    kListEvents,    // A whole cursor chain of session `id`.
  };
  Kind kind;
  SessionRecord record;  // kUpdateSession
  SessionEvent event;    // kInsertEvent
  std::string id;        // kGetSession, kListEvents
  int64_t limit = 0;     // kListSessions, kListEvents; 0: the default.
};

struct Script {
  uint64_t seed = 0;
  int64_t max_sessions = 0;            // >= 1
  int64_t max_events_per_session = 0;  // >= 1
  std::vector<Op> ops;
};

// A reproducible script of `num_ops` operations for `seed`, under these caps.
Script GenerateScript(uint64_t seed, int64_t max_sessions,
                      int64_t max_events_per_session, int num_ops);

// One line for humans, naming the operation and its arguments.
std::string DescribeOp(const Op& op);

}  // namespace sessionlog

#endif  // SESSIONLOG_TESTS_DIFFERENTIAL_OP_GENERATOR_H_
