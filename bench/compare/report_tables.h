// The report's Markdown tables, with the gnuplot data and scripts that draw
// the same figures.

#ifndef SESSIONLOG_BENCH_COMPARE_REPORT_TABLES_H_
#define SESSIONLOG_BENCH_COMPARE_REPORT_TABLES_H_

#include <sstream>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"

namespace sessionlog::bench {

// The default workload, one row per peer; writes "column peer appends/s
// replays/s" lines to `dat` for the histogram.
std::string StandardTable(const nlohmann::json& all, std::ostringstream& dat);

// sessionlog-rocksdb divided by each peer, on the default workload; empty if
// sessionlog-rocksdb did not run.
std::string RatioTable(const nlohmann::json& all);

// A table of `value` over a phase's points, one row per peer, one column per
// distinct `key`; also writes gnuplot data (one block per peer) to `dat` and
// the peers it wrote to `titles`.
std::string PointsTable(const nlohmann::json& all, const std::string& phase,
                        const std::string& key, const std::string& key_title,
                        const std::string& value, bool human,
                        std::ostringstream& dat,
                        std::vector<std::string>* titles);

// A gnuplot script drawing one line per block of `dat` into `png`.
std::string PlotLines(const std::string& png, const std::string& dat,
                      const std::vector<std::string>& titles,
                      const std::string& title, const std::string& xlabel,
                      const std::string& ylabel, bool logx, bool logy);

// A gnuplot script drawing StandardTable's data as a histogram into
// appends.png.
std::string StandardHistogram(const std::string& dat);

}  // namespace sessionlog::bench

#endif  // SESSIONLOG_BENCH_COMPARE_REPORT_TABLES_H_
