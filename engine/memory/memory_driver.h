// The in-process driver ("memory:"): the SDK's default store, with
// sessionlog's contract (api/driver.h). Nothing survives the process.

#ifndef SESSIONLOG_ENGINE_MEMORY_MEMORY_DRIVER_H_
#define SESSIONLOG_ENGINE_MEMORY_MEMORY_DRIVER_H_

#include <memory>

#include "absl/status/statusor.h"
#include "api/driver.h"

namespace sessionlog {

// InvalidArgument if `options` are out of range.
absl::StatusOr<std::unique_ptr<SessionPersistDriver>> OpenMemoryDriver(
    const DriverOptions& options);

}  // namespace sessionlog

#endif  // SESSIONLOG_ENGINE_MEMORY_MEMORY_DRIVER_H_
