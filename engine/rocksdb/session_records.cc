// Session records, and eviction: the sessions first in (created_at, id) order
// go, with all of their events, in the same write batch as the update that
// pushed the count over max_sessions.

#include <algorithm>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "engine/rocksdb/rocksdb_driver_impl.h"
#include "schema/flatbuffers_codec.h"

namespace sessionlog {
namespace rocksdb_internal {

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

absl::StatusOr<std::vector<std::string>> RocksDbDriver::EvictionVictims(
    const SessionRecord& record, int64_t count, std::string* floor_after) {
  floor_after->clear();  // No victims: the floor stays as it is.
  std::vector<std::string> victims;
  const int64_t max_sessions = options().max_sessions;
  if (max_sessions == kNoLimit || count <= max_sessions) return victims;
  const size_t overflow = static_cast<size_t>(count - max_sessions);
  // The first `overflow` stored keys other than this record's old one,
  // merged with its new key: the first `overflow` of those are the victims.
  std::vector<std::pair<std::string, std::string>> candidates;  // (key, id)
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), cf_[kByAge]));
  for (it->Seek(age_floor_); it->Valid() && candidates.size() < overflow;
       it->Next()) {
    int64_t created_at;
    std::string id;
    if (!keys::DecodeAgeKey(View(it->key()), &created_at, &id)) {
      return absl::DataLossError(absl::StrCat(context_, ": malformed age key"));
    }
    if (id == record.id) continue;
    candidates.emplace_back(std::string(View(it->key())), std::move(id));
  }
  if (!it->status().ok()) return Status(it->status(), "read age index");
  candidates.emplace_back(keys::AgeKey(record.created_at, record.id),
                          record.id);
  std::sort(candidates.begin(), candidates.end());
  for (size_t i = 0; i < overflow && i < candidates.size(); ++i) {
    victims.push_back(std::move(candidates[i].second));
    // The victims are the first keys in order: once they are gone, none
    // live sorts before the last of them.
    *floor_after = candidates[i].first;
  }
  return victims;
}

absl::Status RocksDbDriver::DoUpdateSession(const SessionRecord& record) {
  if (absl::Status s = RefuseIfReadOnly(); !s.ok()) return s;
  std::lock_guard<std::mutex> lock(sessions_mu_);
  absl::StatusOr<std::optional<SessionRecord>> old = ReadRecord(record.id);
  if (!old.ok()) return old.status();
  int64_t count = session_count_ + (old->has_value() ? 0 : 1);

  // Victims: the first `count - max_sessions` sessions in (created_at, id)
  // order, with this record in its new place.
  std::string floor_after;
  absl::StatusOr<std::vector<std::string>> evicted =
      EvictionVictims(record, count, &floor_after);
  if (!evicted.ok()) return evicted.status();
  const std::vector<std::string>& victims = *evicted;

  std::vector<absl::string_view> victim_ids(victims.begin(), victims.end());
  LockedStates locked;
  if (absl::Status s = LockStates(victim_ids, &locked, LoadDepth::kHandleOnly);
      !s.ok()) {
    return s;
  }

  rocksdb::WriteBatch batch;
  const int64_t final_count = count - static_cast<int64_t>(victims.size());
  absl::StatusOr<bool> survives =
      AppendRecordWrite(record, *old, victims, locked, final_count, &batch);
  if (!survives.ok()) return survives.status();
  if (absl::Status s = Write(&batch); !s.ok()) return s;
  session_count_ = final_count;
  age_floor_ = std::max(age_floor_, floor_after);
  ForgetSessions(victims, locked);
  return absl::OkStatus();
}

