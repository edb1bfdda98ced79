// sessionlog import: applies JSON Lines (as `export` writes them) to a store.

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "schema/json_codec.h"
#include "tools/sessionlog/command.h"
#include "tools/sessionlog/progress.h"

namespace sessionlog {
namespace cli {
namespace {

// Consecutive event lines are inserted in batches: one write instead of one
// per event. A batch that fails is retried line by line, so the lines before
// the bad one stay imported and the error names the bad line exactly.
constexpr size_t kBatchSize = 512;

struct PendingEvent {
  int64_t line;
  SessionEvent event;
};

class Importer {
 public:
  explicit Importer(SessionPersistDriver& store) : store_(store) {}

  // Applies one line. On error, *bad_line is the line at fault.
  absl::Status Apply(int64_t line, const JsonLine& parsed, int64_t* bad_line) {
    if (parsed.event) {
      pending_.push_back({line, *parsed.event});
      if (pending_.size() >= kBatchSize) return FlushEvents(bad_line);
      return absl::OkStatus();
    }
    // A session line may evict sessions, so the events before it go first.
    if (absl::Status s = FlushEvents(bad_line); !s.ok()) return s;
    if (absl::Status s = store_.UpdateSession(*parsed.session); !s.ok()) {
      *bad_line = line;
      return s;
    }
    ++sessions_;
    return absl::OkStatus();
  }

  absl::Status FlushEvents(int64_t* bad_line) {
    if (pending_.empty()) return absl::OkStatus();
    std::vector<SessionEvent> batch;
    batch.reserve(pending_.size());
    for (const PendingEvent& p : pending_) batch.push_back(p.event);
    if (store_.InsertEvents(batch).ok()) {
      events_ += static_cast<int64_t>(batch.size());
      pending_.clear();
      return absl::OkStatus();
    }
    // Nothing of the batch was applied: find the line at fault.
    for (const PendingEvent& p : pending_) {
      if (absl::Status s = store_.InsertEvent(p.event); !s.ok()) {
        *bad_line = p.line;
        pending_.clear();
        return s;
      }
      ++events_;
    }
    pending_.clear();
    return absl::OkStatus();
  }

  int64_t sessions() const { return sessions_; }
  int64_t events() const { return events_; }

 private:
  SessionPersistDriver& store_;
  std::vector<PendingEvent> pending_;
  int64_t sessions_ = 0;
  int64_t events_ = 0;
};

// The longest line import reads. A valid line is bounded: an event's payload
// is at most 4 MiB (DriverOptions::max_payload_bytes) and a record's JSON
// fields 1 MiB each, and even written entirely as \uXXXX escapes (6 bytes a
// byte) a line stays under 25 MiB. So a longer line cannot be valid, and is
// refused as soon as it is this long, without reading the rest of it.
constexpr size_t kMaxLineBytes = 32 << 20;

// Lines of at most kMaxLineBytes, read in chunks, so that memory stays
// bounded whatever the input (a file without newlines, /dev/zero).
class LineReader {
 public:
  explicit LineReader(std::istream& in) : in_(in), chunk_(64 << 10) {}

  enum class Result { kLine, kEnd, kTooLong };
  // The next line, without its newline.
  Result Next(std::string* line) {
    line->clear();
    while (true) {
      in_.getline(chunk_.data(), static_cast<std::streamsize>(chunk_.size()));
      if (in_.bad()) return Result::kEnd;  // The caller reports it.
      size_t got = static_cast<size_t>(in_.gcount());
      bool full = in_.fail() && !in_.eof() && !in_.bad() && got > 0;
      bool ended_line = !in_.fail() && !in_.eof();  // The newline was read.
      size_t stored = ended_line && got > 0 ? got - 1 : got;
      if (line->size() + stored > kMaxLineBytes) return Result::kTooLong;
      line->append(chunk_.data(), stored);
      if (full) {
        in_.clear();  // The line goes on past this chunk.
        continue;
      }
      if (ended_line) return Result::kLine;
      // The end of input (or an error, which the caller checks).
      return got > 0 || !line->empty() ? Result::kLine : Result::kEnd;
    }
  }

