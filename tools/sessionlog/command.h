// The frame every `sessionlog` command runs in.
//
// A command is a Command: its name, help, flags and examples, how it uses the
// store, and a body. The frame (RunMain) does the rest, the same way for every
// command:
//   1. parses the command line against the global flags and the command's;
//   2. opens the store the command asks for (read-only, for writing, or
//      created), so a body starts with ctx.store();
//   3. runs the body, which prints through ctx.Print (JSON with --json, the
//      human form otherwise) and returns an absl::Status;
//   4. turns that Status into one line on stderr and the exit code
//      (ExitCodeOf), and checks that stdout took every byte.
//
// Adding a command: write cmd_<name>.cc defining
//   extern const Command k<Name>Command = {...};
// and add it to the table in commands.cc.

#ifndef SESSIONLOG_TOOLS_SESSIONLOG_COMMAND_H_
#define SESSIONLOG_TOOLS_SESSIONLOG_COMMAND_H_

#include <cstdint>
#include <iostream>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
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

// A failed body's Status carries its exit code as a payload.
absl::Status WithExitCode(absl::Status status, int code);
// A bad command line: exit 2.
absl::Status UsageError(absl::string_view message);
// No record and no events under `id`: exit 4. `hint` follows the message.
absl::Status NoSessionError(absl::string_view id, absl::string_view hint = "");
// The exit code of a failed body: the code it carries, else one from the
// status code as for a store's errors (InvalidArgument: usage; NotFound,
// FailedPrecondition, DataLoss, Unimplemented, PermissionDenied: store
// unavailable; anything else: failure). kExitOk for OK.
int ExitCodeOf(const absl::Status& status);

// The default of a --limit: no limit.
inline constexpr int64_t kAllRows = std::numeric_limits<int64_t>::max();

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

// How a command uses the store named by --db.
enum class StoreAccess {
  kNone,    // The frame opens nothing; the body opens what it needs.
  kRead,    // Must exist; opened read-only, so a live writer is undisturbed.
  kWrite,   // Must exist; opened for writing.
  kCreate,  // Created if missing; opened for writing.
};

class Context;

struct Command {
  std::string name;         // "events"
  std::string arguments;    // "ID [--from N] [--limit N]"
  std::string summary;      // One line, for the command list.
  std::string description;  // Paragraphs for --help.
  std::vector<FlagSpec> flags;
  std::vector<std::string> examples;  // Command lines, without "sessionlog".
  size_t min_positional = 0;
  size_t max_positional = 0;
  StoreAccess store = StoreAccess::kNone;
  // The body. Positional counts and flag names are checked, and the store is
  // open, before it runs.
  absl::Status (*run)(Context& ctx) = nullptr;
};

// What a body works with: the parsed command line, the store, the streams.
class Context {
 public:
  Context(std::ostream& out, std::ostream& err, std::istream& in,
          const Command& command, GlobalOptions options, Args args);

  std::ostream& out;
  std::ostream& err;
  std::istream& in;
  const Command& command;
  GlobalOptions options;
  const Style style;
  const Args args;

  // The store of --db, opened as command.store says.
  SessionPersistDriver& store() const { return *store_; }
  // Closes the store and opens it again the same way (what tail -f does to
  // see another process's writes).
  absl::Status ReopenStore();

  // The i-th positional argument; the frame has checked that it exists.
  const std::string& arg(size_t i) const { return args.positional()[i]; }
  bool Has(absl::string_view flag) const { return args.Has(flag); }
  std::optional<std::string> Get(absl::string_view flag) const {
    return args.Get(flag);
  }
  // An integer flag in [min, max], or `fallback` when it is absent. A usage
  // error naming the flag and the range otherwise.
  absl::StatusOr<int64_t> IntFlag(
      absl::string_view flag, int64_t fallback, int64_t min = 0,
      int64_t max = std::numeric_limits<int64_t>::max()) const;

  // --json prints `json` on one line; otherwise `human`, which must end in a
  // newline unless empty. (A body that builds rows builds only the form
  // json() asks for.)
  void Print(const OrderedJson& json, absl::string_view human);
  bool json() const { return options.json; }

  // Opens the store at `uri` (not necessarily --db) with `driver` options;
  // create_if_missing and read_only follow `access`. A failure carries its
  // exit code: usage for a malformed URI or options, store unavailable for
  // everything else.
  absl::StatusOr<std::unique_ptr<SessionPersistDriver>> OpenStore(
      absl::string_view uri, StoreAccess access,
      const DriverOptions& driver) const;
  absl::StatusOr<std::unique_ptr<SessionPersistDriver>> OpenStore(
      absl::string_view uri, StoreAccess access) const {
    return OpenStore(uri, access, options.driver);
  }

  // "sessionlog <command>: warning: ..." on err.
  void Warn(absl::string_view message) const;
  // "sessionlog <command>: error: ..." on err.
  void PrintError(absl::string_view message) const;

 private:
  friend absl::Status RunCommand(Context& ctx);
  std::unique_ptr<SessionPersistDriver> store_;
};

// Opens the store the command asks for, then runs its body.
absl::Status RunCommand(Context& ctx);

// Runs `command` as if typed with `argv` (its flags and arguments), with the
// streams of `parent` and `options`: for a command that shows what others
// print (demo).
absl::Status RunSubcommand(const Context& parent, const Command& command,
                           const std::vector<std::string>& argv,
                           GlobalOptions options);

// Every command, in the order `sessionlog --help` lists them (commands.cc).
const std::vector<const Command*>& AllCommands();

// The flags every command takes.
const std::vector<FlagSpec>& GlobalFlags();

void PrintCommandHelp(const Command& command, std::ostream& out);
void PrintMainHelp(std::ostream& out);

// Flushes `out`; an error naming the cause if any of it could not be
// written (a full disk, a closed pipe).
absl::Status CheckOutput(std::ostream& out);

// The whole program: parses argv, runs the command, returns the exit code.
// `stdout_tty`/`stderr_tty` say whether those streams are terminals.
int RunMain(const std::vector<std::string>& argv, std::ostream& out,
            std::ostream& err, std::istream& in, bool stdout_tty,
            bool stderr_tty);

}  // namespace cli
}  // namespace sessionlog

#endif  // SESSIONLOG_TOOLS_SESSIONLOG_COMMAND_H_
