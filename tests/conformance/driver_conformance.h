// The driver conformance suite: one set of tests, written once, that every
// SessionPersistDriver backend must pass. It checks the whole contract of
// api/driver.h and api/options.h: ordering, keyset paging, limits and
// eviction, idempotency, validation, the extras, persistence across reopen,
// read-only opens, create_if_missing, kFsync with Flush, Compact, fork and
// rewind, concurrent writers and the stress run.
//
// Running it against a backend takes a harness and one line. For example, in
// tests/conformance/sqlite_conformance_test.cc:
//
//   #include "engine/sqlite/sqlite_driver.h"
//   #include "tests/conformance/driver_conformance.h"
//   #include "tests/testing/temp_dir.h"
//
//   namespace sessionlog {
//   namespace {
//   class SqliteHarness : public DriverHarness {
//    public:
//     static BackendCapabilities Capabilities() { return AllCapabilities(); }
//     absl::StatusOr<std::unique_ptr<SessionPersistDriver>> Open(
//         const DriverOptions& options) override {
//       return OpenSqliteDriver(dir_.Sub("store.sqlite"), options);
//     }
//     absl::StatusOr<bool> StoreExists() override { ... }
//    private:
//     TempDir dir_;  // A fresh directory per test.
//   };
//   }  // namespace
//   SESSIONLOG_CONFORMANCE_TEST(Sqlite, SqliteHarness);
//   }  // namespace sessionlog
//
// and a cc_test with deps ["//tests/conformance:driver_conformance",
// "//engine/sqlite", "//tests/testing:temp_dir", "//third_party:gtest_main"].
// A harness for a shared server (Postgres) gives each harness instance its own
// schema (DriverOptions::postgres_schema) so that every test starts from an
// empty store.
//
// Where the contract leaves something to the backend (whether data outlives
// the driver, whether there are read-only opens...), the backend states it in
// its capabilities. A test that needs a capability the backend lacks is
// skipped and says which one and why: it never passes silently.

#ifndef SESSIONLOG_TESTS_CONFORMANCE_DRIVER_CONFORMANCE_H_
#define SESSIONLOG_TESTS_CONFORMANCE_DRIVER_CONFORMANCE_H_

#include <memory>
#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "api/driver.h"
#include "api/options.h"
#include "gtest/gtest.h"
#include "tests/conformance/conformance_helpers.h"

namespace sessionlog {

// One capability of a backend: whether it has it, and if not, why.
struct Capability {
  bool supported = false;
  const char* why_not = "";  // Printed when a test that needs it is skipped.
};
inline Capability Supported() { return Capability{true, ""}; }
inline Capability NotSupported(const char* why) {
  return Capability{false, why};
}

struct BackendCapabilities {
  // Data outlives the driver: closing it and opening the store again finds
  // everything that was acknowledged.
  Capability durable;
  // DriverOptions::read_only opens a reader that refuses every write, also
  // beside an open writer, and a read-only open never creates a store.
  Capability read_only;
  // A store can be missing, and DriverOptions::create_if_missing decides
  // whether opening one creates it.
  Capability create_if_missing;
  // Compact() gives the space of deleted events back to the file system:
  // Stats().disk_bytes shrinks.
  Capability compact_reclaims_disk;
  // The store is the TS SDK's SQL tables, which record no limits and whose
  // TS drivers enforce none: there kLimitFromStore means no limit rather
  // than the SDK's default. Not a capability a test needs, but a difference
  // the limits tests expect.
  Capability records_no_limits;
};

// Every capability: what an embedded, durable store has (rocksdb, sqlite).
inline BackendCapabilities AllCapabilities() {
  return BackendCapabilities{Supported(), Supported(), Supported(),
                             Supported()};
}

// Owns one store for the length of one test.
class DriverHarness {
 public:
  virtual ~DriverHarness() = default;

  // Opens this harness's store with `options`; the first call that creates it
  // finds it empty. The suite destroys the previous driver before it calls
  // Open again through OpenWith; a test may also call Open directly for a
  // second driver on the same store (a reader beside a writer). For a durable
  // backend a later call reopens the same store, with whatever was written
  // before; other backends may hand out a fresh, empty store.
  virtual absl::StatusOr<std::unique_ptr<SessionPersistDriver>> Open(
      const DriverOptions& options) = 0;

  // Whether the store exists yet, looked at from outside the driver. Needed
  // by the tests of read_only and create_if_missing.
  virtual absl::StatusOr<bool> StoreExists() {
    return absl::UnimplementedError("this harness cannot tell");
  }
};

using HarnessFactory = std::unique_ptr<DriverHarness> (*)();

template <typename Harness>
std::unique_ptr<DriverHarness> MakeHarness() {
  return std::make_unique<Harness>();
}

// The parameter of the suite: which backend, what it can do, and how to make
// its harness.
struct ConformanceParam {
  const char* name;
  HarnessFactory make_harness;
  BackendCapabilities capabilities;

  friend void PrintTo(const ConformanceParam& param, std::ostream* os) {
    *os << param.name;
  }
};

// The fixture of every conformance test. SetUp opens the store with default
// options; a test that needs other options calls OpenWith first.
class DriverConformanceTest
    : public ::testing::TestWithParam<ConformanceParam> {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Destroys the current driver, then opens the harness's store with
  // `options` (for a durable backend: reopens the same store). Fails the test
  // if opening fails; check HasFatalFailure() or use ASSERT_NO_FATAL_FAILURE.
  void OpenWith(const DriverOptions& options);

  SessionPersistDriver& driver() { return *driver_; }
  DriverHarness& harness() { return *harness_; }
  const BackendCapabilities& capabilities() const {
    return GetParam().capabilities;
  }

  // Closes the driver (what a test does before it checks persistence).
  void CloseDriver() { driver_.reset(); }

 private:
  std::unique_ptr<DriverHarness> harness_;
  std::unique_ptr<SessionPersistDriver> driver_;
};

}  // namespace sessionlog

// In a test of DriverConformanceTest: skips the test, saying why, unless the
// backend has `capability` (a field of BackendCapabilities).
#define SL_REQUIRE_CAPABILITY(capability)                    \
  do {                                                       \
    const ::sessionlog::Capability& sl_cap =                 \
        GetParam().capabilities.capability;                  \
    if (!sl_cap.supported) {                                 \
      GTEST_SKIP() << GetParam().name                        \
                   << " lacks the capability \"" #capability \
                   << "\": " << sl_cap.why_not;              \
    }                                                        \
  } while (0)

// Runs the suite against `Harness`, which has a static Capabilities(). Use it
// in namespace sessionlog: gtest pastes the fixture's unqualified name.
#define SESSIONLOG_CONFORMANCE_TEST(Name, Harness)                       \
  INSTANTIATE_TEST_SUITE_P(                                              \
      Name, DriverConformanceTest,                                       \
      ::testing::Values(::sessionlog::ConformanceParam{                  \
          #Name, &::sessionlog::MakeHarness<Harness>,                    \
          Harness::Capabilities()}),                                     \
      [](const ::testing::TestParamInfo<::sessionlog::ConformanceParam>& \
             info) { return std::string(info.param.name); })

#endif  // SESSIONLOG_TESTS_CONFORMANCE_DRIVER_CONFORMANCE_H_
