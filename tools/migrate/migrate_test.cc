// MigrateStore between local backends: copies everything, is idempotent,
// resumes after an interruption, refuses a destination with limits, reports
// conflicts. The round trip through Postgres is migrate_roundtrip_test.

#include "tools/migrate/migrate.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "engine/memory/memory_driver.h"
#include "engine/sqlite/sqlite_driver.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/interop/store_dump.h"
#include "tests/testing/temp_dir.h"

namespace sessionlog {
namespace {

using ::testing::HasSubstr;

std::unique_ptr<SessionPersistDriver> Memory() {
  return *OpenMemoryDriver(MigrationDriverOptions());
}

std::unique_ptr<SessionPersistDriver> Filled(const Fixture& fixture) {
  std::unique_ptr<SessionPersistDriver> d = Memory();
  EXPECT_TRUE(WriteLines(*d, fixture.write_order).ok());
  return d;
}

std::vector<std::string> Export(SessionPersistDriver& d) {
  absl::StatusOr<std::vector<std::string>> lines = ExportLines(d);
  EXPECT_TRUE(lines.ok()) << lines.status();
  return lines.ok() ? *lines : std::vector<std::string>();
}

// Forwards to `inner`, but fails every InsertEvents after the first
// `allowed` calls: what an interrupted copy looks like to MigrateStore.
class FailingDriver final : public SessionPersistDriver {
 public:
  FailingDriver(SessionPersistDriver& inner, int allowed)
      : SessionPersistDriver(inner.options()),
        inner_(inner),
        allowed_(allowed) {}

 protected:
  absl::StatusOr<SessionRecord> DoGetSession(absl::string_view id) override {
    return inner_.GetSession(id);
  }
  absl::StatusOr<std::vector<SessionRecord>> DoListSessions(
      const std::optional<SessionCursor>&, int64_t) override {
    return absl::UnimplementedError("not used");
  }
  absl::Status DoUpdateSession(const SessionRecord& r) override {
    return inner_.UpdateSession(r);
  }
  absl::StatusOr<std::vector<SessionEvent>> DoListEvents(absl::string_view,
                                                         std::optional<int64_t>,
                                                         int64_t) override {
    return absl::UnimplementedError("not used");
  }
  absl::Status DoInsertEvents(absl::Span<const SessionEvent> events) override {
    if (allowed_-- <= 0) return absl::UnavailableError("simulated crash");
    return inner_.InsertEvents(events);
  }
  absl::StatusOr<std::vector<SessionEvent>> DoLastEvents(absl::string_view id,
                                                         int64_t n) override {
    return inner_.LastEvents(id, n);
  }
  absl::StatusOr<std::optional<int64_t>> DoHighestEventIndex(
      absl::string_view id) override {
    return inner_.HighestEventIndex(id);
  }
  absl::Status DoDeleteSession(absl::string_view id) override {
    return inner_.DeleteSession(id);
  }
  absl::StatusOr<DriverStats> DoStats() override { return inner_.Stats(); }
  absl::Status DoFlush() override { return inner_.Flush(); }

 private:
  SessionPersistDriver& inner_;
  int allowed_;
};

TEST(MigrateTest, CopiesEverythingInOrderWithProgress) {
  const Fixture fixture = MakeFixture();
  auto from = Filled(fixture);
  TempDir dir;
  auto to = OpenSqliteDriver(dir.Sub("to.db"), MigrationDriverOptions());
  ASSERT_TRUE(to.ok());
  MigrateOptions options;
  options.batch_size = 3;
  std::vector<MigrateProgress> reports;
  options.on_progress = [&](const MigrateProgress& p) { reports.push_back(p); };
  ASSERT_TRUE(MigrateStore(*from, **to, options).ok());
  EXPECT_EQ(Export(**to), fixture.export_order);
  ASSERT_FALSE(reports.empty());
  const MigrateProgress& last = reports.back();
  EXPECT_EQ(last.sessions_copied, 12);
  EXPECT_EQ(last.sessions_total, 12);
  EXPECT_EQ(last.events_copied, last.events_total);
  EXPECT_EQ(last.events_copied + 12,
            static_cast<int64_t>(fixture.export_order.size()));
  for (size_t i = 1; i < reports.size(); ++i) {
    EXPECT_GE(reports[i].events_copied, reports[i - 1].events_copied);
  }
}

TEST(MigrateTest, ARerunIsANoOp) {
  const Fixture fixture = MakeFixture();
  auto from = Filled(fixture);
  auto to = Memory();
  ASSERT_TRUE(MigrateStore(*from, *to).ok());
  const std::vector<std::string> once = Export(*to);
  ASSERT_TRUE(MigrateStore(*from, *to).ok());
  EXPECT_EQ(Export(*to), once);
  EXPECT_EQ(once, fixture.export_order);
}

TEST(MigrateTest, ResumesAfterAnInterruption) {
  const Fixture fixture = MakeFixture();
  auto from = Filled(fixture);
  auto to = Memory();
  MigrateOptions options;
  options.batch_size = 2;
  std::string resume;
  options.on_progress = [&](const MigrateProgress& p) {
    resume = p.resume_cursor;
  };
  FailingDriver failing(*to, /*allowed=*/9);
  absl::Status s = MigrateStore(*from, failing, options);
  ASSERT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_THAT(s.message(), HasSubstr("writing the events of session"));
  ASSERT_FALSE(resume.empty());
  EXPECT_NE(Export(*to), fixture.export_order);

  MigrateOptions again = options;
  again.resume_cursor = resume;
  int64_t sessions_in_second_run = 0;
  again.on_progress = [&](const MigrateProgress& p) {
    sessions_in_second_run = p.sessions_copied;
  };
  ASSERT_TRUE(MigrateStore(*from, *to, again).ok());
  EXPECT_EQ(Export(*to), fixture.export_order);
  EXPECT_LT(sessions_in_second_run, 12);  // The finished ones were skipped.
}

TEST(MigrateTest, RefusesADestinationWithLimits) {
  auto from = Filled(MakeFixture());
  auto to = *OpenMemoryDriver(DriverOptions());
  absl::Status s = MigrateStore(*from, *to);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("MigrationDriverOptions"));
  MigrateOptions options;
  options.allow_destination_limits = true;
  EXPECT_TRUE(MigrateStore(*from, *to, options).ok());
}

TEST(MigrateTest, AConflictingDestinationEventIsReported) {
  const Fixture fixture = MakeFixture();
  auto from = Filled(fixture);
  auto to = Memory();
  SessionEvent other;
  other.id = "someone-else";
  other.event_index = 1;
  other.session_id = "session-10";
  other.connection_id = "c";
  other.payload_json = "{}";
  ASSERT_TRUE(to->InsertEvent(other).ok());
  absl::Status s = MigrateStore(*from, *to);
  EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(s.message(), HasSubstr("session-10"));
}

}  // namespace
}  // namespace sessionlog
