// Client: session settings, modes and config options, by the SDK's rules.

#include <algorithm>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "api/client/client.h"
#include "api/client/client_internal.h"
#include "api/client/session_state.h"

namespace sessionlog {

using client_internal::Trimmed;

// ---- Modes and config options ----

absl::StatusOr<std::string> Client::SetMode(absl::string_view session_id,
                                            absl::string_view mode_id) {
  std::string mode = Trimmed(mode_id);
  if (mode.empty()) {
    return absl::InvalidArgumentError("SetMode needs a non-empty mode id");
  }
  absl::StatusOr<SessionRecord> record = driver_->GetSession(session_id);
  if (!record.ok()) return record.status();
  std::vector<std::string> known =
      KnownModeIds(ParseField(record->modes_json).value_or(Json()));
  if (!known.empty() &&
      std::find(known.begin(), known.end(), mode) == known.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("session \"", session_id, "\" has no mode \"", mode,
                     "\"; its modes: ", absl::StrJoin(known, ", ")));
  }
  absl::StatusOr<std::string> reply = SessionRequest(
      std::string(session_id), "session/set_mode",
      Json{{"modeId", mode}}.dump(), absl::Now() + options_.request_timeout);
  if (!reply.ok()) return reply.status();
  Json envelope = Json::parse(*reply);
  if (envelope.contains("error")) {
    const Json& error = envelope["error"];
    if (error.is_object() && error.value("code", Json()) == Json(-32601)) {
      // The agent has no set_mode: as the SDK, try the mode config option.
      return SetCategoryValue(session_id, "mode", mode);
    }
    return RpcErrorStatus("session/set_mode", envelope);
  }
  return envelope["result"].dump();
}

absl::StatusOr<std::string> Client::SetConfigOption(
    absl::string_view session_id, absl::string_view config_id,
    absl::string_view value) {
  std::string id = Trimmed(config_id);
  std::string v = Trimmed(value);
  if (id.empty() || v.empty()) {
    return absl::InvalidArgumentError(
        "SetConfigOption needs a non-empty config id and value");
  }
  absl::StatusOr<std::string> options_json = GetConfigOptions(session_id);
  if (!options_json.ok()) return options_json.status();
  Json options = Json::parse(*options_json);
  const Json* option = FindConfigOptionById(options, id);
  if (option == nullptr) {
    std::vector<std::string> ids;
    for (const Json& o : options) ids.push_back(o.value("id", ""));
    return absl::InvalidArgumentError(
        absl::StrCat("session \"", session_id, "\" has no config option \"", id,
                     "\"; its options: ", absl::StrJoin(ids, ", ")));
  }
  std::vector<std::string> allowed = ConfigValues(*option);
  if (!allowed.empty() &&
      std::find(allowed.begin(), allowed.end(), v) == allowed.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("config option \"", id, "\" of session \"", session_id,
                     "\" has no value \"", v,
                     "\"; its values: ", absl::StrJoin(allowed, ", ")));
  }
  absl::StatusOr<std::string> reply =
      SessionRequest(std::string(session_id), "session/set_config_option",
                     Json{{"configId", id}, {"value", v}}.dump(),
                     absl::Now() + options_.request_timeout);
  if (!reply.ok()) return reply.status();
  Json envelope = Json::parse(*reply);
  absl::Status s = RpcErrorStatus("session/set_config_option", envelope);
  if (!s.ok()) return s;
  return envelope["result"].dump();
}

