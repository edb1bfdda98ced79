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
std::string Style::Apply(Paint paint, absl::string_view t) const {
  switch (paint) {
    case Paint::kPlain:
      return std::string(t);
    case Paint::kBold:
      return Bold(t);
    case Paint::kDim:
      return Dim(t);
    case Paint::kRed:
      return Red(t);
    case Paint::kGreen:
      return Green(t);
    case Paint::kYellow:
      return Yellow(t);
    case Paint::kCyan:
      return Cyan(t);
  }
  return std::string(t);
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

namespace {

// The length of the UTF-8 sequence at text[i], or 0 if it is not valid UTF-8
// (overlong forms, surrogates and code points past U+10FFFF included).
size_t Utf8Length(absl::string_view text, size_t i) {
  unsigned char c = text[i];
  size_t n;
  uint32_t min;
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) {
    n = 2, min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3, min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4, min = 0x10000;
  } else {
    return 0;
  }
  if (i + n > text.size()) return 0;
  uint32_t cp = c & (0x7F >> n);
  for (size_t k = 1; k < n; ++k) {
    unsigned char next = text[i + k];
    if ((next & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (next & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

// Calls emit(piece) for each code point of `text` as Printable shows it.
template <typename Emit>
void ForEachPrintable(absl::string_view text, Emit emit) {
  for (size_t i = 0; i < text.size();) {
    unsigned char c = text[i];
    size_t n = Utf8Length(text, i);
    if (n == 0) {
      if (!emit(absl::StrFormat("\\x%02x", c))) return;
      ++i;
      continue;
    }
    std::string piece;
    if (c == '\n') {
      piece = "\\n";
    } else if (c == '\r') {
      piece = "\\r";
    } else if (c == '\t') {
      piece = "\\t";
    } else if (c < 0x20 || c == 0x7F) {
      piece = absl::StrFormat("\\x%02x", c);
    } else if (n == 2 && c == 0xC2 &&
               static_cast<unsigned char>(text[i + 1]) <= 0x9F) {
      piece =
          absl::StrFormat("\\u%04x", static_cast<unsigned char>(text[i + 1]));
    } else {
      piece = std::string(text.substr(i, n));
    }
    if (!emit(piece)) return;
    i += n;
  }
}

}  // namespace

std::string Printable(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  ForEachPrintable(text, [&](const std::string& piece) {
    out += piece;
    return true;
  });
  return out;
}

std::string PrintableCut(absl::string_view text, size_t width) {
  std::string out;
  std::vector<size_t> ends;  // Where each piece ends in `out`.
  size_t columns = 0;
  bool cut = false;
  ForEachPrintable(text, [&](const std::string& piece) {
    size_t piece_columns = DisplayWidth(piece);
    if (columns + piece_columns > width) {
      cut = true;
      return false;
    }
    out += piece;
    columns += piece_columns;
    ends.push_back(out.size());
    return true;
  });
  if (!cut) return out;
  // Make room for the ellipsis, one column, by whole pieces.
  while (!ends.empty() && columns + 1 > width) {
    size_t start = ends.size() > 1 ? ends[ends.size() - 2] : 0;
    columns -= DisplayWidth(absl::string_view(out).substr(start));
    out.resize(start);
    ends.pop_back();
  }
  return width == 0 ? out : out + "…";
}

Table::Table(std::vector<std::string> headers, std::vector<Align> aligns)
    : headers_(std::move(headers)), aligns_(std::move(aligns)) {
  aligns_.resize(headers_.size(), Align::kLeft);
  max_widths_.resize(headers_.size(), std::string::npos);
}

void Table::SetMaxWidth(size_t column, size_t width) {
  if (column < max_widths_.size()) max_widths_[column] = width;
}

void Table::AddRow(const std::vector<std::string>& cells,
                   const std::vector<Paint>& paints) {
  std::vector<std::string> shown(headers_.size());
  for (size_t c = 0; c < shown.size() && c < cells.size(); ++c) {
    shown[c] = PrintableCut(cells[c], max_widths_[c]);
  }
  std::vector<Paint> painted = paints;
  painted.resize(headers_.size(), Paint::kPlain);
  rows_.push_back(std::move(shown));
  paints_.push_back(std::move(painted));
}

std::string Table::Line(const std::vector<std::string>& cells,
                        const std::vector<Paint>& paints,
                        const std::vector<size_t>& widths,
                        const Style& style) const {
  std::string line;
  for (size_t c = 0; c < cells.size(); ++c) {
    bool last = c + 1 == cells.size();
    size_t shown = DisplayWidth(cells[c]);
    std::string pad(widths[c] > shown ? widths[c] - shown : 0, ' ');
    std::string cell = style.Apply(paints[c], cells[c]);
    if (aligns_[c] == Align::kRight) {
      absl::StrAppend(&line, pad, cell);
    } else {
      absl::StrAppend(&line, cell, last ? "" : pad);
    }
    if (!last) line += "  ";
  }
  // A right-aligned or empty last cell must not leave trailing blanks.
  while (!line.empty() && line.back() == ' ') line.pop_back();
  return line + "\n";
}

std::string Table::Render(const Style& style) const {
  std::vector<size_t> widths(headers_.size());
  for (size_t c = 0; c < headers_.size(); ++c) {
    widths[c] = DisplayWidth(headers_[c]);
    for (const auto& row : rows_) {
      widths[c] = std::max(widths[c], DisplayWidth(row[c]));
    }
  }
  std::string out =
      Line(headers_, std::vector<Paint>(headers_.size(), Paint::kBold), widths,
           style);
  for (size_t r = 0; r < rows_.size(); ++r) {
    out += Line(rows_[r], paints_[r], widths, style);
  }
  return out;
}

std::string Table::RenderRow(size_t row, const std::vector<size_t>& widths,
                             const Style& style) const {
  std::vector<size_t> padded = widths;
  padded.resize(headers_.size(), 0);
  return Line(rows_[row], paints_[row], padded, style);
}

std::string FormatFields(
    const std::vector<std::pair<std::string, std::string>>& fields,
    size_t width, const Style& style) {
  std::string out;
  for (const auto& [name, value] : fields) {
    std::string label = name + ":";
    if (label.size() < width) label.resize(width, ' ');
    absl::StrAppend(&out, style.Bold(label), Printable(value), "\n");
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
