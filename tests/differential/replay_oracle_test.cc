// Differential test: sessionlog's replay text against the SDK's, through the
// oracle (the real buildReplayText and the real collectReplayEvents logic of
// sandbox-agent@0.4.2 under node). Payloads are generated as raw JSON text and
// handed to node as text, so JSON.parse sees exactly what sessionlog stores:
// whitespace, duplicate and array-index keys, escapes, lone surrogates,
// non-ASCII (combining marks, astral emoji), and numbers of every shape. Caps
// are put on every boundary of the text: a line that exactly fits, one unit
// over, one under, and so on.

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "schema/js_json.h"
#include "schema/replay.h"
#include "api/internal/validation.h"
#include "engine/memory/memory_driver.h"
#include "gtest/gtest.h"
#include "tests/oracle/oracle_runner.h"

namespace sessionlog {
namespace {

constexpr int kReplayTextCases = 10000;
constexpr int kCollectReplayCases = 400;
constexpr uint64_t kSeed = 20261128;

// Random JSON text, biased towards what JavaScript treats specially.
class PayloadGenerator {
 public:
  explicit PayloadGenerator(uint64_t seed) : rng_(seed) {}

  int Uniform(int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng_);
  }
  int64_t Uniform64(int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng_);
  }
  template <typename T>
  const T& Pick(const std::vector<T>& items) {
    return items[Uniform(0, static_cast<int>(items.size()) - 1)];
  }

  std::string Whitespace() {
    // The oracle reads one operation per line, so whitespace inside the
    // text stays on the line; js_json_test covers CR and LF.
    static const std::vector<std::string> kSpaces = {"",  "",   "",
                                                     " ", "\t", " \t  "};
    return Pick(kSpaces);
  }

  std::string Value(int depth) {
    int kind = Uniform(0, depth >= 4 ? 5 : 8);
    switch (kind) {
      case 0:
        return Pick(std::vector<std::string>{"true", "false", "null"});
      case 1:
      case 2:
        return Number();
      case 3:
      case 4:
      case 5:
        return String();
      case 6:
      case 7:
        return Object(depth + 1);
      default:
        return Array(depth + 1);
    }
  }

  // An envelope-like object at the top, as the SDK stores.
  std::string Payload() {
    if (Uniform(0, 9) == 0) return Value(0);  // Any JSON value.
    std::string text = Whitespace() + "{" + Whitespace() +
                       "\"jsonrpc\":" + Whitespace() + "\"2.0\"";
    int members = Uniform(0, 5);
    for (int i = 0; i < members; ++i) {
      text += "," + Whitespace() + Key() + Whitespace() + ":" + Whitespace() +
              Value(1);
    }
    return text + Whitespace() + "}" + Whitespace();
  }

  std::string Object(int depth) {
    // Sometimes wide: objects of 8 keys and more take another path.
    int members = Uniform(0, Uniform(0, 3) == 0 ? 14 : 5);
    std::string text = "{" + Whitespace();
    for (int i = 0; i < members; ++i) {
      if (i > 0) text += "," + Whitespace();
      text += Key() + Whitespace() + ":" + Whitespace() + Value(depth);
    }
    return text + Whitespace() + "}";
  }

  std::string Array(int depth) {
    int items = Uniform(0, 4);
    std::string text = "[" + Whitespace();
    for (int i = 0; i < items; ++i) {
      if (i > 0) text += "," + Whitespace();
      text += Value(depth);
    }
    return text + Whitespace() + "]";
  }

  // A small pool, so that duplicates are common; array-index keys and keys
  // that only look like them.
  std::string Key() {
    static const std::vector<std::string> kKeys = {
        "\"0\"",         "\"1\"",        "\"2\"",          "\"42\"",
        "\"007\"",       "\"01\"",       "\"4294967294\"", "\"4294967295\"",
        "\"-1\"",        "\"1.5\"",      "\"1e3\"",        "\"id\"",
        "\"method\"",    "\"params\"",   "\"result\"",     "\"a\"",
        "\"\\u0061\"",   "\"b\"",        "\"\\u0031\"",    "\"\"",
        "\"__proto__\"", "\"t\xC3\xA9\""};
    if (Uniform(0, 5) == 0) return String();
    return Pick(kKeys);
  }