absl::StatusOr<std::string> Client::SetCategoryValue(
    absl::string_view session_id, absl::string_view category,
    absl::string_view value) {
  std::string v = Trimmed(value);
  if (v.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("setting the ", category, " needs a non-empty value"));
  }
  absl::StatusOr<std::string> options_json = GetConfigOptions(session_id);
  if (!options_json.ok()) return options_json.status();
  Json options = Json::parse(*options_json);
  const Json* option = FindConfigOptionByCategory(options, category);
  if (option == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "session \"", session_id, "\" has no config option of category \"",
        category, "\"; its categories: ",
        absl::StrJoin(UniqueCategories(options), ", ")));
  }
  std::vector<std::string> allowed = ConfigValues(*option);
  if (!allowed.empty() &&
      std::find(allowed.begin(), allowed.end(), v) == allowed.end()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the ", category, " of session \"", session_id, "\" cannot be \"", v,
        "\"; its values: ", absl::StrJoin(allowed, ", ")));
  }
  return SetConfigOption(session_id, (*option)["id"].get<std::string>(), v);
}

absl::StatusOr<std::string> Client::SetModel(absl::string_view session_id,
                                             absl::string_view model) {
  return SetCategoryValue(session_id, "model", model);
}

absl::StatusOr<std::string> Client::SetThoughtLevel(
    absl::string_view session_id, absl::string_view level) {
  return SetCategoryValue(session_id, "thought_level", level);
}

absl::StatusOr<std::string> Client::GetConfigOptions(
    absl::string_view session_id) {
  absl::StatusOr<SessionRecord> record = driver_->GetSession(session_id);
  if (!record.ok()) return record.status();
  if (record->config_options_json.has_value()) {
    return *record->config_options_json;
  }
  // As the SDK's hydrateSessionConfigOptions: the agent's options.
  absl::StatusOr<std::string> info = GetAgent(record->agent, true);
  if (!info.ok()) return info.status();
  Json agent = Json::parse(*info, nullptr, false);
  Json options =
      NormalizeConfigOptions(
          agent.is_object() ? agent.value("configOptions", Json()) : Json())
          .value_or(Json::array());
  std::lock_guard<std::mutex> lock(record_mu_);
  record = driver_->GetSession(session_id);
  if (!record.ok()) return record.status();
  Json modes = ParseField(record->modes_json).value_or(Json());
  if (modes.is_object() && modes.contains("currentModeId") &&
      modes["currentModeId"].is_string() &&
      !modes["currentModeId"].get<std::string>().empty()) {
    if (const Json* mode = FindConfigOptionByCategory(options, "mode")) {
      options =
          ApplyConfigOptionValue(options, (*mode)["id"], modes["currentModeId"])
              .value_or(options);
    }
  }
  record->config_options_json = options.dump();
  Json derived = DeriveModesFromConfigOptions(options);
  if (!derived.is_null()) record->modes_json = derived.dump();
  absl::Status s = driver_->UpdateSession(*record);
  if (!s.ok()) return s;
  return options.dump();
}

absl::StatusOr<std::string> Client::GetModes(absl::string_view session_id) {
  auto has_modes = [](const Json& modes) {
    return modes.is_object() && modes.contains("availableModes") &&
           modes["availableModes"].is_array() &&
           !modes["availableModes"].empty();
  };
  absl::StatusOr<SessionRecord> record = driver_->GetSession(session_id);
  if (!record.ok()) return record.status();
  Json modes = ParseField(record->modes_json).value_or(Json());
  if (has_modes(modes)) return modes.dump();
  absl::StatusOr<std::string> options_json = GetConfigOptions(session_id);
  if (!options_json.ok()) return options_json.status();
  record = driver_->GetSession(session_id);
  if (!record.ok()) return record.status();
  modes = ParseField(record->modes_json).value_or(Json());
  if (has_modes(modes)) return modes.dump();
  Json derived = DeriveModesFromConfigOptions(Json::parse(*options_json));
  if (derived.is_null()) return modes.dump();
  std::lock_guard<std::mutex> lock(record_mu_);
  record = driver_->GetSession(session_id);
  if (!record.ok()) return record.status();
  record->modes_json = derived.dump();
  absl::Status s = driver_->UpdateSession(*record);
  if (!s.ok()) return s;
  return derived.dump();
}

}  // namespace sessionlog
