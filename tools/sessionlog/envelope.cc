#include "tools/sessionlog/envelope.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/internal/json_surrogates.h"
#include "nlohmann/json.hpp"

namespace sessionlog {
namespace cli {
namespace {

using Json = nlohmann::json;

std::string StringField(const Json& object, const char* key) {
  if (!object.is_object()) return "";
  auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

// The text of ACP content: a block {type:"text",text}, or a list of blocks.
std::string ContentText(const Json& content) {
  if (content.is_array()) {
    std::vector<std::string> parts;
    for (const Json& block : content) {
      std::string text = ContentText(block);
      if (!text.empty()) parts.push_back(std::move(text));
    }
    return absl::StrJoin(parts, " ");
  }
  if (content.is_object()) {
    if (content.contains("content")) return ContentText(content["content"]);
    return StringField(content, "text");
  }
  return "";
}

std::string IdText(const Json& envelope) {
  auto it = envelope.find("id");
  if (it == envelope.end()) return "";
  if (it->is_string()) return absl::StrCat(" #", it->get<std::string>());
  return absl::StrCat(" #", it->dump());
}

std::string UpdateText(const Json& update) {
  std::string kind = StringField(update, "sessionUpdate");
  if (kind == "tool_call" || kind == "tool_call_update") {
    std::vector<std::string> parts;
    for (const char* key : {"title", "status"}) {
      std::string value = StringField(update, key);
      if (!value.empty()) parts.push_back(value);
    }
    std::string text = absl::StrJoin(parts, " · ");
    std::string content = update.contains("content")
                              ? ContentText(update["content"])
                              : std::string();
    if (!content.empty())
      absl::StrAppend(&text, text.empty() ? "" : ": ", content);
    return text;
  }
  if (update.contains("content")) return ContentText(update["content"]);
  return "";
}

}  // namespace

EnvelopeSummary SummarizeEnvelope(absl::string_view payload_json) {
  EnvelopeSummary summary;
  Json envelope = Json::parse(payload_json.begin(), payload_json.end(), nullptr,
                              /*allow_exceptions=*/false);
  if (envelope.is_discarded() && HasLoneSurrogateEscape(payload_json)) {
    // nlohmann::json cannot hold a lone UTF-16 surrogate: show U+FFFD.
    envelope = Json::parse(ReplaceLoneSurrogateEscapes(payload_json), nullptr,
                           /*allow_exceptions=*/false);
  }
  if (envelope.is_discarded() || !envelope.is_object()) {
    summary.method = "?";
    summary.text = std::string(payload_json);
    return summary;
  }
  const Json& params =
      envelope.contains("params") ? envelope["params"] : Json::object();
  if (envelope.contains("method") && envelope["method"].is_string()) {
    summary.method = envelope["method"].get<std::string>();
    if (params.is_object() && params.contains("update") &&
        params["update"].is_object()) {
      const Json& update = params["update"];
      std::string kind = StringField(update, "sessionUpdate");
      if (!kind.empty()) absl::StrAppend(&summary.method, ":", kind);
      summary.text = UpdateText(update);
    } else if (params.is_object() && params.contains("prompt")) {
      summary.text = ContentText(params["prompt"]);
    } else if (params.is_object() && params.contains("cwd")) {
      summary.text = absl::StrCat("cwd ", StringField(params, "cwd"));
    }
  } else if (envelope.contains("error")) {
    summary.method = absl::StrCat("error", IdText(envelope));
    summary.text = StringField(envelope["error"], "message");
  } else if (envelope.contains("result")) {
    summary.method = absl::StrCat("result", IdText(envelope));
    const Json& result = envelope["result"];
    for (const char* key : {"stopReason", "sessionId"}) {
      std::string value = StringField(result, key);
      if (!value.empty()) {
        summary.text = absl::StrCat(key, ": ", value);
        break;
      }
    }
  } else {
    summary.method = "?";
    summary.text = envelope.dump();
  }
  return summary;
}

}  // namespace cli
}  // namespace sessionlog
