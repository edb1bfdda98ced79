#include "api/client/session_state.h"

#include <unistd.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace sessionlog {
namespace {

std::string WorkingDirectory() {
  char buf[4096];
  return getcwd(buf, sizeof(buf)) != nullptr ? std::string(buf) : "/";
}

bool IsString(const Json& object, const char* key) {
  return object.is_object() && object.contains(key) && object[key].is_string();
}

void FlattenOptions(const Json& entry, Json* out) {
  if (!entry.is_object()) return;
  if (IsString(entry, "value") && IsString(entry, "name")) {
    Json mode = Json::object();
    mode["id"] = entry["value"];
    mode["name"] = entry["name"];
    mode["description"] =
        IsString(entry, "description") ? entry["description"] : Json(nullptr);
    out->push_back(std::move(mode));
    return;
  }
  if (entry.contains("options") && entry["options"].is_array()) {
    for (const Json& nested : entry["options"]) FlattenOptions(nested, out);
  }
}

}  // namespace

absl::StatusOr<Json> NormalizeSessionInit(absl::string_view json,
                                          absl::string_view cwd) {
  Json init = Json::object();
  if (!json.empty()) {
    init = Json::parse(json.begin(), json.end(), nullptr, false);
    if (!init.is_object()) {
      return absl::InvalidArgumentError(
          absl::StrCat("sessionInit must be a JSON object, e.g. "
                       "{\"cwd\":\"/work\",\"mcpServers\":[]}; got: ",
                       json.substr(0, 100)));
    }
  }
  if (!init.contains("cwd") || init["cwd"].is_null()) {
    init["cwd"] = cwd.empty() ? WorkingDirectory() : std::string(cwd);
  }
  if (!init.contains("mcpServers") || init["mcpServers"].is_null()) {
    init["mcpServers"] = Json::array();
  }
  return init;
}

void ApplyNewSessionResult(const Json& result, SessionRecord* record) {
  record->agent_session_id.reset();
  if (IsString(result, "sessionId")) {
    record->agent_session_id = result["sessionId"].get<std::string>();
  }
  // cloneConfigOptions(undefined) is undefined; cloneModes(falsy) is null.
  record->config_options_json.reset();
  if (result.is_object() && result.contains("configOptions") &&
      !result["configOptions"].is_null()) {
    record->config_options_json = result["configOptions"].dump();
  }
  record->modes_json = "null";
  if (result.is_object() && result.contains("modes") &&
      result["modes"].is_object()) {
    record->modes_json = result["modes"].dump();
  }
}

std::optional<Json> NormalizeConfigOptions(const Json& value) {
  if (!value.is_array()) return std::nullopt;
  Json out = Json::array();
  for (const Json& option : value) {
    if (IsString(option, "id") && IsString(option, "name") &&
        IsString(option, "type")) {
      out.push_back(option);
    }
  }
  return out;
}

Json ApplyCurrentMode(const Json& modes, const std::string& mode_id) {
  if (modes.is_object() && modes.contains("availableModes") &&
      modes["availableModes"].is_array()) {
    Json out = modes;
    out["currentModeId"] = mode_id;
    return out;
  }
  Json out = Json::object();
  out["currentModeId"] = mode_id;
  out["availableModes"] = Json::array();
  return out;
}

std::optional<Json> ApplyConfigOptionValue(const Json& config_options,
                                           const std::string& config_id,
                                           const std::string& value) {
  if (!config_options.is_array()) return std::nullopt;
  Json out = config_options;
  for (Json& option : out) {
    if (IsString(option, "id") && option["id"] == config_id) {
      option["currentValue"] = value;
      return out;
    }
  }
  return std::nullopt;
}

const Json* FindConfigOptionByCategory(const Json& config_options,
                                       absl::string_view category) {
  if (!config_options.is_array()) return nullptr;
  for (const Json& option : config_options) {
    if (IsString(option, "category") &&
        option["category"].get_ref<const std::string&>() == category) {
      return &option;
    }
  }
  return nullptr;
}

