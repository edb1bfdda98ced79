#include "tools/sessionlog/args.h"

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace sessionlog {
namespace cli {
namespace {

const FlagSpec* FindFlag(const std::vector<FlagSpec>& flags,
                         absl::string_view name) {
  for (const FlagSpec& flag : flags) {
    if (flag.name == name) return &flag;
  }
  return nullptr;
}

const FlagSpec* FindShortFlag(const std::vector<FlagSpec>& flags, char name) {
  for (const FlagSpec& flag : flags) {
    if (flag.short_name != 0 && flag.short_name == name) return &flag;
  }
  return nullptr;
}

}  // namespace

bool Args::Has(absl::string_view flag) const {
  return flags_.find(flag) != flags_.end();
}

std::optional<std::string> Args::Get(absl::string_view flag) const {
  auto it = flags_.find(flag);
  if (it == flags_.end()) return std::nullopt;
  return it->second;
}

absl::StatusOr<int64_t> Args::GetInt(absl::string_view flag,
                                     int64_t default_value) const {
  std::optional<std::string> text = Get(flag);
  if (!text) return default_value;
  int64_t value = 0;
  if (!absl::SimpleAtoi(*text, &value) || value < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--", flag, "=", *text, ": expected a non-negative integer"));
  }
  return value;
}

absl::StatusOr<Args> ParseArgs(const std::vector<std::string>& argv,
                               const std::vector<FlagSpec>& flags) {
  Args args;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& arg = argv[i];
    if (arg == "--") {
      for (++i; i < argv.size(); ++i) args.AddPositional(argv[i]);
      break;
    }
    const FlagSpec* spec = nullptr;
    std::optional<std::string> inline_value;
    std::string shown;  // The flag as the user typed it, for messages.
    if (absl::StartsWith(arg, "--") && arg.size() > 2) {
      absl::string_view body = absl::string_view(arg).substr(2);
      size_t eq = body.find('=');
      absl::string_view name = body.substr(0, eq);
      if (eq != absl::string_view::npos) {
        inline_value = std::string(body.substr(eq + 1));
      }
      shown = absl::StrCat("--", name);
      spec = FindFlag(flags, name);
    } else if (arg.size() == 2 && arg[0] == '-' && arg[1] != '-') {
      shown = arg;
      spec = FindShortFlag(flags, arg[1]);
    } else {
      // "-" alone is a positional (stdin), as are ordinary words.
      args.AddPositional(arg);
      continue;
    }
    if (spec == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag ", shown));
    }
    if (spec->value_name.empty()) {
      if (inline_value) {
        return absl::InvalidArgumentError(
            absl::StrCat(shown, " takes no value"));
      }
      args.SetFlag(spec->name, "");
      continue;
    }
    if (!inline_value) {
      if (i + 1 >= argv.size()) {
        return absl::InvalidArgumentError(absl::StrCat(
            shown, " needs a value (", shown, " ", spec->value_name, ")"));
      }
      inline_value = argv[++i];
    }
    args.SetFlag(spec->name, *inline_value);
  }
  return args;
}

absl::StatusOr<int64_t> ParseLimit(absl::string_view flag,
                                   absl::string_view text) {
  if (text == "none") return 0;
  int64_t value = 0;
  if (!absl::SimpleAtoi(text, &value) || value < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--", flag, "=", text, ": expected a positive integer or \"none\""));
  }
  return value;
}

}  // namespace cli
}  // namespace sessionlog
