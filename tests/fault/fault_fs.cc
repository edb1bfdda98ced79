#include "tests/fault/fault_fs.h"

#include <unistd.h>

#include <cstdlib>
#include <functional>
#include <memory>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace sessionlog {

using rocksdb::FileOptions;
using rocksdb::FSWritableFile;
using rocksdb::IODebugContext;
using rocksdb::IOOptions;
using rocksdb::IOStatus;
using rocksdb::Slice;

absl::string_view OpName(FaultFs::Op op) {
  switch (op) {
    case FaultFs::Op::kAppend:
      return "Append";
    case FaultFs::Op::kSync:
      return "Sync";
    case FaultFs::Op::kRename:
      return "Rename";
    case FaultFs::Op::kClose:
      return "Close";
    case FaultFs::Op::kRead:
      return "Read";
    case FaultFs::Op::kAnyWrite:
      return "AnyWrite";
  }
  return "?";
}

// Forwards to the real file, but reports appends and syncs to the FaultFs
// and lets it fail them.
class FaultFs::File : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  File(FaultFs* fs, std::string fname, std::unique_ptr<FSWritableFile> target)
      : FSWritableFileOwnerWrapper(std::move(target)),
        fs_(fs),
        fname_(std::move(fname)) {}

  IOStatus Append(const Slice& data, const IOOptions& options,
                  IODebugContext* dbg) override {
    IOStatus s = fs_->MaybeFail(Op::kAppend, fname_);
    if (s.ok()) s = target()->Append(data, options, dbg);
    if (s.ok()) fs_->OnAppend(fname_, data.size());
    return s;
  }
  IOStatus Append(const Slice& data, const IOOptions& options,
                  const rocksdb::DataVerificationInfo& /*info*/,
                  IODebugContext* dbg) override {
    return Append(data, options, dbg);
  }
  IOStatus PositionedAppend(const Slice& data, uint64_t offset,
                            const IOOptions& options,
                            IODebugContext* dbg) override {
    IOStatus s = fs_->MaybeFail(Op::kAppend, fname_);
    if (s.ok()) s = target()->PositionedAppend(data, offset, options, dbg);
    if (s.ok()) fs_->OnAppend(fname_, data.size());
    return s;
  }
  IOStatus PositionedAppend(const Slice& data, uint64_t offset,
                            const IOOptions& options,
                            const rocksdb::DataVerificationInfo& /*info*/,
                            IODebugContext* dbg) override {
    return PositionedAppend(data, offset, options, dbg);
  }
  IOStatus Flush(const IOOptions& options, IODebugContext* dbg) override {
    if (!fs_->IsActive()) return fs_->DeadMachineError(fname_);
    return target()->Flush(options, dbg);
  }
  IOStatus Sync(const IOOptions& options, IODebugContext* dbg) override {
    IOStatus s = fs_->MaybeFail(Op::kSync, fname_);
    if (s.ok()) s = target()->Sync(options, dbg);
    if (s.ok()) fs_->OnSync(fname_);
    return s;
  }
  IOStatus Fsync(const IOOptions& options, IODebugContext* dbg) override {
    IOStatus s = fs_->MaybeFail(Op::kSync, fname_);
    if (s.ok()) s = target()->Fsync(options, dbg);
    if (s.ok()) fs_->OnSync(fname_);
    return s;
  }
  // sync_file_range starts write-back but promises nothing: not a sync.
  IOStatus RangeSync(uint64_t offset, uint64_t nbytes, const IOOptions& options,
                     IODebugContext* dbg) override {
    if (!fs_->IsActive()) return fs_->DeadMachineError(fname_);
    return target()->RangeSync(offset, nbytes, options, dbg);
  }
  // Closing does not sync: the data stays in the page cache.
  IOStatus Close(const IOOptions& options, IODebugContext* dbg) override {
    IOStatus s = fs_->MaybeFail(Op::kClose, fname_);
    if (s.ok()) s = target()->Close(options, dbg);
    return s;
  }
  // RocksDB's Sync is only safe alongside Append when the target says so;
  // keep the target's answer.
  bool IsSyncThreadSafe() const override {
    return target()->IsSyncThreadSafe();
  }

 private:
  FaultFs* const fs_;
  const std::string fname_;
};

