#include "engine/sql/row_mapping.h"

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "api/options.h"

namespace sessionlog {
namespace {

SqlValue Optional(const std::optional<std::string>& value) {
  if (!value) return std::monostate();
  return *value;
}

SqlValue Optional(const std::optional<int64_t>& value) {
  if (!value) return std::monostate();
  return *value;
}

absl::Status BadColumn(size_t i, absl::string_view what) {
  return absl::DataLossError(
      absl::StrCat("column ", i, " of a stored row ", what));
}

// Reads the columns of one row in order, remembering the first error so that
// the mapping below reads like a list of fields.
class RowReader {
 public:
  explicit RowReader(const SqlRow& row) : row_(row) {}

  std::string Text(absl::string_view name) {
    std::optional<std::string> v = OptionalText(name);
    if (!v && status_.ok()) status_ = Missing(name);
    return v.value_or("");
  }
  std::optional<std::string> OptionalText(absl::string_view name) {
    absl::StatusOr<std::optional<std::string>> v = TextColumn(row_, next_++);
    return Keep(std::move(v), name);
  }
  int64_t Int(absl::string_view name) {
    std::optional<int64_t> v = OptionalInt(name);
    if (!v && status_.ok()) status_ = Missing(name);
    return v.value_or(0);
  }
  std::optional<int64_t> OptionalInt(absl::string_view name) {
    absl::StatusOr<std::optional<int64_t>> v = IntColumn(row_, next_++);
    return Keep(std::move(v), name);
  }
  absl::Status status(absl::string_view id) const {
    if (status_.ok()) return status_;
    return absl::DataLossError(absl::StrCat("stored row with id \"",
                                            absl::CHexEscape(id),
                                            "\": ", status_.message()));
  }

 private:
  template <typename T>
  T Keep(absl::StatusOr<T> v, absl::string_view name) {
    if (v.ok()) return *std::move(v);
    if (status_.ok()) {
      status_ =
          absl::DataLossError(absl::StrCat(name, ": ", v.status().message()));
    }
    return T();
  }
  static absl::Status Missing(absl::string_view name) {
    return absl::DataLossError(absl::StrCat(name, ": is NULL"));
  }

  const SqlRow& row_;
  size_t next_ = 0;
  absl::Status status_;
};

constexpr absl::string_view kAliasMarker = "#sessionlog-alias#";
constexpr size_t kAliasLengthDigits = 4;

std::string AliasId(const SessionEvent& e) {
  std::string alias =
      absl::StrCat(e.id, kAliasMarker, e.event_index, "#", e.session_id);
  while (alias.size() + kAliasLengthDigits <= kMaxIdBytes) alias.push_back('#');
  absl::StrAppend(&alias, absl::Dec(e.id.size(), absl::kZeroPad4));
  return alias;
}

// The event id that `stored` stands for: itself, or the id inside an alias.
std::string IdFromStored(std::string stored) {
  if (stored.size() <= kMaxIdBytes) return stored;
  size_t length;
  if (!absl::SimpleAtoi(
          absl::string_view(stored).substr(stored.size() - kAliasLengthDigits),
          &length) ||
      length > stored.size() ||
      !absl::StartsWith(absl::string_view(stored).substr(length),
                        kAliasMarker)) {
    return stored;
  }
  stored.resize(length);
  return stored;
}

}  // namespace

absl::StatusOr<std::optional<int64_t>> IntColumn(const SqlRow& row, size_t i) {
  if (i >= row.size()) return BadColumn(i, "is missing");
  const SqlValue& v = row[i];
  if (std::holds_alternative<std::monostate>(v)) return std::nullopt;
  if (const int64_t* n = std::get_if<int64_t>(&v)) return *n;
  int64_t parsed;
  if (!absl::SimpleAtoi(std::get<std::string>(v), &parsed)) {
    return BadColumn(i, "is not an integer");
  }
  return parsed;
}

absl::StatusOr<std::optional<std::string>> TextColumn(const SqlRow& row,
                                                      size_t i) {
  if (i >= row.size()) return BadColumn(i, "is missing");
  const SqlValue& v = row[i];
  if (std::holds_alternative<std::monostate>(v)) return std::nullopt;
  if (const int64_t* n = std::get_if<int64_t>(&v)) return absl::StrCat(*n);
  return std::get<std::string>(v);
}

std::vector<SqlValue> SessionParams(const SessionRecord& r) {
  return {r.id,
          r.agent,
          Optional(r.agent_session_id),
          r.last_connection_id,
          r.created_at,
          Optional(r.destroyed_at),
          Optional(r.sandbox_id),
          Optional(r.session_init_json),
          Optional(r.config_options_json),
          Optional(r.modes_json)};
}

std::vector<SqlValue> EventParams(const SessionEvent& e) {
  return {e.id,          e.event_index,   e.session_id,
          e.created_at,  e.connection_id, std::string(SenderName(e.sender)),
          e.payload_json};
}

std::vector<SqlValue> AliasedEventParams(const SessionEvent& e) {
  std::vector<SqlValue> params = EventParams(e);
  params[0] = AliasId(e);
  return params;
}

absl::StatusOr<SessionRecord> SessionFromRow(const SqlRow& row) {
  RowReader in(row);
  SessionRecord r;
  r.id = in.Text("id");
  r.agent = in.Text("agent");
  r.agent_session_id = in.OptionalText("agent_session_id");
  r.last_connection_id = in.Text("last_connection_id");
  r.created_at = in.Int("created_at");
  r.destroyed_at = in.OptionalInt("destroyed_at");
  r.sandbox_id = in.OptionalText("sandbox_id");
  r.session_init_json = in.OptionalText("session_init_json");
  r.config_options_json = in.OptionalText("config_options_json");
  r.modes_json = in.OptionalText("modes_json");
  if (absl::Status s = in.status(r.id); !s.ok()) return s;
  return r;
}

absl::StatusOr<SessionEvent> EventFromRow(const SqlRow& row) {
  RowReader in(row);
  SessionEvent e;
  e.id = IdFromStored(in.Text("id"));
  e.event_index = in.Int("event_index");
  e.session_id = in.Text("session_id");
  e.created_at = in.Int("created_at");
  e.connection_id = in.Text("connection_id");
  std::string sender = in.Text("sender");
  e.payload_json = in.Text("payload_json");
  if (absl::Status s = in.status(e.id); !s.ok()) return s;
  absl::StatusOr<Sender> parsed = ParseSender(sender);
  if (!parsed.ok()) {
    return absl::DataLossError(absl::StrCat("stored event \"",
                                            absl::CHexEscape(e.id),
                                            "\": ", parsed.status().message()));
  }
  e.sender = *parsed;
  return e;
}

}  // namespace sessionlog
