// RocksDB's info LOG, written so that a full disk cannot kill the process.
//
// Debian's librocksdb is built with assertions on. Its own file logger goes
// through a WritableFileWriter; once one append fails (ENOSPC), the next log
// line hits WritableFileWriter::AssertFalseAndGetStatusForPrevError and
// aborts. RocksDB logs on close, on flushes and on errors, so a disk filled by
// another process killed the writer even though the free-space guard refused
// every write of ours (tests/disk_full). This logger writes each line with one
// write(2) and ignores errors: a lost LOG line is better than a lost process.

#ifndef SESSIONLOG_ENGINE_ROCKSDB_INFO_LOG_H_
#define SESSIONLOG_ENGINE_ROCKSDB_INFO_LOG_H_

#include <memory>
#include <string>

#include "rocksdb/env.h"

namespace sessionlog {

// Opens `dir`/LOG for appending, after renaming the previous one to LOG.old.
// If the file cannot be opened, the logger drops every line.
std::shared_ptr<rocksdb::Logger> OpenErrorTolerantInfoLog(
    const std::string& dir);

}  // namespace sessionlog

#endif  // SESSIONLOG_ENGINE_ROCKSDB_INFO_LOG_H_