// Directory fsyncs count as syncs, and fail when the machine is off.
class FaultFs::Directory : public rocksdb::FSDirectoryWrapper {
 public:
  Directory(FaultFs* fs, std::string name,
            std::unique_ptr<rocksdb::FSDirectory> target)
      : FSDirectoryWrapper(std::move(target)),
        fs_(fs),
        name_(std::move(name)) {}

  IOStatus Fsync(const IOOptions& options, IODebugContext* dbg) override {
    IOStatus s = fs_->MaybeFail(Op::kSync, name_);
    return s.ok() ? FSDirectoryWrapper::Fsync(options, dbg) : s;
  }
  IOStatus FsyncWithDirOptions(
      const IOOptions& options, IODebugContext* dbg,
      const rocksdb::DirFsyncOptions& dir_options) override {
    IOStatus s = fs_->MaybeFail(Op::kSync, name_);
    return s.ok() ? FSDirectoryWrapper::FsyncWithDirOptions(options, dbg,
                                                            dir_options)
                  : s;
  }

 private:
  FaultFs* const fs_;
  const std::string name_;
};

// Reads of a table (random access), failed when the fault says so.
class FaultFs::RandomAccessFile
    : public rocksdb::FSRandomAccessFileOwnerWrapper {
 public:
  RandomAccessFile(FaultFs* fs, std::string fname,
                   std::unique_ptr<rocksdb::FSRandomAccessFile> target)
      : FSRandomAccessFileOwnerWrapper(std::move(target)),
        fs_(fs),
        fname_(std::move(fname)) {}

  IOStatus Read(uint64_t offset, size_t n, const IOOptions& options,
                Slice* result, char* scratch,
                IODebugContext* dbg) const override {
    IOStatus s = fs_->MaybeFail(Op::kRead, fname_);
    if (!s.ok()) return s;
    return target()->Read(offset, n, options, result, scratch, dbg);
  }
  // One call, one read: all of its requests fail together.
  IOStatus MultiRead(rocksdb::FSReadRequest* reqs, size_t num_reqs,
                     const IOOptions& options, IODebugContext* dbg) override {
    IOStatus s = fs_->MaybeFail(Op::kRead, fname_);
    if (s.ok()) return target()->MultiRead(reqs, num_reqs, options, dbg);
    for (size_t i = 0; i < num_reqs; ++i) reqs[i].status = s;
    return s;
  }
  IOStatus ReadAsync(
      rocksdb::FSReadRequest& req, const IOOptions& options,
      std::function<void(const rocksdb::FSReadRequest&, void*)> cb,
      void* cb_arg, void** io_handle, rocksdb::IOHandleDeleter* del_fn,
      IODebugContext* dbg) override {
    IOStatus s = fs_->MaybeFail(Op::kRead, fname_);
    if (s.ok()) {
      return target()->ReadAsync(req, options, cb, cb_arg, io_handle, del_fn,
                                 dbg);
    }
    req.status = s;  // As the synchronous default does.
    cb(req, cb_arg);
    return IOStatus::OK();
  }

 private:
  FaultFs* const fs_;
  const std::string fname_;
};

// Reads of CURRENT, MANIFESTs, logs and OPTIONS files (sequential).
class FaultFs::SequentialFile : public rocksdb::FSSequentialFileOwnerWrapper {
 public:
  SequentialFile(FaultFs* fs, std::string fname,
                 std::unique_ptr<rocksdb::FSSequentialFile> target)
      : FSSequentialFileOwnerWrapper(std::move(target)),
        fs_(fs),
        fname_(std::move(fname)) {}

  IOStatus Read(size_t n, const IOOptions& options, Slice* result,
                char* scratch, IODebugContext* dbg) override {
    IOStatus s = fs_->MaybeFail(Op::kRead, fname_);
    if (!s.ok()) return s;
    return target()->Read(n, options, result, scratch, dbg);
  }
  IOStatus PositionedRead(uint64_t offset, size_t n, const IOOptions& options,
                          Slice* result, char* scratch,
                          IODebugContext* dbg) override {
    IOStatus s = fs_->MaybeFail(Op::kRead, fname_);
    if (!s.ok()) return s;
    return target()->PositionedRead(offset, n, options, result, scratch, dbg);
  }

 private:
  FaultFs* const fs_;
  const std::string fname_;
};

