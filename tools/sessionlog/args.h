// The command line of `sessionlog`: a small hand parser, so that every mistake
// gets a message that names the flag or command at fault (absl::flags would
// exit on its own terms and knows nothing of subcommands).
//
//   sessionlog [GLOBAL FLAGS] COMMAND [FLAGS] [ARGS]
//
// Flags may appear anywhere after the program name, as --name=value,
// --name value, or (for the few that have one) a single-letter form such as
// -f. "--" ends the flags; everything after it is positional.

#ifndef SESSIONLOG_TOOLS_SESSIONLOG_ARGS_H_
#define SESSIONLOG_TOOLS_SESSIONLOG_ARGS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace sessionlog {
namespace cli {

struct FlagSpec {
  std::string name;        // Without the dashes, e.g. "max-events".
  std::string value_name;  // Empty for a boolean flag, e.g. "N" otherwise.
  std::string help;
  char short_name = 0;  // e.g. 'f' for -f; 0 for none.
};

// The flags and arguments of one invocation, after parsing.
class Args {
 public:
  const std::vector<std::string>& positional() const { return positional_; }
  bool Has(absl::string_view flag) const;
  // The value of a valued flag, or nullopt if it was not given.
  std::optional<std::string> Get(absl::string_view flag) const;
  // A non-negative integer flag; InvalidArgument naming the flag otherwise.
  absl::StatusOr<int64_t> GetInt(absl::string_view flag,
                                 int64_t default_value) const;

  // For the parser.
  void AddPositional(std::string value) {
    positional_.push_back(std::move(value));
  }
  void SetFlag(std::string name, std::string value) {
    flags_[std::move(name)] = std::move(value);
  }

 private:
  std::vector<std::string> positional_;
  std::map<std::string, std::string, std::less<>> flags_;
};

// Parses argv[1..] against `flags` (the global flags and the command's).
// The command name, if present, is the first positional. InvalidArgument,
// naming the flag, for an unknown flag, a missing value, or a value given to
// a boolean flag.
absl::StatusOr<Args> ParseArgs(const std::vector<std::string>& argv,
                               const std::vector<FlagSpec>& flags);

// Parses a limit: a non-negative integer, or "none" (returned as 0, which is
// kNoLimit). InvalidArgument naming `flag` otherwise.
absl::StatusOr<int64_t> ParseLimit(absl::string_view flag,
                                   absl::string_view text);

}  // namespace cli
}  // namespace sessionlog

#endif  // SESSIONLOG_TOOLS_SESSIONLOG_ARGS_H_
