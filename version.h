// The library's version. Bumped with every release; the on-disk format has a
// version of its own (engine/rocksdb), which changes far more rarely.

#ifndef SESSIONLOG_VERSION_H_
#define SESSIONLOG_VERSION_H_

#define SESSIONLOG_VERSION_MAJOR 0
#define SESSIONLOG_VERSION_MINOR 2
#define SESSIONLOG_VERSION_PATCH 0
#define SESSIONLOG_VERSION_STRING "0.2.0"

namespace sessionlog {

// The version of the library this program was built against, e.g. "0.2.0".
inline constexpr char kVersion[] = SESSIONLOG_VERSION_STRING;

}  // namespace sessionlog

#endif  // SESSIONLOG_VERSION_H_
