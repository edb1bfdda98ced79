#include "tests/crash/control_store.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"

namespace sessionlog {

rocksdb::Status OpenControlStore(const std::string& path,
                                 std::unique_ptr<rocksdb::DB>* db) {
  rocksdb::Options options;
  options.create_if_missing = true;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(options, path, &raw);
  db->reset(raw);
  return s;
}

std::string ControlKey(int64_t index) {
  return absl::StrFormat("c%016d", index);
}

std::string ControlValue(int64_t index) {
  return absl::StrFormat("value of %d", index);
}

int64_t ControlHighest(rocksdb::DB& db) {
  std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(rocksdb::ReadOptions()));
  it->SeekToLast();
  int64_t highest = 0;
  if (it->Valid() && it->key().size() == 17) {
    if (!absl::SimpleAtoi(it->key().ToString().substr(1), &highest)) return 0;
  }
  return highest;
}

int64_t ControlMissing(rocksdb::DB& db, int64_t highest) {
  int64_t missing = 0;
  for (int64_t i = 1; i <= highest; ++i) {
    std::string value;
    rocksdb::Status s = db.Get(rocksdb::ReadOptions(), ControlKey(i), &value);
    if (!s.ok() || value != ControlValue(i)) ++missing;
  }
  return missing;
}

}  // namespace sessionlog
