#include "schema/js_json.h"

#include <string>

#include "gtest/gtest.h"

namespace sessionlog {
namespace {

// Each expectation is what node 20 prints for
// JSON.stringify(JSON.parse(input)); the oracle test checks thousands more.
std::string Restringify(absl::string_view text) {
  absl::StatusOr<std::string> out = JsRestringify(text);
  EXPECT_TRUE(out.ok()) << out.status();
  return out.ok() ? *out : "";
}

TEST(JsJsonTest, DropsWhitespace) {
  EXPECT_EQ(Restringify(" { \"a\" :\t[ 1 ,\n2 ] ,\r\"b\": null } "),
            "{\"a\":[1,2],\"b\":null}");
}

TEST(JsJsonTest, ArrayIndexKeysComeFirstInNumericOrder) {
  EXPECT_EQ(Restringify(R"({"b":1,"a":2,"1":3,"0":4})"),
            R"({"0":4,"1":3,"b":1,"a":2})");
  EXPECT_EQ(
      Restringify(
          R"({"01":1,"1":2,"4294967295":3,"4294967294":4,"-1":5,"10":6})"),
      R"({"1":2,"10":6,"4294967294":4,"01":1,"4294967295":3,"-1":5})");
}

TEST(JsJsonTest, DuplicateKeyKeepsFirstPositionAndLastValue) {
  EXPECT_EQ(Restringify(R"({"a":1,"b":2,"a":3})"), R"({"a":3,"b":2})");
  // Escapes name the same key as their decoded text.
  EXPECT_EQ(Restringify(R"({"a":1,"\u0061":{"x":[]}})"), R"({"a":{"x":[]}})");
}

TEST(JsJsonTest, WideObjectsFindRepeatedKeysToo) {
  EXPECT_EQ(
      Restringify(R"({"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,)"
                  R"("i":9,"b":10,"j":11})"),
      R"({"a":1,"b":10,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":11})");
  EXPECT_EQ(
      Restringify(R"({"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,)"
                  R"("i":9,"7":10})"),
      R"({"7":10,"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9})");
}

TEST(JsJsonTest, NumbersAsJavaScriptPrintsThem) {
  EXPECT_EQ(Restringify("[1e21,1e-7,123e-20,0.000001,1.5,-0,100,1e400,-1e400,"
                        "1e-400,9007199254740993,0.1,1.7976931348623157e308,"
                        "5e-324,123456789012345680000,1.2e-6]"),
            "[1e+21,1e-7,1.23e-18,0.000001,1.5,0,100,null,null,0,"
            "9007199254740992,0.1,1.7976931348623157e+308,5e-324,"
            "123456789012345680000,0.0000012]");
}

TEST(JsJsonTest, NumberToString) {
  EXPECT_EQ(JsNumberToString(0.0), "0");
  EXPECT_EQ(JsNumberToString(-0.0), "0");
  EXPECT_EQ(JsNumberToString(-1.5), "-1.5");
  EXPECT_EQ(JsNumberToString(1e21), "1e+21");
  EXPECT_EQ(JsNumberToString(999999999999999900000.0), "999999999999999900000");
  EXPECT_EQ(JsNumberToString(1.5e-7), "1.5e-7");
  EXPECT_EQ(JsNumberToString(1700000000000.0), "1700000000000");
}

TEST(JsJsonTest, StringsEscapedAsJavaScriptEscapesThem) {
  EXPECT_EQ(Restringify(R"("\u0041\u001f\ud83d\ude00\ud800\udc00x\udfff\/é")"),
            "\"A\\u001f\xF0\x9F\x98\x80\xF0\x90\x80\x80x\\udfff/\xC3\xA9\"");
  EXPECT_EQ(Restringify(R"({"k":"\b\f\n\r\t\"\\"})"),
            R"({"k":"\b\f\n\r\t\"\\"})");
  // A lone high surrogate followed by a non-surrogate escape.
  EXPECT_EQ(Restringify(R"("\uD800\u0041")"), R"("\ud800A")");
  std::string literal;
  AppendJsStringLiteral("a\"\x01\xE2\x80\xA8", &literal);
  EXPECT_EQ(literal, "\"a\\\"\\u0001\xE2\x80\xA8\"");
}

TEST(JsJsonTest, RefusesWhatJsonParseRefuses) {
  for (absl::string_view bad : {"",
                                "{",
                                "[1,]",
                                "{\"a\":1,}",
                                "01",
                                "1.",
                                ".5",
                                "+1",
                                "1e",
                                "NaN",
                                "'a'",
                                "\"\t\"",
                                "\"\\x\"",
                                "\"\\u12\"",
                                "[1] x",
                                "\xEF\xBB\xBF"
                                "1",
                                "\"\xC3\"",
                                "\"\xED\xA0\x80\"",
                                "\v1",
                                "tru",
                                "nul"}) {
    std::string out = "kept";
    absl::Status s = AppendJsRestringified(bad, &out);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(out, "kept") << bad;
  }
}

TEST(JsJsonTest, RefusesNestingPastTheLimit) {
  std::string deep(kMaxJsJsonDepth, '[');
  deep += std::string(kMaxJsJsonDepth, ']');
  EXPECT_TRUE(JsRestringify(deep).ok());
  EXPECT_FALSE(JsRestringify("[" + deep + "]").ok());
}

TEST(JsJsonTest, Utf16LengthCountsSurrogatePairsTwice) {
  EXPECT_EQ(Utf16Length(""), 0);
  EXPECT_EQ(Utf16Length("abc"), 3);
  EXPECT_EQ(Utf16Length("\xC3\xA9"), 1);          // é
  EXPECT_EQ(Utf16Length("e\xCC\x81"), 2);         // e + combining acute
  EXPECT_EQ(Utf16Length("\xE4\xB8\xAD"), 1);      // 中
  EXPECT_EQ(Utf16Length("\xF0\x9F\x98\x80"), 2);  // 😀
}

}  // namespace
}  // namespace sessionlog
