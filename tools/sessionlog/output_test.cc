#include "tools/sessionlog/output.h"

#include <cstdlib>
#include <sstream>

#include "gtest/gtest.h"
#include "tools/sessionlog/args.h"
#include "tools/sessionlog/progress.h"

namespace sessionlog {
namespace cli {
namespace {

TEST(ArgsTest, ParsesFlagsInBothFormsAndPositionals) {
  std::vector<FlagSpec> flags = {
      {"limit", "N", ""}, {"json", "", ""}, {"follow", "", "", 'f'}};
  absl::StatusOr<Args> args = ParseArgs(
      {"ls", "--limit", "5", "-f", "x", "--json", "-", "--", "--y"}, flags);
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_EQ(args->positional(),
            (std::vector<std::string>{"ls", "x", "-", "--y"}));
  EXPECT_EQ(args->Get("limit"), "5");
  EXPECT_TRUE(args->Has("follow"));
  EXPECT_TRUE(args->Has("json"));
  EXPECT_EQ(*ParseArgs({"--limit=7"}, flags)->GetInt("limit", 0), 7);
}

TEST(ArgsTest, NamesTheFlagAtFault) {
  std::vector<FlagSpec> flags = {{"limit", "N", ""}, {"json", "", ""}};
  EXPECT_EQ(ParseArgs({"--nope"}, flags).status().message(),
            "unknown flag --nope");
  EXPECT_EQ(ParseArgs({"-q"}, flags).status().message(), "unknown flag -q");
  EXPECT_EQ(ParseArgs({"--limit"}, flags).status().message(),
            "--limit needs a value (--limit N)");
  EXPECT_EQ(ParseArgs({"--json=1"}, flags).status().message(),
            "--json takes no value");
  absl::StatusOr<int64_t> bad =
      ParseArgs({"--limit=x"}, flags)->GetInt("limit", 0);
  EXPECT_EQ(bad.status().message(),
            "--limit=x: expected a non-negative integer");
}

TEST(ArgsTest, LimitsTakeNone) {
  EXPECT_EQ(*ParseLimit("max-sessions", "none"), 0);
  EXPECT_EQ(*ParseLimit("max-sessions", "12"), 12);
  EXPECT_FALSE(ParseLimit("max-sessions", "0").ok());
  EXPECT_FALSE(ParseLimit("max-sessions", "-3").ok());
  EXPECT_FALSE(ParseLimit("max-sessions", "lots").ok());
}

TEST(OutputTest, TableAlignsOnTheWidestCellAndRightAlignsNumbers) {
  Table table({"ID", "N", "TEXT"},
              {Table::Align::kLeft, Table::Align::kRight, Table::Align::kLeft});
  table.AddRow({"a", "1", "x"});
  table.AddRow({"long-id", "1234", ""});
  EXPECT_EQ(table.Render(Style(false)),
            "ID          N  TEXT\n"
            "a           1  x\n"
            "long-id  1234\n");
}

TEST(OutputTest, ColourOnlyWhenAsked) {
  EXPECT_EQ(Style(false).Red("x"), "x");
  EXPECT_EQ(Style(true).Red("x"), "\x1b[31mx\x1b[0m");
  EXPECT_EQ(DisplayWidth(Style(true).Bold("héllo")), 5u);
}

TEST(OutputTest, PrintableEscapesEveryControlCharacterAndNothingElse) {
  EXPECT_EQ(Printable("plain é ✓ 🙂 \\x41"), "plain é ✓ 🙂 \\x41");
  EXPECT_EQ(Printable("a\nb\rc\td"), "a\\nb\\rc\\td");
  EXPECT_EQ(Printable(std::string("\x1b[2J\x07\x08\x7f\0x", 9)),
            "\\x1b[2J\\x07\\x08\\x7f\\x00x");
  // C1 controls (U+0080..U+009F), as UTF-8; U+00A0 is not one.
  EXPECT_EQ(Printable("\xc2\x9b"
                      "31m\xc2\x85\xc2\xa0"),
            "\\u009b31m\\u0085\xc2\xa0");
  // Bytes that are not UTF-8: stray, overlong, surrogate, cut short.
  EXPECT_EQ(Printable("\xff\xc0\xaf\xed\xa0\x80\xe2\x9c"),
            "\\xff\\xc0\\xaf\\xed\\xa0\\x80\\xe2\\x9c");
}

TEST(OutputTest, PrintableCutCutsOnWholeCodePointsAndEscapes) {
  EXPECT_EQ(PrintableCut("abc", 3), "abc");
  EXPECT_EQ(PrintableCut("abcd", 3), "ab…");
  EXPECT_EQ(PrintableCut("ééééé", 3), "éé…");
  EXPECT_EQ(PrintableCut("a\nb", 5), "a\\nb");
  EXPECT_EQ(PrintableCut("ab\x1b"
                         "cdef",
                         5),
            "ab…");  // Not "ab\\x…".
  EXPECT_EQ(PrintableCut("ab\x1b"
                         "cdef",
                         7),
            "ab\\x1b…");
  EXPECT_EQ(PrintableCut("abc", std::string::npos), "abc");
}

TEST(OutputTest, TableCellsAreShownPrintableAndCut) {
  Table table({"ID", "M"});
  table.SetMaxWidth(1, 4);
  table.AddRow({"a\nb", "method"});
  EXPECT_EQ(table.Render(Style(false)),
            "ID    M\n"
            "a\\nb  met…\n");
}

TEST(OutputTest, TimesAreLocalIsoWithOffset) {
  setenv("TZ", "UTC", 1);
  EXPECT_EQ(FormatTime(int64_t{1700000000123}),
            "2023-11-14T22:13:20.123+00:00");
  setenv("TZ", "Asia/Kolkata", 1);
  EXPECT_EQ(FormatTime(int64_t{1700000000123}),
            "2023-11-15T03:43:20.123+05:30");
  EXPECT_EQ(FormatTime(std::optional<int64_t>()), "-");
}

TEST(OutputTest, CountsAndBytes) {
  EXPECT_EQ(FormatCount(0), "0");
  EXPECT_EQ(FormatCount(1234567), "1,234,567");
  EXPECT_EQ(FormatBytes(512), "512 B");
  EXPECT_EQ(FormatBytes(3 * 1024 * 1024 / 2), "1.5 MiB");
}

TEST(ProgressTest, ShowsPercentRateAndEta) {
  std::ostringstream out;
  ProgressBar bar(out, false, "import", 1000, ProgressBar::Unit::kItems,
                  "events");
  bar.Update(250);
  EXPECT_EQ(bar.Render(absl::Seconds(5)),
            "import  [######..................]  25%  250/1,000  50 events/s  "
            "ETA 0:15");
  bar.set_total(0);
  EXPECT_EQ(bar.Render(absl::Seconds(5)),
            "import  250 events  50 events/s  elapsed 0:05");
  bar.Finish();
  EXPECT_EQ(out.str(), "");  // Disabled: never draws.
}

}  // namespace
}  // namespace cli
}  // namespace sessionlog
