// Test helpers shared by the interop and migration tests: a whole store as
// sessionlog's export lines, a fixture of records and events that exercises
// every field (and ids full of quotes and semicolons), and running node.

#ifndef SESSIONLOG_TESTS_INTEROP_STORE_DUMP_H_
#define SESSIONLOG_TESTS_INTEROP_STORE_DUMP_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "api/driver.h"

namespace sessionlog {

// Every record in list order, each followed by its events in index order, as
// schema/json_codec.h's JsonLineToJson lines. Pages of `page_size`.
absl::StatusOr<std::vector<std::string>> ExportLines(
    SessionPersistDriver& driver, int64_t page_size = 7);

struct Fixture {
  // The lines in the order to write them: all records, then the events of
  // all sessions interleaved.
  std::vector<std::string> write_order;
  // What ExportLines must give after writing them.
  std::vector<std::string> export_order;
};
// `sessions` records, session i with (i * 3) % 11 events. JSON texts are as
// JSON.stringify writes them, so a TS writer stores them byte for byte.
Fixture MakeFixture(int sessions = 12);

// Applies export lines to `driver` (UpdateSession / InsertEvent).
absl::Status WriteLines(SessionPersistDriver& driver,
                        const std::vector<std::string>& lines);

// True if both lists hold the same JSON values, line by line (object key
// order and number spelling ignored); else explains the first difference in
// `*why`.
bool SameJsonLines(const std::vector<std::string>& a,
                   const std::vector<std::string>& b, std::string* why);

// Runs `node tests/interop/ts_sql_drivers.mjs <args>` (each argument
// shell-quoted) with `stdin_lines` on its standard input; returns its
// standard output split into lines. FailedPrecondition if node fails (the
// message carries its stderr).
absl::StatusOr<std::vector<std::string>> RunTsDrivers(
    const std::vector<std::string>& args,
    const std::vector<std::string>& stdin_lines);

}  // namespace sessionlog

#endif  // SESSIONLOG_TESTS_INTEROP_STORE_DUMP_H_
