#include "api/internal/cursor.h"

#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "api/internal/validation.h"

namespace sessionlog {
namespace {

// FNV-1a: stable across processes and builds, unlike absl::Hash.
uint64_t Fingerprint(absl::string_view text) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 0x100000001b3ull;
  }
  return hash;
}

absl::Status Malformed(absl::string_view kind, absl::string_view text,
                       absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("cursor: \"", absl::CHexEscape(text.substr(0, 80)),
                   "\" is not a ", kind, " cursor (", why,
                   "); pass back a next_cursor exactly as it was returned"));
}

}  // namespace

std::string EncodeSessionCursor(const SessionCursor& cursor) {
  return absl::StrCat("s1.", cursor.created_at, ".",
                      absl::WebSafeBase64Escape(cursor.id));
}

absl::StatusOr<SessionCursor> DecodeSessionCursor(absl::string_view text) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, '.');
  if (parts.size() != 3 || parts[0] != "s1") {
    return Malformed("sessions", text, "wrong shape");
  }
  SessionCursor cursor;
  if (!absl::SimpleAtoi(parts[1], &cursor.created_at)) {
    return Malformed("sessions", text, "bad created_at");
  }
  if (!absl::WebSafeBase64Unescape(parts[2], &cursor.id) || cursor.id.empty()) {
    return Malformed("sessions", text, "bad id");
  }
  return cursor;
}

std::string EncodeEventCursor(absl::string_view session_id,
                              int64_t last_index) {
  return absl::StrFormat("e1.%d.%016x", last_index, Fingerprint(session_id));
}

absl::StatusOr<int64_t> DecodeEventCursor(absl::string_view session_id,
                                          absl::string_view text) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, '.');
  if (parts.size() != 3 || parts[0] != "e1") {
    return Malformed("events", text, "wrong shape");
  }
  int64_t last_index;
  // Stored indexes are at most kMaxSafeInteger, and so are those of real
  // cursors; a larger one would also overflow where the next page starts.
  if (!absl::SimpleAtoi(parts[1], &last_index) || last_index < 0 ||
      last_index > kMaxSafeInteger) {
    return Malformed("events", text, "bad event index");
  }
  uint64_t fingerprint;
  if (parts[2].size() != 16 || !absl::SimpleHexAtoi(parts[2], &fingerprint)) {
    return Malformed("events", text, "bad session fingerprint");
  }
  if (fingerprint != Fingerprint(session_id)) {
    return absl::InvalidArgumentError(
        absl::StrCat("cursor: belongs to another session than \"",
                     absl::CHexEscape(session_id),
                     "\"; a cursor pages only the session it came from"));
  }
  return last_index;
}

}  // namespace sessionlog
