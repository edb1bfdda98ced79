#include "engine/rocksdb/rocksdb_driver.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "api/internal/validation.h"
#include "engine/rocksdb/disk_guard.h"
#include "engine/rocksdb/info_log.h"
#include "engine/rocksdb/keys.h"
#include "engine/rocksdb/retention_filter.h"
#include "engine/rocksdb/rocksdb_status.h"
#include "engine/rocksdb/session_state.h"
#include "rocksdb/db.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/table.h"
#include "rocksdb/utilities/options_util.h"
#include "rocksdb/write_batch.h"
#include "schema/flatbuffers_codec.h"

namespace sessionlog {
namespace {

namespace keys = rocksdb_keys;

// Column families, in the order of RocksDbDriver::cf_.
enum ColumnFamily { kMeta = 0, kSessions, kByAge, kHandles, kEvents, kCount };
constexpr const char* kColumnFamilyNames[kCount] = {
    "default", "sessions", "by_age", "handles", "events"};

// Written (and synced) before RocksDB creates a store, so that a store whose
// creation failed half-way is told apart from a foreign RocksDB database.
constexpr char kCreationMarker[] = "SESSIONLOG";

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

absl::string_view View(const rocksdb::Slice& slice) {
  return absl::string_view(slice.data(), slice.size());
}

rocksdb::CompressionType BestCompression() {
  // Debian's librocksdb has LZ4 and ZSTD; fall back to none elsewhere.
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

// The states of the sessions a write touches, locked; unlocks them on
// destruction. Ids are views of the caller's strings, which outlive it. A
// sorted vector: most writes touch one session.
class LockedStates {
 public:
  LockedStates() = default;
  LockedStates(const LockedStates&) = delete;
  LockedStates& operator=(const LockedStates&) = delete;
  ~LockedStates() {
    for (auto& [id, state] : states_) state->mu.unlock();
  }

  // Ids must be added in ascending order.
  void Add(absl::string_view id, std::shared_ptr<SessionState> state) {
    states_.emplace_back(id, std::move(state));
  }
  SessionState* Get(absl::string_view id) const { return Shared(id).get(); }
  const std::shared_ptr<SessionState>& Shared(absl::string_view id) const {
    if (states_.size() == 1) return states_.front().second;
    auto it = std::lower_bound(states_.begin(), states_.end(), id,
                               [](const auto& entry, absl::string_view key) {
                                 return entry.first < key;
                               });
    return it->second;
  }

 private:
  std::vector<std::pair<absl::string_view, std::shared_ptr<SessionState>>>
      states_;
};

class RocksDbDriver final : public SessionPersistDriver {
 public:
  RocksDbDriver(const DriverOptions& options, std::string path)
      : SessionPersistDriver(options),
        path_(std::move(path)),
        context_(absl::StrCat("rocksdb:", path_)),
        guard_(path_, options.min_free_disk_bytes),
        watermarks_(std::make_shared<WatermarkTable>()),
        requested_max_sessions_(options.max_sessions),
        requested_max_events_(options.max_events_per_session) {
    write_options_.sync = options.durability == Durability::kFsync;
  }

  ~RocksDbDriver() override {
    StopBackgroundSync();
    if (db_ != nullptr) {
      if (!options().read_only) SyncAndPublish().IgnoreError();
      for (rocksdb::ColumnFamilyHandle* cf : cf_) {
        if (cf != nullptr)
          db_->DestroyColumnFamilyHandle(cf).PermitUncheckedError();
      }
      db_->Close().PermitUncheckedError();
    }
  }

  absl::Status OpenStore(rocksdb::Env* env);
  void RememberOpenFailure(const absl::Status& s) { RememberLogFailure(s); }

 protected:
  absl::StatusOr<SessionRecord> DoGetSession(absl::string_view id) override;
  absl::StatusOr<std::vector<SessionRecord>> DoListSessions(
      const std::optional<SessionCursor>& after, int64_t limit) override;
  absl::Status DoUpdateSession(const SessionRecord& record) override;
  absl::StatusOr<std::vector<SessionEvent>> DoListEvents(
      absl::string_view session_id, std::optional<int64_t> after_index,
      int64_t limit) override;
  absl::Status DoInsertEvents(absl::Span<const SessionEvent> events) override;
  absl::StatusOr<std::vector<SessionEvent>> DoLastEvents(
      absl::string_view session_id, int64_t count) override;
  absl::StatusOr<std::optional<int64_t>> DoHighestEventIndex(
      absl::string_view session_id) override;
  absl::Status DoDeleteSession(absl::string_view id) override;
  absl::StatusOr<DriverStats> DoStats() override;
  absl::Status DoFlush() override;
  absl::Status DoCheckIntegrity() override;
  absl::Status DoCompact() override;

 private:
  int64_t max_events() const { return options().max_events_per_session; }

  absl::Status Status(const rocksdb::Status& s, absl::string_view what) const {
    if (s.ok()) return absl::OkStatus();  // No message to build per write.
    return FromRocksDb(s, absl::StrCat(context_, ": ", what));
  }

  absl::Status RefuseIfReadOnly() const {
    if (!options().read_only) return absl::OkStatus();
    return absl::FailedPreconditionError(absl::StrCat(
        context_, " is open read-only; reopen it without read_only to write"));
  }

  absl::Status Write(rocksdb::WriteBatch* batch) {
    if (absl::Status s = guard_.Admit(batch->GetDataSize()); !s.ok()) return s;
    absl::Status s = Status(db_->Write(write_options_, batch), "write");
    if (!s.ok()) RememberLogFailure(s);
    return s;
  }

  // Debian's librocksdb is built with assertions on: once the WAL writer has
  // seen an error, SyncWAL() aborts the process
  // (WritableFileWriter::AssertFalseAndGetStatusForPrevError). So after a
  // failed write or sync this handle never syncs again; RocksDB refuses
  // writes too, and reopening the store recovers.
  void RememberLogFailure(const absl::Status& s) {
    std::lock_guard<std::mutex> lock(log_failure_mu_);
    if (log_failure_.ok()) log_failure_ = s;
  }
  absl::Status LogFailure() {
    std::lock_guard<std::mutex> lock(log_failure_mu_);
    if (log_failure_.ok()) return absl::OkStatus();
    return absl::UnavailableError(absl::StrCat(
        context_, ": an earlier write failed (", log_failure_.message(),
        "); this handle can no longer sync. Reopen the store to recover"));
  }

  enum class Direction { kOldestFirst, kNewestFirst };

  // Up to `count` retained events of a session with index > after_index,
  // taken from the oldest or from the newest end; returned oldest first.
  absl::StatusOr<std::vector<SessionEvent>> ScanEvents(
      absl::string_view session_id, std::optional<int64_t> after_index,
      int64_t count, Direction direction);

  // What a caller needs of a session's state: all of it, or only its handle
  // (a session about to be removed needs no retained window).
  enum class LoadDepth { kFull, kHandleOnly };

  // Reads the session's handle and, when a limit is on, its retained indexes.
  // kHandleOnly stops after the handle and leaves the state unloaded, so that
  // the next full lock reads the rest.
  absl::Status Load(absl::string_view id, SessionState* state,
                    LoadDepth depth);  // Caller holds state->mu exclusively.

  // Locks the states of `ids` in sorted order (so that writers never
  // deadlock), each alive and loaded to `depth`.
  absl::Status LockStates(std::vector<absl::string_view> ids,
                          LockedStates* locked,
                          LoadDepth depth = LoadDepth::kFull);

  // The session's state, reader-locked and loaded; null if the session has no
  // events. The caller unlocks.
  absl::StatusOr<std::shared_ptr<SessionState>> ReadLock(absl::string_view id);

  // Adds to `batch` the removal of session `id`'s events and handle.
  void AppendEventRemoval(
      absl::string_view id, const SessionState& state,
      rocksdb::WriteBatch* batch);  // Caller holds state.mu.

  // Marks removed sessions dead once their removal is written.
  void ForgetSessions(const std::vector<std::string>& ids,
                      const LockedStates& locked);

  absl::StatusOr<std::optional<SessionRecord>> ReadRecord(absl::string_view id);

  // Syncs the WAL, then lets the compaction filter act on the watermarks
  // whose justifying events that sync made durable.
  absl::Status SyncAndPublish();
  void StartBackgroundSync();
  void StopBackgroundSync();

  const std::string path_;
  const std::string context_;
  DiskGuard guard_;
  std::shared_ptr<WatermarkTable> watermarks_;
  rocksdb::WriteOptions write_options_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> cf_;
  SessionStateTable states_;
  std::atomic<uint64_t> next_handle_{1};
  // As asked, before kLimitFromStore is resolved.
  const int64_t requested_max_sessions_;
  const int64_t requested_max_events_;

  // Serializes changes to session records, and so eviction.
  // Taken before any SessionState::mu. The engine's locks are std types, for
  // the reasons in session_state.h.
  std::mutex sessions_mu_;
  int64_t session_count_ = 0;  // Guarded by sessions_mu_.

  std::mutex log_failure_mu_;
  absl::Status log_failure_;  // Guarded by log_failure_mu_.

  // Serializes SyncAndPublish.
  std::mutex publish_mu_;
  // The watermarks last recorded as floors (keys.h). Guarded by publish_mu_.
  std::shared_ptr<const WatermarkMap> recorded_floors_ =
      std::make_shared<WatermarkMap>();

  std::mutex sync_mu_;
  std::condition_variable sync_cv_;
  bool stopping_ = false;  // Guarded by sync_mu_.
  std::thread sync_thread_;
};

absl::Status RocksDbDriver::OpenStore(rocksdb::Env* env) {
  std::error_code ec;
  bool exists =
      std::filesystem::exists(std::filesystem::path(path_) / "CURRENT", ec);
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
    // marker and only some of the column families: open finishes it.
    const bool created_by_sessionlog = std::filesystem::exists(
        std::filesystem::path(path_) / kCreationMarker, ec);
    for (const char* name : kColumnFamilyNames) {
      if (std::find(families.begin(), families.end(), name) == families.end() &&
          !created_by_sessionlog) {
        return absl::FailedPreconditionError(absl::StrCat(
            context_, " is a RocksDB database but not a sessionlog store (no '",
            name, "' column family)"));
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
  if (!s.ok()) return WithSuspectLogs(Status(s, "open"), path_);
  db_.reset(db);

  // Format version: refuse a store written by a newer sessionlog.
  std::string value;
  s = db_->Get(rocksdb::ReadOptions(), cf_[kMeta], keys::kFormatVersionKey,
               &value);
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
  if (s.ok() && keys::DecodeFixed64(value, &stored))
    next = std::max(next, stored);
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
  if (!options().read_only) {
    rocksdb::WriteBatch batch;
    for (int i = 0; i < 2; ++i) {
      batch.Put(cf_[kMeta], limit_keys[i],
                keys::EncodeFixed64(static_cast<uint64_t>(effective[i])));
    }
    s = db_->Write(rocksdb::WriteOptions(), &batch);
    if (!s.ok()) return Status(s, "write limits");
    StartBackgroundSync();
  }
  return absl::OkStatus();
}

absl::Status RocksDbDriver::Load(absl::string_view id, SessionState* state,
                                 LoadDepth depth) {
  state->loaded = false;
  state->handle = 0;
  state->highest.reset();
  state->retained.clear();
  state->floor = 0;
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), cf_[kHandles],
                               keys::HandleByIdKey(id), &value);
  if (s.IsNotFound()) {
    state->loaded = true;
    return absl::OkStatus();
  }
  if (!s.ok()) return Status(s, "read session handle");
  uint64_t handle;
  if (!keys::DecodeFixed64(value, &handle)) {
    return absl::DataLossError(absl::StrCat(context_, ": handle of session \"",
                                            id, "\" is not 8 bytes"));
  }
  state->handle = handle;
  if (depth == LoadDepth::kHandleOnly) return absl::OkStatus();
  s = db_->Get(rocksdb::ReadOptions(), cf_[kHandles],
               keys::FloorByHandleKey(handle), &value);
  if (s.ok()) {
    uint64_t floor;
    if (!keys::DecodeFixed64(value, &floor) ||
        floor > static_cast<uint64_t>(kMaxSafeInteger)) {
      return absl::DataLossError(absl::StrCat(context_, ": floor of session \"",
                                              id, "\" is unreadable"));
    }
    state->floor = static_cast<int64_t>(floor);
  } else if (!s.IsNotFound()) {
    return Status(s, "read session floor");
  }
  std::string lower = keys::EventKey(handle, state->floor);
  std::string upper = keys::EventKey(handle + 1, 0);
  rocksdb::Slice lower_slice(lower), upper_slice(upper);
  rocksdb::ReadOptions read;
  read.iterate_lower_bound = &lower_slice;
  read.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read, cf_[kEvents]));
  // Keys below the floor were trimmed, and are skipped whatever the limit.
  // Keys trimmed since the floor was last recorded may linger until
  // compaction; under an unchanged limit the newest N physical keys are
  // exactly the newest N logical ones.
  const int64_t limit = max_events();
  auto index_at = [&](int64_t* index) -> absl::Status {
    uint64_t key_handle;
    if (!keys::DecodeEventKey(View(it->key()), &key_handle, index)) {
      return absl::DataLossError(
          absl::StrCat(context_, ": malformed event key"));
    }
    return absl::OkStatus();
  };
  it->SeekToLast();
  if (it->Valid()) {
    int64_t highest;
    if (absl::Status bad = index_at(&highest); !bad.ok()) return bad;
    state->highest = highest;
    if (limit != 0) {
      // Usually the newest N are exactly (highest - N, highest]: read them
      // forward (every memtable Prev() is a fresh search); across gaps in
      // the indexes, walk back from the newest instead.
      const int64_t from = std::max(state->floor, highest - limit + 1);
      for (it->Seek(keys::EventKey(handle, from)); it->Valid(); it->Next()) {
        int64_t index;
        if (absl::Status bad = index_at(&index); !bad.ok()) return bad;
        state->retained.push_back(index);
      }
      if (it->status().ok() &&
          static_cast<int64_t>(state->retained.size()) < limit &&
          from > state->floor) {
        state->retained.clear();
        for (it->SeekToLast();
             it->Valid() &&
             static_cast<int64_t>(state->retained.size()) < limit;
             it->Prev()) {
          int64_t index;
          if (absl::Status bad = index_at(&index); !bad.ok()) return bad;
          state->retained.push_front(index);
        }
      }
    }
  }
  if (!it->status().ok()) return Status(it->status(), "read events");
  state->loaded = true;
  return absl::OkStatus();
}

absl::Status RocksDbDriver::LockStates(std::vector<absl::string_view> ids,
                                       LockedStates* locked, LoadDepth depth) {
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  for (absl::string_view id : ids) {
    while (true) {
      std::shared_ptr<SessionState> state = states_.GetOrCreate(id);
      state->mu.lock();
      if (state->dead) {
        state->mu.unlock();
        continue;
      }
      locked->Add(id, state);
      if (!state->loaded) {
        if (absl::Status s = Load(id, state.get(), depth); !s.ok()) return s;
      }
      break;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<SessionState>> RocksDbDriver::ReadLock(
    absl::string_view id) {
  while (true) {
    std::shared_ptr<SessionState> state = states_.Find(id);
    if (state == nullptr) {
      // Unknown to this process: create a state only if the session has
      // events, so that reads of arbitrary ids cannot grow memory.
      std::string value;
      rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), cf_[kHandles],
                                   keys::HandleByIdKey(id), &value);
      if (s.IsNotFound()) return nullptr;
      if (!s.ok()) return Status(s, "read session handle");
      state = states_.GetOrCreate(id);
    }
    {
      std::lock_guard<std::shared_mutex> lock(state->mu);
      if (state->dead) continue;
      if (!state->loaded) {
        if (absl::Status s = Load(id, state.get(), LoadDepth::kFull); !s.ok()) {
          return s;
        }
      }
    }
    state->mu.lock_shared();
    if (state->dead || !state->loaded) {
      state->mu.unlock_shared();
      continue;
    }
    if (state->handle == 0) {
      state->mu.unlock_shared();
      return nullptr;
    }
    return state;
  }
}

absl::StatusOr<std::optional<SessionRecord>> RocksDbDriver::ReadRecord(
    absl::string_view id) {
  rocksdb::PinnableSlice value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), cf_[kSessions],
                               rocksdb::Slice(id.data(), id.size()), &value);
  if (s.IsNotFound()) return std::nullopt;
  if (!s.ok()) return Status(s, "read session");
  absl::StatusOr<SessionRecord> record = DecodeSessionRecord(View(value));
  if (!record.ok()) {
    return absl::DataLossError(absl::StrCat(context_, ": session \"", id,
                                            "\": ", record.status().message()));
  }
  return *std::move(record);
}

