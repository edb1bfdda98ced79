#include "tools/sessionlog/command.h"

#include <algorithm>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/open.h"

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

Command* FindCommand(const std::vector<std::unique_ptr<Command>>& all,
                     absl::string_view name) {
  for (const auto& command : all) {
    if (command->spec().name == name) return command.get();
  }
  return nullptr;
}

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

absl::StatusOr<std::unique_ptr<SessionPersistDriver>> Context::OpenStore(
    Access access) const {
  return OpenStore(options.db, access);
}

absl::StatusOr<std::unique_ptr<SessionPersistDriver>> Context::OpenStore(
    absl::string_view uri, Access access) const {
  return OpenStore(uri, access, options.driver);
}

absl::StatusOr<std::unique_ptr<SessionPersistDriver>> Context::OpenStore(
    absl::string_view uri, Access access, DriverOptions driver) const {
  driver.create_if_missing = access == Access::kCreate;
  driver.read_only = access == Access::kRead;
  absl::StatusOr<std::unique_ptr<SessionPersistDriver>> store =
      Open(uri, driver);
  if (!store.ok() && store.status().code() == absl::StatusCode::kNotFound) {
    return absl::NotFoundError(
        absl::StrCat(store.status().message(),
                     "; check --db, or create one with `sessionlog import` "
                     "or `sessionlog demo --db URI`"));
  }
  return store;
}

int Context::Fail(absl::string_view message, int code) const {
  err << "sessionlog " << command << ": " << style.Red("error") << ": "
      << message << "\n";
  return code;
}

int Context::Fail(const absl::Status& status, int code) const {
  return Fail(status.message(), code);
}

int Context::FailStore(const absl::Status& status) const {
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
      return Fail(status, kExitUsage);
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kDataLoss:
    case absl::StatusCode::kUnimplemented:
      return Fail(status, kExitStoreUnavailable);
    default:
      return Fail(status, kExitFailure);
  }
}

void Context::Warn(absl::string_view message) const {
  err << "sessionlog " << command << ": " << style.Yellow("warning") << ": "
      << message << "\n";
}

void PrintCommandHelp(const Command::Spec& spec, std::ostream& out) {
  out << "Usage: sessionlog " << spec.name;
  if (!spec.arguments.empty()) out << " " << spec.arguments;
  out << "\n\n" << spec.summary << "\n";
  if (!spec.description.empty()) out << "\n" << spec.description << "\n";
  if (!spec.flags.empty()) {
    out << "\nFlags:\n";
    PrintFlags(spec.flags, out);
  }
  out << "\nGlobal flags:\n";
  PrintFlags(GlobalFlags(), out);
  if (!spec.examples.empty()) {
    out << "\nExamples:\n";
    for (const std::string& example : spec.examples) {
      out << "  sessionlog " << example << "\n";
    }
  }
}

void PrintMainHelp(const std::vector<std::unique_ptr<Command>>& commands,
                   std::ostream& out) {
  out << "sessionlog: inspect, follow, replay and move sandbox-agent session "
         "stores.\n\n"
      << "Usage: sessionlog [--db URI] COMMAND [FLAGS] [ARGS]\n\nCommands:\n";
  size_t width = 0;
  for (const auto& command : commands) {
    width = std::max(width, command->spec().name.size());
  }
  for (const auto& command : commands) {
    const Command::Spec& spec = command->spec();
    out << "  " << spec.name << std::string(width - spec.name.size() + 2, ' ')
        << spec.summary << "\n";
  }
  out << "\nGlobal flags:\n";
  PrintFlags(GlobalFlags(), out);
  out << "\nRun `sessionlog COMMAND --help` for a command's flags and "
         "examples.\nExit codes: 0 ok, 1 failure, 2 usage, 3 store "
         "unavailable, 4 session not found, 5 bad input line, 6 verify found "
         "problems.\n";
}

int RunMain(const std::vector<std::string>& argv, std::ostream& out,
            std::ostream& err, std::istream& in, bool stdout_tty,
            bool stderr_tty) {
  std::vector<std::unique_ptr<Command>> commands = AllCommands();
  std::optional<size_t> word = FindCommandWord(argv);
  Command* command = nullptr;
  std::vector<std::string> rest = argv;
  if (word) {
    std::string name = argv[*word];
    if (name == "help") {  // "sessionlog help ls" is "sessionlog ls --help".
      rest.erase(rest.begin() + *word);
      std::optional<size_t> next = FindCommandWord(rest);
      if (!next) {
        PrintMainHelp(commands, out);
        return kExitOk;
      }
      rest.push_back("--help");
      word = next;
      name = rest[*word];
    }
    command = FindCommand(commands, name);
    if (command == nullptr) {
      err << "sessionlog: error: unknown command \"" << name << "\"";
      const Command* nearest = nullptr;
      size_t best = 3;  // Suggest only near misses.
      for (const auto& candidate : commands) {
        size_t d = EditDistance(name, candidate->spec().name);
        if (d < best) best = d, nearest = candidate.get();
      }
      if (nearest) err << "; did you mean \"" << nearest->spec().name << "\"?";
      err << "\nRun `sessionlog --help` for the list of commands.\n";
      return kExitUsage;
    }
    rest.erase(rest.begin() + *word);
  }
  std::vector<FlagSpec> flags = GlobalFlags();
  if (command) {
    flags.insert(flags.end(), command->spec().flags.begin(),
                 command->spec().flags.end());
  }
  const std::string prefix =
      command ? absl::StrCat("sessionlog ", command->spec().name)
              : std::string("sessionlog");
  absl::StatusOr<Args> args = ParseArgs(rest, flags);
  if (!args.ok()) {
    err << prefix << ": error: " << args.status().message() << "\nRun `"
        << prefix << " --help` for usage.\n";
    return kExitUsage;
  }
  if (command == nullptr) {
    if (args->Has("help")) {
      PrintMainHelp(commands, out);
      return kExitOk;
    }
    PrintMainHelp(commands, err);
    return kExitUsage;
  }
  const Command::Spec& spec = command->spec();
  if (args->Has("help")) {
    PrintCommandHelp(spec, out);
    return kExitOk;
  }
  size_t n = args->positional().size();
  if (n < spec.min_positional || n > spec.max_positional) {
    if (n > spec.max_positional) {
      err << prefix << ": error: unexpected argument \""
          << args->positional()[spec.max_positional] << "\"";
    } else {
      err << prefix << ": error: missing argument";
    }
    err << "\nUsage: " << prefix << " " << spec.arguments << "\n";
    return kExitUsage;
  }
  absl::StatusOr<GlobalOptions> options =
      ResolveGlobalOptions(*args, stdout_tty, stderr_tty);
  if (!options.ok()) {
    err << prefix << ": error: " << options.status().message() << "\n";
    return kExitUsage;
  }
  Context ctx(out, err, in, spec.name, *std::move(options));
  return command->Run(ctx, *args);
}

}  // namespace cli
}  // namespace sessionlog
