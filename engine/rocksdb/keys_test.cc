#include "engine/rocksdb/keys.h"

#include <string>

#include "gtest/gtest.h"

namespace sessionlog {
namespace rocksdb_keys {
namespace {

TEST(KeysTest, EventKeysSortBySessionThenIndex) {
  EXPECT_EQ(EventKey(1, 0).size(), kEventKeySize);
  EXPECT_LT(EventKey(1, 2), EventKey(1, 10));
  EXPECT_LT(EventKey(1, 255), EventKey(1, 256));
  EXPECT_LT(EventKey(1, (int64_t{1} << 53) - 1), EventKey(2, 0));
  uint64_t handle;
  int64_t index;
  ASSERT_TRUE(DecodeEventKey(EventKey(7, 300), &handle, &index));
  EXPECT_EQ(handle, 7u);
  EXPECT_EQ(index, 300);
  EXPECT_FALSE(DecodeEventKey("short", &handle, &index));
}

TEST(KeysTest, AgeKeysSortByCreatedAtThenIdIncludingNegatives) {
  EXPECT_LT(AgeKey(-1, "z"), AgeKey(0, "a"));
  EXPECT_LT(AgeKey(5, "a"), AgeKey(5, "b"));
  EXPECT_LT(AgeKey(5, "b"), AgeKey(6, "a"));
  EXPECT_LT(AgeKey(5, "a"), AgeKey(5, "aa"));
  int64_t created_at;
  std::string id;
  ASSERT_TRUE(DecodeAgeKey(AgeKey(-42, "s-1"), &created_at, &id));
  EXPECT_EQ(created_at, -42);
  EXPECT_EQ(id, "s-1");
}

TEST(KeysTest, Fixed64RoundTrips) {
  uint64_t value;
  ASSERT_TRUE(DecodeFixed64(EncodeFixed64(0x0102030405060708ull), &value));
  EXPECT_EQ(value, 0x0102030405060708ull);
  EXPECT_FALSE(DecodeFixed64("1234567", &value));
}

}  // namespace
}  // namespace rocksdb_keys
}  // namespace sessionlog