absl::StatusOr<SessionRecord> RocksDbDriver::DoGetSession(
    absl::string_view id) {
  absl::StatusOr<std::optional<SessionRecord>> record = ReadRecord(id);
  if (!record.ok()) return record.status();
  if (!record->has_value()) {
    return absl::NotFoundError(absl::StrCat("session \"", id, "\" not found"));
  }
  return **std::move(record);
}

absl::StatusOr<std::vector<SessionRecord>> RocksDbDriver::DoListSessions(
    const std::optional<SessionCursor>& after, int64_t limit) {
  rocksdb::ReadOptions read;
  const rocksdb::Snapshot* snapshot = db_->GetSnapshot();
  read.snapshot = snapshot;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read, cf_[kByAge]));
  std::vector<SessionRecord> items;
  absl::Status status;
  std::string start = after ? keys::AgeKey(after->created_at, after->id) : "";
  for (it->Seek(start);
       it->Valid() && static_cast<int64_t>(items.size()) < limit; it->Next()) {
    if (after && View(it->key()) == start) continue;
    int64_t created_at;
    std::string id;
    if (!keys::DecodeAgeKey(View(it->key()), &created_at, &id)) {
      status =
          absl::DataLossError(absl::StrCat(context_, ": malformed age key"));
      break;
    }
    rocksdb::PinnableSlice value;
    rocksdb::Status s = db_->Get(read, cf_[kSessions], id, &value);
    if (!s.ok()) {
      status = s.IsNotFound()
                   ? absl::DataLossError(absl::StrCat(
                         context_, ": the age index names session \"", id,
                         "\", which has no record; run `sessionlog verify`"))
                   : Status(s, "read session");
      break;
    }
    absl::StatusOr<SessionRecord> record = DecodeSessionRecord(View(value));
    if (!record.ok()) {
      status = absl::DataLossError(absl::StrCat(
          context_, ": session \"", id, "\": ", record.status().message()));
      break;
    }
    items.push_back(*std::move(record));
  }
  if (status.ok() && !it->status().ok()) status = Status(it->status(), "list");
  it.reset();
  db_->ReleaseSnapshot(snapshot);
  if (!status.ok()) return status;
  return items;
}

