#include "bench/raw_rocksdb_peer.h"

#include <cstdint>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"
#include "schema/flatbuffers_codec.h"

namespace sessionlog::bench {
namespace {

absl::Status FromRocks(const rocksdb::Status& s, absl::string_view what) {
  if (s.ok()) return absl::OkStatus();
  return absl::InternalError(
      absl::StrCat("raw rocksdb ", what, ": ", s.ToString()));
}

void PutBigEndian(uint64_t v, char* out) {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
}

class RawRocksDbPeer final : public Peer {
 public:
  RawRocksDbPeer(std::unique_ptr<rocksdb::DB> db, bool sync)
      : db_(std::move(db)) {
    write_options_.sync = sync;
  }

  absl::Status PutSession(const SessionRecord& record) override {
    std::string value;
    EncodeSessionRecord(record, &value);
    Handle(record.id);
    return FromRocks(db_->Put(write_options_, SessionKey(record.id), value),
                     "put session");
  }

  absl::Status Append(const SessionEvent& event) override {
    char key[16];
    EventKey(Handle(event.session_id), event.event_index, key);
    std::string value;
    EncodeSessionEvent(event, SessionIdField::kOmit, &value);
    return FromRocks(
        db_->Put(write_options_, rocksdb::Slice(key, sizeof(key)), value),
        "put event");
  }

  absl::Status AppendBatch(absl::Span<const SessionEvent> events) override {
    rocksdb::WriteBatch batch;
    std::string value;
    for (const SessionEvent& event : events) {
      char key[16];
      EventKey(Handle(event.session_id), event.event_index, key);
      EncodeSessionEvent(event, SessionIdField::kOmit, &value);
      batch.Put(rocksdb::Slice(key, sizeof(key)), value);
    }
    return FromRocks(db_->Write(write_options_, &batch), "write batch");
  }

  absl::StatusOr<int64_t> LastEvents(absl::string_view session_id,
                                     int64_t count) override {
    const uint64_t handle = Handle(session_id);
    char last[16];
    EventKey(handle, INT64_MAX, last);
    std::unique_ptr<rocksdb::Iterator> it(
        db_->NewIterator(rocksdb::ReadOptions()));
    int64_t got = 0;
    std::vector<SessionEvent> events;
    for (it->SeekForPrev(rocksdb::Slice(last, sizeof(last)));
         it->Valid() && got < count; it->Prev(), ++got) {
      if (it->key().size() != 16 || memcmp(it->key().data(), last, 8) != 0) {
        break;
      }
      absl::StatusOr<SessionEvent> event = DecodeSessionEvent(
          absl::string_view(it->value().data(), it->value().size()),
          session_id);
      if (!event.ok()) return event.status();
      events.push_back(*std::move(event));
    }
    if (absl::Status s = FromRocks(it->status(), "iterate"); !s.ok()) return s;
    return got;
  }

  absl::Status GetSession(absl::string_view id) override {
    std::string value;
    if (absl::Status s = FromRocks(
            db_->Get(rocksdb::ReadOptions(), SessionKey(id), &value), "get");
        !s.ok()) {
      return s;
    }
    return DecodeSessionRecord(value).status();
  }

  absl::Status Close() override {
    absl::Status s = FromRocks(db_->SyncWAL(), "sync wal");
    if (s.ok()) s = FromRocks(db_->Close(), "close");
    db_.reset();
    return s;
  }

 private:
  // Sessions sort after every event key: event keys start with a handle
  // below 2^56, so their first byte is 0x00.
  static std::string SessionKey(absl::string_view id) {
    return absl::StrCat("\xff", id);
  }

  static void EventKey(uint64_t handle, int64_t index, char* key) {
    PutBigEndian(handle, key);
    PutBigEndian(static_cast<uint64_t>(index), key + 8);
  }

  // The engine keeps a per-session handle in memory as well; this is its
  // cheapest form.
  uint64_t Handle(absl::string_view session_id) {
    absl::MutexLock lock(&mu_);
    auto [it, inserted] = handles_.try_emplace(session_id, handles_.size() + 1);
    return it->second;
  }

  std::unique_ptr<rocksdb::DB> db_;
  rocksdb::WriteOptions write_options_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, uint64_t> handles_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

absl::StatusOr<std::unique_ptr<Peer>> OpenRawRocksDbPeer(
    const std::string& path, bool sync) {
  rocksdb::Options options;
  options.create_if_missing = true;
  rocksdb::DB* db = nullptr;
  if (absl::Status s = FromRocks(rocksdb::DB::Open(options, path, &db),
                                 absl::StrCat("open ", path));
      !s.ok()) {
    return s;
  }
  return std::make_unique<RawRocksDbPeer>(std::unique_ptr<rocksdb::DB>(db),
                                          sync);
}

}  // namespace sessionlog::bench
