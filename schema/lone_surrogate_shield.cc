#include "schema/lone_surrogate_shield.h"

#include <bitset>
#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "api/internal/json_surrogates.h"

namespace sessionlog {
namespace {

// The private-use area of the Basic Multilingual Plane: three UTF-8 bytes
// each, which nlohmann writes as they are.
constexpr uint32_t kFirstPrivateUse = 0xE000;
constexpr uint32_t kLastPrivateUse = 0xF8FF;
constexpr size_t kPrivateUseCount = kLastPrivateUse - kFirstPrivateUse + 1;

constexpr size_t kHexDigits = kUnicodeEscapeLength - 2;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = absl::ascii_tolower(static_cast<unsigned char>(c));
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Marks in `used` the private-use characters that `text` holds, as UTF-8 or
// as a \uXXXX escape (wherever it stands: erring on the side of "used").
void MarkUsed(absl::string_view text, std::bitset<kPrivateUseCount>& used) {
  for (size_t i = 0; i < text.size(); ++i) {
    const uint8_t b0 = static_cast<uint8_t>(text[i]);
    if ((b0 == 0xEE || b0 == 0xEF) && i + 2 < text.size()) {
      const uint32_t cp = ((b0 & 0x0Fu) << 12) |
                          ((static_cast<uint8_t>(text[i + 1]) & 0x3Fu) << 6) |
                          (static_cast<uint8_t>(text[i + 2]) & 0x3Fu);
      if (cp >= kFirstPrivateUse && cp <= kLastPrivateUse) {
        used.set(cp - kFirstPrivateUse);
      }
    } else if (b0 == '\\' && i + kUnicodeEscapeLength <= text.size() &&
               text[i + 1] == 'u') {
      uint32_t unit = 0;
      bool hex = true;
      for (size_t k = i + 2; k < i + kUnicodeEscapeLength && hex; ++k) {
        const int digit = HexValue(text[k]);
        hex = digit >= 0;
        unit = unit * 16 + static_cast<uint32_t>(digit);
      }
      if (hex && unit >= kFirstPrivateUse && unit <= kLastPrivateUse) {
        used.set(unit - kFirstPrivateUse);
      }
    }
  }
}

}  // namespace

absl::StatusOr<LoneSurrogateShield> LoneSurrogateShield::For(
    absl::Span<const absl::string_view> texts) {
  std::bitset<kPrivateUseCount> used;
  for (absl::string_view text : texts) MarkUsed(text, used);
  for (size_t i = 0; i < kPrivateUseCount; ++i) {
    if (!used[i]) {
      return LoneSurrogateShield(static_cast<uint32_t>(kFirstPrivateUse + i));
    }
  }
  return absl::ResourceExhaustedError(
      "JSON text with lone surrogate escapes that also holds every "
      "private-use character U+E000..U+F8FF cannot be carried");
}

LoneSurrogateShield::LoneSurrogateShield(uint32_t marker) {
  marker_utf8_ = {static_cast<char>(0xE0 | (marker >> 12)),
                  static_cast<char>(0x80 | ((marker >> 6) & 0x3F)),
                  static_cast<char>(0x80 | (marker & 0x3F))};
  marker_escape_ = absl::StrFormat("\\u%04x", marker);
}

std::string LoneSurrogateShield::Shield(absl::string_view json) const {
  return RewriteLoneSurrogateEscapes(json, [this](absl::string_view escape) {
    return absl::StrCat(marker_escape_, escape.substr(2));
  });
}

std::string LoneSurrogateShield::Unshield(absl::string_view dumped) const {
  std::string out;
  out.reserve(dumped.size());
  size_t copied = 0;
  for (size_t at = dumped.find(marker_utf8_); at != absl::string_view::npos;
       at = dumped.find(marker_utf8_, copied)) {
    const size_t digits = at + marker_utf8_.size();
    if (digits + kHexDigits > dumped.size()) break;
    absl::StrAppend(&out, dumped.substr(copied, at - copied), "\\u",
                    dumped.substr(digits, kHexDigits));
    copied = digits + kHexDigits;
  }
  out.append(dumped.data() + copied, dumped.size() - copied);
  return out;
}

bool LoneSurrogateShield::Holds(absl::string_view decoded) const {
  return decoded.find(marker_utf8_) != absl::string_view::npos;
}

}  // namespace sessionlog