void RocksDbDriver::AppendEventRemoval(absl::string_view id,
                                       const SessionState& state,
                                       rocksdb::WriteBatch* batch) {
  if (state.handle == 0) return;
  batch->DeleteRange(cf_[kEvents], keys::EventKey(state.handle, 0),
                     keys::EventKey(state.handle + 1, 0));
  batch->Delete(cf_[kHandles], keys::HandleByIdKey(id));
  batch->Delete(cf_[kHandles], keys::IdByHandleKey(state.handle));
  batch->Delete(cf_[kHandles], keys::FloorByHandleKey(state.handle));
}

void RocksDbDriver::ForgetSessions(const std::vector<std::string>& ids,
                                   const LockedStates& locked) {
  for (const std::string& id : ids) {
    SessionState* state = locked.Get(id);
    if (state->handle != 0) watermarks_->Forget(state->handle);
    state->dead = true;
    states_.Remove(id, locked.Shared(id));
  }
}

absl::Status RocksDbDriver::DoUpdateSession(const SessionRecord& record) {
  if (absl::Status s = RefuseIfReadOnly(); !s.ok()) return s;
  std::lock_guard<std::mutex> lock(sessions_mu_);
  absl::StatusOr<std::optional<SessionRecord>> old = ReadRecord(record.id);
  if (!old.ok()) return old.status();
  int64_t count = session_count_ + (old->has_value() ? 0 : 1);
  const std::string new_age_key = keys::AgeKey(record.created_at, record.id);

  // Victims: the first `count - max_sessions` sessions in (created_at, id)
  // order, with this record in its new place.
  std::vector<std::string> victims;
  const int64_t max_sessions = options().max_sessions;
  if (max_sessions != kNoLimit && count > max_sessions) {
    const size_t overflow = static_cast<size_t>(count - max_sessions);
    // The first `overflow` stored keys other than this record's old one,
    // merged with its new key: the first `overflow` of those are the victims.
    std::vector<std::pair<std::string, std::string>> candidates;  // (key, id)
    std::unique_ptr<rocksdb::Iterator> it(
        db_->NewIterator(rocksdb::ReadOptions(), cf_[kByAge]));
    for (it->SeekToFirst(); it->Valid() && candidates.size() < overflow;
         it->Next()) {
      int64_t created_at;
      std::string id;
      if (!keys::DecodeAgeKey(View(it->key()), &created_at, &id)) {
        return absl::DataLossError(
            absl::StrCat(context_, ": malformed age key"));
      }
      if (id == record.id) continue;
      candidates.emplace_back(std::string(View(it->key())), std::move(id));
    }
    if (!it->status().ok()) return Status(it->status(), "read age index");
    candidates.emplace_back(new_age_key, record.id);
    std::sort(candidates.begin(), candidates.end());
    for (size_t i = 0; i < overflow && i < candidates.size(); ++i) {
      victims.push_back(std::move(candidates[i].second));
    }
  }

  std::vector<absl::string_view> victim_ids(victims.begin(), victims.end());
  LockedStates locked;
  if (absl::Status s = LockStates(victim_ids, &locked, LoadDepth::kHandleOnly);
      !s.ok()) {
    return s;
  }

  rocksdb::WriteBatch batch;
  bool record_survives = true;
  for (const std::string& id : victims) {
    if (id == record.id) {
      record_survives = false;
      if (old->has_value()) {
        batch.Delete(cf_[kSessions], id);
        batch.Delete(cf_[kByAge], keys::AgeKey((*old)->created_at, id));
      }
    } else {
      absl::StatusOr<std::optional<SessionRecord>> victim = ReadRecord(id);
      if (!victim.ok()) return victim.status();
      batch.Delete(cf_[kSessions], id);
      if (victim->has_value()) {
        batch.Delete(cf_[kByAge], keys::AgeKey((*victim)->created_at, id));
      }
    }
    AppendEventRemoval(id, *locked.Get(id), &batch);
  }
  if (record_survives) {
    std::string value;
    EncodeSessionRecord(record, &value);
    batch.Put(cf_[kSessions], record.id, value);
    if (old->has_value() && (*old)->created_at != record.created_at) {
      batch.Delete(cf_[kByAge], keys::AgeKey((*old)->created_at, record.id));
    }
    batch.Put(cf_[kByAge], new_age_key, "");
  }
  const int64_t final_count = count - static_cast<int64_t>(victims.size());
  batch.Put(cf_[kMeta], keys::kSessionCountKey,
            keys::EncodeFixed64(static_cast<uint64_t>(final_count)));
  if (absl::Status s = Write(&batch); !s.ok()) return s;
  session_count_ = final_count;
  ForgetSessions(victims, locked);
  return absl::OkStatus();
}

