// How `sessionlog` prints: aligned tables, colour only on a terminal, times
// in local ISO form, and JSON for scripts.

#ifndef SESSIONLOG_TOOLS_SESSIONLOG_OUTPUT_H_
#define SESSIONLOG_TOOLS_SESSIONLOG_OUTPUT_H_

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace sessionlog {
namespace cli {

// Key order matters to people reading the output, so JSON keeps insertion
// order, as the SDK's JSON.stringify does.
using OrderedJson = nlohmann::ordered_json;

// One line of JSON; invalid UTF-8 (which validation keeps out of a store) is
// replaced rather than thrown on.
std::string DumpJson(const OrderedJson& value);
// The value, or null.
OrderedJson OptionalJson(const std::optional<int64_t>& value);

// ANSI styles; every method returns `text` unchanged when colour is off.
class Style {
 public:
  enum class Paint { kPlain, kBold, kDim, kRed, kGreen, kYellow, kCyan };

  explicit Style(bool color) : color_(color) {}
  bool color() const { return color_; }
  std::string Apply(Paint paint, absl::string_view text) const;
  std::string Bold(absl::string_view text) const;
  std::string Dim(absl::string_view text) const;
  std::string Red(absl::string_view text) const;
  std::string Green(absl::string_view text) const;
  std::string Yellow(absl::string_view text) const;
  std::string Cyan(absl::string_view text) const;

 private:
  std::string Wrap(absl::string_view code, absl::string_view text) const;
  bool color_;
};

// Milliseconds since the epoch as local ISO 8601 with the offset, e.g.
// "2026-11-28T17:30:05.123+01:00" (the zone is $TZ, as date(1) uses).
std::string FormatTime(int64_t ms);
// The same, or "-" when absent.
std::string FormatTime(const std::optional<int64_t>& ms);

// What a terminal shows of stored text, which may hold any bytes: every C0
// control character and DEL escaped as \n, \r, \t or \xHH, every C1 control
// character (U+0080..U+009F) as \uHHHH, and bytes that are not UTF-8 as \xHH;
// all else unchanged. Human output shows stored text only through this, so
// no stored byte moves the cursor, rewrites the screen or forges a line;
// --json output is exact instead.
std::string Printable(absl::string_view text);

// Printable(text) cut to at most `width` columns, ending in "…" when cut.
// Never cuts an escape in two.
std::string PrintableCut(absl::string_view text, size_t width);

// The number of terminal columns `text` takes: UTF-8 code points, with ANSI
// escape sequences not counted. Good enough for the text we print.
size_t DisplayWidth(absl::string_view text);

// Columns aligned by the widest cell; the last column is not padded and no
// line ends in a blank. Cells are stored text: the table shows them through
// Printable, cut to the column's width.
class Table {
 public:
  enum class Align { kLeft, kRight };
  using Paint = Style::Paint;
  explicit Table(std::vector<std::string> headers,
                 std::vector<Align> aligns = {});
  // Cuts the cells of `column` to `width` columns.
  void SetMaxWidth(size_t column, size_t width);
  // `paints` colours cells (by column; missing ones are plain).
  void AddRow(const std::vector<std::string>& cells,
              const std::vector<Paint>& paints = {});
  size_t rows() const { return rows_.size(); }
  // The table, a line per row after the headers (bold when `style` has
  // colour).
  std::string Render(const Style& style) const;
  // One row alone, with every column padded to at least `widths` (for
  // output that streams, and so cannot be aligned on its widest cell).
  std::string RenderRow(size_t row, const std::vector<size_t>& widths,
                        const Style& style) const;

 private:
  std::string Line(const std::vector<std::string>& cells,
                   const std::vector<Paint>& paints,
                   const std::vector<size_t>& widths, const Style& style) const;

  std::vector<std::string> headers_;
  std::vector<Align> aligns_;
  std::vector<size_t> max_widths_;
  std::vector<std::vector<std::string>> rows_;  // Printable, cut.
  std::vector<std::vector<Paint>> paints_;
};

// "label:" padded to `width` (in bold when `style` has colour) and the value
// (stored text: shown through Printable), a line each: the form of `show`
// and `stats`.
std::string FormatFields(
    const std::vector<std::pair<std::string, std::string>>& fields,
    size_t width, const Style& style);

// "1,234,567".
std::string FormatCount(int64_t n);
// "1.5 MiB".
std::string FormatBytes(int64_t bytes);

}  // namespace cli
}  // namespace sessionlog

#endif  // SESSIONLOG_TOOLS_SESSIONLOG_OUTPUT_H_
