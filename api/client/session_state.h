// The SDK's rules for what a session record holds, as pure functions on
// JSON values (the SDK 0.4.2 functions they mirror are named). Key order is
// kept as given (nlohmann::ordered_json), so stored text matches the SDK's
// JSON.stringify of the same values.

#ifndef SESSIONLOG_API_CLIENT_SESSION_STATE_H_
#define SESSIONLOG_API_CLIENT_SESSION_STATE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "api/session.h"
#include "nlohmann/json.hpp"

namespace sessionlog {

using Json = nlohmann::ordered_json;

// normalizeSessionInit: the object given (or {}), with cwd (else `cwd`,
// else the process's working directory) and mcpServers ([]) filled in.
// InvalidArgument when `json` is not empty and not an object.
absl::StatusOr<Json> NormalizeSessionInit(absl::string_view json,
                                          absl::string_view cwd);

// createSession / resumeSession: agentSessionId, configOptions (absent when
// the reply has none) and modes (null when the reply has none) from the
// result of session/new.
void ApplyNewSessionResult(const Json& result, SessionRecord* record);

// normalizeSessionConfigOptions: the array's entries that have string id,
// name and type; nullopt when `value` is not an array.
std::optional<Json> NormalizeConfigOptions(const Json& value);

// applyCurrentMode: modes with currentModeId set; {currentModeId,
// availableModes: []} when modes has no availableModes array.
Json ApplyCurrentMode(const Json& modes, const std::string& mode_id);

// applyConfigOptionValue: a copy with option `config_id`'s currentValue set;
// nullopt when there is no such option.
std::optional<Json> ApplyConfigOptionValue(const Json& config_options,
                                           const std::string& config_id,
                                           const std::string& value);

// findConfigOptionByCategory / ById: nullptr when none.
const Json* FindConfigOptionByCategory(const Json& config_options,
                                       absl::string_view category);
const Json* FindConfigOptionById(const Json& config_options,
                                 absl::string_view config_id);
// uniqueCategories, extractConfigValues, extractKnownModeIds.
std::vector<std::string> UniqueCategories(const Json& config_options);
std::vector<std::string> ConfigValues(const Json& option);
std::vector<std::string> KnownModeIds(const Json& modes);

// deriveModesFromConfigOptions: modes built from the "mode" select option;
// null when there is none.
Json DeriveModesFromConfigOptions(const Json& config_options);

// The record's JSON fields as values: absent -> nullopt.
std::optional<Json> ParseField(const std::optional<std::string>& text);

// Updates the record from one session/update notification the agent sent
// (current_mode_update, config_option_update), as persistSessionStateFrom-
// Event does. Returns whether it changed.
bool ApplySessionUpdate(const Json& envelope, SessionRecord* record);

// Updates the record after a successful session/set_mode or
// session/set_config_option (persistSessionStateFromMethod). Returns
// whether it changed.
bool ApplyMethodResult(const std::string& method, const Json& params,
                       const Json& result, SessionRecord* record);

// availablePermissionReplies: "once", "always", "reject" as the options
// allow.
std::vector<std::string> AvailablePermissionReplies(const Json& options);

// permissionReplyToResponse: {"outcome":{"outcome":"selected","optionId":..}}
// for the first option of the reply's preferred kinds; InvalidArgument
// naming the replies available when none matches.
absl::StatusOr<Json> PermissionReplyToResponse(const Json& request_params,
                                               absl::string_view reply);

// {"outcome":{"outcome":"cancelled"}}.
Json CancelledPermissionResponse();

}  // namespace sessionlog

#endif  // SESSIONLOG_API_CLIENT_SESSION_STATE_H_