absl::Status RocksDbDriver::DoDeleteSession(absl::string_view id) {
  if (absl::Status s = RefuseIfReadOnly(); !s.ok()) return s;
  std::lock_guard<std::mutex> lock(sessions_mu_);
  absl::StatusOr<std::optional<SessionRecord>> old = ReadRecord(id);
  if (!old.ok()) return old.status();
  LockedStates locked;
  if (absl::Status s = LockStates({id}, &locked, LoadDepth::kHandleOnly);
      !s.ok()) {
    return s;
  }
  rocksdb::WriteBatch batch;
  int64_t final_count = session_count_;
  if (old->has_value()) {
    batch.Delete(cf_[kSessions], rocksdb::Slice(id.data(), id.size()));
    batch.Delete(cf_[kByAge], keys::AgeKey((*old)->created_at, id));
    --final_count;
    batch.Put(cf_[kMeta], keys::kSessionCountKey,
              keys::EncodeFixed64(static_cast<uint64_t>(final_count)));
  }
  AppendEventRemoval(id, *locked.Get(id), &batch);
  if (batch.Count() > 0) {
    if (absl::Status s = Write(&batch); !s.ok()) return s;
    session_count_ = final_count;
  }
  // Also when nothing was stored: the state that LockStates made for an
  // unknown id must not stay, or deleting arbitrary ids grows memory.
  ForgetSessions({std::string(id)}, locked);
  return absl::OkStatus();
}

