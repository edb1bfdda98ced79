#include "tools/sessionlog/command.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/open.h"
#include "tools/sessionlog/store_location.h"

namespace sessionlog {
namespace cli {
namespace {

// Levenshtein distance, to suggest the command the user probably meant.
size_t EditDistance(absl::string_view a, absl::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1,
                         diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

void PrintFlags(const std::vector<FlagSpec>& flags, std::ostream& out) {
  std::vector<std::string> names;
  size_t width = 0;
  for (const FlagSpec& flag : flags) {
    std::string name = flag.short_name
                           ? absl::StrCat("-", std::string(1, flag.short_name),
                                          ", --", flag.name)
                           : absl::StrCat("--", flag.name);
    if (!flag.value_name.empty()) absl::StrAppend(&name, " ", flag.value_name);
    width = std::max(width, name.size());
    names.push_back(std::move(name));
  }
  for (size_t i = 0; i < flags.size(); ++i) {
    out << "  " << names[i] << std::string(width - names[i].size() + 2, ' ')
        << flags[i].help << "\n";
  }
}

const Command* FindCommand(absl::string_view name) {
  for (const Command* command : AllCommands()) {
    if (command->name == name) return command;
  }
  return nullptr;
}

constexpr char kExitCodePayload[] = "sessionlog/exit-code";

// The command name: the first word that is neither a flag nor the value of a
// global flag given as "--flag value".
std::optional<size_t> FindCommandWord(const std::vector<std::string>& argv) {
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& arg = argv[i];
    if (arg == "--")
      return i + 1 < argv.size() ? std::optional(i + 1) : std::nullopt;
    if (arg.size() > 1 && arg[0] == '-') {
      if (arg.find('=') != std::string::npos) continue;
      absl::string_view name = absl::string_view(arg).substr(
          arg.size() > 2 && arg[1] == '-' ? 2 : 1);
      for (const FlagSpec& flag : GlobalFlags()) {
        if (flag.name == name && !flag.value_name.empty()) {
          ++i;  // Skip the value.
          break;
        }
      }
      continue;
    }
    return i;
  }
  return std::nullopt;
}

absl::StatusOr<GlobalOptions> ResolveGlobalOptions(const Args& args,
                                                   bool stdout_tty,
                                                   bool stderr_tty) {
  GlobalOptions options;
  if (const char* env = std::getenv("SESSIONLOG_DB"); env && *env) {
    options.db = env;
  }
  if (auto db = args.Get("db")) options.db = *db;
  if (auto n = args.Get("max-sessions")) {
    absl::StatusOr<int64_t> limit = ParseLimit("max-sessions", *n);
    if (!limit.ok()) return limit.status();
    options.driver.max_sessions = *limit;
  }
  if (auto n = args.Get("max-events-per-session")) {
    absl::StatusOr<int64_t> limit = ParseLimit("max-events-per-session", *n);
    if (!limit.ok()) return limit.status();
    options.driver.max_events_per_session = *limit;
  }
  if (auto schema = args.Get("pg-schema")) {
    options.driver.postgres_schema = *schema;
  }
  options.json = args.Has("json");
  std::string color = args.Get("color").value_or("auto");
  if (color == "always") {
    options.color = true;
  } else if (color == "never") {
    options.color = false;
  } else if (color == "auto") {
    const char* no_color = std::getenv("NO_COLOR");
    options.color = stdout_tty && !(no_color && *no_color);
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("--color=", color, ": expected auto, always or never"));
  }
  options.progress = stderr_tty && !args.Has("quiet");
  return options;
}

}  // namespace

const std::vector<FlagSpec>& GlobalFlags() {
  static const auto* flags = new std::vector<FlagSpec>{
      {"db", "URI",
       absl::StrCat("store: rocksdb:PATH, sqlite:FILE, postgresql://..., "
                    "memory: (default $SESSIONLOG_DB, else ",
                    kDefaultDb, ")")},
      {"max-sessions", "N|none",
       "session limit the store is opened with (default: the one its writer "
       "recorded (rocksdb:), else 1024)"},
      {"max-events-per-session", "N|none",
       "per-session event limit the store is opened with (default: the one "
       "its writer recorded (rocksdb:), else 500)"},
      {"pg-schema", "NAME",
       "postgresql:// stores: the schema holding the tables (default public)"},
      {"json", "", "machine-readable JSON output"},
      {"color", "WHEN", "auto (default: only on a terminal), always, never"},
      {"quiet", "", "no progress bars"},
      {"help", "", "show help", 'h'},
  };
  return *flags;
}

absl::Status WithExitCode(absl::Status status, int code) {
  status.SetPayload(kExitCodePayload, absl::Cord(absl::StrCat(code)));
  return status;
}

absl::Status UsageError(absl::string_view message) {
  return WithExitCode(absl::InvalidArgumentError(message), kExitUsage);
}

absl::Status NoSessionError(absl::string_view id, absl::string_view hint) {
  return WithExitCode(
      absl::NotFoundError(absl::StrCat("no session \"", id,
                                       "\" and no events under that id", hint)),
      kExitNotFound);
}

int ExitCodeOf(const absl::Status& status) {
  if (status.ok()) return kExitOk;
  if (auto payload = status.GetPayload(kExitCodePayload)) {
    int code = kExitFailure;
    if (absl::SimpleAtoi(std::string(*payload), &code)) return code;
  }
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
      return kExitUsage;
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kDataLoss:
    case absl::StatusCode::kUnimplemented:
    case absl::StatusCode::kPermissionDenied:
      return kExitStoreUnavailable;
    default:
      return kExitFailure;
  }
}

