#include "engine/rocksdb/store_directory.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace sessionlog {
namespace {

// An error of a system call on `what`, with the errno's text.
absl::Status SystemError(int error, absl::string_view context,
                         absl::string_view what) {
  std::string message =
      absl::StrCat(context, ": cannot read ", what, ": ", std::strerror(error));
  if (error == EACCES || error == EPERM) {
    return absl::PermissionDeniedError(absl::StrCat(
        message, " (check the owner and mode of the store directory)"));
  }
  return absl::UnavailableError(message);
}

const char* FileTypeName(mode_t mode) {
  if (S_ISREG(mode)) return "a regular file";
  if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device";
  if (S_ISFIFO(mode)) return "a pipe";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISDIR(mode)) return "a directory";
  return "not a directory";
}

// The first bytes of CURRENT ("MANIFEST-<number>\n" is all it holds; a
// garbage file is not read whole), or nullopt if it cannot be opened.
// Callers have checked that it is a regular file: opening a FIFO for reading
// would wait for a writer forever.
std::optional<std::string> ReadCurrent(const std::string& current_path) {
  std::ifstream current(current_path, std::ios::binary);
  if (!current) return std::nullopt;
  char buffer[64];
  current.read(buffer, sizeof(buffer));
  return std::string(buffer, static_cast<size_t>(current.gcount()));
}

// What is wrong with the directory's CURRENT, as the rest of a sentence that
// begins "its CURRENT file " (see StoreDirectory::bad_current); empty when it
// names a MANIFEST of the directory, or cannot be read (RocksDB's open then
// says why). RocksDB's own error for a lost MANIFEST ("No such file or
// directory") reads like a missing store.
std::string CheckCurrent(const std::string& path) {
  const std::string current_path = path + "/CURRENT";
  struct stat st;
  if (lstat(current_path.c_str(), &st) != 0) return "";
  // RocksDB renames a regular file into place. A link could name another
  // store's CURRENT (whose MANIFEST would then describe files this directory
  // may hold stale copies of: the first write deletes the rest), and opening
  // a FIFO for reading would wait for a writer forever.
  if (S_ISLNK(st.st_mode)) {
    return "is a symbolic link, not the store's own file naming its MANIFEST";
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::StrCat("is ", FileTypeName(st.st_mode),
                        ", not a file naming a MANIFEST");
  }
  // A writer opening beside us writes a new MANIFEST, renames a new CURRENT
  // naming it over the old one, then deletes the old MANIFEST: a MANIFEST
  // missing under a CURRENT that has changed since is a rotation, not a loss.
  std::string named;
  for (int attempt = 0; attempt < 3; ++attempt) {
    const std::optional<std::string> read = ReadCurrent(current_path);
    if (!read) return "";
    const std::string& bytes = *read;
    const size_t newline = bytes.find('\n');
    const std::string line = bytes.substr(0, newline);
    const bool is_manifest_name =
        absl::StartsWith(line, "MANIFEST-") && line.size() > 9 &&
        std::all_of(line.begin() + 9, line.end(),
                    [](char c) { return c >= '0' && c <= '9'; });
    if (!is_manifest_name) {
      return absl::StrCat("names \"", absl::CHexEscape(line),
                          "\", not a MANIFEST");
    }
    if (newline == std::string::npos || bytes.size() != newline + 1) {
      return absl::StrCat("names ", line,
                          " but is not that name and one newline");
    }
    if (line == named) break;  // Unchanged, and still missing.
    named = line;
    const std::string manifest = path + "/" + named;
    if (lstat(manifest.c_str(), &st) == 0) {
      if (S_ISLNK(st.st_mode)) {
        return absl::StrCat("names ", named,
                            ", which is a symbolic link, not a file");
      }
      if (!S_ISREG(st.st_mode)) {
        return absl::StrCat("names ", named, ", which is ",
                            FileTypeName(st.st_mode), ", not a file");
      }
      if (st.st_size == 0) {
        return absl::StrCat("names ", named,
                            ", which is empty (the MANIFEST lists the "
                            "store's files)");
      }
      return "";
    }
  }
  return absl::StrCat("names ", named,
                      ", which is missing (the MANIFEST lists the store's "
                      "files)");
}

}  // namespace

bool IsRocksDbFileName(absl::string_view name) {
  return absl::EndsWith(name, ".sst") || absl::EndsWith(name, ".ldb") ||
         absl::EndsWith(name, ".log") || absl::EndsWith(name, ".blob") ||
         absl::StartsWith(name, "MANIFEST-") ||
         absl::StartsWith(name, "OPTIONS-") || name == "IDENTITY";
}

