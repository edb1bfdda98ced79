// sessionlog: the command-line tool. Everything is in the cli library; this
// only connects it to the process's streams.

#include <unistd.h>

#include <iostream>
#include <string>
#include <vector>

#include "tools/sessionlog/command.h"

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  std::vector<std::string> args(argv + 1, argv + argc);
  int code = sessionlog::cli::RunMain(args, std::cout, std::cerr, std::cin,
                                      isatty(STDOUT_FILENO) == 1,
                                      isatty(STDERR_FILENO) == 1);
  std::cout.flush();
  return code;
}
