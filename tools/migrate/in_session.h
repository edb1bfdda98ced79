// The error prefix of the migration code (migrate.cc, catch_up.cc).

#ifndef SESSIONLOG_TOOLS_MIGRATE_IN_SESSION_H_
#define SESSIONLOG_TOOLS_MIGRATE_IN_SESSION_H_

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace sessionlog {
namespace migrate_internal {

// Prefixes a failure with the session it happened in, so that the user knows
// where a re-run will pick up.
inline absl::Status InSession(const absl::Status& s, absl::string_view what,
                              absl::string_view session_id) {
  return absl::Status(s.code(), absl::StrCat(what, " of session \"",
                                             absl::CHexEscape(session_id),
                                             "\": ", s.message()));
}

}  // namespace migrate_internal
}  // namespace sessionlog

#endif  // SESSIONLOG_TOOLS_MIGRATE_IN_SESSION_H_
