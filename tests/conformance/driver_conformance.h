// The driver conformance suite: one set of tests, written once, that every
// SessionPersistDriver backend must pass. It checks the contract of
// api/driver.h (ordering, keyset paging, limits and eviction, idempotency,
// validation, the extras, persistence across reopen, concurrent writers).
//
// Running it against a backend takes a harness and one line. For example, in
// tests/conformance/sqlite_conformance_test.cc:
//
//   #include "engine/sqlite/sqlite_driver.h"
//   #include "tests/conformance/driver_conformance.h"
//   #include "tests/fault/temp_dir.h"
//
//   namespace sessionlog {
//   namespace {
//   class SqliteHarness : public DriverHarness {
//    public:
//     absl::StatusOr<std::unique_ptr<SessionPersistDriver>> Open(
//         const DriverOptions& options) override {
//       return OpenSqliteDriver(dir_.path() + "/store.sqlite", options);
//     }
//    private:
//     TempDir dir_;  // A fresh directory per test.
//   };
//   }  // namespace
//   SESSIONLOG_DURABLE_CONFORMANCE_TEST(Sqlite, SqliteHarness);
//   }  // namespace sessionlog
//
// and a cc_test with deps ["//tests/conformance:driver_conformance",
// "//engine/sqlite", "//tests/fault:temp_dir", "//third_party:gtest_main"]. A backend whose data does not survive the driver (e.g.
// memory) uses SESSIONLOG_CONFORMANCE_TEST instead, which leaves out the
// persistence tests. A harness for a shared server (Postgres) gives each
// harness instance its own schema (DriverOptions::postgres_schema) so that
// every test starts from an empty store.

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

// Owns one store for the length of one test.
class DriverHarness {
 public:
  virtual ~DriverHarness() = default;

  // Opens this harness's store with `options`; the first call finds it empty.
  // The suite destroys the previous driver before it calls Open again. For a
  // durable backend a later call reopens the same store, with whatever was
  // written before; other backends may hand out a fresh, empty store.
  virtual absl::StatusOr<std::unique_ptr<SessionPersistDriver>> Open(
      const DriverOptions& options) = 0;
};

using HarnessFactory = std::unique_ptr<DriverHarness> (*)();

template <typename Harness>
std::unique_ptr<DriverHarness> MakeHarness() {
  return std::make_unique<Harness>();
}

// The parameter of the suite: which backend, and how to make its harness.
struct ConformanceParam {
  const char* name;
  HarnessFactory make_harness;

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

  // Closes the driver (what a test does before it checks persistence).
  void CloseDriver() { driver_.reset(); }

 private:
  std::unique_ptr<DriverHarness> harness_;
  std::unique_ptr<SessionPersistDriver> driver_;
};

// Tests that need data to outlive the driver: instantiated only for durable
// backends.
class DurableDriverConformanceTest : public DriverConformanceTest {};

}  // namespace sessionlog

// Runs the suite, except the persistence tests, against `Harness`. Use it in
// namespace sessionlog: gtest pastes the fixture's unqualified name.
#define SESSIONLOG_CONFORMANCE_TEST(Name, Harness)                       \
  INSTANTIATE_TEST_SUITE_P(                                              \
      Name, DriverConformanceTest,                                       \
      ::testing::Values(::sessionlog::ConformanceParam{                  \
          #Name, &::sessionlog::MakeHarness<Harness>}),                  \
      [](const ::testing::TestParamInfo<::sessionlog::ConformanceParam>& \
             info) { return std::string(info.param.name); })

// Runs the whole suite, persistence across reopen included, against `Harness`.
#define SESSIONLOG_DURABLE_CONFORMANCE_TEST(Name, Harness)               \
  SESSIONLOG_CONFORMANCE_TEST(Name, Harness);                            \
  INSTANTIATE_TEST_SUITE_P(                                              \
      Name, DurableDriverConformanceTest,                                \
      ::testing::Values(::sessionlog::ConformanceParam{                  \
          #Name, &::sessionlog::MakeHarness<Harness>}),                  \
      [](const ::testing::TestParamInfo<::sessionlog::ConformanceParam>& \
             info) { return std::string(info.param.name); })

#endif  // SESSIONLOG_TESTS_CONFORMANCE_DRIVER_CONFORMANCE_H_
