// Lone UTF-16 surrogate escapes in JSON text: "\ud83d" without the low half
// that would make it a pair, or "\ude00" without the high half before it.
// JSON allows them and JavaScript writes them (JSON.stringify of half an
// emoji), so stores written by TS services hold them; JSON libraries that
// decode strings to UTF-8 (simdjson, nlohmann::json, Postgres JSONB) refuse
// them. sessionlog keeps such text exactly as given; these helpers let the
// code that needs a decoding library see through them.

#ifndef SESSIONLOG_API_INTERNAL_JSON_SURROGATES_H_
#define SESSIONLOG_API_INTERNAL_JSON_SURROGATES_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"

namespace sessionlog {

// Every escape is this long: a backslash, 'u' and four hex digits.
inline constexpr size_t kUnicodeEscapeLength = 6;

// The byte offsets of the lone surrogate escapes in `json` (each the offset
// of its backslash), in order. Only escapes inside strings count, as JSON
// pairs them: a high surrogate escape directly followed by a low one is a
// pair. Text that is not JSON is scanned as if it were, without failing.
std::vector<size_t> FindLoneSurrogateEscapes(absl::string_view json);

// Whether `json` holds a lone surrogate escape. Fast when it holds no "\u".
bool HasLoneSurrogateEscape(absl::string_view json);

// `json` with each lone surrogate escape replaced by \ufffd, the replacement
// character that a UTF-8 encoder writes for a lone surrogate. Byte offsets
// keep their meaning (messages name them).
std::string ReplaceLoneSurrogateEscapes(absl::string_view json);

// `json` with each lone surrogate escape (its six characters, as written)
// replaced by what `rewrite` returns for it.
std::string RewriteLoneSurrogateEscapes(
    absl::string_view json,
    absl::FunctionRef<std::string(absl::string_view escape)> rewrite);

}  // namespace sessionlog

#endif  // SESSIONLOG_API_INTERNAL_JSON_SURROGATES_H_
