#include "engine/rocksdb/repair_wal.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "engine/rocksdb/rocksdb_status.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"

namespace sessionlog {
namespace repair_internal {
namespace {

namespace fs = std::filesystem;

// The log format of RocksDB (db/log_format.h): 32 KiB blocks of records,
// each a header (masked CRC32C, length, type; the recyclable types add the
// log number) and a fragment of a write batch.
constexpr size_t kBlockSize = 32768;
constexpr size_t kHeaderSize = 7;
constexpr size_t kRecyclableHeaderSize = 11;
enum RecordType : uint8_t {
  kZeroType = 0,
  kFullType = 1,
  kFirstType = 2,
  kMiddleType = 3,
  kLastType = 4,
  kRecyclableFullType = 5,
  kRecyclableLastType = 8,
};

uint32_t Crc32c(const char* data, size_t n) {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1)));
      t[i] = c;
    }
    return t;
  }();
  uint32_t crc = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; ++i) {
    crc = table[(crc ^ static_cast<uint8_t>(data[i])) & 0xFF] ^ (crc >> 8);
  }
  return crc ^ 0xFFFFFFFFu;
}

// RocksDB stores CRCs masked (util/crc32c.h), so that a CRC of data holding
// CRCs is not trivially weak.
uint32_t Unmask(uint32_t masked) {
  uint32_t rot = masked - 0xa282ead8u;
  return (rot >> 17) | (rot << 15);
}

uint32_t Fixed32(const char* p) {
  const auto* b = reinterpret_cast<const uint8_t*>(p);
  return b[0] | (b[1] << 8) | (b[2] << 16) |
         (static_cast<uint32_t>(b[3]) << 24);
}

// The batches of one log; `name` is for warnings.
void ReadLog(const std::string& bytes, const std::string& name,
             std::vector<std::string>* batches,
             std::vector<std::string>* warnings) {
  std::string pending;
  bool in_batch = false;
  size_t pos = 0;
  while (pos < bytes.size()) {
    const size_t block_left = kBlockSize - pos % kBlockSize;
    if (block_left < kHeaderSize) {  // The block's trailer: padding.
      pos += block_left;
      continue;
    }
    if (pos + kHeaderSize > bytes.size()) break;
    const char* header = bytes.data() + pos;
    const size_t length = static_cast<uint8_t>(header[4]) |
                          (static_cast<uint8_t>(header[5]) << 8);
    const uint8_t type = static_cast<uint8_t>(header[6]);
    if (type == kZeroType && length == 0) break;  // Preallocated, unwritten.
    const size_t header_size =
        type >= kRecyclableFullType && type <= kRecyclableLastType
            ? kRecyclableHeaderSize
            : kHeaderSize;
    if (pos + header_size + length > bytes.size()) {
      warnings->push_back(absl::StrCat(name, ": a torn record at byte ", pos,
                                       " ends the log (a crash mid-write)"));
      break;
    }
    // The CRC covers the type, the log number if any, and the fragment.
    if (Unmask(Fixed32(header)) !=
        Crc32c(header + 6, header_size - 6 + length)) {
      warnings->push_back(absl::StrCat(name, ": a record at byte ", pos,
                                       " fails its checksum; skipped"));
      pending.clear();
      in_batch = false;
      pos += header_size + length;
      continue;
    }
    const std::string fragment(header + header_size, length);
    pos += header_size + length;
    // The recyclable types are the plain ones plus 4.
    switch (type > kLastType ? type - 4 : type) {
      case kFullType:
        batches->push_back(fragment);
        in_batch = false;
        break;
      case kFirstType:
        pending = fragment;
        in_batch = true;
        break;
      case kMiddleType:
        if (in_batch) pending += fragment;
        break;
      case kLastType:
        if (in_batch) batches->push_back(pending + fragment);
        in_batch = false;
        break;
      default:
        warnings->push_back(absl::StrCat(name, ": a record of type ",
                                         static_cast<int>(type), " at byte ",
                                         pos, " is not a write; skipped"));
        break;
    }
  }
}

// Copies a log's batch into one for this instance's families.
class Remap : public rocksdb::WriteBatch::Handler {
 public:
  Remap(const std::vector<rocksdb::ColumnFamilyHandle*>& handles,
        rocksdb::WriteBatch* out, int64_t* unknown)
      : handles_(handles), out_(out), unknown_(unknown) {}

