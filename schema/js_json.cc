// JSON.stringify(JSON.parse(text)): the parser, which writes the JavaScript
// serialization as it goes. String text, numbers and property order are
// js_string.cc, js_number.cc and js_object_order.cc.

#include "schema/js_json.h"

#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "schema/js_json_internal.h"

namespace sessionlog {
namespace {

using js_json_internal::AppendJsNumberToken;
using js_json_internal::AppendStringCodePoint;
using js_json_internal::AppendUtf8;
using js_json_internal::ArrayIndexOfKey;
using js_json_internal::MemberSpan;
using js_json_internal::ReorderObject;
using js_json_internal::ValidUtf8SequenceLength;

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
    // Where each member landed in *out.
    absl::InlinedVector<MemberSpan, 8> spans;
    bool in_order = true;  // No array-index key and no repeated key so far.
    absl::flat_hash_set<std::string> keys;  // Filled once objects grow.
    while (true) {
      SkipWhitespace();
      if (Peek() != '"') return Error("expected a string key");
      if (!spans.empty()) out->push_back(',');
      MemberSpan span;
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
          for (const MemberSpan& other : spans) {
            if (key == absl::string_view(out->data() + other.key_start,
                                         other.key_end - other.key_start)) {
              in_order = false;
            }
          }
        } else {
          if (keys.empty()) {
            for (const MemberSpan& other : spans) {
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
    ReorderObject(object_start, spans, out);
    return absl::OkStatus();
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
    AppendJsNumberToken(text_.substr(start, pos_ - start),
                        !has_fraction_or_exponent, out);
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

}  // namespace sessionlog