absl::Status RocksDbDriver::DoInsertEvents(
    absl::Span<const SessionEvent> events) {
  if (absl::Status s = RefuseIfReadOnly(); !s.ok()) return s;
  std::vector<absl::string_view> ids;
  ids.reserve(events.size());
  for (const SessionEvent& e : events) ids.push_back(e.session_id);
  LockedStates locked;
  if (absl::Status s = LockStates(std::move(ids), &locked); !s.ok()) return s;

  rocksdb::WriteBatch batch;
  std::vector<const SessionEvent*> stored;
  absl::flat_hash_map<absl::string_view, uint64_t> new_handles;
  absl::flat_hash_map<std::pair<absl::string_view, int64_t>,
                      const SessionEvent*>
      in_batch;
  std::string value;
  for (const SessionEvent& event : events) {
    SessionState* state = locked.Get(event.session_id);
    if (events.size() > 1) {
      auto [earlier, inserted] =
          in_batch.try_emplace({event.session_id, event.event_index}, &event);
      if (!inserted) {
        if (absl::Status s = CheckDuplicateEvent(*earlier->second, event);
            !s.ok()) {
          return s;
        }
        continue;
      }
    }
    if (state->highest && event.event_index <= *state->highest) {
      // Below the retained window: accepted, and trimmed at once.
      if (event.event_index < state->Watermark(max_events())) continue;
      rocksdb::PinnableSlice existing;
      rocksdb::Status s =
          db_->Get(rocksdb::ReadOptions(), cf_[kEvents],
                   keys::EventKey(state->handle, event.event_index), &existing);
      if (s.ok()) {
        absl::StatusOr<SessionEvent> previous =
            DecodeSessionEvent(View(existing), event.session_id);
        if (!previous.ok()) {
          return absl::DataLossError(absl::StrCat(
              context_, ": event ", event.event_index, " of session \"",
              event.session_id, "\": ", previous.status().message()));
        }
        if (absl::Status dup = CheckDuplicateEvent(*previous, event);
            !dup.ok()) {
          return dup;
        }
        continue;
      }
      if (!s.IsNotFound()) return Status(s, "read event");
    }
    uint64_t handle = state->handle;
    if (handle == 0) {
      auto [it, inserted] = new_handles.try_emplace(event.session_id, 0);
      if (inserted) {
        it->second = next_handle_.fetch_add(1);
        batch.Put(cf_[kHandles], keys::HandleByIdKey(event.session_id),
                  keys::EncodeFixed64(it->second));
        batch.Put(cf_[kHandles], keys::IdByHandleKey(it->second),
                  event.session_id);
        batch.Put(cf_[kMeta], keys::kNextHandleKey,
                  keys::EncodeFixed64(it->second + 1));
      }
      handle = it->second;
    }
    EncodeSessionEvent(event, SessionIdField::kOmit, &value);
    batch.Put(cf_[kEvents], keys::EventKey(handle, event.event_index), value);
    stored.push_back(&event);
  }
  if (stored.empty()) return absl::OkStatus();
  if (absl::Status s = Write(&batch); !s.ok()) return s;
  for (const auto& [id, handle] : new_handles) {
    SessionState* state = locked.Get(id);
    state->handle = handle;
  }
  for (const SessionEvent* event : stored) {
    SessionState* state = locked.Get(event->session_id);
    if (state->Add(event->event_index, max_events())) {
      watermarks_->Raise(state->handle, state->Watermark(max_events()));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<SessionEvent>> RocksDbDriver::ScanEvents(
    absl::string_view session_id, std::optional<int64_t> after_index,
    int64_t count, Direction direction) {
  std::vector<SessionEvent> items;
  absl::StatusOr<std::shared_ptr<SessionState>> locked = ReadLock(session_id);
  if (!locked.ok()) return locked.status();
  std::shared_ptr<SessionState> state = *std::move(locked);
  if (state == nullptr) return items;
  int64_t start = state->Watermark(max_events());
  if (after_index) start = std::max(start, *after_index + 1);
  const std::string upper = keys::EventKey(state->handle + 1, 0);
  // Reads up to `limit` events with index >= from, oldest or newest first.
  auto scan = [&](int64_t from, bool forward, int64_t limit) -> absl::Status {
    std::string lower = keys::EventKey(state->handle, from);
    rocksdb::Slice lower_slice(lower), upper_slice(upper);
    rocksdb::ReadOptions read;
    read.iterate_lower_bound = &lower_slice;
    read.iterate_upper_bound = &upper_slice;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read, cf_[kEvents]));
    for (forward ? it->SeekToFirst() : it->SeekToLast();
         it->Valid() && static_cast<int64_t>(items.size()) < limit;
         forward ? it->Next() : it->Prev()) {
      absl::StatusOr<SessionEvent> event =
          DecodeSessionEvent(View(it->value()), session_id);
      if (!event.ok()) {
        return absl::DataLossError(
            absl::StrCat(context_, ": session \"", session_id,
                         "\": ", event.status().message()));
      }
      items.push_back(*std::move(event));
    }
    return it->status().ok() ? absl::OkStatus()
                             : Status(it->status(), "read events");
  };
  absl::Status status;
  if (direction == Direction::kOldestFirst) {
    status = scan(start, /*forward=*/true, count);
  } else if (state->highest) {  // Else no event above the floor remains.
    // The newest `count` are usually exactly (highest - count, highest]: read
    // them forward, which is ~3x faster than walking back, since every Prev()
    // in a memtable is a fresh search. Gaps in the indexes leave that short;
    // then walk back from the newest.
    const int64_t from = std::max(start, *state->highest - count + 1);
    status = scan(from, /*forward=*/true, count);
    if (status.ok() && static_cast<int64_t>(items.size()) < count &&
        from > start) {
      items.clear();
      status = scan(start, /*forward=*/false, count);
      std::reverse(items.begin(), items.end());  // Callers get oldest first.
    }
  }
  state->mu.unlock_shared();
  if (!status.ok()) return status;
  return items;
}

absl::StatusOr<std::vector<SessionEvent>> RocksDbDriver::DoListEvents(
    absl::string_view session_id, std::optional<int64_t> after_index,
    int64_t limit) {
  return ScanEvents(session_id, after_index, limit, Direction::kOldestFirst);
}

absl::StatusOr<std::vector<SessionEvent>> RocksDbDriver::DoLastEvents(
    absl::string_view session_id, int64_t count) {
  return ScanEvents(session_id, std::nullopt, count, Direction::kNewestFirst);
}

absl::StatusOr<std::optional<int64_t>> RocksDbDriver::DoHighestEventIndex(
    absl::string_view session_id) {
  absl::StatusOr<std::shared_ptr<SessionState>> locked = ReadLock(session_id);
  if (!locked.ok()) return locked.status();
  std::shared_ptr<SessionState> state = *std::move(locked);
  if (state == nullptr) return std::optional<int64_t>();
  std::optional<int64_t> highest = state->highest;
  state->mu.unlock_shared();
  return highest;
}

absl::StatusOr<DriverStats> RocksDbDriver::DoStats() {
  DriverStats stats;
  {
    std::lock_guard<std::mutex> lock(sessions_mu_);
    stats.sessions = session_count_;
  }
  uint64_t keys_estimate = 0;
  db_->GetIntProperty(cf_[kEvents], "rocksdb.estimate-num-keys",
                      &keys_estimate);
  stats.events = static_cast<int64_t>(keys_estimate);
  stats.events_is_estimate = true;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(path_, ec)) {
    if (entry.is_regular_file(ec)) {
      stats.disk_bytes += static_cast<int64_t>(entry.file_size(ec));
    }
  }
  return stats;
}

