// The Client's private parts that its source files share: the records of
// listeners and pending permission requests, and small helpers. Not part of
// the interface; only api/client/client*.cc include it.

#ifndef SESSIONLOG_API_CLIENT_CLIENT_INTERNAL_H_
#define SESSIONLOG_API_CLIENT_CLIENT_INTERNAL_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "api/client/acp_connection.h"
#include "api/client/client.h"

namespace sessionlog {

struct Client::Listener {
  std::string session_id;  // Empty: every session.
  EventListener on_event;
  PermissionHandler on_permission;
};

struct Client::PendingPermission {
  std::string session_id;
  std::shared_ptr<AcpConnection> connection;
  Json request_id;
  Json params;
};

namespace client_internal {

inline int64_t NowMillis() { return absl::ToUnixMillis(absl::Now()); }

inline std::string Trimmed(absl::string_view text) {
  return std::string(absl::StripAsciiWhitespace(text));
}

inline absl::StatusOr<Json> ParseObject(absl::string_view json,
                                        absl::string_view what) {
  if (json.empty()) return Json::object();
  Json value = Json::parse(json.begin(), json.end(), nullptr, false);
  if (!value.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, " must be a JSON object; got: ", json.substr(0, 100)));
  }
  return value;
}

}  // namespace client_internal
}  // namespace sessionlog

#endif  // SESSIONLOG_API_CLIENT_CLIENT_INTERNAL_H_