Context::Context(std::ostream& out, std::ostream& err, std::istream& in,
                 const Command& command, GlobalOptions options, Args args)
    : out(out),
      err(err),
      in(in),
      command(command),
      options(std::move(options)),
      style(this->options.color),
      args(std::move(args)) {}

absl::StatusOr<int64_t> Context::IntFlag(absl::string_view flag,
                                         int64_t fallback, int64_t min,
                                         int64_t max) const {
  std::optional<std::string> text = Get(flag);
  if (!text) return fallback;
  int64_t value = 0;
  if (!absl::SimpleAtoi(*text, &value) || value < min || value > max) {
    return UsageError(absl::StrCat("--", flag, "=", *text,
                                   ": expected an integer from ", min, " to ",
                                   max));
  }
  return value;
}

void Context::Print(const OrderedJson& json, absl::string_view human) {
  if (options.json) {
    out << DumpJson(json) << "\n";
  } else {
    out << human;
  }
}

absl::Status Context::ReopenStore() {
  store_.reset();  // Close before reopening: one instance at a time.
  absl::StatusOr<std::unique_ptr<SessionPersistDriver>> store =
      OpenStore(options.db, command.store);
  if (!store.ok()) return store.status();
  store_ = *std::move(store);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<SessionPersistDriver>> Context::OpenStore(
    absl::string_view uri, StoreAccess access,
    const DriverOptions& driver) const {
  // Every command answers the same about a store it cannot open: 2 for a
  // malformed URI or options, 3 for anything about the store itself.
  absl::StatusOr<StoreUri> parsed = ParseStoreUri(uri);
  if (!parsed.ok()) return WithExitCode(parsed.status(), kExitUsage);
  if (absl::Status s =
          CheckLocation(*parsed, uri, access == StoreAccess::kCreate);
      !s.ok()) {
    return WithExitCode(s, kExitStoreUnavailable);
  }
  DriverOptions opened = driver;
  opened.create_if_missing = access == StoreAccess::kCreate;
  opened.read_only = access == StoreAccess::kRead;
  absl::StatusOr<std::unique_ptr<SessionPersistDriver>> store =
      Open(uri, opened);
  if (store.ok()) return store;
  absl::Status s = store.status();
  if (absl::IsInvalidArgument(s)) return WithExitCode(s, kExitUsage);
  if (absl::IsNotFound(s)) {
    s = absl::NotFoundError(
        absl::StrCat(s.message(),
                     "; check --db, or create one with `sessionlog import` "
                     "or `sessionlog demo --db URI`"));
  }
  return WithExitCode(s, kExitStoreUnavailable);
}

void Context::PrintError(absl::string_view message) const {
  err << "sessionlog " << command.name << ": " << style.Red("error") << ": "
      << Printable(message) << "\n";
}

void Context::Warn(absl::string_view message) const {
  err << "sessionlog " << command.name << ": " << style.Yellow("warning")
      << ": " << Printable(message) << "\n";
}

absl::Status RunCommand(Context& ctx) {
  if (ctx.command.store != StoreAccess::kNone) {
    absl::StatusOr<std::unique_ptr<SessionPersistDriver>> store =
        ctx.OpenStore(ctx.options.db, ctx.command.store);
    if (!store.ok()) return store.status();
    ctx.store_ = *std::move(store);
  }
  return ctx.command.run(ctx);
}

absl::Status RunSubcommand(const Context& parent, const Command& command,
                           const std::vector<std::string>& argv,
                           GlobalOptions options) {
  absl::StatusOr<Args> args = ParseArgs(argv, command.flags);
  if (!args.ok()) return args.status();
  Context ctx(parent.out, parent.err, parent.in, command, std::move(options),
              *std::move(args));
  return RunCommand(ctx);
}

void PrintCommandHelp(const Command& command, std::ostream& out) {
  out << "Usage: sessionlog " << command.name;
  if (!command.arguments.empty()) out << " " << command.arguments;
  out << "\n\n" << command.summary << "\n";
  if (!command.description.empty()) out << "\n" << command.description << "\n";
  if (!command.flags.empty()) {
    out << "\nFlags:\n";
    PrintFlags(command.flags, out);
  }
  out << "\nGlobal flags:\n";
  PrintFlags(GlobalFlags(), out);
  if (!command.examples.empty()) {
    out << "\nExamples:\n";
    for (const std::string& example : command.examples) {
      out << "  sessionlog " << example << "\n";
    }
  }
}

void PrintMainHelp(std::ostream& out) {
  out << "sessionlog: inspect, follow, replay and move sandbox-agent session "
         "stores.\n\n"
      << "Usage: sessionlog [--db URI] COMMAND [FLAGS] [ARGS]\n\nCommands:\n";
  size_t width = 0;
  for (const Command* command : AllCommands()) {
    width = std::max(width, command->name.size());
  }
  for (const Command* command : AllCommands()) {
    out << "  " << command->name
        << std::string(width - command->name.size() + 2, ' ')
        << command->summary << "\n";
  }
  out << "\nGlobal flags:\n";
  PrintFlags(GlobalFlags(), out);
  out << "\nRun `sessionlog COMMAND --help` for a command's flags and "
         "examples.\nExit codes: 0 ok, 1 failure, 2 usage, 3 store "
         "unavailable, 4 session not found, 5 bad input line, 6 verify found "
         "problems.\n";
}

namespace {

// Everything RunMain does but the final check of stdout. `name` gets the
// command's name once it is known, for that check's message.
int RunCommandLine(const std::vector<std::string>& argv, std::ostream& out,
                   std::ostream& err, std::istream& in, bool stdout_tty,
                   bool stderr_tty, std::string& name) {
  std::optional<size_t> word = FindCommandWord(argv);
  const Command* command = nullptr;
  std::vector<std::string> rest = argv;
  if (word) {
    std::string typed = argv[*word];
    if (typed == "help") {  // "sessionlog help ls" is "sessionlog ls --help".
      rest.erase(rest.begin() + *word);
      std::optional<size_t> next = FindCommandWord(rest);
      if (!next) {
        PrintMainHelp(out);
        return kExitOk;
      }
      rest.push_back("--help");
      word = next;
      typed = rest[*word];
    }
    command = FindCommand(typed);
    if (command == nullptr) {
      err << "sessionlog: error: unknown command \"" << Printable(typed)
          << "\"";
      const Command* nearest = nullptr;
      size_t best = 3;  // Suggest only near misses.
      for (const Command* candidate : AllCommands()) {
        size_t d = EditDistance(typed, candidate->name);
        if (d < best) best = d, nearest = candidate;
      }
      if (nearest) err << "; did you mean \"" << nearest->name << "\"?";
      err << "\nRun `sessionlog --help` for the list of commands.\n";
      return kExitUsage;
    }
    name = command->name;
    rest.erase(rest.begin() + *word);
  }
  std::vector<FlagSpec> flags = GlobalFlags();
  if (command) {
    flags.insert(flags.end(), command->flags.begin(), command->flags.end());
  }
  const std::string prefix = command
                                 ? absl::StrCat("sessionlog ", command->name)
                                 : std::string("sessionlog");
  absl::StatusOr<Args> args = ParseArgs(rest, flags);
  if (!args.ok()) {
    err << prefix << ": error: " << Printable(args.status().message())
        << "\nRun `" << prefix << " --help` for usage.\n";
    return kExitUsage;
  }
  if (command == nullptr) {
    if (args->Has("help")) {
      PrintMainHelp(out);
      return kExitOk;
    }
    PrintMainHelp(err);
    return kExitUsage;
  }
  if (args->Has("help")) {
    PrintCommandHelp(*command, out);
    return kExitOk;
  }
  size_t n = args->positional().size();
  if (n < command->min_positional || n > command->max_positional) {
    if (n > command->max_positional) {
      err << prefix << ": error: unexpected argument \""
          << Printable(args->positional()[command->max_positional]) << "\"";
    } else {
      err << prefix << ": error: missing argument";
    }
    err << "\nUsage: " << prefix << " " << command->arguments << "\n";
    return kExitUsage;
  }
  absl::StatusOr<GlobalOptions> options =
      ResolveGlobalOptions(*args, stdout_tty, stderr_tty);
  if (!options.ok()) {
    err << prefix << ": error: " << Printable(options.status().message())
        << "\n";
    return kExitUsage;
  }
  Context ctx(out, err, in, *command, *std::move(options), *std::move(args));
  absl::Status status = RunCommand(ctx);
  if (!status.ok() && !status.message().empty()) {
    ctx.PrintError(status.message());
  }
  return ExitCodeOf(status);
}

}  // namespace

absl::Status CheckOutput(std::ostream& out) {
  errno = 0;
  out.flush();
  if (out) return absl::OkStatus();
  int error = errno;
  return absl::UnknownError(absl::StrCat(
      "cannot write the output",
      error != 0 ? absl::StrCat(": ", std::strerror(error)) : std::string(),
      " (some of it may be missing)"));
}

int RunMain(const std::vector<std::string>& argv, std::ostream& out,
            std::ostream& err, std::istream& in, bool stdout_tty,
            bool stderr_tty) {
  std::string name;
  int code = RunCommandLine(argv, out, err, in, stdout_tty, stderr_tty, name);
  // Output that did not reach its destination is a failure, whatever the
  // command did: a script must not take a truncated listing for a whole one.
  if (absl::Status s = CheckOutput(out); !s.ok()) {
    err << (name.empty() ? "sessionlog" : absl::StrCat("sessionlog ", name))
        << ": error: " << s.message() << "\n";
    if (code == kExitOk) code = kExitFailure;
  }
  return code;
}

}  // namespace cli
}  // namespace sessionlog
