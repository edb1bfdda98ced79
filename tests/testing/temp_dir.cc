#include "tests/testing/temp_dir.h"

#include <stdlib.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <system_error>

namespace sessionlog {

std::string MakeTempDirectory(const std::string& prefix) {
  const char* base = std::getenv("TEST_TMPDIR");
  if (base == nullptr || *base == '\0') base = std::getenv("TMPDIR");
  if (base == nullptr || *base == '\0') base = "/tmp";
  std::string pattern = std::string(base) + "/" + prefix + ".XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    std::perror(("mkdtemp " + pattern).c_str());
    std::abort();
  }
  return pattern;
}

TempDir::TempDir(const std::string& prefix)
    : path_(MakeTempDirectory(prefix)) {}

TempDir::~TempDir() { RemoveTree(path_); }

std::string TempDir::Sub(const std::string& name) const {
  return path_ + "/" + name;
}

void RemoveTree(const std::string& path) {
  std::error_code ignored;
  std::filesystem::remove_all(path, ignored);
}

}  // namespace sessionlog
