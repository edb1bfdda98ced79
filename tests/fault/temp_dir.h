// A directory under TEST_TMPDIR (or /tmp) that is removed with everything in
// it when the object goes away.

#ifndef SESSIONLOG_TESTS_FAULT_TEMP_DIR_H_
#define SESSIONLOG_TESTS_FAULT_TEMP_DIR_H_

#include <string>

namespace sessionlog {

class TempDir {
 public:
  TempDir();
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

#endif  // SESSIONLOG_TESTS_FAULT_TEMP_DIR_H_
