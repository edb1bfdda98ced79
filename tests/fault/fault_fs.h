// FaultFs: a rocksdb::FileSystem wrapper that injects the failures a storage
// engine must survive, built on RocksDB's public FileSystemWrapper only.
//
//  * Power cuts. Every file written through FaultFs remembers how many of its
//    bytes were last synced. After SetActive(false) every write fails, as on a
//    machine that has lost power; DropUnsyncedData() then truncates each file
//    to its synced length, which is what the disk holds after the cut. Files
//    that existed before FaultFs saw them count as fully synced. Directory
//    entries (creations, renames, deletions) are treated as durable at once:
//    this models a journaling file system's ordered metadata, not a file
//    system that can lose a rename (RocksDB's own FaultInjectionTestFS can).
//
//  * I/O errors. FailNth(op, k) makes the k-th call of one kind of operation
//    (Append, Sync, Rename, Close, Read), counted from the call to FailNth,
//    return an error: IOError, or NoSpace to mimic ENOSPC. Transient (only the
//    k-th call fails) or persistent (every call from the k-th on fails, as a
//    dead disk does). kAnyWrite counts Append, Sync, Rename and Close calls
//    together: persistent, every one of them fails from the k-th on. kRead is
//    a read of a random-access file (tables: Read, MultiRead, ReadAsync) or
//    of a sequential one (CURRENT, MANIFEST, logs, OPTIONS). An optional
//    file-name filter restricts counting to, e.g., the write-ahead log
//    (".log").
//
// Thread-safe: RocksDB calls a FileSystem from its background threads.

#ifndef SESSIONLOG_TESTS_FAULT_FAULT_FS_H_
#define SESSIONLOG_TESTS_FAULT_FAULT_FS_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "rocksdb/env.h"
#include "rocksdb/file_system.h"

namespace sessionlog {

class FaultFs : public rocksdb::FileSystemWrapper {
 public:
  enum class Op { kAppend, kSync, kRename, kClose, kRead, kAnyWrite };
  static constexpr int kOpCount = 6;
  enum class ErrorKind { kIoError, kNoSpace };
  enum class Persistence { kTransient, kPersistent };

  struct Fault {
    Op op = Op::kAppend;
    int64_t nth = 1;  // 1-based, counted from FailNth().
    ErrorKind kind = ErrorKind::kIoError;
    Persistence persistence = Persistence::kTransient;
    // Only calls on files whose name ends with this count; empty: all files.
    std::string file_suffix;
  };

  // Wraps the default (POSIX) file system.
  FaultFs();
  explicit FaultFs(const std::shared_ptr<rocksdb::FileSystem>& target);

  static const char* kClassName() { return "SessionlogFaultFs"; }
  const char* Name() const override { return kClassName(); }

  // An Env over this file system, for OpenRocksDbDriverWithEnv. `fs` must
  // outlive it.
  static std::unique_ptr<rocksdb::Env> NewEnv(
      const std::shared_ptr<FaultFs>& fs);

  // ---- Power cuts ----

  // While inactive, every write, sync, rename, close and delete fails with
  // IOError: the machine is off. Reads still work.
  void SetActive(bool active);
  bool IsActive() const;

  // Truncates every file written through this FaultFs to its last synced
  // length, and forgets them (they are now fully synced). Call it with the
  // store closed. Returns the number of bytes dropped.
  int64_t DropUnsyncedData();

  // Bytes written through this FaultFs but not yet synced.
  int64_t UnsyncedBytes() const;

  // ---- I/O errors ----

  // Arms one fault; replaces the previous one. Counting starts now.
  void FailNth(const Fault& fault);
  // Disarms the fault; calls succeed again.
  void ClearFault();
  // How many errors the armed fault has injected.
  int64_t InjectedErrors() const;
  // How many calls of `op` (matching the fault's filter) were seen since the
  // last FailNth; tells a sweep when k has passed the last call.
  int64_t Calls(Op op) const;

  // ---- Overrides ----

  rocksdb::IOStatus NewWritableFile(
      const std::string& fname, const rocksdb::FileOptions& options,
      std::unique_ptr<rocksdb::FSWritableFile>* result,
      rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus ReopenWritableFile(
      const std::string& fname, const rocksdb::FileOptions& options,
      std::unique_ptr<rocksdb::FSWritableFile>* result,
      rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus ReuseWritableFile(
      const std::string& fname, const std::string& old_fname,
      const rocksdb::FileOptions& options,
      std::unique_ptr<rocksdb::FSWritableFile>* result,
      rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus RenameFile(const std::string& src,
                               const std::string& target,
                               const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus DeleteFile(const std::string& fname,
                               const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus NewDirectory(const std::string& name,
                                 const rocksdb::IOOptions& options,
                                 std::unique_ptr<rocksdb::FSDirectory>* result,
                                 rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus NewRandomAccessFile(
      const std::string& fname, const rocksdb::FileOptions& options,
      std::unique_ptr<rocksdb::FSRandomAccessFile>* result,
      rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus NewSequentialFile(
      const std::string& fname, const rocksdb::FileOptions& options,
      std::unique_ptr<rocksdb::FSSequentialFile>* result,
      rocksdb::IODebugContext* dbg) override;

 private:
  class File;
  class Directory;
  class RandomAccessFile;
  class SequentialFile;
  friend class File;
  friend class Directory;
  friend class RandomAccessFile;
  friend class SequentialFile;

  struct FileState {
    int64_t size = 0;    // Bytes appended so far.
    int64_t synced = 0;  // Bytes known to be on disk.
  };

  // The error to return for a call of `op` on `fname`, or OK. Counts the call.
  rocksdb::IOStatus MaybeFail(Op op, const std::string& fname);
  rocksdb::IOStatus DeadMachineError(const std::string& fname) const;
  rocksdb::IOStatus Wrap(const std::string& fname, int64_t initial_size,
                         rocksdb::IOStatus opened,
                         std::unique_ptr<rocksdb::FSWritableFile>* result);
  void OnAppend(const std::string& fname, int64_t bytes);
  void OnSync(const std::string& fname);

  mutable absl::Mutex mu_;
  bool active_ ABSL_GUARDED_BY(mu_) = true;
  absl::flat_hash_map<std::string, FileState> files_ ABSL_GUARDED_BY(mu_);
  bool fault_armed_ ABSL_GUARDED_BY(mu_) = false;
  Fault fault_ ABSL_GUARDED_BY(mu_);
  int64_t calls_[kOpCount] ABSL_GUARDED_BY(mu_) = {};
  int64_t injected_ ABSL_GUARDED_BY(mu_) = 0;
};

absl::string_view OpName(FaultFs::Op op);

}  // namespace sessionlog

#endif  // SESSIONLOG_TESTS_FAULT_FAULT_FS_H_