absl::StatusOr<StoreDirectory> InspectStoreDirectory(
    const std::string& path, absl::string_view context) {
  StoreDirectory dir;
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return dir;  // kMissing
    if (errno == ENOTDIR) {
      return absl::FailedPreconditionError(
          absl::StrCat(context,
                       ": a part of the path is a file, not a directory; a "
                       "rocksdb: store is a directory"));
    }
    return SystemError(errno, context, path);
  }
  if (!S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(
        context, " is ", FileTypeName(st.st_mode),
        ", not a store: a rocksdb: store is a directory. Give the store's "
        "directory, or a path that does not exist yet for a new store"));
  }
  DIR* listing = opendir(path.c_str());
  if (listing == nullptr) return SystemError(errno, context, path);
  bool has_current = false;
  errno = 0;
  while (struct dirent* entry = readdir(listing)) {
    absl::string_view name = entry->d_name;
    if (name == "CURRENT") {
      has_current = true;
    } else if (name == kCreationMarker) {
      dir.has_creation_marker = true;
    } else if (IsRocksDbFileName(name)) {
      dir.rocksdb_files.emplace_back(name);
    }
    errno = 0;
  }
  const int read_error = errno;
  closedir(listing);
  if (read_error != 0) return SystemError(read_error, context, path);
  std::sort(dir.rocksdb_files.begin(), dir.rocksdb_files.end());

  if (has_current) {
    dir.kind = StoreDirectory::Kind::kHasCurrent;
    dir.bad_current = CheckCurrent(path);
  } else if (dir.rocksdb_files.empty()) {
    dir.kind = StoreDirectory::Kind::kNoRocksDbFiles;
  } else if (dir.has_creation_marker &&
             std::all_of(dir.rocksdb_files.begin(), dir.rocksdb_files.end(),
                         [](const std::string& name) {
                           return name == "IDENTITY" ||
                                  name == "MANIFEST-000001";
                         })) {
    // RocksDB writes IDENTITY, then the first MANIFEST, then CURRENT: a
    // creation stopped in between left no data, and may be finished.
    dir.kind = StoreDirectory::Kind::kUnfinishedCreation;
  } else {
    dir.kind = StoreDirectory::Kind::kMissingCurrent;
  }
  return dir;
}

std::string DescribeRocksDbFiles(const std::vector<std::string>& names) {
  std::vector<std::string> parts;
  int64_t tables = 0, logs = 0, blobs = 0;
  for (const std::string& name : names) {
    if (absl::EndsWith(name, ".sst") || absl::EndsWith(name, ".ldb")) {
      ++tables;
    } else if (absl::EndsWith(name, ".log")) {
      ++logs;
    } else if (absl::EndsWith(name, ".blob")) {
      ++blobs;
    } else {
      parts.push_back(name);
    }
  }
  auto count = [&](int64_t n, absl::string_view one, absl::string_view many) {
    if (n > 0) parts.push_back(absl::StrCat(n, " ", n == 1 ? one : many));
  };
  count(tables, "table file (*.sst)", "table files (*.sst)");
  count(logs, "write-ahead log (*.log)", "write-ahead logs (*.log)");
  count(blobs, "blob file (*.blob)", "blob files (*.blob)");
  if (parts.size() <= 1) return absl::StrJoin(parts, "");
  std::string last = parts.back();
  parts.pop_back();
  return absl::StrCat(absl::StrJoin(parts, ", "), " and ", last);
}

std::string ManifestState(const std::string& path) {
  const std::string current_path = path + "/CURRENT";
  struct stat st;
  if (lstat(current_path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return "";
  const std::optional<std::string> bytes = ReadCurrent(current_path);
  if (!bytes) return "";
  const std::string named = bytes->substr(0, bytes->find('\n'));
  if (named.empty() || named.find('/') != std::string::npos) return *bytes;
  const int64_t size = lstat((path + "/" + named).c_str(), &st) == 0
                           ? static_cast<int64_t>(st.st_size)
                           : -1;
  return absl::StrCat(*bytes, ":", size);
}

absl::Status BadCurrentError(absl::string_view context,
                             const StoreDirectory& dir) {
  return absl::DataLossError(absl::StrCat(
      context, " is a damaged store: its CURRENT file ", dir.bad_current,
      "; the directory holds ",
      dir.rocksdb_files.empty() ? "no other RocksDB file"
                                : DescribeRocksDbFiles(dir.rocksdb_files),
      ". Nothing was changed. Recover what can be recovered into a new "
      "directory with `sessionlog repair`, which never writes the damaged "
      "store, or restore the store from a backup"));
}

absl::Status MissingCurrentError(absl::string_view context,
                                 const StoreDirectory& dir) {
  return absl::DataLossError(absl::StrCat(
      context,
      " is a damaged store, not a new one: its CURRENT file (which names "
      "the live MANIFEST) is missing, but it holds ",
      DescribeRocksDbFiles(dir.rocksdb_files),
      ". Nothing was changed. Recover what can be recovered into a new "
      "directory with `sessionlog repair`, which never writes the damaged "
      "store, or restore the store from a backup"));
}

}  // namespace sessionlog