  rocksdb::Status PutCF(uint32_t id, const rocksdb::Slice& key,
                        const rocksdb::Slice& value) override {
    if (auto* h = Family(id)) return out_->Put(h, key, value);
    return rocksdb::Status::OK();
  }
  rocksdb::Status DeleteCF(uint32_t id, const rocksdb::Slice& key) override {
    if (auto* h = Family(id)) return out_->Delete(h, key);
    return rocksdb::Status::OK();
  }
  rocksdb::Status SingleDeleteCF(uint32_t id,
                                 const rocksdb::Slice& key) override {
    if (auto* h = Family(id)) return out_->SingleDelete(h, key);
    return rocksdb::Status::OK();
  }
  rocksdb::Status DeleteRangeCF(uint32_t id, const rocksdb::Slice& begin,
                                const rocksdb::Slice& end) override {
    if (auto* h = Family(id)) return out_->DeleteRange(h, begin, end);
    return rocksdb::Status::OK();
  }
  rocksdb::Status MergeCF(uint32_t id, const rocksdb::Slice& key,
                          const rocksdb::Slice& value) override {
    if (auto* h = Family(id)) return out_->Merge(h, key, value);
    return rocksdb::Status::OK();
  }
  // Transaction markers: sessionlog writes plain batches only.
  rocksdb::Status MarkBeginPrepare(bool) override {
    return rocksdb::Status::OK();
  }
  rocksdb::Status MarkEndPrepare(const rocksdb::Slice&) override {
    return rocksdb::Status::OK();
  }
  rocksdb::Status MarkCommit(const rocksdb::Slice&) override {
    return rocksdb::Status::OK();
  }
  rocksdb::Status MarkRollback(const rocksdb::Slice&) override {
    return rocksdb::Status::OK();
  }
  rocksdb::Status MarkNoop(bool) override { return rocksdb::Status::OK(); }

 private:
  rocksdb::ColumnFamilyHandle* Family(uint32_t id) {
    if (id < handles_.size()) return handles_[id];
    ++*unknown_;
    return nullptr;
  }

  const std::vector<rocksdb::ColumnFamilyHandle*>& handles_;
  rocksdb::WriteBatch* out_;
  int64_t* unknown_;
};

}  // namespace

absl::StatusOr<std::vector<std::string>> ReadLogBatches(
    const std::string& dir, std::vector<std::string>* warnings) {
  std::vector<std::pair<uint64_t, std::string>> logs;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    uint64_t number = 0;
    if (absl::EndsWith(name, ".log") &&
        absl::SimpleAtoi(absl::StripSuffix(name, ".log"), &number)) {
      logs.emplace_back(number, name);
    }
  }
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("cannot list ", dir, ": ", ec.message()));
  }
  std::sort(logs.begin(), logs.end());
  std::vector<std::string> batches;
  for (const auto& [number, name] : logs) {
    std::ifstream in(dir + "/" + name, std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    if (!in.good() && !in.eof()) {
      return absl::UnavailableError(
          absl::StrCat("cannot read ", dir, "/", name));
    }
    ReadLog(bytes.str(), name, &batches, warnings);
  }
  return batches;
}

absl::Status ApplyLogBatches(const std::string& dir,
                             const std::vector<std::string>& batches,
                             const std::vector<std::string>& families,
                             std::vector<std::string>* warnings) {
  const std::string context = absl::StrCat("rocksdb:", dir);
  rocksdb::DBOptions options;
  options.create_missing_column_families = true;
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const std::string& name : families) {
    descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions());
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s =
      rocksdb::DB::Open(options, dir, descriptors, &handles, &raw);
  if (!s.ok()) return FromRocksDb(s, context);
  std::unique_ptr<rocksdb::DB> db(raw);
  int64_t unknown = 0, malformed = 0;
  for (const std::string& rep : batches) {
    rocksdb::WriteBatch logged(rep), out;
    Remap remap(handles, &out, &unknown);
    // A batch that does not parse is dropped whole, as RepairDB drops it.
    if (!logged.Iterate(&remap).ok()) {
      ++malformed;
      continue;
    }
    s = db->Write(rocksdb::WriteOptions(), &out);
    if (!s.ok()) break;
  }
  if (malformed > 0) {
    warnings->push_back(
        absl::StrCat(malformed, " logged write batches do not parse; skipped"));
  }
  if (s.ok()) s = db->FlushWAL(/*sync=*/true);
  for (rocksdb::ColumnFamilyHandle* h : handles) {
    db->DestroyColumnFamilyHandle(h).PermitUncheckedError();
  }
  if (unknown > 0) {
    warnings->push_back(
        absl::StrCat(unknown,
                     " logged writes name a column family sessionlog does not "
                     "make; skipped"));
  }
  return s.ok() ? absl::OkStatus() : FromRocksDb(s, context);
}

}  // namespace repair_internal
}  // namespace sessionlog