FaultFs::FaultFs() : FaultFs(rocksdb::FileSystem::Default()) {}

FaultFs::FaultFs(const std::shared_ptr<rocksdb::FileSystem>& target)
    : FileSystemWrapper(target) {}

std::unique_ptr<rocksdb::Env> FaultFs::NewEnv(
    const std::shared_ptr<FaultFs>& fs) {
  return rocksdb::NewCompositeEnv(fs);
}

void FaultFs::SetActive(bool active) {
  absl::MutexLock lock(&mu_);
  active_ = active;
}

bool FaultFs::IsActive() const {
  absl::MutexLock lock(&mu_);
  return active_;
}

int64_t FaultFs::DropUnsyncedData() {
  absl::MutexLock lock(&mu_);
  int64_t dropped = 0;
  for (const auto& [fname, state] : files_) {
    uint64_t on_disk = 0;
    if (!target()->GetFileSize(fname, IOOptions(), &on_disk, nullptr).ok()) {
      continue;  // Deleted behind our back; nothing to drop.
    }
    if (static_cast<int64_t>(on_disk) > state.synced) {
      dropped += static_cast<int64_t>(on_disk) - state.synced;
      // The POSIX file system of this RocksDB does not implement
      // FileSystem::Truncate, so go to the operating system directly.
      if (::truncate(fname.c_str(), state.synced) != 0) std::abort();
    }
  }
  files_.clear();
  return dropped;
}

int64_t FaultFs::UnsyncedBytes() const {
  absl::MutexLock lock(&mu_);
  int64_t unsynced = 0;
  for (const auto& [fname, state] : files_)
    unsynced += state.size - state.synced;
  return unsynced;
}

void FaultFs::FailNth(const Fault& fault) {
  absl::MutexLock lock(&mu_);
  fault_ = fault;
  fault_armed_ = true;
  injected_ = 0;
  for (int64_t& calls : calls_) calls = 0;
}

void FaultFs::ClearFault() {
  absl::MutexLock lock(&mu_);
  fault_armed_ = false;
}

int64_t FaultFs::InjectedErrors() const {
  absl::MutexLock lock(&mu_);
  return injected_;
}

int64_t FaultFs::Calls(Op op) const {
  absl::MutexLock lock(&mu_);
  return calls_[static_cast<int>(op)];
}

IOStatus FaultFs::DeadMachineError(const std::string& fname) const {
  return IOStatus::IOError(
      absl::StrCat("fault injection: power is off (", fname, ")"));
}

IOStatus FaultFs::MaybeFail(Op op, const std::string& fname) {
  absl::MutexLock lock(&mu_);
  const bool write = op != Op::kRead;
  if (!active_ && write) return DeadMachineError(fname);
  if (fault_armed_ && !fault_.file_suffix.empty() &&
      !absl::EndsWith(fname, fault_.file_suffix)) {
    return IOStatus::OK();
  }
  int64_t calls = ++calls_[static_cast<int>(op)];
  if (write) {
    const int64_t any_write = ++calls_[static_cast<int>(Op::kAnyWrite)];
    if (fault_armed_ && fault_.op == Op::kAnyWrite) calls = any_write;
  }
  if (!fault_armed_ ||
      (op != fault_.op && !(write && fault_.op == Op::kAnyWrite))) {
    return IOStatus::OK();
  }
  bool fail =
      calls == fault_.nth ||
      (fault_.persistence == Persistence::kPersistent && calls > fault_.nth);
  if (!fail) return IOStatus::OK();
  ++injected_;
  std::string what =
      absl::StrCat("fault injection: ", OpName(op), " #", calls, " of ", fname);
  return fault_.kind == ErrorKind::kNoSpace ? IOStatus::NoSpace(what)
                                            : IOStatus::IOError(what);
}

void FaultFs::OnAppend(const std::string& fname, int64_t bytes) {
  absl::MutexLock lock(&mu_);
  files_[fname].size += bytes;
}

void FaultFs::OnSync(const std::string& fname) {
  absl::MutexLock lock(&mu_);
  auto it = files_.find(fname);
  if (it != files_.end()) it->second.synced = it->second.size;
}

IOStatus FaultFs::Wrap(const std::string& fname, int64_t initial_size,
                       IOStatus opened,
                       std::unique_ptr<FSWritableFile>* result) {
  if (!opened.ok()) return opened;
  {
    absl::MutexLock lock(&mu_);
    files_[fname] = FileState{initial_size, initial_size};
  }
  *result = std::make_unique<File>(this, fname, std::move(*result));
  return opened;
}

