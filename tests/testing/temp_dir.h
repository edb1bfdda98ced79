// Scratch directories for tests and benchmarks: under $TEST_TMPDIR (set by
// `bazel test`), else $TMPDIR, else /tmp.

#ifndef SESSIONLOG_TESTS_TESTING_TEMP_DIR_H_
#define SESSIONLOG_TESTS_TESTING_TEMP_DIR_H_

#include <string>

namespace sessionlog {

// A fresh, empty directory "<base>/<prefix>.XXXXXX" that the caller owns and
// that is not removed (Bazel removes $TEST_TMPDIR). Aborts the process if it
// cannot be made: a test or benchmark cannot go on without it.
std::string MakeTempDirectory(const std::string& prefix = "sessionlog");

// A fresh directory that is removed with everything in it when the object
// goes away.
class TempDir {
 public:
  TempDir() : TempDir("sessionlog") {}
  explicit TempDir(const std::string& prefix);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // path() + "/" + name.
  std::string Sub(const std::string& name) const;

 private:
  std::string path_;
};

// Removes `path` and everything below it; no error if it is missing.
void RemoveTree(const std::string& path);

}  // namespace sessionlog

#endif  // SESSIONLOG_TESTS_TESTING_TEMP_DIR_H_
