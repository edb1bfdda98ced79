#include "tools/sessionlog/commands.h"

namespace sessionlog {
namespace cli {

std::vector<std::unique_ptr<Command>> AllCommands() {
  std::vector<std::unique_ptr<Command>> all;
  all.push_back(NewDemoCommand());
  all.push_back(NewLsCommand());
  all.push_back(NewShowCommand());
  all.push_back(NewEventsCommand());
  all.push_back(NewTailCommand());
  all.push_back(NewReplayCommand());
  all.push_back(NewExportCommand());
  all.push_back(NewImportCommand());
  all.push_back(NewMigrateCommand());
  all.push_back(NewVerifyCommand());
  all.push_back(NewStatsCommand());
  all.push_back(NewCompactCommand());
  return all;
}

}  // namespace cli
}  // namespace sessionlog
