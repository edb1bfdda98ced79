// Corruption: bytes flipped in an SST, a WAL and a MANIFEST of a closed store,
// at offsets spread over each file. For every flip, opening the store, reading
// all of it and CheckIntegrity() must either give DataLoss naming the damaged
// file or return exactly what was written; never a crash, never wrong bytes,
// never a store that silently breaks the workload's invariants. A flip in the
// WAL may end recovery early (kPointInTimeRecovery keeps the prefix before a
// bad record): that loses acknowledged writes without an error, which the
// test counts and docs/RELIABILITY.md reports.

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/rocksdb/rocksdb_driver.h"
#include "gtest/gtest.h"
#include "tests/durability/workload.h"
#include "tests/testing/temp_dir.h"

namespace sessionlog {
namespace {

namespace fs = std::filesystem;
using durability::Ack;
using durability::Acked;

constexpr int kFlipsPerFile = 40;

DriverOptions Options() {
  return durability::WorkloadOptions(Durability::kProcessCrash);
}

// A closed store with SSTs (after Compact), a WAL with newer writes, and a
// MANIFEST. Returns what was acknowledged.
Acked BuildStore(const std::string& path) {
  Acked acked;
  auto driver = OpenRocksDbDriver(path, Options());
  EXPECT_TRUE(driver.ok()) << driver.status();
  auto writer = durability::Writer::Resume(**driver, 7);
  EXPECT_TRUE(writer.ok());
  auto write = [&](int steps) {
    for (int i = 0; i < steps; ++i) {
      EXPECT_TRUE(
          writer->Step(**driver, [&](const Ack& ack) { acked.Apply(ack); })
              .ok());
    }
  };
  write(3000);
  EXPECT_TRUE((*driver)->Compact().ok());
  write(300);  // Only in the WAL.
  return acked;
}

// The largest file of `path` whose name matches.
std::string Largest(const std::string& path,
                    bool (*matches)(const std::string&)) {
  std::string best;
  uintmax_t best_size = 0;
  for (const auto& entry : fs::directory_iterator(path)) {
    const std::string name = entry.path().filename();
    if (matches(name) && entry.file_size() >= best_size) {
      best = name;
      best_size = entry.file_size();
    }
  }
  return best;
}

void FlipByte(const std::string& file, uintmax_t offset) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(offset);
  char c = 0;
  f.get(c);
  f.seekp(offset);
  f.put(static_cast<char>(c ^ 0x5a));
}

struct Outcomes {
  int cases = 0;
  int refused_at_open = 0;          // DataLoss naming the file.
  int refused_naming_manifest = 0;  // DataLoss blaming the MANIFEST.
  int caught_on_read = 0;           // A read or CheckIntegrity: DataLoss.
  int intact = 0;                   // Everything as written.
  int silent_tail_loss = 0;         // WAL only: recovery stopped early.
  int64_t events_lost = 0;
  std::vector<std::string> failures;  // Anything else.
};

// Opens a copy of `pristine` with one byte of `file` flipped and classifies
// what happens.
void TryFlip(const std::string& pristine, const std::string& file,
             uintmax_t offset, const Acked& acked, bool is_wal, Outcomes* out) {
  TempDir dir;
  const std::string copy = dir.Sub("store");
  fs::copy(pristine, copy, fs::copy_options::recursive);
  FlipByte(copy + "/" + file, offset);
  ++out->cases;
  const std::string where = absl::StrCat(file, " @", offset);

  auto driver = OpenRocksDbDriver(copy, Options());
  if (!driver.ok()) {
    const absl::Status& s = driver.status();
    if (s.code() == absl::StatusCode::kDataLoss &&
        absl::StrContains(s.message(), file)) {
      ++out->refused_at_open;
    } else if (s.code() == absl::StatusCode::kDataLoss &&
               absl::StrContains(s.message(), "MANIFEST")) {
      // A flip in an SST's properties block: RocksDB reads them while it
      // replays the MANIFEST and names the MANIFEST ("properties unsorted in
      // file .../MANIFEST-..."). A clean refusal, with the wrong file named.
      ++out->refused_naming_manifest;
    } else {
      out->failures.push_back(
          absl::StrCat(where, ": open gave ", s.ToString()));
    }
    return;
  }
  durability::CheckResult check = durability::Check(**driver, acked);
  absl::Status integrity = (*driver)->CheckIntegrity();
  bool read_error = false, wrong = false;
  for (const std::string& v : check.violations) {
    if (absl::StrContains(v, "DATA_LOSS") && absl::StrContains(v, file)) {
      read_error = true;
    } else {
      wrong = true;
    }
  }
  if (!integrity.ok()) {
    if (integrity.code() == absl::StatusCode::kDataLoss &&
        absl::StrContains(integrity.message(), file)) {
      read_error = true;
    } else {
      out->failures.push_back(
          absl::StrCat(where, ": CheckIntegrity gave ", integrity.ToString()));
      return;
    }
  }
  if (wrong) {
    out->failures.push_back(absl::StrCat(where, ": ", check.Summary()));
  } else if (read_error) {
    ++out->caught_on_read;
  } else if (check.ok()) {
    ++out->intact;
  } else if (is_wal && check.lost_sessions + check.lost_events > 0) {
    ++out->silent_tail_loss;
    out->events_lost += check.lost_events;
  } else {
    out->failures.push_back(absl::StrCat(where, ": ", check.Summary()));
  }
}

class CorruptionTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    acked_ = new Acked(BuildStore(dir_->Sub("pristine")));
  }
  static void TearDownTestSuite() {
    delete acked_;
    delete dir_;
  }

  void Sweep(const char* kind, bool (*matches)(const std::string&),
             bool is_wal) {
    const std::string pristine = dir_->Sub("pristine");
    const std::string file = Largest(pristine, matches);
    ASSERT_FALSE(file.empty()) << "no " << kind << " file in the store";
    const uintmax_t size = fs::file_size(pristine + "/" + file);
    ASSERT_GT(size, 0u);
    Outcomes out;
    for (int i = 0; i < kFlipsPerFile; ++i) {
      TryFlip(pristine, file, size * i / kFlipsPerFile, *acked_, is_wal, &out);
    }
    TryFlip(pristine, file, size - 1, *acked_, is_wal, &out);  // The tail.
    for (const std::string& f : out.failures) ADD_FAILURE() << f;
    EXPECT_GT(out.refused_at_open + out.caught_on_read, 0)
        << "no flip in the " << kind << " was detected";
    std::printf(
        "RESULT corruption_test %s (%s, %ju bytes): %d flips: %d refused at "
        "open with DataLoss naming it, %d refused at open with DataLoss "
        "naming the MANIFEST, %d caught on read/CheckIntegrity, %d harmless, "
        "%d silent tail loss (%lld events), %zu other\n",
        kind, file.c_str(), size, out.cases, out.refused_at_open,
        out.refused_naming_manifest, out.caught_on_read, out.intact,
        out.silent_tail_loss, static_cast<long long>(out.events_lost),
        out.failures.size());
  }

  static TempDir* dir_;
  static Acked* acked_;
};

TempDir* CorruptionTest::dir_ = nullptr;
Acked* CorruptionTest::acked_ = nullptr;

TEST_F(CorruptionTest, Sst) {
  Sweep(
      "SST", [](const std::string& n) { return absl::EndsWith(n, ".sst"); },
      false);
}

TEST_F(CorruptionTest, Wal) {
  Sweep(
      "WAL", [](const std::string& n) { return absl::EndsWith(n, ".log"); },
      true);
}

TEST_F(CorruptionTest, Manifest) {
  Sweep(
      "MANIFEST",
      [](const std::string& n) { return absl::StartsWith(n, "MANIFEST-"); },
      false);
}

}  // namespace
}  // namespace sessionlog
