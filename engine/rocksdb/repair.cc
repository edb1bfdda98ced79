#include "engine/rocksdb/repair.h"

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "api/driver.h"
#include "engine/rocksdb/keys.h"
#include "engine/rocksdb/repair_files.h"
#include "engine/rocksdb/repair_wal.h"
#include "engine/rocksdb/rocksdb_driver.h"
#include "engine/rocksdb/rocksdb_status.h"
#include "engine/rocksdb/store_directory.h"
#include "rocksdb/db.h"
#include "rocksdb/env.h"
#include "rocksdb/metadata.h"

namespace sessionlog {
namespace {

using repair_internal::ApplyLogBatches;
using repair_internal::CheckNoWriter;
using repair_internal::ClearTarget;
using repair_internal::CopyStore;
using repair_internal::LiveManifest;
using repair_internal::NewestManifest;
using repair_internal::PrepareTarget;
using repair_internal::ReadLogBatches;
using repair_internal::WriteCurrent;

namespace fs = std::filesystem;
namespace keys = rocksdb_keys;

// In the order sessionlog makes them, which gives their ids: 0 to 4.
constexpr const char* kColumnFamilies[] = {"default", "sessions", "by_age",
                                           "handles", "events"};

// Keeps RepairDB's warnings and errors for the report.
class CollectingLogger : public rocksdb::Logger {
 public:
  CollectingLogger() : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL) {}

  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    char line[1024];
    vsnprintf(line, sizeof(line), format, ap);
    std::lock_guard<std::mutex> lock(mu_);
    lines_.emplace_back(absl::StripTrailingAsciiWhitespace(line));
  }
  void Logv(const rocksdb::InfoLogLevel level, const char* format,
            va_list ap) override {
    if (level < rocksdb::InfoLogLevel::WARN_LEVEL) return;
    Logv(format, ap);
  }

  std::vector<std::string> Lines() {
    std::lock_guard<std::mutex> lock(mu_);
    return lines_;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> lines_;
};

// A read-only RocksDB instance over every column family of `dir`.
struct RawStore {
  std::unique_ptr<rocksdb::DB> db;
  std::vector<std::string> names;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  ~RawStore() {
    if (db == nullptr) return;
    for (rocksdb::ColumnFamilyHandle* h : handles) {
      db->DestroyColumnFamilyHandle(h).PermitUncheckedError();
    }
  }
  rocksdb::ColumnFamilyHandle* Family(absl::string_view name) const {
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] == name) return handles[i];
    }
    return nullptr;
  }
};

absl::Status OpenRaw(const std::string& dir, RawStore* raw) {
  const std::string context = absl::StrCat("rocksdb:", dir);
  rocksdb::DBOptions options;
  rocksdb::Status s =
      rocksdb::DB::ListColumnFamilies(options, dir, &raw->names);
  if (!s.ok()) return FromRocksDb(s, context);
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const std::string& name : raw->names) {
    descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions());
  }
  rocksdb::DB* db = nullptr;
  s = rocksdb::DB::OpenForReadOnly(options, dir, descriptors, &raw->handles,
                                   &db);
  if (!s.ok()) return FromRocksDb(s, context);
  raw->db.reset(db);
  return absl::OkStatus();
}

// Tables in `dir` that the live MANIFEST does not name: opening the store
// for writing would delete them as obsolete.
absl::StatusOr<std::vector<std::string>> UnnamedTables(const std::string& dir) {
  RawStore raw;
  if (absl::Status s = OpenRaw(dir, &raw); !s.ok()) return s;
  std::vector<rocksdb::LiveFileMetaData> live;
  raw.db->GetLiveFilesMetaData(&live);
  std::set<std::string> named;
  for (const rocksdb::LiveFileMetaData& file : live) {
    named.insert(std::string(absl::StripPrefix(file.name, "/")));
  }
  std::vector<std::string> unnamed;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (absl::EndsWith(name, ".sst") && named.count(name) == 0) {
      unnamed.push_back(name);
    }
  }
  return unnamed;
}

