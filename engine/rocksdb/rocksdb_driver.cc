// Opening a rocksdb: store: the checks before RocksDB touches the directory,
// RocksDB's options, the format version, the handle counter and the limits.

#include "engine/rocksdb/rocksdb_driver.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "api/internal/validation.h"
#include "engine/rocksdb/info_log.h"
#include "engine/rocksdb/rocksdb_driver_impl.h"
#include "engine/rocksdb/store_directory.h"
#include "rocksdb/convenience.h"
#include "rocksdb/db.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/table.h"

namespace sessionlog {
namespace rocksdb_internal {
namespace {

absl::Status WriteCreationMarker(const std::string& dir) {
  const std::string path = dir + "/" + kCreationMarker;
  const char text[] = "sessionlog store\n";
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  bool ok = fd >= 0 && write(fd, text, sizeof(text) - 1) ==
                           static_cast<ssize_t>(sizeof(text) - 1);
  ok = ok && fsync(fd) == 0;
  if (fd >= 0) close(fd);
  if (!ok) {
    return absl::UnavailableError(
        absl::StrCat("cannot write ", path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

// RocksDB names the file of a bad SST or MANIFEST, but not the write-ahead
// log whose replay met a bad record. Name the logs, so that DataLoss at open
// always says where to look.
absl::Status WithSuspectLogs(const absl::Status& status,
                             const std::string& dir) {
  if (status.code() != absl::StatusCode::kDataLoss ||
      absl::StrContains(status.message(), ".sst") ||
      absl::StrContains(status.message(), "MANIFEST")) {
    return status;
  }
  std::vector<std::string> logs;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (absl::EndsWith(name, ".log")) logs.push_back(std::move(name));
  }
  if (logs.empty()) return status;
  std::sort(logs.begin(), logs.end());
  return absl::DataLossError(
      absl::StrCat(status.message(),
                   " (a damaged record before the tail of the write-ahead "
                   "log: ",
                   absl::StrJoin(logs, ", "), ")"));
}

rocksdb::CompressionType BestCompression() {
  // LZ4 where the library has it (Debian's does), else Snappy, else none.
  for (rocksdb::CompressionType type :
       {rocksdb::kLZ4Compression, rocksdb::kSnappyCompression}) {
    std::vector<rocksdb::CompressionType> supported =
        rocksdb::GetSupportedCompressions();
    if (std::find(supported.begin(), supported.end(), type) !=
        supported.end()) {
      return type;
    }
  }
  return rocksdb::kNoCompression;
}

}  // namespace

RocksDbDriver::RocksDbDriver(const DriverOptions& options, std::string path)
    : SessionPersistDriver(options),
      path_(std::move(path)),
      context_(absl::StrCat("rocksdb:", path_)),
      guard_(path_, options.min_free_disk_bytes),
      watermarks_(std::make_shared<WatermarkTable>()),
      requested_max_sessions_(options.max_sessions),
      requested_max_events_(options.max_events_per_session) {
  write_options_.sync = options.durability == Durability::kFsync;
}

namespace {

// Releases the column families' handles, then closes `db`.
void CloseDb(rocksdb::DB& db, std::vector<rocksdb::ColumnFamilyHandle*>& cfs) {
  for (rocksdb::ColumnFamilyHandle* cf : cfs) {
    if (cf != nullptr) db.DestroyColumnFamilyHandle(cf).PermitUncheckedError();
  }
  cfs.clear();
  db.Close().PermitUncheckedError();
}

}  // namespace

RocksDbDriver::~RocksDbDriver() {
  StopRetention();
  StopBackgroundSync();
  if (db_ != nullptr) {
    if (!options().read_only) SyncAndPublish().IgnoreError();
    CloseDb(*db_, cf_);
  }
}

absl::Status RocksDbDriver::OpenStore(rocksdb::Env* env) {
  if (!options().read_only) return OpenStoreOnce(env, "");
  // A read-only open runs beside the writer, which deletes files as it goes
  // (tables after a compaction, logs after a flush, a MANIFEST at each of its
  // opens) and records each change in the MANIFEST first. RocksDB may list a
  // file and then find it gone ("No such file or directory", as Corruption or
  // IOError), and an open during which the MANIFEST changed may have missed
  // a flushed log's writes (Aborted, from OpenStoreOnce). Both are a moment,
  // not damage: try again. A file missing while the MANIFEST stood still is
  // damage, reported at once.
  constexpr int kAttempts = 30;
  absl::BitGen bitgen;
  for (int attempt = 1;; ++attempt) {
    const std::string manifest_before = ManifestState(path_);
    absl::Status s = OpenStoreOnce(env, manifest_before);
    if (s.ok() || db_ != nullptr) return s;
    const bool moment =
        absl::IsAborted(s) ||
        (absl::StrContains(s.message(), "No such file or directory") &&
         ManifestState(path_) != manifest_before);
    if (!moment) return s;
    if (attempt == kAttempts) {
      return absl::UnavailableError(absl::StrCat(
          context_, ": a writer changed the store during each of ", kAttempts,
          " attempts to open it read-only (the last: ", s.message(),
          "); try again"));
    }
    // Growing, and jittered so that a reader does not keep meeting a writer
    // that works at a steady beat: about 3 s in all.
    absl::SleepFor(absl::Milliseconds(std::min(5 * attempt, 100) +
                                      absl::Uniform(bitgen, 0, 20)));
  }
}

absl::Status RocksDbDriver::OpenStoreOnce(rocksdb::Env* env,
                                          const std::string& manifest_before) {
  // Before RocksDB may create anything: with create_if_missing, RocksDB takes
  // a directory without CURRENT for a new database and deletes the tables and
  // logs its new MANIFEST does not name.
  absl::StatusOr<StoreDirectory> dir = InspectStoreDirectory(path_, context_);
  if (!dir.ok()) return dir.status();
  if (dir->kind == StoreDirectory::Kind::kMissingCurrent) {
    return MissingCurrentError(context_, *dir);
  }
  if (!dir->bad_current.empty()) return BadCurrentError(context_, *dir);
  std::error_code ec;
  const bool exists = dir->kind == StoreDirectory::Kind::kHasCurrent;
  if (!exists && (!options().create_if_missing || options().read_only)) {
    return absl::NotFoundError(absl::StrCat(
        "no store at ", context_,
        (options().read_only ? " (a read-only open never creates one)"
                             : " (create_if_missing is false)")));
  }
  if (exists) {
    std::vector<std::string> families;
    rocksdb::Status s =
        rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), path_, &families);
    if (!s.ok()) return Status(s, "open");
    // A creation that failed half-way (an I/O error, a kill) leaves the
    // marker and only some of the column families: open for writing finishes
    // it. It holds nothing (the families are all made before any write), so
    // to a reader, which may not create them, it is no store yet, as a
    // creation stopped before CURRENT is.
    for (const char* name : kColumnFamilyNames) {
      if (std::find(families.begin(), families.end(), name) != families.end()) {
        continue;
      }
      if (!dir->has_creation_marker) {
        return absl::FailedPreconditionError(absl::StrCat(
            context_, " is a RocksDB database but not a sessionlog store (no '",
            name, "' column family)"));
      }
      if (options().read_only) {
        return absl::NotFoundError(absl::StrCat(
            "no store at ", context_,
            " yet: its creation stopped before it held anything (no '", name,
            "' column family); the first write, e.g. an import, finishes it"));
      }
    }
  } else {
    if (!std::filesystem::create_directories(path_, ec) && ec) {
      return absl::UnavailableError(
          absl::StrCat("cannot create ", path_, ": ", ec.message()));
    }
    if (absl::Status s = WriteCreationMarker(path_); !s.ok()) return s;
  }

  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  // A torn tail (a crash or power cut mid-append) is dropped, but a bad record
  // before the tail fails the open with Corruption. kPointInTimeRecovery
  // opened such a store silently without everything after the bad record
  // (tests/corruption: 41 of 41 WAL flips lost events without an error);
  // kAbsoluteConsistency refuses even a torn tail.
  db_options.wal_recovery_mode =
      rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords;
  db_options.max_background_jobs = 2;
  // The small column families (sessions, age index, handles, meta) seldom fill
  // a memtable, and RocksDB keeps every WAL file that holds their unflushed
  // writes: without a cap, old WALs pile up (250 MB of WAL after 500k events).
  // Past this size RocksDB flushes them so the old files can go.
  db_options.max_total_wal_size = 128 << 20;
  db_options.keep_log_file_num = 3;
  db_options.paranoid_checks = true;
  // A reader opens every table now: a table the writer deletes later (after a
  // compaction) stays readable through the reader's open file, where a table
  // opened lazily would be gone ("Can't access ...sst") mid-read.
  if (options().read_only) db_options.max_open_files = -1;
  if (env != nullptr) db_options.env = env;
  // RocksDB's own LOG writer aborts the process after a failed append (a
  // full disk); see info_log.h. A read-only instance keeps RocksDB's.
  if (!options().read_only)
    db_options.info_log = OpenErrorTolerantInfoLog(path_);

  auto block_cache = rocksdb::NewLRUCache(32 << 20);
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = block_cache;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  rocksdb::CompressionType compression = BestCompression();

  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (int i = 0; i < kCount; ++i) {
    rocksdb::ColumnFamilyOptions cf;
    cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    cf.compression = compression;
    cf.write_buffer_size = i == kEvents ? (64 << 20) : (4 << 20);
    cf.max_write_buffer_number = 2;
    if (i == kEvents) {
      cf.compaction_filter_factory = std::make_shared<RetentionFilterFactory>(
          watermarks_, options().durability == Durability::kFsync);
    }
    descriptors.emplace_back(kColumnFamilyNames[i], cf);
  }
  rocksdb::DB* db = nullptr;
  rocksdb::Status s =
      options().read_only
          ? rocksdb::DB::OpenForReadOnly(db_options, path_, descriptors, &cf_,
                                         &db)
          : rocksdb::DB::Open(db_options, path_, descriptors, &cf_, &db);
  if (s.ok() && options().read_only &&
      ManifestState(path_) != manifest_before) {
    // A read-only open reads the MANIFEST, then the logs it does not cover.
    // A writer that flushed meanwhile recorded the flush in the MANIFEST and
    // then deleted the log: this open has neither, and would read a store
    // without those writes, silently. Any MANIFEST change during the open
    // means "open again".
    CloseDb(*db, cf_);
    delete db;
    return absl::AbortedError(
        absl::StrCat(context_, " changed while it was being opened read-only"));
  }
  if (s.IsInvalidArgument()) {
    // Every argument is ours and valid: RocksDB says InvalidArgument about
    // the directory (a column family or file it expected), which is the
    // store's state, not a caller's mistake.
    return absl::FailedPreconditionError(
        absl::StrCat(context_, ": open: ", s.ToString()));
  }
  if (!s.ok()) return WithSuspectLogs(Status(s, "open"), path_);
  db_.reset(db);
  if (absl::Status meta = ReadMeta(); !meta.ok()) return meta;
  if (!options().read_only) StartBackgroundSync();
  StartRetention();
  return absl::OkStatus();
}

absl::Status RocksDbDriver::ReadMeta() {
  // Format version: refuse a store written by a newer sessionlog.
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), cf_[kMeta],
                               keys::kFormatVersionKey, &value);
  if (s.ok()) {
    int version = 0;
    if (!absl::SimpleAtoi(value, &version)) {
      return absl::DataLossError(absl::StrCat(
          context_, ": unreadable format_version \"", value, "\""));
    }
    if (version > keys::kFormatVersion) {
      return absl::FailedPreconditionError(absl::StrCat(
          context_, " was written by format version ", version,
          "; this build reads up to version ", keys::kFormatVersion,
          ". Upgrade sessionlog to open it"));
    }
  } else if (s.IsNotFound()) {
    if (!options().read_only) {
      s = db_->Put(rocksdb::WriteOptions(), cf_[kMeta], keys::kFormatVersionKey,
                   std::to_string(keys::kFormatVersion));
      if (!s.ok()) {
        absl::Status status = Status(s, "write format version");
        RememberLogFailure(status);  // The destructor must not sync.
        return status;
      }
    }
  } else {
    return Status(s, "read format version");
  }

