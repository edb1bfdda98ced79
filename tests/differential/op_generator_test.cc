#include "tests/differential/op_generator.h"

#include <map>

#include "api/internal/validation.h"
#include "gtest/gtest.h"

namespace sessionlog {
namespace {

bool OnlyLowerAlnum(const std::string& id) {
  for (char c : id) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
  }
  return !id.empty();
}

TEST(OpGeneratorTest, StaysInsideWhatTheContractKeepsTheSameAsTheSdk) {
  for (uint64_t seed = 0; seed < 20; ++seed) {
    Script script = GenerateScript(seed, 3, 5, 400);
    ASSERT_EQ(script.ops.size(), 400u);
    std::map<std::string, int64_t> last_index;
    std::map<Op::Kind, int> kinds;
    for (const Op& op : script.ops) {
      ++kinds[op.kind];
      switch (op.kind) {
        case Op::Kind::kUpdateSession:
          EXPECT_TRUE(OnlyLowerAlnum(op.record.id)) << op.record.id;
          EXPECT_TRUE(ValidateSessionRecord(op.record).ok());
          break;
        case Op::Kind::kInsertEvent: {
          EXPECT_TRUE(OnlyLowerAlnum(op.event.session_id));
          EXPECT_TRUE(ValidateSessionEvent(op.event, DriverOptions()).ok());
          auto [it, first] =
              last_index.try_emplace(op.event.session_id, op.event.event_index);
          if (!first) {
            EXPECT_GT(op.event.event_index, it->second) << DescribeOp(op);
            it->second = op.event.event_index;
          }
          break;
        }
        case Op::Kind::kGetSession:
        case Op::Kind::kListSessions:
        case Op::Kind::kListEvents:
          EXPECT_GE(op.limit, 0);
          break;
      }
    }
    EXPECT_EQ(kinds.size(), 5u) << "every kind of op occurs, seed " << seed;
  }
}

TEST(OpGeneratorTest, IsReproducible) {
  Script a = GenerateScript(7, 2, 3, 100);
  Script b = GenerateScript(7, 2, 3, 100);
  Script c = GenerateScript(8, 2, 3, 100);
  std::vector<std::string> da, db, dc;
  for (const Op& op : a.ops) da.push_back(DescribeOp(op));
  for (const Op& op : b.ops) db.push_back(DescribeOp(op));
  for (const Op& op : c.ops) dc.push_back(DescribeOp(op));
  EXPECT_EQ(da, db);
  EXPECT_NE(da, dc);
}

}  // namespace
}  // namespace sessionlog
