// One factory per subcommand; each lives in its own cmd_<name>.cc.

#ifndef SESSIONLOG_TOOLS_SESSIONLOG_COMMANDS_H_
#define SESSIONLOG_TOOLS_SESSIONLOG_COMMANDS_H_

#include <memory>

#include "tools/sessionlog/command.h"

namespace sessionlog {
namespace cli {

std::unique_ptr<Command> NewDemoCommand();
std::unique_ptr<Command> NewLsCommand();
std::unique_ptr<Command> NewShowCommand();
std::unique_ptr<Command> NewEventsCommand();
std::unique_ptr<Command> NewTailCommand();
std::unique_ptr<Command> NewReplayCommand();
std::unique_ptr<Command> NewExportCommand();
std::unique_ptr<Command> NewImportCommand();
std::unique_ptr<Command> NewMigrateCommand();
std::unique_ptr<Command> NewVerifyCommand();
std::unique_ptr<Command> NewStatsCommand();
std::unique_ptr<Command> NewCompactCommand();

}  // namespace cli
}  // namespace sessionlog

#endif  // SESSIONLOG_TOOLS_SESSIONLOG_COMMANDS_H_
