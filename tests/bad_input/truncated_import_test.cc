// Truncated import files: an export cut at line boundaries and inside lines
// (sampled offsets), imported into a fresh store by the real `sessionlog`
// binary. Every run must end with exit 0 (the cut fell between lines) or 5
// (bad input, naming the line), never a crash; and the store must hold
// exactly the complete lines before the cut: the CLI applies lines in order
// and stops at the first bad one, so a torn file never half-applies a line.

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "schema/json_codec.h"
#include "tests/durability/workload.h"
#include "tests/testing/temp_dir.h"

extern char** environ;

namespace sessionlog {
namespace {

std::string g_cli;  // From argv.

struct Result {
  int exit_code = -1;
  std::string out, err;
};

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs the CLI with `stdin_text` on its stdin.
Result RunCli(const TempDir& dir, const std::vector<std::string>& args,
              const std::string& stdin_text) {
  const std::string in = dir.Sub("stdin"), out = dir.Sub("stdout"),
                    err = dir.Sub("stderr");
  std::ofstream(in, std::ios::binary | std::ios::trunc) << stdin_text;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, in.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<char*> argv = {g_cli.data()};
  for (const std::string& a : args)
    argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  Result r;
  pid_t pid;
  if (posix_spawn(&pid, g_cli.c_str(), &actions, nullptr, argv.data(),
                  environ) != 0) {
    return r;
  }
  posix_spawn_file_actions_destroy(&actions);
  int status = 0;
  waitpid(pid, &status, 0);
  r.exit_code =
      WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = Slurp(out);
  r.err = Slurp(err);
  return r;
}

// An export: three sessions and their events, one JSON line each.
std::vector<std::string> Lines() {
  std::vector<std::string> lines;
  for (int s = 0; s < 3; ++s) {
    lines.push_back(JsonLineToJson(durability::MakeRecord(s)));
    for (int i = 1; i <= 4; ++i) {
      lines.push_back(JsonLineToJson(durability::MakeEvent(s, i)));
    }
  }
  return lines;
}

std::set<std::string> NonEmptyLines(const std::string& text) {
  std::set<std::string> lines;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!line.empty()) lines.insert(std::string(line));
  }
  return lines;
}

TEST(TruncatedImportTest, ACutFileAppliesExactlyItsCompleteLines) {
  const std::vector<std::string> lines = Lines();
  std::string full;
  std::vector<size_t> ends;  // Offset just after each line's newline.
  for (const std::string& line : lines) {
    full += line + "\n";
    ends.push_back(full.size());
  }
  // Every line boundary and its neighbours, and random offsets inside lines.
  std::set<size_t> cuts = {0, full.size()};
  for (size_t end : ends) {
    for (size_t d : {end - 2, end - 1, end, end + 1}) {
      if (d <= full.size()) cuts.insert(d);
    }
  }
  absl::BitGen rng;
  while (cuts.size() < 80)
    cuts.insert(absl::Uniform<size_t>(rng, 0, full.size()));

  int clean = 0, refused = 0;
  for (size_t cut : cuts) {
    TempDir dir;
    const std::string db = "rocksdb:" + dir.Sub("store");
    Result import =
        RunCli(dir, {"--db", db, "import", "-"}, full.substr(0, cut));
    // The lines wholly inside the cut; a last line without its newline still
    // counts when its JSON is whole.
    std::set<std::string> expected;
    for (size_t i = 0; i < lines.size(); ++i) {
      if (ends[i] - 1 <= cut) expected.insert(lines[i]);
    }
    const bool at_boundary = cut == 0 || full[cut - 1] == '\n' ||
                             (cut < full.size() && full[cut] == '\n');
    ASSERT_LT(import.exit_code, 128)
        << "cut at " << cut << ": the CLI crashed\n"
        << import.err;
    if (at_boundary) {
      EXPECT_EQ(import.exit_code, 0) << "cut at " << cut << ": " << import.err;
      ++clean;
    } else {
      EXPECT_EQ(import.exit_code, 5) << "cut at " << cut << ": " << import.err;
      EXPECT_NE(import.err.find(absl::StrCat("stdin:")), std::string::npos)
          << "cut at " << cut << ": the error names no line: " << import.err;
      ++refused;
    }
    if (cut == 0 && import.exit_code != 0) continue;  // Nothing was created.
    Result exported = RunCli(dir, {"--db", db, "export"}, "");
    ASSERT_EQ(exported.exit_code, 0) << exported.err;
    EXPECT_EQ(NonEmptyLines(exported.out), expected)
        << "cut at " << cut << ": the store is not the lines before the cut";
  }
  std::printf(
      "RESULT truncated_import_test: %zu cuts of a %zu-byte, %zu-line export: "
      "%d imported cleanly, %d refused naming the line, 0 crashes, every "
      "store held exactly the complete lines\n",
      cuts.size(), full.size(), lines.size(), clean, refused);
}

}  // namespace
}  // namespace sessionlog

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (argc < 2) {
    std::fprintf(stderr, "usage: truncated_import_test PATH_TO_SESSIONLOG\n");
    return 2;
  }
  sessionlog::g_cli = argv[1];
  return RUN_ALL_TESTS();
}