  std::string String() {
    static const std::vector<std::string> kPieces = {
        "a",
        "Z",
        " ",
        "hello",
        "<tag>",
        "'",
        "\xC3\xA9",
        "e\xCC\x81",
        "\xE4\xB8\xAD",
        "\xF0\x9F\x98\x80",
        "\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x92\xBB",
        "\\ud83d\\ude00",
        "\\uD83D\\uDE00",
        "\\u00e9",
        "\\n",
        "\\t",
        "\\r",
        "\\b",
        "\\f",
        "\\\"",
        "\\\\",
        "\\/",
        "\\u0000",
        "\\u0001",
        "\\u001f",
        "\\u001F",
        "\\u0020",
        "\\u007f",
        "\x7f",
        "\\u2028",
        "\xE2\x80\xA8",
        "\\ud800",
        "\\udfff",
        "\\udc00\\ud800",
        "\\ud800\\u0041",
        "\xEF\xBF\xBF",
        "\\ufeff",
        "\xF4\x8F\xBF\xBF"};
    int pieces = Uniform(0, 8);
    std::string text = "\"";
    for (int i = 0; i < pieces; ++i) text += Pick(kPieces);
    return text + "\"";
  }

  std::string Digits(int count, bool leading_nonzero) {
    std::string digits;
    for (int i = 0; i < count; ++i) {
      digits.push_back(static_cast<char>(
          '0' + Uniform(i == 0 && leading_nonzero ? 1 : 0, 9)));
    }
    return digits;
  }

  std::string Number() {
    std::string sign = Uniform(0, 3) == 0 ? "-" : "";
    switch (Uniform(0, 9)) {
      case 0:
        return sign + std::to_string(Uniform(0, 1000));
      case 1:  // Integers around and past 2^53.
        return sign + Digits(Uniform(15, 25), true);
      case 2:  // Plain decimals.
        return sign + Digits(Uniform(1, 8), true) + "." +
               Digits(Uniform(1, 20), false);
      case 3:  // Small decimals around 1e-6.
        return sign + "0." + std::string(Uniform(0, 9), '0') +
               Digits(Uniform(1, 6), true);
      case 4:  // Exponents across the whole double range and past it.
        return sign + Digits(1, true) + "." + Digits(Uniform(1, 17), false) +
               Pick(std::vector<std::string>{"e", "E"}) +
               Pick(std::vector<std::string>{"", "+", "-"}) +
               std::to_string(Uniform(0, 330));
      case 5:  // Near the 1e21 switch to exponent form.
        return sign +
               Pick(std::vector<std::string>{
                   "1e21", "1e20", "9.999999999999999e20",
                   "999999999999999999999", "100000000000000000000", "1e-6",
                   "1e-7", "0.000001", "0.0000001", "1.5e-6", "123e-9"});
      case 6:
        return Pick(
            std::vector<std::string>{"-0", "0", "0.0", "-0.0", "-0e5", "0E-3"});
      case 7:  // Overflow to Infinity (null), underflow to 0, extremes.
        return sign +
               Pick(std::vector<std::string>{
                   "1e400", "1e-400", "5e-324", "2.5e-324",
                   "1.7976931348623157e308", "1.7976931348623159e308",
                   "2.2250738585072014e-308", "4.9406564584124654e-324"});
      case 8:
        return sign + Digits(Uniform(1, 3), true) + "e" +
               std::to_string(Uniform(0, 25));
      default:  // Many significant digits: rounding.
        return sign + Digits(1, true) + "." + Digits(Uniform(17, 30), false);
    }
  }

  int64_t CreatedAt() {
    switch (Uniform(0, 5)) {
      case 0:
        return 0;
      case 1:  // Past 2^53: JavaScript rounds it.
        return Uniform64(int64_t{1} << 53, INT64_MAX);
      default:
        return 1700000000000 + Uniform64(0, 100000000000);
    }
  }

 private:
  std::mt19937_64 rng_;
};

std::string EventJson(const SessionEvent& e) {
  std::string out = "{\"id\":";
  AppendJsStringLiteral(e.id, &out);
  absl::StrAppend(&out, ",\"eventIndex\":", e.event_index, ",\"sessionId\":");
  AppendJsStringLiteral(e.session_id, &out);
  absl::StrAppend(&out, ",\"createdAt\":", e.created_at, ",\"connectionId\":\"",
                  e.connection_id, "\",\"sender\":\"", SenderName(e.sender),
                  "\",\"payload\":", e.payload_json, "}");
  return out;
}

// The JavaScript lengths of each event's line (without its newline).
std::vector<int64_t> LineLengths(const std::vector<SessionEvent>& events) {
  const int64_t prefix = Utf16Length(kReplayPrefix);
  std::vector<int64_t> lengths;
  for (const SessionEvent& e : events) {
    absl::StatusOr<std::optional<std::string>> one =
        BuildReplayText({e}, INT64_MAX);
    EXPECT_TRUE(one.ok()) << one.status();
    lengths.push_back(one.ok() ? Utf16Length(**one) - prefix - 1 : 0);
  }
  return lengths;
}

