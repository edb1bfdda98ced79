// The benchmark targets (what sessionlog set out to reach), each met or
// missed by the figures of one run.

#ifndef SESSIONLOG_BENCH_COMPARE_REPORT_TARGETS_H_
#define SESSIONLOG_BENCH_COMPARE_REPORT_TARGETS_H_

#include <string>

#include "nlohmann/json.hpp"

namespace sessionlog::bench {

// The "Targets" section of results.md for the results `all`.
std::string TargetsSection(const nlohmann::json& all);

}  // namespace sessionlog::bench

#endif  // SESSIONLOG_BENCH_COMPARE_REPORT_TARGETS_H_
