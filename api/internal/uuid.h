// Random (version 4) UUIDs, for connection and event ids, as the SDK uses.
// Here rather than in the client because the drivers need them too: a fork
// gives each event it copies a new id.

#ifndef SESSIONLOG_API_INTERNAL_UUID_H_
#define SESSIONLOG_API_INTERNAL_UUID_H_

#include <string>

namespace sessionlog {

// "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx", lowercase. Thread-safe.
std::string NewUuidV4();

}  // namespace sessionlog

#endif  // SESSIONLOG_API_INTERNAL_UUID_H_
