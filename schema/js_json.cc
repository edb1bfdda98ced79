#include "schema/js_json.h"

#include <locale.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace sessionlog {
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

// One code point (or a lone surrogate code unit) as JSON.stringify writes it
// inside a string literal.
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

// The length of the UTF-8 sequence at text[pos], or 0 when it is not a valid
// sequence (overlong forms, surrogates and code points past U+10FFFF are
// invalid, as in WHATWG's decoder that JavaScript uses).
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

// Whether a serialized key literal ("...") names an array index, and which:
// a canonical decimal in 0..2^32-2. JavaScript orders such keys first.
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

// strtod in the "C" locale whatever the process locale is: correctly rounded,
// overflow to +-HUGE_VAL, underflow to (signed) zero or a subnormal.
double ParseDouble(const std::string& text) {
  static locale_t c_locale = newlocale(LC_ALL_MASK, "C", locale_t{0});
  return strtod_l(text.c_str(), nullptr, c_locale);
}

// A recursive-descent parser that writes the JavaScript serialization as it
// goes. JSON.parse's grammar: RFC 8259 with whitespace limited to
// space, tab, CR and LF.
class Restringifier {
 public:
  explicit Restringifier(absl::string_view text) : text_(text) {}

  absl::Status Run(std::string* out) {
    SkipWhitespace();
    absl::Status s = ParseValue(0, out);
    if (!s.ok()) return s;
    SkipWhitespace();
    if (pos_ != text_.size()) return Error("unexpected text after the value");
    return absl::OkStatus();
  }

