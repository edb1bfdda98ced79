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
  explicit Style(bool color) : color_(color) {}
  bool color() const { return color_; }
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

// The number of terminal columns `text` takes: UTF-8 code points, with ANSI
// escape sequences not counted. Good enough for the text we print.
size_t DisplayWidth(absl::string_view text);

// Cuts `text` to at most `width` columns, ending in "…" when cut; newlines
// and tabs become spaces, so one value stays on one line.
std::string Abbreviate(absl::string_view text, size_t width);

// Columns aligned by the widest cell; the last column is not padded.
class Table {
 public:
  enum class Align { kLeft, kRight };
  explicit Table(std::vector<std::string> headers,
                 std::vector<Align> aligns = {});
  void AddRow(std::vector<std::string> cells);
  size_t rows() const { return rows_.size(); }
  // The table, a line per row after the headers (bold when `style` has
  // colour).
  std::string Render(const Style& style) const;
  void Print(std::ostream& out, const Style& style) const {
    out << Render(style);
  }

 private:
  std::vector<std::string> headers_;
  std::vector<Align> aligns_;
  std::vector<std::vector<std::string>> rows_;
};

// "label:" padded to `width` (in bold when `style` has colour) and the value,
// a line each: the form of `show` and `stats`.
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
