#include "api/internal/json_surrogates.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sessionlog {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(JsonSurrogatesTest, FindsLoneHighAndLowEscapesInStrings) {
  EXPECT_THAT(FindLoneSurrogateEscapes(R"("\ud83d")"), ElementsAre(1));
  EXPECT_THAT(FindLoneSurrogateEscapes(R"(["a\uDE00b"])"), ElementsAre(3));
  // High then high: the first is lone, the second pairs with the low.
  EXPECT_THAT(FindLoneSurrogateEscapes(R"("\ud800\uD800\udc00")"),
              ElementsAre(1));
  // Low then high: both lone.
  EXPECT_THAT(FindLoneSurrogateEscapes(R"({"k":"\udc00\ud800"})"),
              ElementsAre(6, 12));
  // A high at the very end, and one before a non-surrogate escape.
  EXPECT_THAT(FindLoneSurrogateEscapes(R"("\ud800\u0041" "\udbff")"),
              ElementsAre(1, 16));
  // In keys too.
  EXPECT_THAT(FindLoneSurrogateEscapes(R"({"\ud83d":1})"), ElementsAre(2));
}

TEST(JsonSurrogatesTest, PairsEscapedBackslashesAndOtherTextAreNotLone) {
  for (const char* json : {
           R"("\ud83d\ude00")",     // A pair.
           R"("\uD83D\uDE00")",     // A pair, upper case.
           R"("\\ud83d")",          // An escaped backslash, then text.
           R"("\\\\ud83d")",        // Two of them.
           R"("\u00e9\u0041")",     // Not surrogates.
           R"("\"\ud83d\ude00")",   // A quote escape before a pair.
           "\"\xf0\x9f\x98\x80\"",  // Raw UTF-8.
           "[1, 2, null]",
           "",
       }) {
    EXPECT_THAT(FindLoneSurrogateEscapes(json), IsEmpty()) << json;
    EXPECT_FALSE(HasLoneSurrogateEscape(json)) << json;
  }
  // An escaped backslash before a real escape.
  EXPECT_THAT(FindLoneSurrogateEscapes(R"("\\\ud83d")"), ElementsAre(3));
  // Outside strings there are no escapes.
  EXPECT_THAT(FindLoneSurrogateEscapes(R"(\ud83d)"), IsEmpty());
}

TEST(JsonSurrogatesTest, TextThatIsNotJsonIsScannedWithoutFailing) {
  for (const char* json : {R"("\ud8)", R"("\)", R"("abc)", R"("\ud83d\u)",
                           R"("\uzzzz")", "\"\\ud83d"}) {
    FindLoneSurrogateEscapes(json);  // Must not read past the end.
  }
  EXPECT_THAT(FindLoneSurrogateEscapes("\"\\ud83d"), ElementsAre(1));
}

TEST(JsonSurrogatesTest, ReplaceKeepsOffsetsAndRewriteSeesTheEscape) {
  EXPECT_EQ(ReplaceLoneSurrogateEscapes(R"({"a":"x\uD83Dy\ud83d\ude00"})"),
            R"({"a":"x\ufffdy\ud83d\ude00"})");
  EXPECT_EQ(ReplaceLoneSurrogateEscapes(R"("no escapes")"), R"("no escapes")");
  std::vector<std::string> seen;
  EXPECT_EQ(RewriteLoneSurrogateEscapes(R"(["\uDE00","\ud800"])",
                                        [&](absl::string_view escape) {
                                          seen.emplace_back(escape);
                                          return std::string("?");
                                        }),
            R"(["?","?"])");
  EXPECT_THAT(seen, ElementsAre(R"(\uDE00)", R"(\ud800)"));
}

}  // namespace
}  // namespace sessionlog
