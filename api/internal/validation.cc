#include "api/internal/validation.h"

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "api/internal/json_surrogates.h"
#include "simdjson.h"

namespace sessionlog {
namespace {

absl::Status Invalid(absl::string_view field, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", what));
}

absl::Status ValidateSafeInteger(absl::string_view field, int64_t value,
                                 int64_t min) {
  if (value < min || value > kMaxSafeInteger) {
    return Invalid(field, absl::StrCat("must be an integer in [", min, ", ",
                                       kMaxSafeInteger, "], got ", value));
  }
  return absl::OkStatus();
}

absl::Status ValidateUtf8NoNul(absl::string_view field,
                               absl::string_view text) {
  if (!simdjson::validate_utf8(text.data(), text.size())) {
    return Invalid(field, "is not valid UTF-8");
  }
  if (text.find('\0') != absl::string_view::npos) {
    return Invalid(field, "contains a NUL byte");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateId(absl::string_view field, absl::string_view id) {
  if (id.empty()) return Invalid(field, "must not be empty");
  if (static_cast<int64_t>(id.size()) > kMaxIdBytes) {
    return Invalid(field, absl::StrCat("is ", id.size(), " bytes; at most ",
                                       kMaxIdBytes, " are allowed"));
  }
  return ValidateUtf8NoNul(field, id);
}

absl::Status ValidateText(absl::string_view field, absl::string_view text) {
  if (static_cast<int64_t>(text.size()) > kMaxTextFieldBytes) {
    return Invalid(field, absl::StrCat("is ", text.size(), " bytes; at most ",
                                       kMaxTextFieldBytes, " are allowed"));
  }
  return ValidateUtf8NoNul(field, text);
}

absl::Status ValidateJson(absl::string_view field, absl::string_view json,
                          JsonShape shape, int64_t max_bytes) {
  if (static_cast<int64_t>(json.size()) > max_bytes) {
    return Invalid(
        field, absl::StrCat("is ", json.size(), " bytes of JSON; the limit is ",
                            max_bytes));
  }
  // One parser per thread: a parser reuses its buffers, and is not
  // thread-safe.
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element element;
  simdjson::error_code error =
      parser.parse(json.data(), json.size(), /*realloc_if_needed=*/true)
          .get(element);
  if (error && HasLoneSurrogateEscape(json)) {
    // simdjson decodes strings to UTF-8, which cannot hold a lone surrogate;
    // JSON and JSON.parse take one. Everything else must still parse.
    const std::string replaced = ReplaceLoneSurrogateEscapes(json);
    error = parser.parse(replaced.data(), replaced.size(), true).get(element);
  }
  if (error) {
    return Invalid(field, absl::StrCat("is not a JSON value (",
                                       simdjson::error_message(error), ")"));
  }
  simdjson::dom::element_type type = element.type();
  bool is_object = type == simdjson::dom::element_type::OBJECT;
  switch (shape) {
    case JsonShape::kAny:
      break;
    case JsonShape::kObject:
      if (!is_object) return Invalid(field, "must be a JSON object");
      break;
    case JsonShape::kArray:
      if (type != simdjson::dom::element_type::ARRAY) {
        return Invalid(field, "must be a JSON array");
      }
      break;
    case JsonShape::kObjectOrNull:
      if (!is_object && type != simdjson::dom::element_type::NULL_VALUE) {
        return Invalid(field, "must be a JSON object or null");
      }
      break;
  }
  return absl::OkStatus();
}

absl::Status ValidateSessionRecord(const SessionRecord& r) {
  constexpr int64_t kMaxRecordJsonBytes = 1 << 20;
  absl::Status s = ValidateId("session.id", r.id);
  if (s.ok()) s = ValidateText("session.agent", r.agent);
  if (s.ok() && r.agent_session_id) {
    s = ValidateText("session.agentSessionId", *r.agent_session_id);
  }
  if (s.ok())
    s = ValidateText("session.lastConnectionId", r.last_connection_id);
  if (s.ok()) s = ValidateSafeInteger("session.createdAt", r.created_at, 0);
  if (s.ok() && r.destroyed_at) {
    s = ValidateSafeInteger("session.destroyedAt", *r.destroyed_at, 0);
  }
  if (s.ok() && r.sandbox_id)
    s = ValidateText("session.sandboxId", *r.sandbox_id);
  if (s.ok() && r.session_init_json) {
    s = ValidateJson("session.sessionInit", *r.session_init_json,
                     JsonShape::kObject, kMaxRecordJsonBytes);
  }
  if (s.ok() && r.config_options_json) {
    s = ValidateJson("session.configOptions", *r.config_options_json,
                     JsonShape::kArray, kMaxRecordJsonBytes);
  }
  if (s.ok() && r.modes_json) {
    s = ValidateJson("session.modes", *r.modes_json, JsonShape::kObjectOrNull,
                     kMaxRecordJsonBytes);
  }
  return s;
}

absl::Status ValidateSessionEvent(const SessionEvent& e,
                                  const DriverOptions& options) {
  absl::Status s = ValidateId("event.id", e.id);
  if (s.ok()) s = ValidateId("event.sessionId", e.session_id);
  if (s.ok()) s = ValidateSafeInteger("event.eventIndex", e.event_index, 0);
  if (s.ok()) s = ValidateSafeInteger("event.createdAt", e.created_at, 0);
  if (s.ok()) s = ValidateText("event.connectionId", e.connection_id);
  if (s.ok() && e.sender != Sender::kClient && e.sender != Sender::kAgent) {
    s = Invalid("event.sender", "must be \"client\" or \"agent\"");
  }
  if (s.ok()) {
    s = ValidateJson("event.payload", e.payload_json, JsonShape::kAny,
                     options.max_payload_bytes);
  }
  return s;
}

absl::Status CheckDuplicateEvent(const SessionEvent& stored,
                                 const SessionEvent& incoming) {
  if (stored == incoming) return absl::OkStatus();
  return absl::AlreadyExistsError(absl::StrCat(
      "UNIQUE constraint failed: events.session_id, events.event_index: "
      "session \"",
      absl::CHexEscape(incoming.session_id), "\" already has event \"",
      absl::CHexEscape(stored.id), "\" at eventIndex ", incoming.event_index,
      stored.id == incoming.id
          ? " with different content"
          : absl::StrCat("; event \"", absl::CHexEscape(incoming.id),
                         "\" needs another index")));
}

absl::StatusOr<int64_t> NormalizePageLimit(int64_t limit) {
  if (limit == 0) return kDefaultPageLimit;
  if (limit < 0 || limit > kMaxPageLimit) {
    return Invalid(
        "limit", absl::StrCat("must be 0 (the default, ", kDefaultPageLimit,
                              ") or in [1, ", kMaxPageLimit, "], got ", limit));
  }
  return limit;
}

}  // namespace sessionlog
