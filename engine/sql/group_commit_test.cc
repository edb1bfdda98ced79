// Group commit (group_commit.h) and the array parameters of batched appends
// (statements.h). The appends themselves run against Postgres in
// tests/conformance/postgres_conformance_test and tests/scaleout.

#include "engine/sql/group_commit.h"

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/sql/statements.h"
#include "gtest/gtest.h"

namespace sessionlog {
namespace {

TEST(GroupCommitTest, ALoneCallerRunsAtOnce) {
  GroupCommit groups(2, 100);
  SessionEvent e;
  GroupCommit::Call call{absl::MakeConstSpan(&e, 1)};
  int runs = 0;
  groups.Submit(&call, [&](absl::Span<GroupCommit::Call* const> group) {
    ++runs;
    ASSERT_EQ(group.size(), 1u);
    group[0]->status = absl::DataLossError("x");
  });
  EXPECT_EQ(runs, 1);
  EXPECT_TRUE(absl::IsDataLoss(call.status));
}

TEST(GroupCommitTest, ConcurrentCallersShareGroupsAndEachGetsItsStatus) {
  constexpr int kThreads = 16, kCallsEach = 200;
  GroupCommit groups(1, 1000);
  std::atomic<int> runs{0}, calls_run{0}, in_flight{0}, max_in_flight{0};
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<SessionEvent> events(1 + t % 3);
      for (int i = 0; i < kCallsEach; ++i) {
        events[0].event_index = t * 1000000 + i;
        GroupCommit::Call call{events};
        groups.Submit(&call, [&](absl::Span<GroupCommit::Call* const> group) {
          const int now = ++in_flight;
          int seen = max_in_flight.load();
          while (now > seen &&
                 !max_in_flight.compare_exchange_weak(seen, now)) {
          }
          ++runs;
          for (GroupCommit::Call* c : group) {
            ++calls_run;
            // Each call's status names the call.
            c->status =
                absl::InternalError(absl::StrCat(c->events[0].event_index));
          }
          std::this_thread::sleep_for(std::chrono::microseconds(200));
          --in_flight;
        });
        if (call.status.message() != absl::StrCat(events[0].event_index)) {
          ++wrong;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(calls_run.load(), kThreads * kCallsEach);
  EXPECT_EQ(max_in_flight.load(), 1);
  // While one group runs, the others queue up and go together.
  EXPECT_LT(runs.load(), kThreads * kCallsEach / 2);
}

TEST(GroupCommitTest, GroupsStayUnderTheirEventCap) {
  GroupCommit groups(1, 10);
  std::vector<std::thread> threads;
  std::atomic<size_t> largest{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      std::vector<SessionEvent> events(4);
      for (int i = 0; i < 50; ++i) {
        GroupCommit::Call call{events};
        groups.Submit(&call, [&](absl::Span<GroupCommit::Call* const> group) {
          size_t n = 0;
          for (GroupCommit::Call* c : group) n += c->events.size();
          size_t seen = largest.load();
          while (n > seen && !largest.compare_exchange_weak(seen, n)) {
          }
        });
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_LE(largest.load(), 10u);
  // A call larger than the cap still runs, alone.
  std::vector<SessionEvent> big(25);
  GroupCommit::Call call{big};
  size_t ran = 0;
  groups.Submit(&call, [&](absl::Span<GroupCommit::Call* const> group) {
    ran = group.size();
  });
  EXPECT_EQ(ran, 1u);
}

TEST(ArrayLiteralTest, QuotesEscapesAndNulls) {
  EXPECT_EQ(ArrayLiteral(std::vector<std::optional<std::string>>{}), "{}");
  EXPECT_EQ(ArrayLiteral({std::optional<std::string>("a"), std::nullopt,
                          std::optional<std::string>("NULL"),
                          std::optional<std::string>(R"(q"b\s,{})")}),
            R"({"a",NULL,"NULL","q\"b\\s,{}"})");
  EXPECT_EQ(ArrayLiteral(std::vector<int64_t>{1, -2, 9007199254740991}),
            "{1,-2,9007199254740991}");
}

TEST(BatchedAppendsTest, OnlyPostgresHasThem) {
  const SqlDialect sqlite{SqlDialect::Kind::kSqlite, ""};
  const SqlDialect postgres{SqlDialect::Kind::kPostgres, "s"};
  EXPECT_FALSE(HasBatchedAppends(sqlite));
  EXPECT_TRUE(HasBatchedAppends(postgres));
  for (Stmt stmt : {Stmt::kLockStoreSharedAndKeys, Stmt::kInsertEventRows,
                    Stmt::kTrimSessions}) {
    EXPECT_EQ(StatementText(sqlite, stmt), "");
    EXPECT_NE(StatementText(postgres, stmt), "");
  }
  // Any conflict must fail the batch, so that it runs again call by call.
  EXPECT_EQ(StatementText(postgres, Stmt::kInsertEventRows).find("ON CONFLICT"),
            std::string::npos);
}

}  // namespace
}  // namespace sessionlog
