#include "schema/json_codec.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "api/internal/json_surrogates.h"
#include "nlohmann/json.hpp"
#include "schema/lone_surrogate_shield.h"

namespace sessionlog {
namespace {

// ordered_json keeps keys in the order they were written, as JavaScript
// objects do, so that a round trip does not reorder payloads.
using Json = nlohmann::ordered_json;

absl::Status FieldError(absl::string_view object, absl::string_view field,
                        absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat(object, ".", field, ": ", what));
}

std::string Dump(const Json& value) {
  // Replace, never throw, on invalid UTF-8: stored text was validated on the
  // way in, and a dump must not be able to fail.
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// Parses JSON text given to the API back into a value to embed, through
// `shield` when the record's texts need one. Stored JSON was validated when
// written; if it somehow does not parse, it is embedded as a string so that
// export never loses it.
Json Embed(const std::string& text, const LoneSurrogateShield* shield) {
  Json value = shield != nullptr
                   ? Json::parse(shield->Shield(text), nullptr, false)
                   : Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) return Json(text);
  return value;
}

absl::string_view View(const std::optional<std::string>& text) {
  return text ? absl::string_view(*text) : absl::string_view();
}

// Dumps a record or event whose JSON texts are `json_texts` (and whose other
// strings are `strings`), built by `build` with the shield it needs: none
// unless a JSON text holds a lone surrogate escape, which nlohmann cannot
// hold. The escapes come out as they were written.
template <typename Build>
std::string DumpKeepingLoneSurrogates(
    std::initializer_list<absl::string_view> json_texts,
    std::initializer_list<absl::string_view> strings, Build build) {
  bool needed = false;
  for (absl::string_view text : json_texts) {
    needed = needed || HasLoneSurrogateEscape(text);
  }
  if (!needed) return Dump(build(nullptr));
  std::vector<absl::string_view> texts(strings);
  texts.insert(texts.end(), json_texts.begin(), json_texts.end());
  absl::StatusOr<LoneSurrogateShield> shield = LoneSurrogateShield::For(texts);
  if (!shield.ok()) return Dump(build(nullptr));
  return shield->Unshield(Dump(build(&*shield)));
}

const LoneSurrogateShield* OrNull(
    const std::optional<LoneSurrogateShield>& shield) {
  return shield ? &*shield : nullptr;
}

// Deeper input is refused before it is parsed: printing a value recurses
// once per level, and hostile input must not exhaust the stack.
constexpr int kMaxJsonDepth = 512;

int MaxNestingDepth(absl::string_view text) {
  int depth = 0, max_depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      max_depth = std::max(max_depth, ++depth);
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return max_depth;
}

// A parsed object, and the shield its text needed (if it held lone
// surrogate escapes).
struct Parsed {
  Json value;
  std::optional<LoneSurrogateShield> shield;
};

absl::StatusOr<Parsed> ParseObject(absl::string_view text,
                                   absl::string_view what) {
  if (MaxNestingDepth(text) > kMaxJsonDepth) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": JSON nests deeper than ", kMaxJsonDepth, " levels"));
  }
  Parsed parsed;
  parsed.value = Json::parse(text.begin(), text.end(), nullptr,
                             /*allow_exceptions=*/false);
  if (parsed.value.is_discarded() && HasLoneSurrogateEscape(text)) {
    absl::StatusOr<LoneSurrogateShield> shield =
        LoneSurrogateShield::For({text});
    if (!shield.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": ", shield.status().message()));
    }
    parsed.value = Json::parse(shield->Shield(text), nullptr, false);
    parsed.shield = *std::move(shield);
  }
  if (parsed.value.is_discarded()) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": not valid JSON"));
  }
  if (!parsed.value.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": must be a JSON object"));
  }
  return parsed;
}

// Reads the fields of one JSON object, refusing unknown and mistyped ones.
class FieldReader {
 public:
  // `shield`: the one the object's text was parsed through, or null.
  FieldReader(const Json& object, absl::string_view name,
              const LoneSurrogateShield* shield)
      : object_(object), name_(name), shield_(shield) {}

  absl::Status String(const char* field, std::string* out, bool required) {
    auto it = object_.find(field);
    if (it == object_.end() || (!required && it->is_null())) {
      return required ? FieldError(name_, field, "is required")
                      : absl::OkStatus();
    }
    if (!it->is_string()) return FieldError(name_, field, "must be a string");
    *out = it->get<std::string>();
    if (shield_ != nullptr && shield_->Holds(*out)) {
      return FieldError(name_, field,
                        "holds a lone UTF-16 surrogate escape, which a text "
                        "field cannot (only JSON-typed fields can)");
    }
    return absl::OkStatus();
  }

