// sessionlog: the command-line tool. Everything is in the cli library; this
// only connects it to the process's streams.

#include <unistd.h>

#include <iostream>
#include <string>
#include <vector>

#include "tools/sessionlog/command.h"
#include "version.h"

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  std::vector<std::string> args(argv + 1, argv + argc);
  // The library's version, which is also the one in sessionlog.pc and the
  // CMake package: what an embedder checks an installed CLI against.
  if (args.size() == 1 && (args[0] == "--version" || args[0] == "version")) {
    std::cout << "sessionlog " << sessionlog::kVersion << "\n";
    return std::cout.flush() ? 0 : 1;
  }
  int code = sessionlog::cli::RunMain(args, std::cout, std::cerr, std::cin,
                                      isatty(STDOUT_FILENO) == 1,
                                      isatty(STDERR_FILENO) == 1);
  std::cout.flush();
  return code;
}
