// The conformance suite against the in-process driver ("memory:").

#include "engine/memory/memory_driver.h"
#include "tests/conformance/driver_conformance.h"

namespace sessionlog {
namespace {

class MemoryHarness : public DriverHarness {
 public:
  static BackendCapabilities Capabilities() {
    BackendCapabilities caps;
    caps.durable = NotSupported("nothing outlives a memory: driver");
    caps.read_only = NotSupported(
        "a memory: store lives in one driver, so there is nothing to open "
        "read-only beside it");
    caps.create_if_missing =
        NotSupported("every memory: open is a new store; none is missing");
    caps.compact_reclaims_disk = NotSupported("a memory: store has no disk");
    return caps;
  }

  absl::StatusOr<std::unique_ptr<SessionPersistDriver>> Open(
      const DriverOptions& options) override {
    return OpenMemoryDriver(options);
  }
};

}  // namespace

SESSIONLOG_CONFORMANCE_TEST(Memory, MemoryHarness);

}  // namespace sessionlog
