// The checker must pass a consistent store and catch each kind of damage;
// otherwise the failure tests built on it prove nothing.

#include "tests/durability/workload.h"

#include <memory>

#include "engine/memory/memory_driver.h"
#include "gtest/gtest.h"

namespace sessionlog {
namespace durability {
namespace {

class WorkloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto driver = OpenMemoryDriver(WorkloadOptions(Durability::kProcessCrash));
    ASSERT_TRUE(driver.ok());
    driver_ = *std::move(driver);
  }

  // Runs `steps` writes, recording acknowledgements.
  void Run(int steps, uint64_t seed) {
    absl::StatusOr<Writer> writer = Writer::Resume(*driver_, seed);
    ASSERT_TRUE(writer.ok()) << writer.status();
    for (int i = 0; i < steps; ++i) {
      ASSERT_TRUE(
          writer->Step(*driver_, [this](const Ack& ack) { acked_.Apply(ack); })
              .ok());
    }
  }

  std::unique_ptr<SessionPersistDriver> driver_;
  Acked acked_;
};

TEST_F(WorkloadTest, ConsistentStorePasses) {
  Run(3000, 1);
  CheckResult result = Check(*driver_, acked_);
  EXPECT_TRUE(result.ok()) << result.Summary();
  // The workload exercised eviction and retention.
  EXPECT_GT(acked_.highest_session, kMaxSessions);
  EXPECT_GT(result.events_checked, kMaxEventsPerSession);
  EXPECT_EQ(result.recovered.highest_session, acked_.highest_session);
}

TEST_F(WorkloadTest, ResumedWriterContinuesTheHistory) {
  Run(1000, 1);
  Run(1000, 2);  // A new writer, as after a crash.
  CheckResult result = Check(*driver_, acked_);
  EXPECT_TRUE(result.ok()) << result.Summary();
}

TEST_F(WorkloadTest, SeesLostEvents) {
  Run(500, 3);
  Acked claimed = acked_;
  const int64_t session = claimed.highest_index.rbegin()->first;
  claimed.highest_index[session] += 3;  // Three more than the store holds.
  CheckResult result = Check(*driver_, claimed);
  EXPECT_EQ(result.lost_events, 3) << result.Summary();
  EXPECT_EQ(result.lost_sessions, 0);
}

TEST_F(WorkloadTest, SeesLostSessions) {
  Run(500, 4);
  Acked claimed = acked_;
  claimed.AckSession(claimed.highest_session + 2);
  CheckResult result = Check(*driver_, claimed);
  EXPECT_EQ(result.lost_sessions, 2) << result.Summary();
}

TEST_F(WorkloadTest, SeesAGap) {
  Run(500, 5);
  const int64_t session = acked_.highest_index.rbegin()->first;
  const int64_t next = acked_.highest_index[session] + 2;  // Skips one.
  ASSERT_TRUE(driver_->InsertEvent(MakeEvent(session, next)).ok());
  CheckResult result = Check(*driver_, acked_);
  ASSERT_FALSE(result.violations.empty());
  EXPECT_NE(result.Summary().find("jump"), std::string::npos)
      << result.Summary();
}

TEST_F(WorkloadTest, SeesAWrongByte) {
  Run(500, 6);
  const int64_t session = acked_.highest_index.rbegin()->first;
  SessionEvent wrong = MakeEvent(session, acked_.highest_index[session] + 1);
  wrong.payload_json = R"({"tampered":true})";
  ASSERT_TRUE(driver_->InsertEvent(wrong).ok());
  CheckResult result = Check(*driver_, acked_);
  EXPECT_NE(result.Summary().find("not as written"), std::string::npos)
      << result.Summary();
}

TEST_F(WorkloadTest, SeesEventsWithoutTheirSession) {
  Run(500, 7);
  ASSERT_TRUE(
      driver_->InsertEvent(MakeEvent(acked_.highest_session + 1, 1)).ok());
  Acked claimed = acked_;
  claimed.AckSession(acked_.highest_session + 1);
  CheckResult result = Check(*driver_, claimed);
  EXPECT_NE(result.Summary().find("has no record"), std::string::npos)
      << result.Summary();
}

}  // namespace
}  // namespace durability
}  // namespace sessionlog
