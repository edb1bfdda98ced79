#include "api/internal/json_surrogates.h"

#include <cstdint>

namespace sessionlog {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The code unit of the \uXXXX escape at json[pos], or -1 if there is none.
int32_t EscapedUnit(absl::string_view json, size_t pos) {
  if (pos + kUnicodeEscapeLength > json.size() || json[pos] != '\\' ||
      json[pos + 1] != 'u') {
    return -1;
  }
  int32_t unit = 0;
  for (size_t i = pos + 2; i < pos + kUnicodeEscapeLength; ++i) {
    const int digit = HexValue(json[i]);
    if (digit < 0) return -1;
    unit = unit * 16 + digit;
  }
  return unit;
}

bool IsHigh(int32_t unit) { return unit >= 0xD800 && unit <= 0xDBFF; }
bool IsLow(int32_t unit) { return unit >= 0xDC00 && unit <= 0xDFFF; }

}  // namespace

std::vector<size_t> FindLoneSurrogateEscapes(absl::string_view json) {
  std::vector<size_t> found;
  if (json.find("\\u") == absl::string_view::npos) return found;
  bool in_string = false;
  size_t pos = 0;
  while (pos < json.size()) {
    const char c = json[pos];
    if (!in_string) {
      in_string = c == '"';
      ++pos;
      continue;
    }
    if (c == '"') {
      in_string = false;
      ++pos;
      continue;
    }
    if (c != '\\') {
      ++pos;
      continue;
    }
    const int32_t unit = EscapedUnit(json, pos);
    if (unit < 0) {
      pos += 2;  // Another escape (\n, \", \\...): the next char is taken.
      continue;
    }
    if (IsHigh(unit) && IsLow(EscapedUnit(json, pos + kUnicodeEscapeLength))) {
      pos += 2 * kUnicodeEscapeLength;  // A pair.
      continue;
    }
    if (IsHigh(unit) || IsLow(unit)) found.push_back(pos);
    pos += kUnicodeEscapeLength;
  }
  return found;
}

bool HasLoneSurrogateEscape(absl::string_view json) {
  return !FindLoneSurrogateEscapes(json).empty();
}

std::string RewriteLoneSurrogateEscapes(
    absl::string_view json,
    absl::FunctionRef<std::string(absl::string_view escape)> rewrite) {
  std::string out;
  size_t copied = 0;
  for (size_t pos : FindLoneSurrogateEscapes(json)) {
    out.append(json.data() + copied, pos - copied);
    out.append(rewrite(json.substr(pos, kUnicodeEscapeLength)));
    copied = pos + kUnicodeEscapeLength;
  }
  out.append(json.data() + copied, json.size() - copied);
  return out;
}

std::string ReplaceLoneSurrogateEscapes(absl::string_view json) {
  return RewriteLoneSurrogateEscapes(
      json, [](absl::string_view) { return std::string("\\ufffd"); });
}

}  // namespace sessionlog
