#include "tools/sessionlog/output.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"

namespace sessionlog {
namespace cli {

std::string DumpJson(const OrderedJson& value) {
  return value.dump(-1, ' ', false, OrderedJson::error_handler_t::replace);
}

OrderedJson OptionalJson(const std::optional<int64_t>& value) {
  return value ? OrderedJson(*value) : OrderedJson(nullptr);
}

std::string Style::Wrap(absl::string_view code, absl::string_view text) const {
  if (!color_) return std::string(text);
  return absl::StrCat("\x1b[", code, "m", text, "\x1b[0m");
}
std::string Style::Bold(absl::string_view t) const { return Wrap("1", t); }
std::string Style::Dim(absl::string_view t) const { return Wrap("2", t); }
std::string Style::Red(absl::string_view t) const { return Wrap("31", t); }
std::string Style::Green(absl::string_view t) const { return Wrap("32", t); }
std::string Style::Yellow(absl::string_view t) const { return Wrap("33", t); }
std::string Style::Cyan(absl::string_view t) const { return Wrap("36", t); }

std::string FormatTime(int64_t ms) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3S%Ez", absl::FromUnixMillis(ms),
                          absl::LocalTimeZone());
}

std::string FormatTime(const std::optional<int64_t>& ms) {
  return ms ? FormatTime(*ms) : "-";
}

size_t DisplayWidth(absl::string_view text) {
  size_t width = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = text[i];
    if (c == 0x1b) {  // Skip "ESC [ ... letter".
      while (i < text.size() && !((text[i] >= 'A' && text[i] <= 'Z') ||
                                  (text[i] >= 'a' && text[i] <= 'z'))) {
        ++i;
      }
      continue;
    }
    if ((c & 0xC0) != 0x80) ++width;  // Count lead bytes only.
  }
  return width;
}

std::string Abbreviate(absl::string_view text, size_t width) {
  std::string out;
  size_t columns = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = text[i];
    bool lead = (c & 0xC0) != 0x80;
    if (lead) {
      if (columns + 1 > width) {
        // Drop the last code point to make room for the ellipsis.
        while (!out.empty() && (out.back() & 0xC0) == 0x80) out.pop_back();
        if (!out.empty()) out.pop_back();
        out += "…";
        return out;
      }
      ++columns;
    }
    out.push_back(c == '\n' || c == '\r' || c == '\t' ? ' ' : text[i]);
  }
  return out;
}

Table::Table(std::vector<std::string> headers, std::vector<Align> aligns)
    : headers_(std::move(headers)), aligns_(std::move(aligns)) {
  aligns_.resize(headers_.size(), Align::kLeft);
}

void Table::AddRow(std::vector<std::string> cells) {
  cells.resize(headers_.size());
  rows_.push_back(std::move(cells));
}

std::string Table::Render(const Style& style) const {
  std::string out;
  std::vector<size_t> widths(headers_.size());
  for (size_t c = 0; c < headers_.size(); ++c) {
    widths[c] = DisplayWidth(headers_[c]);
    for (const auto& row : rows_) {
      widths[c] = std::max(widths[c], DisplayWidth(row[c]));
    }
  }
  auto print_row = [&](const std::vector<std::string>& cells, bool header) {
    std::string line;
    for (size_t c = 0; c < cells.size(); ++c) {
      bool last = c + 1 == cells.size();
      std::string pad(widths[c] - DisplayWidth(cells[c]), ' ');
      std::string cell = header ? style.Bold(cells[c]) : cells[c];
      if (aligns_[c] == Align::kRight) {
        absl::StrAppend(&line, pad, cell);
      } else {
        absl::StrAppend(&line, cell, last ? "" : pad);
      }
      if (!last) line += "  ";
    }
    // A right-aligned or empty last cell must not leave trailing blanks.
    while (!line.empty() && line.back() == ' ') line.pop_back();
    absl::StrAppend(&out, line, "\n");
  };
  print_row(headers_, true);
  for (const auto& row : rows_) print_row(row, false);
  return out;
}

std::string FormatFields(
    const std::vector<std::pair<std::string, std::string>>& fields,
    size_t width, const Style& style) {
  std::string out;
  for (const auto& [name, value] : fields) {
    std::string label = name + ":";
    if (label.size() < width) label.resize(width, ' ');
    absl::StrAppend(&out, style.Bold(label), value, "\n");
  }
  return out;
}

std::string FormatCount(int64_t n) {
  std::string digits = absl::StrCat(n < 0 ? -n : n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

std::string FormatBytes(int64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  if (unit == 0) return absl::StrCat(bytes, " B");
  return absl::StrFormat("%.1f %s", value, kUnits[unit]);
}

}  // namespace cli
}  // namespace sessionlog
