// sessionlog: the command-line tool. Everything is in the cli library; this
// only connects it to the process's streams.

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "tools/sessionlog/command.h"
#include "version.h"

namespace {

bool CloseStdout() {
  std::cout.flush();
  if (close(STDOUT_FILENO) == 0 || errno == EBADF) return true;
  std::cerr << "sessionlog: error: cannot write the output: "
            << std::strerror(errno) << "\n";
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  std::vector<std::string> args(argv + 1, argv + argc);
  // The library's version, which is also the one in sessionlog.pc and the
  // CMake package: what an embedder checks an installed CLI against.
  if (args.size() == 1 && (args[0] == "--version" || args[0] == "version")) {
    std::cout << "sessionlog " << sessionlog::kVersion << "\n";
    if (!sessionlog::cli::CheckOutput(std::cout).ok()) return 1;
    return CloseStdout() ? 0 : 1;
  }
  // RunMain flushes stdout and checks it; what is left is closing it, which
  // on some file systems is when a write error shows.
  int code = sessionlog::cli::RunMain(args, std::cout, std::cerr, std::cin,
                                      isatty(STDOUT_FILENO) == 1,
                                      isatty(STDERR_FILENO) == 1);
  if (!CloseStdout() && code == 0) code = 1;
  return code;
}
