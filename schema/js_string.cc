// JavaScript string text: JSON.stringify's escaping, UTF-8 as JavaScript's
// decoder reads it, and lengths in UTF-16 code units.

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "schema/js_json.h"
#include "schema/js_json_internal.h"

namespace sessionlog {
namespace js_json_internal {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void AppendUnicodeEscape(uint32_t unit, std::string* out) {
  char buf[6] = {'\\',
                 'u',
                 kHex[(unit >> 12) & 0xF],
                 kHex[(unit >> 8) & 0xF],
                 kHex[(unit >> 4) & 0xF],
                 kHex[unit & 0xF]};
  out->append(buf, sizeof(buf));
}

}  // namespace

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

void AppendStringCodePoint(uint32_t cp, std::string* out) {
  switch (cp) {
    case '"':
      out->append("\\\"");
      return;
    case '\\':
      out->append("\\\\");
      return;
    case '\b':
      out->append("\\b");
      return;
    case '\f':
      out->append("\\f");
      return;
    case '\n':
      out->append("\\n");
      return;
    case '\r':
      out->append("\\r");
      return;
    case '\t':
      out->append("\\t");
      return;
    default:
      break;
  }
  if (cp < 0x20 || (cp >= 0xD800 && cp <= 0xDFFF)) {
    AppendUnicodeEscape(cp, out);
  } else {
    AppendUtf8(cp, out);
  }
}

size_t ValidUtf8SequenceLength(absl::string_view text, size_t pos) {
  const auto byte = [&](size_t i) -> uint8_t {
    return i < text.size() ? static_cast<uint8_t>(text[i]) : 0;
  };
  const auto is_cont = [&](size_t i) { return (byte(i) & 0xC0) == 0x80; };
  uint8_t b0 = byte(pos);
  if (b0 < 0x80) return 1;
  if (b0 >= 0xC2 && b0 <= 0xDF) return is_cont(pos + 1) ? 2 : 0;
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    uint8_t b1 = byte(pos + 1);
    uint8_t lo = b0 == 0xE0 ? 0xA0 : 0x80;
    uint8_t hi = b0 == 0xED ? 0x9F : 0xBF;
    return (b1 >= lo && b1 <= hi && is_cont(pos + 2)) ? 3 : 0;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    uint8_t b1 = byte(pos + 1);
    uint8_t lo = b0 == 0xF0 ? 0x90 : 0x80;
    uint8_t hi = b0 == 0xF4 ? 0x8F : 0xBF;
    return (b1 >= lo && b1 <= hi && is_cont(pos + 2) && is_cont(pos + 3)) ? 4
                                                                          : 0;
  }
  return 0;
}

}  // namespace js_json_internal

void AppendJsStringLiteral(absl::string_view utf8, std::string* out) {
  out->push_back('"');
  for (char ch : utf8) {
    uint8_t c = static_cast<uint8_t>(ch);
    if (c >= 0x80) {
      out->push_back(ch);  // Non-ASCII is written raw.
    } else {
      js_json_internal::AppendStringCodePoint(c, out);
    }
  }
  out->push_back('"');
}

int64_t Utf16Length(absl::string_view utf8) {
  int64_t units = 0;
  for (char ch : utf8) {
    uint8_t c = static_cast<uint8_t>(ch);
    if ((c & 0xC0) != 0x80) ++units;  // A lead byte starts a code point.
    if (c >= 0xF0) ++units;           // Astral: a surrogate pair.
  }
  return units;
}

}  // namespace sessionlog
