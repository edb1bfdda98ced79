// The SDK harness answers testdata/harness_ops.jsonl as the SDK did when the
// file was made (testdata/harness_ops.out.jsonl). Run through RunOracle, the
// path every differential test takes, so a broken install, a lockfile that
// moved the SDK, or a change to the harness shows up here first, on a small
// file whose every line says what went wrong, rather than as thousands of
// differential mismatches.
//
// The operations cover every op of the protocol: the default driver, caps
// and eviction, ties by id, cursors (past the end, not a number, negative),
// out-of-order and repeated event indexes and ids, events of a session with
// no record, collectReplay with defaults, caps and non-integer limits, and
// replayText at the exact maxChars where a line with non-BMP characters
// (counted in UTF-16 units) stops fitting. The last lines are bad input: an
// unknown op, a line that is not JSON and a JSON null, each answered with an
// error line, after which the harness goes on.

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/oracle/oracle_runner.h"

namespace sessionlog {
namespace {

std::vector<std::string> ReadLines(const std::string& name) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const std::string path = std::string(srcdir != nullptr ? srcdir : ".") +
                           "/sessionlog/tests/sdk/testdata/" + name;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

TEST(SdkHarnessTest, AnswersAsTheSdkDid) {
  const std::vector<std::string> ops = ReadLines("harness_ops.jsonl");
  const std::vector<std::string> expected = ReadLines("harness_ops.out.jsonl");
  ASSERT_FALSE(ops.empty());
  ASSERT_EQ(ops.size(), expected.size());

  absl::StatusOr<std::vector<nlohmann::json>> answers = RunOracle(ops);
  ASSERT_TRUE(answers.ok()) << answers.status();
  ASSERT_EQ(answers->size(), expected.size());
  for (size_t n = 0; n < expected.size(); ++n) {
    nlohmann::json want = nlohmann::json::parse(expected[n]);
    const nlohmann::json& got = (*answers)[n];
    if (want.contains("error")) {
      // Error texts come from node (JSON.parse and TypeError wording changes
      // between node releases): only that it is an error, for which line and
      // which op, is the SDK's behaviour.
      ASSERT_TRUE(got.contains("error") && got["error"].is_string())
          << "line " << n << " (" << ops[n] << "): expected an error, got "
          << got.dump();
      want.erase("error");
      nlohmann::json got_rest = got;
      got_rest.erase("error");
      EXPECT_EQ(got_rest, want) << "line " << n << ": " << ops[n];
      continue;
    }
    EXPECT_EQ(got, want) << "line " << n << ": " << ops[n]
                         << "\n  harness: " << got.dump()
                         << "\n  expected: " << want.dump();
  }
}

// The two replayText cases at the limit, checked for what they mean rather
// than against the recorded answers: a line of 20 emoji fits at maxChars 545
// and not at 544, because the SDK counts UTF-16 units (a port counting bytes
// or code points disagrees exactly here).
TEST(SdkHarnessTest, ReplayTextCountsUtf16Units) {
  const std::vector<std::string> ops = ReadLines("harness_ops.jsonl");
  std::vector<std::string> replay_ops;
  for (const std::string& op : ops) {
    nlohmann::json parsed = nlohmann::json::parse(op, nullptr, false);
    if (parsed.is_object() && parsed.value("op", "") == "replayText" &&
        parsed.value("maxChars", 0) > 500) {
      replay_ops.push_back(op);
    }
  }
  ASSERT_EQ(replay_ops.size(), 2u) << "testdata changed: update this test";
  absl::StatusOr<std::vector<nlohmann::json>> answers = RunOracle(replay_ops);
  ASSERT_TRUE(answers.ok()) << answers.status();
  const std::string fits = (*answers)[0]["result"].get<std::string>();
  const std::string one_short = (*answers)[1]["result"].get<std::string>();
  EXPECT_EQ(fits.find("[history truncated]"), std::string::npos) << fits;
  EXPECT_NE(one_short.find("[history truncated]"), std::string::npos)
      << one_short;
}

}  // namespace
}  // namespace sessionlog
