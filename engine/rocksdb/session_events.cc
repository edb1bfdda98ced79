// Events: appends (one key write each in the steady state; an index at or
// below the highest costs one point lookup, the idempotency check), pages in
// index order, and last-N reads.

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "api/internal/validation.h"
#include "engine/rocksdb/rocksdb_driver_impl.h"
#include "schema/flatbuffers_codec.h"

namespace sessionlog {
namespace rocksdb_internal {

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
  auto add = [&](const rocksdb::Iterator& it,
                 std::vector<SessionEvent>* out) -> absl::Status {
    absl::StatusOr<SessionEvent> event =
        DecodeSessionEvent(View(it.value()), session_id);
    if (!event.ok()) {
      return absl::DataLossError(
          absl::StrCat(context_, ": session \"", session_id,
                       "\": ", event.status().message()));
    }
    out->push_back(*std::move(event));
    return absl::OkStatus();
  };
  absl::Status status;
  if (direction == Direction::kOldestFirst) {
    status =
        ScanSession(state->handle, start, /*forward=*/true, count, add, &items);
  } else if (state->highest) {  // Else no event above the floor remains.
    status = ReadNewestWindow(state->handle, start, *state->highest, count, add,
                              &items);
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

}  // namespace rocksdb_internal
}  // namespace sessionlog
