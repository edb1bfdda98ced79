// The harness's output: results.json (everything), results.md (the tables,
// the ratios and the targets, met or missed) and PNG plots drawn by
// gnuplot.

#ifndef SESSIONLOG_BENCH_COMPARE_REPORT_H_
#define SESSIONLOG_BENCH_COMPARE_REPORT_H_

#include <string>

#include "absl/status/status.h"
#include "nlohmann/json.hpp"

namespace sessionlog::bench {

// CPU, cores, memory, kernel, library versions, load average and the time.
nlohmann::json MachineDescription();

// `all` is {"quick", "machine", "skipped", "results": {phase: {peer:
// {"ok", "result" | "error", "config"}}}}. Writes into `out_dir` and prints
// results.md to stdout. A missing gnuplot only loses the plots.
absl::Status WriteReport(const nlohmann::json& all, const std::string& out_dir);

}  // namespace sessionlog::bench

#endif  // SESSIONLOG_BENCH_COMPARE_REPORT_H_
