#include "engine/rocksdb/keys.h"

#include "absl/strings/str_cat.h"

namespace sessionlog {
namespace rocksdb_keys {
namespace {

void AppendFixed64(uint64_t value, std::string* out) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((value >> shift) & 0xff));
  }
}

uint64_t ReadFixed64(const char* p) {
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value = (value << 8) | static_cast<uint8_t>(p[i]);
  return value;
}

constexpr uint64_t kSignBit = uint64_t{1} << 63;

}  // namespace

std::string EncodeFixed64(uint64_t value) {
  std::string out;
  AppendFixed64(value, &out);
  return out;
}

bool DecodeFixed64(absl::string_view bytes, uint64_t* value) {
  if (bytes.size() != 8) return false;
  *value = ReadFixed64(bytes.data());
  return true;
}

std::string EventKey(uint64_t handle, int64_t event_index) {
  std::string key;
  key.reserve(kEventKeySize);
  AppendFixed64(handle, &key);
  AppendFixed64(static_cast<uint64_t>(event_index), &key);
  return key;
}

bool DecodeEventKey(absl::string_view key, uint64_t* handle,
                    int64_t* event_index) {
  if (key.size() != kEventKeySize) return false;
  *handle = ReadFixed64(key.data());
  uint64_t index = ReadFixed64(key.data() + 8);
  if (index > static_cast<uint64_t>(INT64_MAX)) return false;
  *event_index = static_cast<int64_t>(index);
  return true;
}

std::string AgeKey(int64_t created_at, absl::string_view id) {
  std::string key;
  key.reserve(8 + id.size());
  AppendFixed64(static_cast<uint64_t>(created_at) ^ kSignBit, &key);
  key.append(id.data(), id.size());
  return key;
}

bool DecodeAgeKey(absl::string_view key, int64_t* created_at, std::string* id) {
  if (key.size() <= 8) return false;
  *created_at = static_cast<int64_t>(ReadFixed64(key.data()) ^ kSignBit);
  id->assign(key.data() + 8, key.size() - 8);
  return true;
}

std::string HandleByIdKey(absl::string_view id) {
  return absl::StrCat("i", id);
}

std::string IdByHandleKey(uint64_t handle) {
  std::string key(1, kIdByHandlePrefix);
  AppendFixed64(handle, &key);
  return key;
}

std::string FloorByHandleKey(uint64_t handle) {
  std::string key(1, 'f');
  AppendFixed64(handle, &key);
  return key;
}

}  // namespace rocksdb_keys
}  // namespace sessionlog