// Reads the recovered copy back: every session id with events (from the
// handle map), then every record and event through the driver.
absl::Status ReadBack(const std::string& dir, bool require_format_version,
                      RepairReport* report) {
  std::vector<std::string> ids;
  {
    RawStore raw;
    if (absl::Status s = OpenRaw(dir, &raw); !s.ok()) return s;
    rocksdb::ColumnFamilyHandle* meta = raw.Family("default");
    std::string version;
    if (require_format_version && !raw.db
                                       ->Get(rocksdb::ReadOptions(), meta,
                                             keys::kFormatVersionKey, &version)
                                       .ok()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "rocksdb:", dir,
          " does not hold a sessionlog store (no format version was "
          "recovered, and the source has no ",
          kCreationMarker, " marker)"));
    }
    if (rocksdb::ColumnFamilyHandle* handles = raw.Family("handles")) {
      std::unique_ptr<rocksdb::Iterator> it(
          raw.db->NewIterator(rocksdb::ReadOptions(), handles));
      const std::string prefix = keys::HandleByIdKey("");
      for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix);
           it->Next()) {
        ids.emplace_back(it->key().data() + prefix.size(),
                         it->key().size() - prefix.size());
      }
      if (!it->status().ok()) {
        return FromRocksDb(it->status(), absl::StrCat("rocksdb:", dir));
      }
    }
  }
  DriverOptions options;
  options.create_if_missing = false;
  options.max_sessions = kLimitFromStore;
  options.max_events_per_session = kLimitFromStore;
  absl::StatusOr<std::unique_ptr<SessionPersistDriver>> store =
      OpenRocksDbDriver(dir, options);
  if (!store.ok()) return store.status();
  SessionPersistDriver& driver = **store;
  report->sessions = report->events = 0;
  report->sessions_with_events = static_cast<int64_t>(ids.size());
  absl::Status walked =
      ForEachSession(driver, [&](const SessionRecord&) -> absl::Status {
        ++report->sessions;
        return absl::OkStatus();
      });
  if (!walked.ok()) return walked;
  for (const std::string& id : ids) {
    walked = ForEachEvent(driver, id, [&](const SessionEvent&) -> absl::Status {
      ++report->events;
      return absl::OkStatus();
    });
    if (!walked.ok()) return walked;
  }
  if (absl::Status s = driver.CheckIntegrity(); !s.ok()) return s;
  return driver.Flush();
}

absl::Status RunRepairDb(const std::string& dir, RepairReport* report) {
  auto logger = std::make_shared<CollectingLogger>();
  rocksdb::DBOptions options;
  options.info_log = logger;
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const char* name : kColumnFamilies) {
    descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions());
  }
  rocksdb::Status s = rocksdb::RepairDB(dir, options, descriptors,
                                        rocksdb::ColumnFamilyOptions());
  report->warnings = logger->Lines();
  if (!s.ok()) return FromRocksDb(s, absl::StrCat("rocksdb:", dir, ": repair"));
  report->set_aside.clear();
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir + "/lost", ec)) {
    const std::string name = entry.path().filename().string();
    if (absl::EndsWith(name, ".sst")) report->set_aside.push_back(name);
  }
  std::sort(report->set_aside.begin(), report->set_aside.end());
  return absl::OkStatus();
}

