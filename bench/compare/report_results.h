// Reading the harness's results and printing its figures: what the report's
// tables and targets share.

#ifndef SESSIONLOG_BENCH_COMPARE_REPORT_RESULTS_H_
#define SESSIONLOG_BENCH_COMPARE_REPORT_RESULTS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"

namespace sessionlog::bench {

// 1234567 -> "1.23M"; keeps three significant digits.
std::string Human(double v);
// Bytes as megabytes with one decimal.
std::string Mb(double bytes);
// A rate, or a dash where the phase did not measure it.
std::string Rate(double v);
// Microseconds with one decimal, or a dash where not measured.
std::string Micros(double v);

// The result object of (phase, peer), or null when it did not run or failed.
const nlohmann::json* Result(const nlohmann::json& all,
                             const std::string& phase, const std::string& peer);
// A number of a result, 0 when the result or the field is missing.
double Field(const nlohmann::json* result, const std::string& field);
// The point of a phase's points[] whose `key` equals `value`, or null.
const nlohmann::json* Point(const nlohmann::json* result,
                            const std::string& key, int64_t value);
// Peers in the order of the tables: sessionlog first, then the baselines.
std::vector<std::string> PeersOf(const nlohmann::json& all,
                                 const std::string& phase);
// Why (phase, peer) failed.
std::string Failure(const nlohmann::json& all, const std::string& phase,
                    const std::string& peer);

}  // namespace sessionlog::bench

#endif  // SESSIONLOG_BENCH_COMPARE_REPORT_RESULTS_H_
