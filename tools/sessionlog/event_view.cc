#include "tools/sessionlog/event_view.h"

#include "absl/strings/str_cat.h"
#include "api/internal/json_surrogates.h"
#include "schema/json_codec.h"
#include "tools/sessionlog/envelope.h"

namespace sessionlog {
namespace cli {
namespace {

// The codec's JSON text as a value. nlohmann::json cannot hold a lone UTF-16
// surrogate escape, which JSON fields may hold: such a field shows U+FFFD in
// its place (`export` keeps them exactly).
OrderedJson Parse(const std::string& json) {
  OrderedJson value = OrderedJson::parse(json, nullptr, false);
  if (value.is_discarded()) {
    value = OrderedJson::parse(ReplaceLoneSurrogateEscapes(json));
  }
  return value;
}

}  // namespace

OrderedJson ToJsonValue(const SessionRecord& record) {
  return Parse(SessionRecordToJson(record));
}

OrderedJson ToJsonValue(const SessionEvent& event) {
  return Parse(SessionEventToJson(event));
}

Table EventTable(bool wide) {
  Table table({"INDEX", "TIME", "SENDER", "METHOD", "TEXT"},
              {Table::Align::kRight, Table::Align::kLeft, Table::Align::kLeft,
               Table::Align::kLeft, Table::Align::kLeft});
  table.SetMaxWidth(3, kMethodColumnWidth);
  if (!wide) table.SetMaxWidth(4, kTextColumnWidth);
  return table;
}

void AddEventRow(Table& table, const SessionEvent& event) {
  EnvelopeSummary summary = SummarizeEnvelope(event.payload_json);
  table.AddRow(
      {absl::StrCat(event.event_index), FormatTime(event.created_at),
       std::string(SenderName(event.sender)), summary.method, summary.text},
      {Style::Paint::kPlain, Style::Paint::kPlain,
       event.sender == Sender::kClient ? Style::Paint::kCyan
                                       : Style::Paint::kGreen,
       Style::Paint::kBold, Style::Paint::kPlain});
}

std::string EventLine(const SessionEvent& event, const Style& style,
                      bool wide) {
  Table table = EventTable(wide);
  AddEventRow(table, event);
  std::string line = table.RenderRow(0, {6, 0, 6, kMethodColumnWidth}, style);
  line.pop_back();  // The newline.
  return line;
}

}  // namespace cli
}  // namespace sessionlog
