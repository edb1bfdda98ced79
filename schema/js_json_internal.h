// The pieces of the JavaScript JSON printer (js_json.h) that its files share:
// string text (js_string.cc), numbers (js_number.cc) and JavaScript's
// property order (js_object_order.cc). Only the js_json target uses them.

#ifndef SESSIONLOG_SCHEMA_JS_JSON_INTERNAL_H_
#define SESSIONLOG_SCHEMA_JS_JSON_INTERNAL_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace sessionlog {
namespace js_json_internal {

// ---- Strings (js_string.cc) ----

// Code point `cp` (at most U+10FFFF, not a surrogate) as UTF-8.
void AppendUtf8(uint32_t cp, std::string* out);

// One code point, or a lone surrogate code unit, as JSON.stringify writes it
// inside a string literal.
void AppendStringCodePoint(uint32_t cp, std::string* out);

// The length of the UTF-8 sequence at text[pos], or 0 when it is not a valid
// sequence (overlong forms, surrogates and code points past U+10FFFF are
// invalid, as in WHATWG's decoder that JavaScript uses).
size_t ValidUtf8SequenceLength(absl::string_view text, size_t pos);

// ---- Numbers (js_number.cc) ----

// A number token of the JSON grammar (already checked) as
// JSON.stringify(JSON.parse(token)) writes it. `integer` says the token has
// neither a fraction nor an exponent.
void AppendJsNumberToken(absl::string_view token, bool integer,
                         std::string* out);

// ---- Property order (js_object_order.cc) ----

// Where one member of an object landed in the output: its key literal
// [key_start, key_end), then ':' and its value up to value_end.
struct MemberSpan {
  size_t key_start, key_end, value_end;
};

// Whether a serialized key literal ("...") names an array index, and which:
// a canonical decimal in 0..2^32-2. JavaScript orders such keys first.
bool ArrayIndexOfKey(absl::string_view literal, uint32_t* index);

// Rewrites the object written at out[object_start...] (members at `members`,
// without its closing brace) in JavaScript's property order, closing brace
// included: a repeated key keeps the position of its first occurrence and the
// value of its last; array-index keys first, in numeric order.
void ReorderObject(size_t object_start, absl::Span<const MemberSpan> members,
                   std::string* out);

}  // namespace js_json_internal
}  // namespace sessionlog

#endif  // SESSIONLOG_SCHEMA_JS_JSON_INTERNAL_H_