absl::Status RocksDbDriver::SyncAndPublish() {
  std::lock_guard<std::mutex> lock(publish_mu_);
  if (absl::Status failed = LogFailure(); !failed.ok()) return failed;
  std::shared_ptr<const WatermarkMap> pending = watermarks_->Pending();
  // The watermarks become the sessions' recorded floors in the WAL ahead of
  // the sync that makes them durable, with the events that justify them; so
  // what the filter may drop is below the floors, and trimmed events never
  // come back when the store is opened with a larger limit, or none.
  rocksdb::WriteBatch floors;
  for (const auto& [handle, watermark] : *pending) {
    auto recorded = recorded_floors_->find(handle);
    if (recorded == recorded_floors_->end() || recorded->second != watermark) {
      floors.Put(cf_[kHandles], keys::FloorByHandleKey(handle),
                 keys::EncodeFixed64(static_cast<uint64_t>(watermark)));
    }
  }
  // Near a full disk the guard refuses the floors: the WAL is still synced,
  // but no new watermark is published, so the filter drops nothing new.
  const bool publish =
      floors.Count() == 0 || guard_.Admit(floors.GetDataSize()).ok();
  if (floors.Count() > 0 && publish) {
    rocksdb::Status s = db_->Write(rocksdb::WriteOptions(), &floors);
    if (!s.ok()) {
      absl::Status status = Status(s, "record floors");
      RememberLogFailure(status);
      return status;
    }
  }
  rocksdb::Status s = db_->SyncWAL();
  if (!s.ok()) {
    absl::Status status = Status(s, "sync WAL");
    RememberLogFailure(status);
    return status;
  }
  if (publish) {
    recorded_floors_ = pending;
    watermarks_->Publish(std::move(pending));
  }
  return absl::OkStatus();
}

