// The conformance suite against the in-process driver ("memory:").

#include "engine/memory/memory_driver.h"
#include "tests/conformance/driver_conformance.h"

namespace sessionlog {
namespace {

class MemoryHarness : public DriverHarness {
 public:
  absl::StatusOr<std::unique_ptr<SessionPersistDriver>> Open(
      const DriverOptions& options) override {
    return OpenMemoryDriver(options);
  }
};

}  // namespace

SESSIONLOG_CONFORMANCE_TEST(Memory, MemoryHarness);

}  // namespace sessionlog
