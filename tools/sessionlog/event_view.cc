#include "tools/sessionlog/event_view.h"

#include "absl/strings/str_cat.h"
#include "schema/json_codec.h"
#include "tools/sessionlog/envelope.h"

namespace sessionlog {
namespace cli {
namespace {

std::string PadRight(std::string text, size_t width) {
  size_t shown = DisplayWidth(text);
  if (shown < width) text.append(width - shown, ' ');
  return text;
}

std::string PadLeft(const std::string& text, size_t width) {
  size_t shown = DisplayWidth(text);
  return shown < width ? std::string(width - shown, ' ') + text : text;
}

}  // namespace

OrderedJson ToJsonValue(const SessionRecord& record) {
  return OrderedJson::parse(SessionRecordToJson(record));
}

OrderedJson ToJsonValue(const SessionEvent& event) {
  return OrderedJson::parse(SessionEventToJson(event));
}

std::vector<std::string> EventTableHeaders() {
  return {"INDEX", "TIME", "SENDER", "METHOD", "TEXT"};
}

std::vector<Table::Align> EventTableAligns() {
  return {Table::Align::kRight, Table::Align::kLeft, Table::Align::kLeft,
          Table::Align::kLeft, Table::Align::kLeft};
}

std::vector<std::string> EventTableRow(const SessionEvent& event,
                                       const Style& style, bool wide) {
  EnvelopeSummary summary = SummarizeEnvelope(event.payload_json);
  std::string sender(SenderName(event.sender));
  sender = event.sender == Sender::kClient ? style.Cyan(sender)
                                           : style.Green(sender);
  return {absl::StrCat(event.event_index), FormatTime(event.created_at), sender,
          style.Bold(summary.method),
          wide ? Abbreviate(summary.text, std::string::npos)
               : Abbreviate(summary.text, kTextColumnWidth)};
}

std::string EventLine(const SessionEvent& event, const Style& style,
                      bool wide) {
  std::vector<std::string> cells = EventTableRow(event, style, wide);
  return absl::StrCat(PadLeft(cells[0], 6), "  ", cells[1], "  ",
                      PadRight(cells[2], 6), "  ", PadRight(cells[3], 36), "  ",
                      cells[4]);
}

}  // namespace cli
}  // namespace sessionlog