 private:
  absl::Status Error(absl::string_view what) const {
    return absl::InvalidArgumentError(
        absl::StrCat("JSON text is not what JSON.parse accepts: ", what,
                     " at byte ", pos_, " of ", text_.size()));
  }

  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return AtEnd() ? '\0' : text_[pos_]; }

  void SkipWhitespace() {
    while (!AtEnd()) {
      char c = text_[pos_];
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
      ++pos_;
    }
  }

  bool ConsumeLiteral(absl::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  absl::Status ParseValue(int depth, std::string* out) {
    switch (Peek()) {
      case '{':
        return ParseObject(depth + 1, out);
      case '[':
        return ParseArray(depth + 1, out);
      case '"':
        return ParseString(out);
      case 't':
        if (ConsumeLiteral("true"))
          return out->append("true"), absl::OkStatus();
        break;
      case 'f':
        if (ConsumeLiteral("false")) {
          return out->append("false"), absl::OkStatus();
        }
        break;
      case 'n':
        if (ConsumeLiteral("null"))
          return out->append("null"), absl::OkStatus();
        break;
      default:
        if (Peek() == '-' ||
            absl::ascii_isdigit(static_cast<uint8_t>(Peek()))) {
          return ParseNumber(out);
        }
        break;
    }
    return Error(AtEnd() ? "missing value" : "unexpected character");
  }

  // Writes members as they come; only an object with an array-index key or
  // a repeated key (rare) is rebuilt in JavaScript's order afterwards.
  absl::Status ParseObject(int depth, std::string* out) {
    if (depth > kMaxJsJsonDepth) return Error("nesting too deep");
    ++pos_;  // '{'
    const size_t object_start = out->size();
    out->push_back('{');
    SkipWhitespace();
    if (Peek() == '}') {
      ++pos_;
      out->push_back('}');
      return absl::OkStatus();
    }
    // Where each member landed in *out: its key [key_start, key_end), then
    // ':' and its value up to value_end.
    struct Span {
      size_t key_start, key_end, value_end;
    };
    absl::InlinedVector<Span, 8> spans;
    bool in_order = true;  // No array-index key and no repeated key so far.
    absl::flat_hash_set<std::string> keys;  // Filled once objects grow.
    while (true) {
      SkipWhitespace();
      if (Peek() != '"') return Error("expected a string key");
      if (!spans.empty()) out->push_back(',');
      Span span;
      span.key_start = out->size();
      absl::Status s = ParseString(out);
      if (!s.ok()) return s;
      span.key_end = out->size();
      SkipWhitespace();
      if (Peek() != ':') return Error("expected ':'");
      ++pos_;
      out->push_back(':');
      SkipWhitespace();
      s = ParseValue(depth, out);
      if (!s.ok()) return s;
      span.value_end = out->size();
      if (in_order) {
        absl::string_view key(out->data() + span.key_start,
                              span.key_end - span.key_start);
        uint32_t index;
        if (ArrayIndexOfKey(key, &index)) {
          in_order = false;
        } else if (spans.size() < 8) {
          for (const Span& other : spans) {
            if (key == absl::string_view(out->data() + other.key_start,
                                         other.key_end - other.key_start)) {
              in_order = false;
            }
          }
        } else {
          if (keys.empty()) {
            for (const Span& other : spans) {
              keys.emplace(out->data() + other.key_start,
                           other.key_end - other.key_start);
            }
          }
          if (!keys.emplace(key).second) in_order = false;
        }
      }
      spans.push_back(span);
      SkipWhitespace();
      if (Peek() == ',') {
        ++pos_;
        continue;
      }
      if (Peek() == '}') {
        ++pos_;
        break;
      }
      return Error("expected ',' or '}'");
    }
    if (in_order) {
      out->push_back('}');
      return absl::OkStatus();
    }
    Reorder(object_start, spans, out);
    return absl::OkStatus();
  }

  // Rewrites the object that starts at object_start in JavaScript's property
  // order: a repeated key keeps the position of its first occurrence and the
  // value of its last; array-index keys first, in numeric order.
  template <typename Spans>
  static void Reorder(size_t object_start, const Spans& spans,
                      std::string* out) {
    using Span = typename Spans::value_type;
    const auto key_of = [&](const Span& span) {
      return absl::string_view(out->data() + span.key_start,
                               span.key_end - span.key_start);
    };
    const auto value_of = [&](const Span& span) {
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
      absl::StrAppend(&rebuilt, key_of(spans[i]), ":",
                      value_of(spans[last[i]]));
    };
    for (const auto& entry : indexed) emit(entry.second);
    for (size_t i : named) emit(i);
    rebuilt.push_back('}');
    out->resize(object_start);
    out->append(rebuilt);
  }

  absl::Status ParseArray(int depth, std::string* out) {
    if (depth > kMaxJsJsonDepth) return Error("nesting too deep");
    ++pos_;  // '['
    out->push_back('[');
    SkipWhitespace();
    if (Peek() == ']') {
      ++pos_;
      out->push_back(']');
      return absl::OkStatus();
    }
    while (true) {
      SkipWhitespace();
      absl::Status s = ParseValue(depth, out);
      if (!s.ok()) return s;
      SkipWhitespace();
      if (Peek() == ',') {
        ++pos_;
        out->push_back(',');
        continue;
      }
      if (Peek() == ']') {
        ++pos_;
        out->push_back(']');
        return absl::OkStatus();
      }
      return Error("expected ',' or ']'");
    }
  }

  bool ParseHex4(uint32_t* unit) {
    if (pos_ + 4 > text_.size()) return false;
    uint32_t value = 0;
    for (int i = 0; i < 4; ++i) {
      char c = text_[pos_ + i];
      value <<= 4;
      if (c >= '0' && c <= '9') {
        value |= static_cast<uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        value |= static_cast<uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        value |= static_cast<uint32_t>(c - 'A' + 10);
      } else {
        return false;
      }
    }
    pos_ += 4;
    *unit = value;
    return true;
  }

  // Decodes the string literal at pos_ into UTF-16 terms and writes it back
  // as JSON.stringify would.
  absl::Status ParseString(std::string* out) {
    ++pos_;  // '"'
    out->push_back('"');
    while (true) {
      // Printable ASCII other than '"' and '\\' is written as it is: copy runs.
      size_t run = pos_;
      while (run < text_.size()) {
        uint8_t b = static_cast<uint8_t>(text_[run]);
        if (b < 0x20 || b >= 0x80 || b == '"' || b == '\\') break;
        ++run;
      }
      out->append(text_.data() + pos_, run - pos_);
      pos_ = run;
      if (AtEnd()) return Error("unterminated string");
      uint8_t c = static_cast<uint8_t>(text_[pos_]);
      if (c == '"') {
        ++pos_;
        out->push_back('"');
        return absl::OkStatus();
      }
      if (c < 0x20) return Error("unescaped control character in a string");
      if (c >= 0x80) {
        size_t len = ValidUtf8SequenceLength(text_, pos_);
        if (len == 0) return Error("invalid UTF-8");
        out->append(text_.data() + pos_, len);
        pos_ += len;
        continue;
      }
      if (c != '\\') {
        AppendStringCodePoint(c, out);
        ++pos_;
        continue;
      }
      ++pos_;
      if (AtEnd()) return Error("unterminated escape");
      char e = text_[pos_++];
      switch (e) {
        case '"':
          AppendStringCodePoint('"', out);
          break;
        case '\\':
          AppendStringCodePoint('\\', out);
          break;
        case '/':
          AppendStringCodePoint('/', out);
          break;
        case 'b':
          AppendStringCodePoint('\b', out);
          break;
        case 'f':
          AppendStringCodePoint('\f', out);
          break;
        case 'n':
          AppendStringCodePoint('\n', out);
          break;
        case 'r':
          AppendStringCodePoint('\r', out);
          break;
        case 't':
          AppendStringCodePoint('\t', out);
          break;
        case 'u': {
          uint32_t unit;
          if (!ParseHex4(&unit)) return Error("bad \\u escape");
          if (unit >= 0xD800 && unit <= 0xDBFF &&
              text_.substr(pos_, 2) == "\\u") {
            size_t saved = pos_;
            pos_ += 2;
            uint32_t low;
            if (ParseHex4(&low) && low >= 0xDC00 && low <= 0xDFFF) {
              AppendUtf8(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00),
                         out);
              break;
            }
            pos_ = saved;  // Not a pair: the next escape stands alone.
          }
          AppendStringCodePoint(unit, out);
          break;
        }
        default:
          --pos_;
          return Error("bad escape");
      }
    }
  }

  absl::Status ParseNumber(std::string* out) {
    size_t start = pos_;
    const auto digits = [&] {
      size_t from = pos_;
      while (absl::ascii_isdigit(static_cast<uint8_t>(Peek()))) ++pos_;
      return pos_ - from;
    };
    if (Peek() == '-') ++pos_;
    if (Peek() == '0') {
      ++pos_;
    } else if (digits() == 0) {
      return Error("bad number");
    }
    bool has_fraction_or_exponent = false;
    if (Peek() == '.') {
      ++pos_;
      has_fraction_or_exponent = true;
      if (digits() == 0) return Error("bad number: no digits after '.'");
    }
    if (Peek() == 'e' || Peek() == 'E') {
      ++pos_;
      has_fraction_or_exponent = true;
      if (Peek() == '+' || Peek() == '-') ++pos_;
      if (digits() == 0) return Error("bad number: no exponent digits");
    }
    absl::string_view number = text_.substr(start, pos_ - start);
    // An integer of at most 15 digits is exact in a double and prints as
    // written (JSON allows no leading zeros); only -0 changes.
    size_t digit_count = number.size() - (number[0] == '-' ? 1 : 0);
    if (!has_fraction_or_exponent && digit_count <= 15) {
      if (number == "-0") number = "0";
      out->append(number.data(), number.size());
      return absl::OkStatus();
    }
    double value = ParseDouble(std::string(number));
    // JSON.parse overflows to +-Infinity, which JSON.stringify writes as null.
    if (std::isinf(value)) {
      out->append("null");
    } else {
      out->append(JsNumberToString(value));
    }
    return absl::OkStatus();
  }

  absl::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