const Json* FindConfigOptionById(const Json& config_options,
                                 absl::string_view config_id) {
  if (!config_options.is_array()) return nullptr;
  for (const Json& option : config_options) {
    if (IsString(option, "id") &&
        option["id"].get_ref<const std::string&>() == config_id) {
      return &option;
    }
  }
  return nullptr;
}

std::vector<std::string> UniqueCategories(const Json& config_options) {
  std::vector<std::string> out;
  if (!config_options.is_array()) return out;
  for (const Json& option : config_options) {
    if (IsString(option, "category") && !option["category"].empty()) {
      std::string c = option["category"];
      if (!c.empty() && std::find(out.begin(), out.end(), c) == out.end()) {
        out.push_back(c);
      }
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> ConfigValues(const Json& option) {
  std::vector<std::string> out;
  auto add = [&](const std::string& v) {
    if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
  };
  if (!option.is_object() || !IsString(option, "type") ||
      option["type"] != "select" || !option.contains("options") ||
      !option["options"].is_array()) {
    return out;
  }
  for (const Json& entry : option["options"]) {
    if (IsString(entry, "value")) {
      add(entry["value"]);
      continue;
    }
    if (entry.is_object() && entry.contains("options") &&
        entry["options"].is_array()) {
      for (const Json& nested : entry["options"]) {
        if (IsString(nested, "value")) add(nested["value"]);
      }
    }
  }
  return out;
}

std::vector<std::string> KnownModeIds(const Json& modes) {
  std::vector<std::string> out;
  if (!modes.is_object() || !modes.contains("availableModes") ||
      !modes["availableModes"].is_array()) {
    return out;
  }
  for (const Json& mode : modes["availableModes"]) {
    if (IsString(mode, "id") && !mode["id"].get<std::string>().empty()) {
      out.push_back(mode["id"]);
    }
  }
  return out;
}

Json DeriveModesFromConfigOptions(const Json& config_options) {
  if (!config_options.is_array() || config_options.empty()) return nullptr;
  const Json* option = FindConfigOptionByCategory(config_options, "mode");
  if (option == nullptr || !IsString(*option, "type") ||
      (*option)["type"] != "select" || !option->contains("options") ||
      !(*option)["options"].is_array()) {
    return nullptr;
  }
  Json available = Json::array();
  for (const Json& entry : (*option)["options"]) {
    FlattenOptions(entry, &available);
  }
  Json modes = Json::object();
  if (IsString(*option, "currentValue") &&
      !(*option)["currentValue"].get<std::string>().empty()) {
    modes["currentModeId"] = (*option)["currentValue"];
  } else {
    modes["currentModeId"] =
        available.empty() ? Json("") : available[0]["id"];
  }
  modes["availableModes"] = std::move(available);
  return modes;
}

std::optional<Json> ParseField(const std::optional<std::string>& text) {
  if (!text.has_value()) return std::nullopt;
  Json value = Json::parse(*text, nullptr, false);
  if (value.is_discarded()) return std::nullopt;
  return value;
}

bool ApplySessionUpdate(const Json& envelope, SessionRecord* record) {
  if (!envelope.is_object() || !IsString(envelope, "method") ||
      envelope["method"] != "session/update" || !envelope.contains("params") ||
      !envelope["params"].is_object() ||
      !envelope["params"].contains("update") ||
      !envelope["params"]["update"].is_object()) {
    return false;
  }
  const Json& update = envelope["params"]["update"];
  if (!IsString(update, "sessionUpdate")) return false;
  if (update["sessionUpdate"] == "config_option_update") {
    std::optional<Json> options =
        NormalizeConfigOptions(update.value("configOptions", Json()));
    if (!options.has_value()) return false;
    record->config_options_json = options->dump();
    return true;
  }
  if (update["sessionUpdate"] == "current_mode_update") {
    if (!IsString(update, "currentModeId") ||
        update["currentModeId"].get<std::string>().empty()) {
      return false;
    }
    Json modes = ParseField(record->modes_json).value_or(Json());
    record->modes_json =
        ApplyCurrentMode(modes, update["currentModeId"]).dump();
    return true;
  }
  return false;
}

bool ApplyMethodResult(const std::string& method, const Json& params,
                       const Json& result, SessionRecord* record) {
  std::optional<Json> config_options = ParseField(record->config_options_json);
  Json modes = ParseField(record->modes_json).value_or(Json());
  bool changed = false;
  if (method == "session/set_config_option") {
    std::string config_id =
        IsString(params, "configId") ? params["configId"].get<std::string>()
                                     : "";
    std::string value =
        IsString(params, "value") ? params["value"].get<std::string>() : "";
    std::optional<Json> updated_options;
    if (result.is_object() && result.contains("configOptions")) {
      updated_options = NormalizeConfigOptions(result["configOptions"]);
    }
    if (!updated_options.has_value() && config_options.has_value() &&
        !config_options->is_null() && !config_id.empty() && !value.empty()) {
      updated_options =
          ApplyConfigOptionValue(*config_options, config_id, value);
    }
    if (updated_options.has_value()) {
      record->config_options_json = updated_options->dump();
      changed = true;
    }
    if (!config_id.empty() && !value.empty()) {
      const Json source = updated_options.has_value()
                              ? *updated_options
                              : config_options.value_or(Json());
      const Json* option = FindConfigOptionById(source, config_id);
      if (option != nullptr && IsString(*option, "category") &&
          (*option)["category"] == "mode") {
        record->modes_json = ApplyCurrentMode(modes, value).dump();
        changed = true;
      }
    }
    return changed;
  }
  if (method == "session/set_mode") {
    if (!IsString(params, "modeId") ||
        params["modeId"].get<std::string>().empty()) {
      return false;
    }
    std::string mode_id = params["modeId"];
    record->modes_json = ApplyCurrentMode(modes, mode_id).dump();
    changed = true;
    if (config_options.has_value() && config_options->is_array()) {
      const Json* option = FindConfigOptionByCategory(*config_options, "mode");
      if (option != nullptr) {
        std::optional<Json> updated = ApplyConfigOptionValue(
            *config_options, (*option)["id"].get<std::string>(), mode_id);
        if (updated.has_value()) record->config_options_json = updated->dump();
      }
    }
    return changed;
  }
  return false;
}

std::vector<std::string> AvailablePermissionReplies(const Json& options) {
  std::vector<std::string> out;
  auto add = [&](const char* r) {
    if (std::find(out.begin(), out.end(), r) == out.end()) out.push_back(r);
  };
  if (!options.is_array()) return out;
  for (const Json& option : options) {
    if (!IsString(option, "kind")) continue;
    const std::string& kind = option["kind"].get_ref<const std::string&>();
    if (kind == "allow_once") add("once");
    if (kind == "allow_always") add("always");
    if (kind == "reject_once" || kind == "reject_always") add("reject");
  }
  return out;
}

absl::StatusOr<Json> PermissionReplyToResponse(const Json& request_params,
                                               absl::string_view reply) {
  std::vector<std::string> kinds;
  if (reply == "once") {
    kinds = {"allow_once"};
  } else if (reply == "always") {
    kinds = {"allow_always", "allow_once"};
  } else {
    kinds = {"reject_once", "reject_always"};
  }
  const Json options = request_params.is_object()
                           ? request_params.value("options", Json::array())
                           : Json::array();
  for (const std::string& kind : kinds) {
    if (!options.is_array()) break;
    for (const Json& option : options) {
      if (IsString(option, "kind") && option["kind"] == kind) {
        Json response = Json::object();
        response["outcome"] = Json::object();
        response["outcome"]["outcome"] = "selected";
        response["outcome"]["optionId"] = option.value("optionId", Json());
        return response;
      }
    }
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "permission reply \"", reply,
      "\" matches none of the request's options; available replies: [",
      absl::StrJoin(AvailablePermissionReplies(options), ", "), "]"));
}

Json CancelledPermissionResponse() {
  Json response = Json::object();
  response["outcome"] = Json::object();
  response["outcome"]["outcome"] = "cancelled";
  return response;
}

}  // namespace sessionlog
