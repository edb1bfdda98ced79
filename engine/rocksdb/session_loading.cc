// The lock table and lazy per-session loading: a session's state (its handle,
// highest index, floor and retained indexes) is read on its first touch, so
// that opening a store never scans it.

#include <algorithm>
#include <deque>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "api/internal/validation.h"
#include "engine/rocksdb/rocksdb_driver_impl.h"

namespace sessionlog {
namespace rocksdb_internal {

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
  // Keys below the floor were trimmed, and are skipped whatever the limit.
  // Keys trimmed since the floor was last recorded may linger until
  // compaction; under an unchanged limit the newest N physical keys are
  // exactly the newest N logical ones.
  auto index_of = [&](const rocksdb::Iterator& it, int64_t* index) {
    uint64_t key_handle;
    if (!keys::DecodeEventKey(View(it.key()), &key_handle, index)) {
      return absl::DataLossError(
          absl::StrCat(context_, ": malformed event key"));
    }
    return absl::OkStatus();
  };
  {
    std::string lower = keys::EventKey(handle, state->floor);
    std::string upper = keys::EventKey(handle + 1, 0);
    rocksdb::Slice lower_slice(lower), upper_slice(upper);
    rocksdb::ReadOptions read;
    read.iterate_lower_bound = &lower_slice;
    read.iterate_upper_bound = &upper_slice;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read, cf_[kEvents]));
    it->SeekToLast();
    if (it->Valid()) {
      int64_t highest;
      if (absl::Status bad = index_of(*it, &highest); !bad.ok()) return bad;
      state->highest = highest;
    }
    if (!it->status().ok()) return Status(it->status(), "read events");
  }
  const int64_t limit = max_events();
  if (state->highest && limit != 0) {
    absl::Status s = ReadNewestWindow(
        handle, state->floor, *state->highest, limit,
        [&](const rocksdb::Iterator& it, std::deque<int64_t>* out) {
          int64_t index;
          if (absl::Status bad = index_of(it, &index); !bad.ok()) return bad;
          out->push_back(index);
          return absl::OkStatus();
        },
        &state->retained);
    if (!s.ok()) return s;
  }
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

}  // namespace rocksdb_internal
}  // namespace sessionlog