  // The next handle: past both the persisted counter and the highest handle in
  // use, so that a handle is never reused while its events may exist.
  uint64_t next = 1;
  s = db_->Get(rocksdb::ReadOptions(), cf_[kMeta], keys::kNextHandleKey,
               &value);
  uint64_t stored = 0;
  if (s.ok() && keys::DecodeFixed64(value, &stored)) {
    next = std::max(next, stored);
  } else if (!s.ok() && !s.IsNotFound()) {
    return Status(s, "read the handle counter");
  }
  {
    std::unique_ptr<rocksdb::Iterator> it(
        db_->NewIterator(rocksdb::ReadOptions(), cf_[kHandles]));
    it->SeekForPrev(keys::IdByHandleKey(~uint64_t{0}));
    if (it->Valid() && !it->key().empty() &&
        it->key()[0] == keys::kIdByHandlePrefix) {
      if (keys::DecodeFixed64(View(it->key()).substr(1), &stored)) {
        next = std::max(next, stored + 1);
      }
    }
    if (!it->status().ok()) return Status(it->status(), "read handles");
  }
  next_handle_.store(next);

  s = db_->Get(rocksdb::ReadOptions(), cf_[kMeta], keys::kSessionCountKey,
               &value);
  uint64_t count = 0;
  if (s.ok() && keys::DecodeFixed64(value, &count)) {
    std::lock_guard<std::mutex> lock(sessions_mu_);
    session_count_ = static_cast<int64_t>(count);
  } else if (!s.ok() && !s.IsNotFound()) {
    return Status(s, "read session count");
  }

