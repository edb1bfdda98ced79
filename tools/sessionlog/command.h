// The frame every `sessionlog` subcommand fits in, as in RocksDB's ldb: each
// subcommand is a small class with its own help text and examples, run with a
// Context that carries the global options and the output streams.

#ifndef SESSIONLOG_TOOLS_SESSIONLOG_COMMAND_H_
#define SESSIONLOG_TOOLS_SESSIONLOG_COMMAND_H_

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "api/driver.h"
#include "api/options.h"
#include "tools/sessionlog/args.h"
#include "tools/sessionlog/output.h"

namespace sessionlog {
namespace cli {

// Exit codes; docs/CLI.md lists them for users.
enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,           // The operation failed (I/O, backend error).
  kExitUsage = 2,             // Bad command line or store URI.
  kExitStoreUnavailable = 3,  // Store missing, locked, corrupt, or too new.
  kExitNotFound = 4,          // The session named does not exist.
  kExitBadInput = 5,          // Import: a line of the input is invalid.
  kExitVerifyFailed = 6,      // Verify: the store breaks an invariant.
};

// Where the store is when --db is not given (and $SESSIONLOG_DB is unset).
inline constexpr char kDefaultDb[] = "rocksdb:./sessionlog-data";

inline DriverOptions StoreLimits() {
  DriverOptions options;
  options.max_sessions = kLimitFromStore;
  options.max_events_per_session = kLimitFromStore;
  return options;
}

struct GlobalOptions {
  std::string db = kDefaultDb;
  // Without --max-sessions / --max-events-per-session, a command takes the
  // limits the store's writer recorded (rocksdb:), so that inspecting or
  // maintaining a store never clips what the service keeps nor changes its
  // policy; elsewhere the SDK's defaults.
  DriverOptions driver = StoreLimits();
  bool json = false;      // --json: machine-readable output.
  bool color = false;     // Resolved from --color and whether stdout is a TTY.
  bool progress = false;  // Progress bars: stderr is a TTY and not --quiet.
};

class Context {
 public:
  Context(std::ostream& out, std::ostream& err, std::istream& in,
          std::string command, GlobalOptions options)
      : out(out),
        err(err),
        in(in),
        command(std::move(command)),
        options(std::move(options)),
        style(this->options.color) {}

  std::ostream& out;
  std::ostream& err;
  std::istream& in;
  const std::string command;  // e.g. "ls", for messages.
  GlobalOptions options;
  const Style style;

  // How a command uses the store.
  enum class Access {
    kRead,    // Must exist; opened read-only, so a live writer is undisturbed.
    kWrite,   // Must exist; opened for writing.
    kCreate,  // Created if missing; opened for writing.
  };
  absl::StatusOr<std::unique_ptr<SessionPersistDriver>> OpenStore(
      Access access) const;
  absl::StatusOr<std::unique_ptr<SessionPersistDriver>> OpenStore(
      absl::string_view uri, Access access) const;
  // With `driver` options instead of those of the global flags (whose
  // create_if_missing and read_only are still set from `access`).
  absl::StatusOr<std::unique_ptr<SessionPersistDriver>> OpenStore(
      absl::string_view uri, Access access, DriverOptions driver) const;

  // Prints "sessionlog <command>: error: <message>" on err and returns
  // `code`.
  int Fail(absl::string_view message, int code) const;
  int Fail(const absl::Status& status, int code) const;
  // For errors from opening or reading a store: picks the exit code from the
  // status (InvalidArgument: usage; NotFound, FailedPrecondition, DataLoss:
  // store unavailable; otherwise failure).
  int FailStore(const absl::Status& status) const;
  // "warning: ..." on err.
  void Warn(absl::string_view message) const;
};

class Command {
 public:
  struct Spec {
    std::string name;         // "events"
    std::string arguments;    // "ID [--from N] [--limit N]"
    std::string summary;      // One line, for the command list.
    std::string description;  // Paragraphs for --help.
    std::vector<FlagSpec> flags;
    std::vector<std::string> examples;  // Command lines, without "sessionlog".
    size_t min_positional = 0;
    size_t max_positional = 0;
  };

  virtual ~Command() = default;
  virtual const Spec& spec() const = 0;
  // Returns the exit code. Positional counts and flag names are checked
  // before Run is called.
  virtual int Run(Context& ctx, const Args& args) = 0;
};

// Every subcommand, in the order `sessionlog --help` lists them.
std::vector<std::unique_ptr<Command>> AllCommands();

// The flags every command takes.
const std::vector<FlagSpec>& GlobalFlags();

void PrintCommandHelp(const Command::Spec& spec, std::ostream& out);
void PrintMainHelp(const std::vector<std::unique_ptr<Command>>& commands,
                   std::ostream& out);

// The whole program: parses argv, runs the command, returns the exit code.
// `stdout_tty`/`stderr_tty` say whether those streams are terminals.
int RunMain(const std::vector<std::string>& argv, std::ostream& out,
            std::ostream& err, std::istream& in, bool stdout_tty,
            bool stderr_tty);

}  // namespace cli
}  // namespace sessionlog

#endif  // SESSIONLOG_TOOLS_SESSIONLOG_COMMAND_H_