// A cap on a boundary: where line `target` exactly fits, plus `delta`.
int64_t BoundaryCap(PayloadGenerator& gen, const std::vector<int64_t>& lines) {
  const int64_t prefix = Utf16Length(kReplayPrefix);
  switch (gen.Uniform(0, 9)) {
    case 0:
      return gen.Pick(std::vector<int64_t>{1, prefix - 1, prefix, prefix + 1,
                                           kDefaultReplayMaxChars});
    case 1:
      return INT64_MAX / 2;
    default: {
      if (lines.empty()) return gen.Uniform(1, 300);
      int target = gen.Uniform(0, static_cast<int>(lines.size()) - 1);
      int64_t end = prefix;
      for (int i = 0; i <= target; ++i) end += lines[i] + 1;
      return end + gen.Uniform(-2, 2);
    }
  }
}

std::string Describe(const std::vector<SessionEvent>& events, int64_t cap) {
  std::string out = absl::StrCat("maxChars=", cap, " events:\n");
  for (const SessionEvent& e : events)
    absl::StrAppend(&out, EventJson(e), "\n");
  return out;
}

TEST(ReplayOracleTest, ReplayTextMatchesTheSdk) {
  PayloadGenerator gen(kSeed);
  struct Case {
    std::vector<SessionEvent> events;
    int64_t cap;
  };
  std::vector<Case> cases;
  std::vector<std::string> ops;
  for (int c = 0; c < kReplayTextCases; ++c) {
    Case test_case;
    int count = c % 500 == 0 ? 0 : gen.Uniform(1, 6);
    for (int i = 0; i < count; ++i) {
      SessionEvent e;
      e.id = absl::StrCat("e", c, "-", i);
      e.event_index = i + 1;
      e.session_id = "s";
      e.created_at = gen.CreatedAt();
      e.connection_id = "c";
      e.sender = gen.Uniform(0, 1) ? Sender::kAgent : Sender::kClient;
      e.payload_json = gen.Payload();
      test_case.events.push_back(std::move(e));
    }
    test_case.cap = BoundaryCap(gen, LineLengths(test_case.events));
    std::string op = "{\"op\":\"replayText\",\"events\":[";
    for (size_t i = 0; i < test_case.events.size(); ++i) {
      if (i > 0) op += ",";
      op += EventJson(test_case.events[i]);
    }
    absl::StrAppend(&op, "],\"maxChars\":", test_case.cap, "}");
    ops.push_back(std::move(op));
    cases.push_back(std::move(test_case));
  }
  absl::StatusOr<std::vector<nlohmann::json>> results = RunOracle(ops);
  ASSERT_TRUE(results.ok()) << results.status();

  int mismatches = 0, truncated = 0, nulls = 0;
  for (size_t c = 0; c < cases.size(); ++c) {
    const nlohmann::json& expected = (*results)[c];
    ASSERT_FALSE(expected.contains("error"))
        << "the oracle refused case " << c << ": " << expected.dump() << "\n"
        << Describe(cases[c].events, cases[c].cap);
    absl::StatusOr<std::optional<std::string>> actual =
        BuildReplayText(cases[c].events, cases[c].cap);
    ASSERT_TRUE(actual.ok()) << actual.status();
    const nlohmann::json& want = expected["result"];
    bool same = want.is_null() ? !actual->has_value()
                               : actual->has_value() &&
                                     **actual == want.get<std::string>();
    if (want.is_null()) ++nulls;
    if (!want.is_null() && want.get<std::string>().find(
                               kReplayTruncatedMarker) != std::string::npos) {
      ++truncated;
    }
    if (!same && ++mismatches <= 5) {
      ADD_FAILURE() << "case " << c << " differs\n"
                    << Describe(cases[c].events, cases[c].cap)
                    << "sdk:        " << want.dump() << "\nsessionlog: "
                    << (actual->has_value() ? nlohmann::json(**actual).dump()
                                            : "null");
    }
  }
  EXPECT_EQ(mismatches, 0) << "of " << cases.size() << " cases";
  // The generator must reach both sides of the cap and the empty case.
  EXPECT_GT(truncated, kReplayTextCases / 10);
  EXPECT_GT(nulls, 0);
  std::printf("replayText: %zu cases, %d truncated, %d without events\n",
              cases.size(), truncated, nulls);
}

