#include "tools/sessionlog/commands.h"

namespace sessionlog {
namespace cli {

// The command table: every command, in the order `sessionlog --help` lists
// them. A new command is one entry here (and its declaration in commands.h).
const std::vector<const Command*>& AllCommands() {
  // clang-format off
  static const auto* all = new std::vector<const Command*>{
      &kDemoCommand,
      &kLsCommand,
      &kShowCommand,
      &kEventsCommand,
      &kTailCommand,
      &kReplayCommand,
      &kExportCommand,
      &kImportCommand,
      &kMigrateCommand,
      &kVerifyCommand,
      &kRepairCommand,
      &kStatsCommand,
      &kCompactCommand,
      &kForkCommand,
      &kRewindCommand,
      &kPruneCommand,
      &kChatCommand,
  };
  // clang-format on
  return *all;
}

}  // namespace cli
}  // namespace sessionlog
