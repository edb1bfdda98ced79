// The sessionlog CLI on a real pseudo-terminal, under tmux: what only shows
// on a terminal (progress bars, colour) and following a live session with
// tail -f while another process writes it.

#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cli/cli_runner.h"

namespace sessionlog {
namespace cli_test {
namespace {

using ::testing::HasSubstr;

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

// Runs `command` and returns its stdout; -1 exit codes are test failures.
std::string Shell(const std::string& command, int* exit_code = nullptr) {
  std::string out;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return out;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  int status = pclose(pipe);
  if (exit_code) *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

// A private tmux server with one window running one shell command. The pane
// stays after the command ends and shows "[exit N]".
class Tmux {
 public:
  explicit Tmux(const std::string& command) {
    // A socket path must be short (sun_path), so not under $TEST_TMPDIR.
    char dir[] = "/tmp/sl-tmux-XXXXXX";
    dir_ = mkdtemp(dir) ? dir : "/tmp";
    socket_ = dir_ + "/s";
    std::string wrapped =
        absl::StrCat("cd ", ShellQuote(FreshDir("pty")), " && TZ=UTC ", command,
                     "; echo \"[exit $?]\"; sleep 600");
    int code = 0;
    std::string out = Shell(
        absl::StrCat("tmux -S ", socket_, " new-session -d -x 220 -y 50 -s t ",
                     ShellQuote(wrapped)),
        &code);
    started_ = code == 0;
    EXPECT_TRUE(started_) << "tmux could not start (is tmux installed? "
                             "tools/scripts/install-deps.sh installs it): "
                          << out;
  }
  ~Tmux() {
    Shell(absl::StrCat("tmux -S ", socket_, " kill-server"));
    rmdir(dir_.c_str());
  }

  // The visible screen; with `escapes`, colour and attributes as ANSI codes.
  std::string Screen(bool escapes = false) const {
    return Shell(absl::StrCat("tmux -S ", socket_, " capture-pane -p -J ",
                              escapes ? "-e " : "", "-t t"));
  }

  // Waits up to `seconds` for `text` to be on the screen.
  bool WaitFor(const std::string& text, int seconds = 20) const {
    for (int i = 0; i < seconds * 20; ++i) {
      if (absl::StrContains(Screen(), text)) return true;
      usleep(50 * 1000);
    }
    return false;
  }

  void SendKeys(const std::string& keys) const {
    Shell(absl::StrCat("tmux -S ", socket_, " send-keys -t t ", keys));
  }

  bool started() const { return started_; }

 private:
  std::string dir_, socket_;
  bool started_ = false;
};

std::string Cli() { return ShellQuote(SessionlogPath()); }

std::string EventLine(int index, const std::string& text) {
  return absl::StrFormat(
      R"({"event":{"id":"e%d","eventIndex":%d,"sessionId":"s-alpha","createdAt":%d,"connectionId":"c","sender":"agent","payload":{"jsonrpc":"2.0","method":"session/update","params":{"update":{"sessionUpdate":"agent_message_chunk","content":{"type":"text","text":"%s"}}}}}})",
      index, index, 1700000010000 + index, text);
}

class CliPtyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("TERM", "xterm-256color", 0);
    db_ = "rocksdb:" + FreshDir("store") + "/db";
  }
  std::string db_;
};

TEST_F(CliPtyTest, ProgressBarsShowRateAndEtaOnlyOnATerminal) {
  // Enough lines that the bar is drawn while the import runs.
  std::string file = FreshDir("big") + "/big.jsonl";
  {
    std::ofstream out(file);
    out << R"({"session":{"id":"s-alpha","agent":"mock","lastConnectionId":"c","createdAt":1}})"
        << "\n";
    for (int i = 1; i <= 20000; ++i) out << EventLine(i, "chunk") << "\n";
  }
  std::string db = ShellQuote(db_);
  Tmux tmux(absl::StrCat(
      Cli(), " --db ", db, " --max-events-per-session none import ",
      ShellQuote(file), " && ", Cli(), " --db ", db,
      " --max-events-per-session none export --output ",
      ShellQuote(file + ".out"), " && ", Cli(), " --db ", db, " verify && ",
      Cli(), " --db ", db, " compact && ", Cli(), " migrate --from ", db,
      " --to ", ShellQuote(db_ + "-copy")));
  ASSERT_TRUE(tmux.started());
  ASSERT_TRUE(tmux.WaitFor("[exit ", 120)) << tmux.Screen();
  std::string screen = tmux.Screen();
  EXPECT_THAT(screen, HasSubstr("[exit 0]"));
  EXPECT_THAT(screen, HasSubstr("import  [########################] 100%"));
  EXPECT_THAT(screen, HasSubstr("MiB/s  ETA 0:00"));
  EXPECT_THAT(screen, HasSubstr("export  [########################] 100%  "
                                "20,000/20,000"));
  EXPECT_THAT(screen, HasSubstr("events/s"));
  EXPECT_THAT(screen, HasSubstr("verify  [########################] 100%  "
                                "1/1"));
  EXPECT_THAT(screen, HasSubstr("compact  working  elapsed 0:0"));
  EXPECT_THAT(screen, HasSubstr("exported 1 sessions, 20000 events"));
  EXPECT_THAT(screen, HasSubstr("migrate  [########################] 100%  "
                                "20,000/20,000"));
  EXPECT_THAT(screen, HasSubstr("copied 1 sessions and 20000 events"));

  // The same import into a pipe draws nothing.
  CliResult piped = RunCli({"--db", db_, "import", file});
  EXPECT_EQ(piped.exit_code, 0) << piped.err;
  EXPECT_EQ(piped.err, "");
}

TEST_F(CliPtyTest, ColourOnlyOnATerminal) {
  ASSERT_EQ(
      RunCli({"--db", db_, "import", TestdataPath("sessions.jsonl")}).exit_code,
      0);
  Tmux tmux(absl::StrCat(Cli(), " --db ", ShellQuote(db_), " ls"));
  ASSERT_TRUE(tmux.WaitFor("[exit 0]")) << tmux.Screen();
  EXPECT_THAT(tmux.Screen(/*escapes=*/true), HasSubstr("\x1b[1mID"));
  Tmux no_color(
      absl::StrCat("NO_COLOR=1 ", Cli(), " --db ", ShellQuote(db_), " ls"));
  ASSERT_TRUE(no_color.WaitFor("[exit 0]")) << no_color.Screen();
  EXPECT_THAT(no_color.Screen(true), ::testing::Not(HasSubstr("\x1b[1mID")));
}

TEST_F(CliPtyTest, TailFollowsWhatAnotherProcessWrites) {
  ASSERT_EQ(
      RunCli({"--db", db_, "import", TestdataPath("sessions.jsonl")}).exit_code,
      0);
  Tmux tmux(absl::StrCat(Cli(), " --db ", ShellQuote(db_),
                         " tail s-alpha -f --interval 100"));
  ASSERT_TRUE(tmux.WaitFor("stopReason: end_turn")) << tmux.Screen();

  // Another process appends; tail never holds the store, so the writer is
  // not refused, and the new events show up in order.
  CliResult w = RunCli({"--db", db_, "import", "-"},
                       EventLine(4, "first follow-up") + "\n");
  ASSERT_EQ(w.exit_code, 0) << w.err;
  ASSERT_TRUE(tmux.WaitFor("first follow-up")) << tmux.Screen();
  w = RunCli({"--db", db_, "import", "-"},
             EventLine(5, "second") + "\n" + EventLine(6, "third") + "\n");
  ASSERT_EQ(w.exit_code, 0) << w.err;
  ASSERT_TRUE(tmux.WaitFor("third")) << tmux.Screen();
  std::string screen = tmux.Screen();
  EXPECT_LT(screen.find("first follow-up"), screen.find("second"));
  EXPECT_LT(screen.find("second"), screen.find("third"));
  EXPECT_EQ(screen.find("third"), screen.rfind("third"));  // Printed once.

  tmux.SendKeys("C-c");  // Ctrl-C ends a follow cleanly.
  EXPECT_TRUE(tmux.WaitFor("[exit 0]")) << tmux.Screen();
}

}  // namespace
}  // namespace cli_test
}  // namespace sessionlog