absl::Status RocksDbDriver::DoFlush() {
  if (options().read_only) return absl::OkStatus();
  return SyncAndPublish();
}

absl::Status RocksDbDriver::DoCheckIntegrity() {
  return Status(db_->VerifyChecksum(), "verify checksums");
}

absl::Status RocksDbDriver::DoCompact() {
  if (absl::Status s = RefuseIfReadOnly(); !s.ok()) return s;
  if (absl::Status s = SyncAndPublish(); !s.ok()) return s;
  rocksdb::CompactRangeOptions compact;
  compact.bottommost_level_compaction =
      rocksdb::BottommostLevelCompaction::kForce;
  for (rocksdb::ColumnFamilyHandle* cf : cf_) {
    rocksdb::Status s = db_->CompactRange(compact, cf, nullptr, nullptr);
    if (!s.ok()) return Status(s, "compact");
  }
  return absl::OkStatus();
}

void RocksDbDriver::StartBackgroundSync() {
  if (options().durability != Durability::kProcessCrash ||
      options().background_sync_interval <= absl::ZeroDuration()) {
    return;
  }
  sync_thread_ = std::thread([this] {
    const auto interval =
        absl::ToChronoMilliseconds(options().background_sync_interval);
    std::unique_lock<std::mutex> lock(sync_mu_);
    while (!sync_cv_.wait_for(lock, interval, [this] { return stopping_; })) {
      lock.unlock();
      // Errors surface on the next write; a failed sync publishes nothing.
      SyncAndPublish().IgnoreError();
      lock.lock();
    }
  });
}

void RocksDbDriver::StopBackgroundSync() {
  {
    std::lock_guard<std::mutex> lock(sync_mu_);
    stopping_ = true;
  }
  sync_cv_.notify_all();
  if (sync_thread_.joinable()) sync_thread_.join();
}

}  // namespace

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
  auto driver = std::make_unique<RocksDbDriver>(options, std::string(path));
  if (absl::Status s = driver->OpenStore(env); !s.ok()) {
    // Any write of the open may have failed on the WAL; the destructor must
    // not sync it (see RememberLogFailure).
    driver->RememberOpenFailure(s);
    return s;
  }
  return driver;
}

}  // namespace sessionlog