absl::Status AppendJsRestringified(absl::string_view json_text,
                                   std::string* out) {
  std::string serialized;
  absl::Status s = Restringifier(json_text).Run(&serialized);
  if (!s.ok()) return s;
  out->append(serialized);
  return absl::OkStatus();
}

absl::StatusOr<std::string> JsRestringify(absl::string_view json_text) {
  std::string out;
  absl::Status s = Restringifier(json_text).Run(&out);
  if (!s.ok()) return s;
  return out;
}

void AppendJsStringLiteral(absl::string_view utf8, std::string* out) {
  out->push_back('"');
  for (char ch : utf8) {
    uint8_t c = static_cast<uint8_t>(ch);
    if (c >= 0x80) {
      out->push_back(ch);  // Non-ASCII is written raw.
    } else {
      AppendStringCodePoint(c, out);
    }
  }
  out->push_back('"');
}

std::string JsNumberToString(double x) {
  if (std::isnan(x)) return "NaN";
  if (std::isinf(x)) return x > 0 ? "Infinity" : "-Infinity";
  if (x == 0) return "0";  // Both zeros.
  std::string sign = x < 0 ? "-" : "";
  // Shortest round-trip digits; among equally short ones the closest, which
  // is what ECMAScript's Number::toString picks.
  char buf[64];
  auto result = std::to_chars(buf, buf + sizeof(buf), std::fabs(x),
                              std::chars_format::scientific);
  absl::string_view sci(buf, result.ptr - buf);  // "d[.ddd]e[+-]xx"
  size_t e_pos = sci.find('e');
  std::string digits(1, sci[0]);
  if (e_pos > 1) digits.append(sci.data() + 2, e_pos - 2);
  int exponent = std::atoi(std::string(sci.substr(e_pos + 1)).c_str());
  const int k = static_cast<int>(digits.size());
  const int n = exponent + 1;  // x = 0.digits * 10^n
  if (k <= n && n <= 21) {
    return sign + digits + std::string(n - k, '0');
  }
  if (0 < n && n <= 21) {
    return sign + digits.substr(0, n) + "." + digits.substr(n);
  }
  if (-6 < n && n <= 0) {
    return sign + "0." + std::string(-n, '0') + digits;
  }
  std::string mantissa =
      k == 1 ? digits : digits.substr(0, 1) + "." + digits.substr(1);
  return absl::StrCat(sign, mantissa, "e", n - 1 >= 0 ? "+" : "-",
                      std::abs(n - 1));
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
