// The commands, each defined in its cmd_<name>.cc. AllCommands() (in
// commands.cc) lists them for the frame; declared here for the commands that
// run others (demo).

#ifndef SESSIONLOG_TOOLS_SESSIONLOG_COMMANDS_H_
#define SESSIONLOG_TOOLS_SESSIONLOG_COMMANDS_H_

#include "tools/sessionlog/command.h"

namespace sessionlog {
namespace cli {

extern const Command kDemoCommand;
extern const Command kLsCommand;
extern const Command kShowCommand;
extern const Command kEventsCommand;
extern const Command kTailCommand;
extern const Command kReplayCommand;
extern const Command kExportCommand;
extern const Command kImportCommand;
extern const Command kMigrateCommand;
extern const Command kVerifyCommand;
extern const Command kRepairCommand;
extern const Command kStatsCommand;
extern const Command kCompactCommand;
extern const Command kForkCommand;
extern const Command kRewindCommand;
extern const Command kPruneCommand;
extern const Command kChatCommand;

}  // namespace cli
}  // namespace sessionlog

#endif  // SESSIONLOG_TOOLS_SESSIONLOG_COMMANDS_H_