// Recovers the copy in `target`, first without RepairDB if possible.
absl::Status Recover(const std::string& source, const std::string& target,
                     bool sessionlog_marker, RepairReport* report) {
  // Step 1: the copy as it is, or with CURRENT naming the newest MANIFEST.
  std::string live = LiveManifest(target);
  bool try_as_is = !live.empty();
  if (live.empty()) {
    const std::string newest = NewestManifest(target);
    if (!newest.empty()) {
      if (absl::Status s = WriteCurrent(target, newest); !s.ok()) return s;
      report->method = RepairReport::Method::kRewroteCurrent;
      report->manifest = newest;
      try_as_is = true;
    }
  }
  if (try_as_is) {
    absl::Status status;
    // A MANIFEST chosen here, not by CURRENT, must name every table: opening
    // the store for writing deletes the tables its MANIFEST does not name.
    if (report->method == RepairReport::Method::kRewroteCurrent) {
      absl::StatusOr<std::vector<std::string>> unnamed = UnnamedTables(target);
      status = unnamed.status();
      if (status.ok() && !unnamed->empty()) {
        status = absl::DataLossError(
            absl::StrCat("the MANIFEST does not name ", unnamed->size(),
                         " of the tables (e.g. ", unnamed->front(), ")"));
      }
    }
    if (status.ok()) {
      status = ReadBack(target, !sessionlog_marker, report);
      if (status.ok()) return status;
      if (status.code() == absl::StatusCode::kFailedPrecondition) {
        return status;  // Not a sessionlog store: RepairDB will not help.
      }
    }
    report->problems.push_back(
        absl::StrCat("the copy does not open as it is: ", status.message()));
    ClearTarget(target, /*remove_dir=*/false);
    if (absl::Status s = CopyStore(source, target, report); !s.ok()) return s;
  }
  // Step 2: RocksDB's RepairDB. It replays the logs only into the families
  // its new MANIFEST knows (without the old one, "default" alone), so the
  // logs are read first and applied again after it, by family id.
  report->method = RepairReport::Method::kRepairDb;
  report->manifest.clear();
  std::vector<std::string> log_warnings;
  absl::StatusOr<std::vector<std::string>> batches =
      ReadLogBatches(target, &log_warnings);
  if (!batches.ok()) return batches.status();
  if (absl::Status s = RunRepairDb(target, report); !s.ok()) return s;
  report->warnings.insert(report->warnings.end(), log_warnings.begin(),
                          log_warnings.end());
  if (!batches->empty()) {
    // RepairDB's complaint about each such batch is answered here.
    report->warnings.erase(
        std::remove_if(report->warnings.begin(), report->warnings.end(),
                       [](const std::string& line) {
                         return absl::StrContains(
                             line, "Invalid column family specified");
                       }),
        report->warnings.end());
    report->warnings.push_back(absl::StrCat(
        "the logs' ", batches->size(),
        " write batches were applied again to every column family"));
    const std::vector<std::string> families(std::begin(kColumnFamilies),
                                            std::end(kColumnFamilies));
    if (absl::Status s =
            ApplyLogBatches(target, *batches, families, &report->warnings);
        !s.ok()) {
      return s;
    }
  }
  if (absl::Status s = ReadBack(target, !sessionlog_marker, report); !s.ok()) {
    return s;
  }
  // A copy without a record or an event is no recovery: the caller removes
  // it and fails, rather than offer an empty store in place of the data.
  if (report->sessions == 0 && report->events == 0 &&
      report->table_files + report->log_files > 0) {
    return absl::DataLossError(absl::StrCat(
        "nothing usable was recovered from the ", report->table_files,
        " tables and ", report->log_files,
        " logs: RepairDB and the log replay found no session and no event"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::string_view RepairMethodName(RepairReport::Method method) {
  switch (method) {
    case RepairReport::Method::kRewroteCurrent:
      return "rewrote CURRENT";
    case RepairReport::Method::kRepairDb:
      return "RepairDB";
    case RepairReport::Method::kNothingToRepair:
      return "nothing to repair";
  }
  return "?";
}

absl::StatusOr<RepairReport> RepairStore(absl::string_view source_path,
                                         absl::string_view target_path) {
  const std::string source(source_path), target(target_path);
  if (source.empty() || target.empty()) {
    return absl::InvalidArgumentError(
        "repair needs a store directory and a target directory");
  }
  const std::string context = absl::StrCat("rocksdb:", source);
  absl::StatusOr<StoreDirectory> dir = InspectStoreDirectory(source, context);
  if (!dir.ok()) return dir.status();
  switch (dir->kind) {
    case StoreDirectory::Kind::kMissing:
      return absl::NotFoundError(absl::StrCat("no store at ", context));
    case StoreDirectory::Kind::kNoRocksDbFiles:
    case StoreDirectory::Kind::kUnfinishedCreation:
      return absl::NotFoundError(absl::StrCat(
          context, " holds no RocksDB data files: nothing to repair"));
    case StoreDirectory::Kind::kHasCurrent:
    case StoreDirectory::Kind::kMissingCurrent:
      break;
  }
  if (absl::Status s = CheckNoWriter(source); !s.ok()) return s;
  bool created = false;
  if (absl::Status s = PrepareTarget(source, target, &created); !s.ok()) {
    return s;
  }
  RepairReport report;
  if (dir->kind == StoreDirectory::Kind::kMissingCurrent) {
    report.problems.push_back(
        absl::StrCat("CURRENT is missing; the store holds ",
                     DescribeRocksDbFiles(dir->rocksdb_files)));
  }
  if (!dir->bad_current.empty()) {
    report.problems.push_back(absl::StrCat("CURRENT ", dir->bad_current));
  }
  absl::Status status = CopyStore(source, target, &report);
  if (status.ok()) {
    status = Recover(source, target, dir->has_creation_marker, &report);
  }
  if (!status.ok()) {
    ClearTarget(target, /*remove_dir=*/created);
    return status;
  }
  return report;
}

}  // namespace sessionlog
