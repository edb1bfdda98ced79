// Forks and rewinds.
//
// A fork is one write batch: the new record (with eviction, as an update), and
// a copy of each event it takes under a new handle. A rewind is one write
// batch too, and rewrites no kept event: a range delete of the session's keys
// above the index it keeps, and, when a limit is on, the session's floor
// raised to its watermark, so that events trimmed before the rewind stay
// trimmed though the session then holds fewer than the limit. A rewind that
// keeps nothing removes the session's events and handle as DeleteSession does,
// so that its watermark cannot trim what is appended afterwards.

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "engine/rocksdb/rocksdb_driver_impl.h"
#include "schema/flatbuffers_codec.h"

namespace sessionlog {
namespace rocksdb_internal {

absl::Status RocksDbDriver::AppendForkedEvents(absl::string_view source_id,
                                               const SessionState& source,
                                               absl::string_view new_id,
                                               int64_t through_index,
                                               rocksdb::WriteBatch* batch) {
  const int64_t start = source.Watermark(max_events());
  if (source.handle == 0 || through_index < start) return absl::OkStatus();
  const std::string lower = keys::EventKey(source.handle, start);
  const std::string upper = keys::EventKey(source.handle, through_index + 1);
  rocksdb::Slice lower_slice(lower), upper_slice(upper);
  rocksdb::ReadOptions read;
  read.iterate_lower_bound = &lower_slice;
  read.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read, cf_[kEvents]));
  uint64_t handle = 0;
  std::string value;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    absl::StatusOr<SessionEvent> event =
        DecodeSessionEvent(View(it->value()), source_id);
    if (!event.ok()) {
      return absl::DataLossError(
          absl::StrCat(context_, ": session \"", source_id,
                       "\": ", event.status().message()));
    }
    if (handle == 0) {
      handle = next_handle_.fetch_add(1);
      batch->Put(cf_[kHandles], keys::HandleByIdKey(new_id),
                 keys::EncodeFixed64(handle));
      batch->Put(cf_[kHandles], keys::IdByHandleKey(handle),
                 rocksdb::Slice(new_id.data(), new_id.size()));
      batch->Put(cf_[kMeta], keys::kNextHandleKey,
                 keys::EncodeFixed64(handle + 1));
    }
    EncodeSessionEvent(ForkedEvent(*event, new_id), SessionIdField::kOmit,
                       &value);
    batch->Put(cf_[kEvents], keys::EventKey(handle, event->event_index), value);
  }
  return it->status().ok() ? absl::OkStatus()
                           : Status(it->status(), "read events");
}

absl::Status RocksDbDriver::DoForkSession(absl::string_view source_id,
                                          absl::string_view new_id,
                                          int64_t through_index) {
  if (absl::Status s = RefuseIfReadOnly(); !s.ok()) return s;
  std::lock_guard<std::mutex> lock(sessions_mu_);
  absl::StatusOr<std::optional<SessionRecord>> source = ReadRecord(source_id);
  if (!source.ok()) return source.status();
  if (!source->has_value()) return ForkSourceNotFound(source_id);
  absl::StatusOr<std::optional<SessionRecord>> target = ReadRecord(new_id);
  if (!target.ok()) return target.status();
  if (target->has_value()) return ForkTargetExists(new_id);
  const SessionRecord fork = ForkedRecord(**source, new_id);
  const int64_t count = session_count_ + 1;
  std::string floor_after;
  absl::StatusOr<std::vector<std::string>> evicted =
      EvictionVictims(fork, count, &floor_after);
  if (!evicted.ok()) return evicted.status();
  const std::vector<std::string>& victims = *evicted;
  if (absl::Status s = CheckForkEvictions(source_id, new_id, victims,
                                          options().max_sessions);
      !s.ok()) {
    return s;
  }

  // One sorted lock of everything the batch touches: records cannot change
  // meanwhile (sessions_mu_), and events of these sessions cannot either.
  std::vector<absl::string_view> ids(victims.begin(), victims.end());
  ids.push_back(source_id);
  ids.push_back(new_id);
  LockedStates locked;
  if (absl::Status s = LockStates(ids, &locked); !s.ok()) return s;
  SessionState* target_state = locked.Get(new_id);
  if (target_state->highest) return ForkTargetExists(new_id);
  if (absl::Status s = CheckThroughIndex(
          source_id, locked.Get(source_id)->highest, through_index);
      !s.ok()) {
    return s;
  }

  rocksdb::WriteBatch batch;
  // A handle without events (left by an earlier writer) goes with the fork's
  // first write; the fork's events get a handle of their own.
  const uint64_t stale_handle = target_state->handle;
  AppendEventRemoval(new_id, *target_state, &batch);
  const int64_t final_count = count - static_cast<int64_t>(victims.size());
  absl::StatusOr<bool> survives = AppendRecordWrite(
      fork, std::nullopt, victims, locked, final_count, &batch);
  if (!survives.ok()) return survives.status();
  if (*survives) {
    if (absl::Status s = AppendForkedEvents(source_id, *locked.Get(source_id),
                                            new_id, through_index, &batch);
        !s.ok()) {
      return s;
    }
  }
  if (absl::Status s = Write(&batch); !s.ok()) return s;
  session_count_ = final_count;
  age_floor_ = std::max(age_floor_, floor_after);
  if (stale_handle != 0) watermarks_->Forget(stale_handle);
  // Read again on the next touch: the fork's handle and window.
  target_state->loaded = false;
  ForgetSessions(victims, locked);
  return absl::OkStatus();
}

absl::Status RocksDbDriver::DoRewindSession(absl::string_view id,
                                            int64_t through_index) {
  if (absl::Status s = RefuseIfReadOnly(); !s.ok()) return s;
  // As for deletes: records first, then the session's state.
  std::lock_guard<std::mutex> lock(sessions_mu_);
  LockedStates locked;
  if (absl::Status s = LockStates({id}, &locked); !s.ok()) return s;
  SessionState* state = locked.Get(id);
  if (!state->highest) {
    absl::StatusOr<std::optional<SessionRecord>> record = ReadRecord(id);
    if (!record.ok()) return record.status();
    if (!record->has_value()) return RewindSessionNotFound(id);
  }
  if (absl::Status s = CheckThroughIndex(id, state->highest, through_index);
      !s.ok()) {
    return s;
  }
  if (through_index == *state->highest) return absl::OkStatus();

  rocksdb::WriteBatch batch;
  const uint64_t handle = state->handle;
  const int64_t watermark = state->Watermark(max_events());
  const bool keeps_nothing = through_index < watermark;
  if (keeps_nothing) {
    AppendEventRemoval(id, *state, &batch);
  } else {
    batch.DeleteRange(cf_[kEvents], keys::EventKey(handle, through_index + 1),
                      keys::EventKey(handle + 1, 0));
    if (watermark > state->floor) {
      batch.Put(cf_[kHandles], keys::FloorByHandleKey(handle),
                keys::EncodeFixed64(static_cast<uint64_t>(watermark)));
    }
  }
  if (absl::Status s = Write(&batch); !s.ok()) return s;
  if (keeps_nothing) watermarks_->Forget(handle);
  // Read again on the next touch: the highest kept index (indexes may have
  // gaps), the retained window and the floor.
  state->loaded = false;
  return absl::OkStatus();
}

}  // namespace rocksdb_internal
}  // namespace sessionlog