absl::StatusOr<bool> RocksDbDriver::AppendRecordWrite(
    const SessionRecord& record, const std::optional<SessionRecord>& old,
    const std::vector<std::string>& victims, const LockedStates& locked,
    int64_t final_count, rocksdb::WriteBatch* batch) {
  bool record_survives = true;
  for (const std::string& id : victims) {
    if (id == record.id) {
      record_survives = false;
      if (old.has_value()) {
        batch->Delete(cf_[kSessions], id);
        batch->Delete(cf_[kByAge], keys::AgeKey(old->created_at, id));
      }
    } else {
      absl::StatusOr<std::optional<SessionRecord>> victim = ReadRecord(id);
      if (!victim.ok()) return victim.status();
      batch->Delete(cf_[kSessions], id);
      if (victim->has_value()) {
        batch->Delete(cf_[kByAge], keys::AgeKey((*victim)->created_at, id));
      }
    }
    AppendEventRemoval(id, *locked.Get(id), batch);
  }
  if (record_survives) {
    std::string value;
    EncodeSessionRecord(record, &value);
    batch->Put(cf_[kSessions], record.id, value);
    if (old.has_value() && old->created_at != record.created_at) {
      batch->Delete(cf_[kByAge], keys::AgeKey(old->created_at, record.id));
    }
    std::string age_key = keys::AgeKey(record.created_at, record.id);
    // Lowered before the write: a lower floor is always still a floor.
    age_floor_ = std::min(age_floor_, age_key);
    batch->Put(cf_[kByAge], age_key, "");
  }
  batch->Put(cf_[kMeta], keys::kSessionCountKey,
             keys::EncodeFixed64(static_cast<uint64_t>(final_count)));
  return record_survives;
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
  return RemoveSession(id, *old, locked);
}

namespace {

// A container for ScanSession that only counts what it is given.
struct KeyCounter {
  int64_t keys = 0;
  size_t size() const { return static_cast<size_t>(keys); }
};

}  // namespace

absl::StatusOr<std::optional<int64_t>> RocksDbDriver::DoDeleteSessionIf(
    absl::string_view id, StillSelected still_selected) {
  if (absl::Status s = RefuseIfReadOnly(); !s.ok()) return s;
  // Under sessions_mu_ no record changes; under the session's state lock no
  // event is appended, forked into or rewound.
  std::lock_guard<std::mutex> lock(sessions_mu_);
  absl::StatusOr<std::optional<SessionRecord>> record = ReadRecord(id);
  if (!record.ok()) return record.status();
  if (!record->has_value()) return std::nullopt;
  LockedStates locked;
  if (absl::Status s = LockStates({id}, &locked); !s.ok()) return s;
  const SessionState& state = *locked.Get(id);
  std::optional<int64_t> newest_event_at;
  if (state.handle != 0 && state.highest) {
    rocksdb::PinnableSlice value;
    rocksdb::Status s =
        db_->Get(rocksdb::ReadOptions(), cf_[kEvents],
                 keys::EventKey(state.handle, *state.highest), &value);
    if (!s.ok()) return Status(s, "read the newest event");
    absl::StatusOr<SessionEvent> newest = DecodeSessionEvent(View(value), id);
    if (!newest.ok()) {
      return absl::DataLossError(absl::StrCat(
          context_, ": session \"", id, "\": ", newest.status().message()));
    }
    newest_event_at = newest->created_at;
  }
  if (!still_selected(**record, newest_event_at)) return std::nullopt;
  // What it holds, for the caller's report: the retained window when a
  // limit keeps one, else a count of the keys above the floor.
  int64_t events = static_cast<int64_t>(state.retained.size());
  if (max_events() == kNoLimit && state.highest) {
    KeyCounter counted;
    if (absl::Status s = ScanSession(
            state.handle, state.Watermark(max_events()), /*forward=*/true,
            std::numeric_limits<int64_t>::max(),
            [](const rocksdb::Iterator&, KeyCounter* out) {
              ++out->keys;
              return absl::OkStatus();
            },
            &counted);
        !s.ok()) {
      return s;
    }
    events = counted.keys;
  }
  if (absl::Status s = RemoveSession(id, *record, locked); !s.ok()) return s;
  return events;
}

absl::Status RocksDbDriver::RemoveSession(
    absl::string_view id, const std::optional<SessionRecord>& old,
    const LockedStates& locked) {
  rocksdb::WriteBatch batch;
  int64_t final_count = session_count_;
  if (old.has_value()) {
    batch.Delete(cf_[kSessions], rocksdb::Slice(id.data(), id.size()));
    batch.Delete(cf_[kByAge], keys::AgeKey(old->created_at, id));
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

}  // namespace rocksdb_internal
}  // namespace sessionlog
