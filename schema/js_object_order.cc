// JavaScript's property order: keys that are array indexes first, in numeric
// order, then the others in insertion order; a repeated key keeps the
// position of its first occurrence and the value of its last.

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "schema/js_json_internal.h"

namespace sessionlog {
namespace js_json_internal {

bool ArrayIndexOfKey(absl::string_view literal, uint32_t* index) {
  absl::string_view digits = literal.substr(1, literal.size() - 2);
  if (digits.empty() || digits.size() > 10) return false;
  if (digits.size() > 1 && digits[0] == '0') return false;
  uint64_t value = 0;
  for (char c : digits) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  if (value > 4294967294ull) return false;
  *index = static_cast<uint32_t>(value);
  return true;
}

void ReorderObject(size_t object_start, absl::Span<const MemberSpan> spans,
                   std::string* out) {
  const auto key_of = [&](const MemberSpan& span) {
    return absl::string_view(out->data() + span.key_start,
                             span.key_end - span.key_start);
  };
  const auto value_of = [&](const MemberSpan& span) {
    return absl::string_view(out->data() + span.key_end + 1,
                             span.value_end - span.key_end - 1);
  };
  absl::flat_hash_map<absl::string_view, size_t> first_of_key;
  std::vector<size_t> firsts;              // Spans that place a key.
  std::vector<size_t> last(spans.size());  // Span giving each key's value.
  for (size_t i = 0; i < spans.size(); ++i) {
    auto [it, inserted] = first_of_key.try_emplace(key_of(spans[i]), i);
    if (inserted) firsts.push_back(i);
    last[it->second] = i;
  }
  std::vector<std::pair<uint32_t, size_t>> indexed;
  std::vector<size_t> named;
  for (size_t i : firsts) {
    uint32_t index;
    if (ArrayIndexOfKey(key_of(spans[i]), &index)) {
      indexed.emplace_back(index, i);
    } else {
      named.push_back(i);
    }
  }
  std::sort(indexed.begin(), indexed.end());
  std::string rebuilt = "{";
  const auto emit = [&](size_t i) {
    if (rebuilt.size() > 1) rebuilt.push_back(',');
    absl::StrAppend(&rebuilt, key_of(spans[i]), ":", value_of(spans[last[i]]));
  };
  for (const auto& entry : indexed) emit(entry.second);
  for (size_t i : named) emit(i);
  rebuilt.push_back('}');
  out->resize(object_start);
  out->append(rebuilt);
}

}  // namespace js_json_internal
}  // namespace sessionlog
