// The negative control's store: raw RocksDB keys "c" + 16 digits -> a value
// derived from the index, written without the WAL.

#ifndef SESSIONLOG_TESTS_CRASH_CONTROL_STORE_H_
#define SESSIONLOG_TESTS_CRASH_CONTROL_STORE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "rocksdb/db.h"

namespace sessionlog {

rocksdb::Status OpenControlStore(const std::string& path,
                                 std::unique_ptr<rocksdb::DB>* db);
std::string ControlKey(int64_t index);
std::string ControlValue(int64_t index);
// The highest index stored, 0 if none.
int64_t ControlHighest(rocksdb::DB& db);
// How many of indexes 1..highest are missing or wrong.
int64_t ControlMissing(rocksdb::DB& db, int64_t highest);

}  // namespace sessionlog

#endif  // SESSIONLOG_TESTS_CRASH_CONTROL_STORE_H_