  absl::Status OptionalString(const char* field,
                              std::optional<std::string>* out) {
    std::string value;
    bool present = Has(field) && !object_.at(field).is_null();
    if (absl::Status s = String(field, &value, false); !s.ok()) return s;
    if (present) *out = std::move(value);
    return absl::OkStatus();
  }

  absl::Status Integer(const char* field, int64_t* out, bool required,
                       bool* present = nullptr) {
    auto it = object_.find(field);
    if (present) *present = false;
    if (it == object_.end() || (!required && it->is_null())) {
      return required ? FieldError(name_, field, "is required")
                      : absl::OkStatus();
    }
    if (it->is_number_integer()) {
      if (it->is_number_unsigned() &&
          it->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
        return FieldError(name_, field, "is out of range");
      }
      *out = it->get<int64_t>();
    } else if (it->is_number_float()) {
      double value = it->get<double>();
      // JavaScript has only doubles; an integral double is an integer there.
      if (!std::isfinite(value) || std::floor(value) != value ||
          std::fabs(value) > 9.2e18) {
        return FieldError(name_, field,
                          absl::StrCat("must be an integer, got ", Dump(*it)));
      }
      *out = static_cast<int64_t>(value);
    } else {
      return FieldError(name_, field,
                        absl::StrCat("must be an integer, got ", Dump(*it)));
    }
    if (present) *present = true;
    return absl::OkStatus();
  }

  // Any JSON value, kept as compact text. With keep_null, a JSON null is
  // the text "null" rather than absent.
  void JsonText(const char* field, std::optional<std::string>* out,
                bool keep_null) {
    auto it = object_.find(field);
    if (it == object_.end()) return;
    if (it->is_null() && !keep_null) return;
    *out = shield_ != nullptr ? shield_->Unshield(Dump(*it)) : Dump(*it);
  }

  bool Has(const char* field) const { return object_.contains(field); }

  // InvalidArgument naming the first field that no reader asked for.
  absl::Status NoOtherFields(std::initializer_list<const char*> known) {
    for (auto it = object_.begin(); it != object_.end(); ++it) {
      bool is_known = false;
      for (const char* k : known) is_known = is_known || it.key() == k;
      if (!is_known) {
        return FieldError(name_, it.key(),
                          "unknown field (a newer SDK? refusing to drop it)");
      }
    }
    return absl::OkStatus();
  }

 private:
  const Json& object_;
  std::string name_;
  const LoneSurrogateShield* shield_;
};

absl::StatusOr<SessionRecord> RecordFromObject(
    const Json& object, const LoneSurrogateShield* shield) {
  FieldReader in(object, "session", shield);
  SessionRecord r;
  bool destroyed = false;
  int64_t destroyed_at = 0;
  absl::Status s = in.String("id", &r.id, true);
  if (s.ok()) s = in.String("agent", &r.agent, true);
  if (s.ok()) s = in.OptionalString("agentSessionId", &r.agent_session_id);
  if (s.ok()) s = in.String("lastConnectionId", &r.last_connection_id, true);
  if (s.ok()) s = in.Integer("createdAt", &r.created_at, true);
  if (s.ok()) s = in.Integer("destroyedAt", &destroyed_at, false, &destroyed);
  if (s.ok()) s = in.OptionalString("sandboxId", &r.sandbox_id);
  if (!s.ok()) return s;
  if (destroyed) r.destroyed_at = destroyed_at;
  in.JsonText("sessionInit", &r.session_init_json, false);
  in.JsonText("configOptions", &r.config_options_json, false);
  in.JsonText("modes", &r.modes_json, true);
  s = in.NoOtherFields({"id", "agent", "agentSessionId", "lastConnectionId",
                        "createdAt", "destroyedAt", "sandboxId", "sessionInit",
                        "configOptions", "modes"});
  if (!s.ok()) return s;
  return r;
}

absl::StatusOr<SessionEvent> EventFromObject(
    const Json& object, const LoneSurrogateShield* shield) {
  FieldReader in(object, "event", shield);
  SessionEvent e;
  std::string sender;
  absl::Status s = in.String("id", &e.id, true);
  if (s.ok()) s = in.Integer("eventIndex", &e.event_index, true);
  if (s.ok()) s = in.String("sessionId", &e.session_id, true);
  if (s.ok()) s = in.Integer("createdAt", &e.created_at, true);
  if (s.ok()) s = in.String("connectionId", &e.connection_id, true);
  if (s.ok()) s = in.String("sender", &sender, true);
  if (!s.ok()) return s;
  absl::StatusOr<Sender> parsed = ParseSender(sender);
  if (!parsed.ok()) {
    return FieldError(
        "event", "sender",
        absl::StrCat("must be \"client\" or \"agent\", got \"", sender, "\""));
  }
  e.sender = *parsed;
  if (!in.Has("payload")) return FieldError("event", "payload", "is required");
  std::optional<std::string> payload;
  in.JsonText("payload", &payload, true);
  e.payload_json = *payload;
  s = in.NoOtherFields({"id", "eventIndex", "sessionId", "createdAt",
                        "connectionId", "sender", "payload"});
  if (!s.ok()) return s;
  return e;
}