 private:
  std::istream& in_;
  std::vector<char> chunk_;
};

bool IsRegularFile(int fd) {
  struct stat st;
  return fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

bool IsRegularFile(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

absl::Status RunImport(Context& ctx) {
  const std::string& source = ctx.arg(0);
  std::ifstream file;
  std::istream* in = &ctx.in;
  int64_t total_bytes = 0;
  // A pipe, a FIFO or a device (`import <(...)`, /dev/stdin) cannot seek:
  // it is read to its end like stdin, its size unknown. Seeking one would
  // fail, and the failed stream would then read as empty.
  bool regular = IsRegularFile(STDIN_FILENO);
  if (source != "-") {
    file.open(source, std::ios::in | std::ios::binary);
    if (!file) {
      return absl::UnknownError(
          absl::StrCat("cannot read ", source, ": ", std::strerror(errno)));
    }
    regular = IsRegularFile(source);
    if (regular) {
      file.seekg(0, std::ios::end);
      total_bytes = file.tellg() > 0 ? static_cast<int64_t>(file.tellg()) : 0;
      file.seekg(0, std::ios::beg);
      if (!file) {
        return absl::UnknownError(
            absl::StrCat("cannot read ", source, ": its size cannot be found"));
      }
    }
    in = &file;
  }
  // Opened after the input, so that a mistyped input creates no store.
  auto store = ctx.OpenStore(ctx.options.db, StoreAccess::kCreate);
  if (!store.ok()) return store.status();

  Importer importer(**store);
  ProgressBar progress(ctx.err, ctx.options.progress, "import", total_bytes,
                       ProgressBar::Unit::kBytes);
  std::string text;
  int64_t line = 0, bytes = 0, bad_line = 0;
  absl::Status s;
  // From a pipe, input may pause (e.g. `tail -f --json | ... | import -`):
  // then what was read is written at once rather than held for a full batch,
  // so readers of the store see it.
  const bool streaming = !regular;
  LineReader reader(*in);
  while (s.ok()) {
    if (streaming && in->rdbuf()->in_avail() <= 0) {
      s = importer.FlushEvents(&bad_line);
      if (!s.ok()) break;
    }
    LineReader::Result read = reader.Next(&text);
    if (read == LineReader::Result::kEnd) break;
    ++line;
    if (read == LineReader::Result::kTooLong) {
      s = absl::InvalidArgumentError(absl::StrCat(
          "the line is longer than ", kMaxLineBytes >> 20,
          " MiB, more than any valid line can be (an event's payload is at "
          "most 4 MiB); nothing after this line was read"));
      bad_line = line;
      break;
    }
    bytes += static_cast<int64_t>(text.size()) + 1;
    progress.Update(bytes);
    if (absl::StripAsciiWhitespace(text).empty()) continue;
    absl::StatusOr<JsonLine> parsed = JsonLineFromJson(text);
    if (!parsed.ok()) {
      s = parsed.status();
      bad_line = line;
      break;
    }
    s = importer.Apply(line, *parsed, &bad_line);
  }
  // The events before a bad line are still pending; they belong to lines
  // that come first, so an error among them is the one to report.
  int64_t flush_bad_line = 0;
  if (absl::Status f = importer.FlushEvents(&flush_bad_line); !f.ok()) {
    s = f;
    bad_line = flush_bad_line;
  }
  progress.Finish();
  if (s.ok() && in->bad()) {
    return absl::UnknownError(
        absl::StrCat("reading ", source, " failed after line ", line));
  }
  // Whatever was applied is made durable, even when a line was bad.
  absl::Status flushed = (*store)->Flush();
  if (!s.ok()) {
    int code = absl::IsInvalidArgument(s) || absl::IsAlreadyExists(s)
                   ? kExitBadInput
                   : kExitFailure;
    return WithExitCode(
        absl::Status(
            s.code(),
            absl::StrCat(source == "-" ? "stdin" : source, ":", bad_line, ": ",
                         s.message(), " (the ", importer.sessions(),
                         " sessions and ", importer.events(),
                         " events before this line were imported)")),
        code);
  }
  if (!flushed.ok()) return flushed;
  OrderedJson json;
  json["lines"] = line;
  json["sessions"] = importer.sessions();
  json["events"] = importer.events();
  ctx.Print(json,
            absl::StrCat("imported ", importer.sessions(), " sessions and ",
                         importer.events(), " events from ", line, " lines\n"));
  return absl::OkStatus();
}

}  // namespace

extern const Command kImportCommand = {
    "import",
    "FILE|-",
    "Apply JSON Lines of sessions and events to a store (- reads stdin).",
    "Each line is {\"session\":{...}} or {\"event\":{...}} with the SDK's "
    "field names, as `export`\nwrites them. Lines are applied in file "
    "order "
    "with the semantics of updateSession and\ninsertEvent, limits included "
    "(a session line may evict the oldest sessions). Blank lines\nare "
    "skipped. Re-importing the same file is harmless: identical events are "
    "no-ops.\n\nA bad line stops the import with an error naming its line "
    "number and field, and exit\ncode 5; the lines before it stay "
    "imported. "
    "The store is created if it does not exist.",
    {},
    {"--db rocksdb:./restored import backup.jsonl",
     "--max-events-per-session none import big.jsonl",
     "--db rocksdb:./a export | sessionlog --db rocksdb:./b import -"},
    1,
    1,
    StoreAccess::kNone,
    RunImport,
};

}  // namespace cli
}  // namespace sessionlog