IOStatus FaultFs::NewWritableFile(const std::string& fname,
                                  const FileOptions& options,
                                  std::unique_ptr<FSWritableFile>* result,
                                  IODebugContext* dbg) {
  if (!IsActive()) return DeadMachineError(fname);
  return Wrap(fname, 0, target()->NewWritableFile(fname, options, result, dbg),
              result);
}

IOStatus FaultFs::ReopenWritableFile(const std::string& fname,
                                     const FileOptions& options,
                                     std::unique_ptr<FSWritableFile>* result,
                                     IODebugContext* dbg) {
  if (!IsActive()) return DeadMachineError(fname);
  // What is there already counts as synced, unless we wrote it ourselves.
  uint64_t existing = 0;
  target()->GetFileSize(fname, IOOptions(), &existing, dbg);
  int64_t synced = static_cast<int64_t>(existing);
  {
    absl::MutexLock lock(&mu_);
    auto it = files_.find(fname);
    if (it != files_.end()) synced = it->second.synced;
  }
  IOStatus s =
      Wrap(fname, static_cast<int64_t>(existing),
           target()->ReopenWritableFile(fname, options, result, dbg), result);
  if (s.ok()) {
    absl::MutexLock lock(&mu_);
    files_[fname].synced = synced;
  }
  return s;
}

IOStatus FaultFs::ReuseWritableFile(const std::string& fname,
                                    const std::string& old_fname,
                                    const FileOptions& options,
                                    std::unique_ptr<FSWritableFile>* result,
                                    IODebugContext* dbg) {
  if (!IsActive()) return DeadMachineError(fname);
  {
    absl::MutexLock lock(&mu_);
    files_.erase(old_fname);
  }
  return Wrap(
      fname, 0,
      target()->ReuseWritableFile(fname, old_fname, options, result, dbg),
      result);
}

IOStatus FaultFs::RenameFile(const std::string& src, const std::string& target,
                             const IOOptions& options, IODebugContext* dbg) {
  IOStatus s = MaybeFail(Op::kRename, src);
  if (s.ok()) s = FileSystemWrapper::RenameFile(src, target, options, dbg);
  if (s.ok()) {
    absl::MutexLock lock(&mu_);
    files_.erase(target);
    auto it = files_.find(src);
    if (it != files_.end()) {
      FileState state = it->second;
      files_.erase(it);
      files_[target] = state;
    }
  }
  return s;
}

IOStatus FaultFs::DeleteFile(const std::string& fname, const IOOptions& options,
                             IODebugContext* dbg) {
  if (!IsActive()) return DeadMachineError(fname);
  IOStatus s = FileSystemWrapper::DeleteFile(fname, options, dbg);
  if (s.ok()) {
    absl::MutexLock lock(&mu_);
    files_.erase(fname);
  }
  return s;
}

IOStatus FaultFs::NewRandomAccessFile(
    const std::string& fname, const FileOptions& options,
    std::unique_ptr<rocksdb::FSRandomAccessFile>* result, IODebugContext* dbg) {
  IOStatus s = target()->NewRandomAccessFile(fname, options, result, dbg);
  if (s.ok()) {
    *result =
        std::make_unique<RandomAccessFile>(this, fname, std::move(*result));
  }
  return s;
}

IOStatus FaultFs::NewSequentialFile(
    const std::string& fname, const FileOptions& options,
    std::unique_ptr<rocksdb::FSSequentialFile>* result, IODebugContext* dbg) {
  IOStatus s = target()->NewSequentialFile(fname, options, result, dbg);
  if (s.ok()) {
    *result = std::make_unique<SequentialFile>(this, fname, std::move(*result));
  }
  return s;
}

IOStatus FaultFs::NewDirectory(const std::string& name,
                               const IOOptions& options,
                               std::unique_ptr<rocksdb::FSDirectory>* result,
                               IODebugContext* dbg) {
  IOStatus s = FileSystemWrapper::NewDirectory(name, options, result, dbg);
  if (s.ok())
    *result = std::make_unique<Directory>(this, name, std::move(*result));
  return s;
}

}  // namespace sessionlog
