// Carries JSON text that holds lone UTF-16 surrogate escapes ("\ud83d"; see
// api/internal/json_surrogates.h) through nlohmann::json, which decodes
// strings to UTF-8 and so refuses them. Shield() writes each lone escape as a
// private-use character M, one that occurs nowhere in the texts involved,
// followed by the escape's four hex digits as written; once nlohmann has
// parsed and dumped the text, Unshield() turns M and the digits back into the
// escape, exactly as it was written. Part of the JSON codec.

#ifndef SESSIONLOG_SCHEMA_LONE_SURROGATE_SHIELD_H_
#define SESSIONLOG_SCHEMA_LONE_SURROGATE_SHIELD_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace sessionlog {

class LoneSurrogateShield {
 public:
  // A shield whose marker occurs in none of `texts` (JSON texts or plain
  // UTF-8 strings; a JSON escape of the marker counts too).
  // ResourceExhausted in the unlikely case that the texts hold every one of
  // the 6,400 private-use characters of the Basic Multilingual Plane.
  static absl::StatusOr<LoneSurrogateShield> For(
      absl::Span<const absl::string_view> texts);

  // JSON text with each lone surrogate escape written as the marker.
  std::string Shield(absl::string_view json) const;

  // Text that nlohmann dumped from shielded text (non-ASCII written as
  // UTF-8), with each marker turned back into its escape.
  std::string Unshield(absl::string_view dumped) const;

  // Whether a string that nlohmann decoded from shielded text held a lone
  // surrogate escape.
  bool Holds(absl::string_view decoded) const;

 private:
  explicit LoneSurrogateShield(uint32_t marker);

  std::string marker_utf8_;    // M as UTF-8 (3 bytes).
  std::string marker_escape_;  // M as a JSON escape, "\uXXXX".
};

}  // namespace sessionlog

#endif  // SESSIONLOG_SCHEMA_LONE_SURROGATE_SHIELD_H_
