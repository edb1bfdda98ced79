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

// Text columns wider than this are cut with "…" unless --wide is given.
inline constexpr size_t kTextColumnWidth = 72;

// Columns of an event table: INDEX, TIME, SENDER, METHOD, TEXT.
std::vector<std::string> EventTableHeaders();
std::vector<Table::Align> EventTableAligns();
std::vector<std::string> EventTableRow(const SessionEvent& event,
                                       const Style& style, bool wide);

// The same columns at fixed widths, for output that streams (tail -f) and so
// cannot be aligned on its widest cell.
std::string EventLine(const SessionEvent& event, const Style& style, bool wide);

}  // namespace cli
}  // namespace sessionlog

#endif  // SESSIONLOG_TOOLS_SESSIONLOG_EVENT_VIEW_H_
