// One event as a line for people (events, tail, demo) or as JSON (--json).

#ifndef SESSIONLOG_TOOLS_SESSIONLOG_EVENT_VIEW_H_
#define SESSIONLOG_TOOLS_SESSIONLOG_EVENT_VIEW_H_

#include <string>
#include <vector>

#include "api/session.h"
#include "nlohmann/json.hpp"
#include "tools/sessionlog/output.h"

namespace sessionlog {
namespace cli {

// The SDK's JSON form of a record or event, as a value to embed.
OrderedJson ToJsonValue(const SessionRecord& record);
OrderedJson ToJsonValue(const SessionEvent& event);

// The columns of an event table: INDEX, TIME, SENDER, METHOD, TEXT. METHOD
// is cut at kMethodColumnWidth columns, TEXT at kTextColumnWidth unless
// `wide`.
inline constexpr size_t kMethodColumnWidth = 40;
inline constexpr size_t kTextColumnWidth = 72;
Table EventTable(bool wide);
void AddEventRow(Table& table, const SessionEvent& event);

// One event in those columns at fixed widths, without a newline, for output
// that streams (tail -f) and so cannot be aligned on its widest cell.
std::string EventLine(const SessionEvent& event, const Style& style, bool wide);

}  // namespace cli
}  // namespace sessionlog

#endif  // SESSIONLOG_TOOLS_SESSIONLOG_EVENT_VIEW_H_