Json RecordToObject(const SessionRecord& r, const LoneSurrogateShield* shield) {
  Json o = Json::object();
  o["id"] = r.id;
  o["agent"] = r.agent;
  if (r.agent_session_id) o["agentSessionId"] = *r.agent_session_id;
  o["lastConnectionId"] = r.last_connection_id;
  o["createdAt"] = r.created_at;
  if (r.destroyed_at) o["destroyedAt"] = *r.destroyed_at;
  if (r.sandbox_id) o["sandboxId"] = *r.sandbox_id;
  if (r.session_init_json) {
    o["sessionInit"] = Embed(*r.session_init_json, shield);
  }
  if (r.config_options_json) {
    o["configOptions"] = Embed(*r.config_options_json, shield);
  }
  if (r.modes_json) o["modes"] = Embed(*r.modes_json, shield);
  return o;
}

Json EventToObject(const SessionEvent& e, const LoneSurrogateShield* shield) {
  Json o = Json::object();
  o["id"] = e.id;
  o["eventIndex"] = e.event_index;
  o["sessionId"] = e.session_id;
  o["createdAt"] = e.created_at;
  o["connectionId"] = e.connection_id;
  o["sender"] = std::string(SenderName(e.sender));
  o["payload"] = Embed(e.payload_json, shield);
  return o;
}

// `record` as one line of JSON: its object, as `wrap` puts it into the line.
template <typename Wrap>
std::string DumpRecord(const SessionRecord& record, Wrap wrap) {
  return DumpKeepingLoneSurrogates(
      {View(record.session_init_json), View(record.config_options_json),
       View(record.modes_json)},
      {record.id, record.agent, View(record.agent_session_id),
       record.last_connection_id, View(record.sandbox_id)},
      [&](const LoneSurrogateShield* shield) {
        return wrap(RecordToObject(record, shield));
      });
}

template <typename Wrap>
std::string DumpEvent(const SessionEvent& event, Wrap wrap) {
  return DumpKeepingLoneSurrogates(
      {event.payload_json}, {event.id, event.session_id, event.connection_id},
      [&](const LoneSurrogateShield* shield) {
        return wrap(EventToObject(event, shield));
      });
}

}  // namespace

std::string SessionRecordToJson(const SessionRecord& record) {
  return DumpRecord(record, [](Json object) { return object; });
}

std::string SessionEventToJson(const SessionEvent& event) {
  return DumpEvent(event, [](Json object) { return object; });
}

absl::StatusOr<SessionRecord> SessionRecordFromJson(absl::string_view json) {
  absl::StatusOr<Parsed> object = ParseObject(json, "session");
  if (!object.ok()) return object.status();
  return RecordFromObject(object->value, OrNull(object->shield));
}

absl::StatusOr<SessionEvent> SessionEventFromJson(absl::string_view json) {
  absl::StatusOr<Parsed> object = ParseObject(json, "event");
  if (!object.ok()) return object.status();
  return EventFromObject(object->value, OrNull(object->shield));
}

absl::StatusOr<JsonLine> JsonLineFromJson(absl::string_view json) {
  absl::StatusOr<Parsed> parsed = ParseObject(json, "line");
  if (!parsed.ok()) return parsed.status();
  const Json& object = parsed->value;
  if (object.size() != 1 ||
      !(object.contains("session") || object.contains("event"))) {
    return absl::InvalidArgumentError(
        "line: must be exactly {\"session\":{...}} or {\"event\":{...}}");
  }
  JsonLine line;
  auto it = object.begin();
  if (!it.value().is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat(it.key(), ": must be a JSON object"));
  }
  if (it.key() == "session") {
    absl::StatusOr<SessionRecord> record =
        RecordFromObject(it.value(), OrNull(parsed->shield));
    if (!record.ok()) return record.status();
    line.session = *std::move(record);
  } else {
    absl::StatusOr<SessionEvent> event =
        EventFromObject(it.value(), OrNull(parsed->shield));
    if (!event.ok()) return event.status();
    line.event = *std::move(event);
  }
  return line;
}

std::string JsonLineToJson(const SessionRecord& record) {
  return DumpRecord(record, [](Json object) {
    Json line = Json::object();
    line["session"] = std::move(object);
    return line;
  });
}

std::string JsonLineToJson(const SessionEvent& event) {
  return DumpEvent(event, [](Json object) {
    Json line = Json::object();
    line["event"] = std::move(object);
    return line;
  });
}

}  // namespace sessionlog
