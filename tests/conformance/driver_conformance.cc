#include "tests/conformance/driver_conformance.h"

namespace sessionlog {

void DriverConformanceTest::SetUp() {
  harness_ = GetParam().make_harness();
  ASSERT_NE(harness_, nullptr);
  OpenWith(DriverOptions());
}

void DriverConformanceTest::TearDown() {
  driver_.reset();
  harness_.reset();
}

void DriverConformanceTest::OpenWith(const DriverOptions& options) {
  driver_.reset();
  absl::StatusOr<std::unique_ptr<SessionPersistDriver>> driver =
      harness_->Open(options);
  ASSERT_TRUE(driver.ok()) << "opening the store: " << driver.status();
  driver_ = *std::move(driver);
}

}  // namespace sessionlog
