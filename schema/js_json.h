// JSON exactly as JavaScript writes it.
//
// The SDK builds replay text with JSON.stringify over payloads that it got
// from JSON.parse. sessionlog keeps payloads as the JSON text it was given, so
// to produce byte-identical text it re-serializes that text the way
// JSON.stringify(JSON.parse(text)) would:
//  * compact: no whitespace between tokens;
//  * object keys in JavaScript's property order: keys that are array indexes
//    (canonical decimals 0..2^32-2) first in ascending numeric order, then the
//    other keys in insertion order; a duplicate key keeps the position of its
//    first occurrence and the value of its last;
//  * numbers as Number.prototype.toString prints the double nearest to the
//    text: shortest round-trip digits, exponent form outside [1e-6, 1e21),
//    -0 as 0, and values that overflow a double as null;
//  * strings escaped as JSON.stringify escapes them: \" \\ \b \f \n \r \t,
//    other control characters and lone surrogates as \u00xx / \udxxx in
//    lowercase hex, everything else (non-ASCII included) as raw UTF-8.
//
// Thread safety: every function is reentrant.

#ifndef SESSIONLOG_SCHEMA_JS_JSON_H_
#define SESSIONLOG_SCHEMA_JS_JSON_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace sessionlog {

// Nesting deeper than this is refused; it matches the payload validator
// (simdjson's default depth), so every stored payload can be re-serialized.
inline constexpr int kMaxJsJsonDepth = 1024;

// JSON.stringify(JSON.parse(json_text)), appended to `out`. InvalidArgument,
// naming the byte offset, when json_text is not one JSON value that
// JSON.parse accepts (or is not valid UTF-8, or nests deeper than
// kMaxJsJsonDepth); `out` is then unchanged.
absl::Status AppendJsRestringified(absl::string_view json_text,
                                   std::string* out);

// The same, returned.
absl::StatusOr<std::string> JsRestringify(absl::string_view json_text);

// JSON.stringify(s) for a string s given as valid UTF-8, appended to `out`.
void AppendJsStringLiteral(absl::string_view utf8, std::string* out);

// String(x) for a JavaScript number x, e.g. "1e+21", "1.5e-7", "0" for -0.
// NaN and infinities give "NaN", "Infinity", "-Infinity" as String() does
// (JSON.stringify writes them as null; callers decide).
std::string JsNumberToString(double x);

// The JavaScript length of a valid UTF-8 string: its UTF-16 code units.
int64_t Utf16Length(absl::string_view utf8);

}  // namespace sessionlog

#endif  // SESSIONLOG_SCHEMA_JS_JSON_H_