// The SDK's selection for a restore (page through everything, keep the last
// maxEvents) against ReplayTextForSession's LastEvents, with and without
// retention trimming the session.
TEST(ReplayOracleTest, CollectReplayMatchesTheSdk) {
  PayloadGenerator gen(kSeed + 1);
  struct Case {
    int64_t retained, max_events, max_chars;
    std::vector<SessionEvent> events;
  };
  std::vector<Case> cases;
  std::vector<std::string> ops;
  std::vector<size_t> collect_op;  // Index in ops of each case's collectReplay.
  for (int c = 0; c < kCollectReplayCases; ++c) {
    Case test_case;
    int count = gen.Uniform(0, 130);
    test_case.retained = gen.Uniform(0, 2) == 0 ? gen.Uniform(1, 60) : 500;
    test_case.max_events =
        gen.Pick(std::vector<int64_t>{1, 2, 50, gen.Uniform(1, 140)});
    test_case.max_chars =
        gen.Uniform(0, 1) ? kDefaultReplayMaxChars : gen.Uniform(150, 4000);
    ops.push_back(
        absl::StrCat("{\"op\":\"init\",\"options\":{\"maxEventsPerSession\":",
                     test_case.retained, "}}"));
    for (int i = 0; i < count; ++i) {
      SessionEvent e;
      e.id = absl::StrCat("e", c, "-", i);
      e.event_index = i + 1;
      e.session_id = "s1";
      e.created_at = 1700000000000 + i;
      e.connection_id = "c";
      e.sender = gen.Uniform(0, 1) ? Sender::kAgent : Sender::kClient;
      // The store refuses some payloads JSON.parse takes (e.g. numbers past
      // the double range): draw until it accepts.
      do {
        e.payload_json = gen.Payload();
      } while (!ValidateSessionEvent(e, DriverOptions()).ok());
      ops.push_back(
          absl::StrCat("{\"op\":\"insertEvent\",\"sessionId\":\"s1\","
                       "\"event\":",
                       EventJson(e), "}"));
      test_case.events.push_back(std::move(e));
    }
    collect_op.push_back(ops.size());
    ops.push_back(absl::StrCat(
        "{\"op\":\"collectReplay\",\"sessionId\":\"s1\",\"maxEvents\":",
        test_case.max_events, ",\"maxChars\":", test_case.max_chars, "}"));
    cases.push_back(std::move(test_case));
  }
  absl::StatusOr<std::vector<nlohmann::json>> results = RunOracle(ops);
  ASSERT_TRUE(results.ok()) << results.status();

  int mismatches = 0;
  for (size_t c = 0; c < cases.size(); ++c) {
    const Case& test_case = cases[c];
    DriverOptions options;
    options.max_events_per_session = test_case.retained;
    auto driver = OpenMemoryDriver(options);
    ASSERT_TRUE(driver.ok()) << driver.status();
    for (const SessionEvent& e : test_case.events) {
      absl::Status inserted = (*driver)->InsertEvent(e);
      ASSERT_TRUE(inserted.ok()) << inserted;
    }
    const nlohmann::json& expected = (*results)[collect_op[c]];
    ASSERT_FALSE(expected.contains("error")) << expected.dump();
    std::vector<std::string> want_ids =
        expected["result"]["eventIds"].get<std::vector<std::string>>();
    std::vector<std::string> got_ids;
    if (!test_case.events.empty()) {
      auto last = (*driver)->LastEvents("s1", test_case.max_events);
      ASSERT_TRUE(last.ok()) << last.status();
      for (const SessionEvent& e : *last) got_ids.push_back(e.id);
    }
    absl::StatusOr<std::optional<std::string>> text = ReplayTextForSession(
        **driver, "s1", test_case.max_events, test_case.max_chars);
    ASSERT_TRUE(text.ok()) << text.status();
    const nlohmann::json& want_text = expected["result"]["text"];
    bool same =
        got_ids == want_ids &&
        (want_text.is_null()
             ? !text->has_value()
             : text->has_value() && **text == want_text.get<std::string>());
    if (!same && ++mismatches <= 5) {
      ADD_FAILURE() << "collect case " << c << " (retained "
                    << test_case.retained << ", maxEvents "
                    << test_case.max_events << ", " << test_case.events.size()
                    << " events) differs: sdk "
                    << expected.dump().substr(0, 600) << "\nsessionlog ids "
                    << got_ids.size() << " text "
                    << (text->has_value() ? text->value().substr(0, 600)
                                          : "null");
    }
  }
  EXPECT_EQ(mismatches, 0) << "of " << cases.size() << " cases";
}

}  // namespace
}  // namespace sessionlog