  // Limits: kLimitFromStore takes what the store's last writer recorded,
  // so that tools beside a service see and keep the service's policy. A
  // writer records the limits it enforces.
  const char* const limit_keys[2] = {keys::kMaxSessionsKey,
                                     keys::kMaxEventsPerSessionKey};
  const int64_t requested[2] = {requested_max_sessions_, requested_max_events_};
  int64_t effective[2] = {options().max_sessions,
                          options().max_events_per_session};
  for (int i = 0; i < 2; ++i) {
    if (requested[i] != kLimitFromStore) continue;
    s = db_->Get(rocksdb::ReadOptions(), cf_[kMeta], limit_keys[i], &value);
    uint64_t stored_limit = 0;
    if (s.ok() && keys::DecodeFixed64(value, &stored_limit)) {
      effective[i] = static_cast<int64_t>(stored_limit);
    } else if (!s.ok() && !s.IsNotFound()) {
      return Status(s, "read limits");
    }
  }
  AdoptStoredLimits(effective[0], effective[1]);
  if (options().read_only) return absl::OkStatus();
  rocksdb::WriteBatch batch;
  for (int i = 0; i < 2; ++i) {
    batch.Put(cf_[kMeta], limit_keys[i],
              keys::EncodeFixed64(static_cast<uint64_t>(effective[i])));
  }
  return Status(db_->Write(rocksdb::WriteOptions(), &batch), "write limits");
}

}  // namespace rocksdb_internal

absl::StatusOr<std::unique_ptr<SessionPersistDriver>> OpenRocksDbDriver(
    absl::string_view path, const DriverOptions& options) {
  return OpenRocksDbDriverWithEnv(path, options, nullptr);
}

absl::StatusOr<std::unique_ptr<SessionPersistDriver>> OpenRocksDbDriverWithEnv(
    absl::string_view path, const DriverOptions& options, rocksdb::Env* env) {
  if (absl::Status s = ValidateOptions(options); !s.ok()) return s;
  if (path.empty()) {
    return absl::InvalidArgumentError("rocksdb store path must not be empty");
  }
  auto driver = std::make_unique<rocksdb_internal::RocksDbDriver>(
      options, std::string(path));
  if (absl::Status s = driver->OpenStore(env); !s.ok()) {
    // Any write of the open may have failed on the WAL; the destructor must
    // not sync it (see RememberLogFailure).
    driver->RememberOpenFailure(s);
    return s;
  }
  return driver;
}

}  // namespace sessionlog
