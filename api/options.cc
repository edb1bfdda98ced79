#include "api/options.h"

#include <regex>
#include <utility>

#include "absl/strings/str_cat.h"

namespace sessionlog {

absl::Status ValidateOptions(const DriverOptions& options) {
  if (options.max_sessions < kLimitFromStore) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_sessions: must be >= 1, 0 (kNoLimit) to switch "
                     "the limit off, or -1 (kLimitFromStore); got ",
                     options.max_sessions));
  }
  if (options.max_events_per_session < kLimitFromStore) {
    return absl::InvalidArgumentError(absl::StrCat(
        "max_events_per_session: must be >= 1, 0 (kNoLimit) to switch the "
        "limit off, or -1 (kLimitFromStore); got ",
        options.max_events_per_session));
  }
  if (options.max_payload_bytes < 2 ||
      options.max_payload_bytes > (1ll << 30)) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_payload_bytes: must be in [2, 2^30], got ",
                     options.max_payload_bytes));
  }
  if (options.background_sync_interval < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "background_sync_interval: must not be negative");
  }
  for (const auto& [name, ttl] :
       {std::pair<const char*, absl::Duration>{"destroyed_session_ttl",
                                               options.destroyed_session_ttl},
        {"idle_session_ttl", options.idle_session_ttl}}) {
    if (ttl < absl::ZeroDuration() || ttl == absl::InfiniteDuration()) {
      return absl::InvalidArgumentError(absl::StrCat(
          name, ": must be a finite age, or zero to switch it off; got ",
          absl::FormatDuration(ttl)));
    }
  }
  if (options.retention_check_interval <= absl::ZeroDuration() ||
      options.retention_check_interval == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "retention_check_interval: must be a finite positive duration; got ",
        absl::FormatDuration(options.retention_check_interval)));
  }
  if (options.min_free_disk_bytes < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("min_free_disk_bytes: must not be negative, got ",
                     options.min_free_disk_bytes));
  }
  static const std::regex kSchemaName("^[A-Za-z_][A-Za-z0-9_]*$");
  if (!std::regex_match(options.postgres_schema, kSchemaName)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "postgres_schema: \"", options.postgres_schema,
        "\" is not a plain SQL identifier (^[A-Za-z_][A-Za-z0-9_]*$)"));
  }
  return absl::OkStatus();
}

}  // namespace sessionlog
