// A file written whole or not at all: what `export --output FILE` writes to,
// so that a failed or interrupted export never leaves a truncated or partial
// file where a good one was.

#ifndef SESSIONLOG_TOOLS_SESSIONLOG_OUTPUT_FILE_H_
#define SESSIONLOG_TOOLS_SESSIONLOG_OUTPUT_FILE_H_

#include <fstream>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace sessionlog {
namespace cli {

// Writes to a new temporary file beside `path` (in the same directory, so
// the final rename is atomic), and only Commit() puts it in place: it
// flushes, fsyncs, gives the file the mode of the one it replaces (or the
// default for a new file), renames it over `path` and fsyncs the directory.
// Until then `path` is untouched. The temporary file is removed when the
// ReplacingFile is destroyed uncommitted, and when SIGINT, SIGTERM, SIGHUP or
// SIGPIPE ends the process meanwhile. `path` naming a symbolic link replaces
// the file the link points to (ResolvePath in store_location.h). A `path`
// that exists and is not a regular file (a FIFO, a device) is written in
// place instead, with no temporary file: it cannot be replaced without
// destroying it, and it holds nothing to keep. One at a time per process.
class ReplacingFile {
 public:
  // Fails (naming `path`) when the directory cannot take the temporary
  // file, or `path` is a directory.
  static absl::StatusOr<std::unique_ptr<ReplacingFile>> Create(
      const std::string& path);
  ~ReplacingFile();

  std::ostream& stream() { return stream_; }
  absl::Status Commit();

 private:
  // An empty `temp` writes `target` in place.
  ReplacingFile(std::string target, std::string temp, int mode);

  const std::string target_;
  const std::string temp_;
  const int mode_;
  std::ofstream stream_;
  bool committed_ = false;
};

}  // namespace cli
}  // namespace sessionlog

#endif  // SESSIONLOG_TOOLS_SESSIONLOG_OUTPUT_FILE_H_
