#include "bench/compare/report_limits.h"

#include <string>

#include "gtest/gtest.h"

namespace sessionlog::bench {
namespace {

using Json = nlohmann::json;

Json Standard(double rate, double cpu, double bytes) {
  return Json{{"ok", true},
              {"result",
               {{"appends_per_s", rate},
                {"append_cpu_us", cpu},
                {"append_write_bytes", bytes}}}};
}

TEST(ReportLimitsTest, SplitsTheEnginesCpuFromRocksDbsAndComparesTheDisk) {
  Json all = {{"machine", {{"disk_seq_write_bytes_per_s", 100e6}}},
              {"results",
               {{"standard",
                 {{"sessionlog-rocksdb", Standard(100000, 8, 500)},
                  {"raw-rocksdb", Standard(120000, 6, 450)}}}}}};
  const std::string md = PhysicalLimitSection(all);
  // 100k appends/s x 500 bytes = 50 MB/s, half the disk's 100 MB/s.
  EXPECT_NE(md.find("| sessionlog-rocksdb | 100k | 500 | 50.0 | 50.0% | 8.0 |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("100.0 MB/s"), std::string::npos) << md;
  EXPECT_NE(md.find("RocksDB (raw-rocksdb's Puts of the same bytes, encoding "
                    "included) 6.00 µs (75%) and the engine's own work 2.00 µs "
                    "(25%)"),
            std::string::npos)
      << md;
}

TEST(ReportLimitsTest, SaysWhatWasNotMeasured) {
  Json all = {
      {"machine", Json::object()},
      {"results",
       {{"standard",
         {{"sessionlog-sqlite",
           {{"ok", true},
            {"result", {{"appends_per_s", 1000}, {"append_cpu_us", 50}}}}}}}}}};
  const std::string md = PhysicalLimitSection(all);
  EXPECT_NE(md.find("was not measured"), std::string::npos) << md;
  EXPECT_NE(md.find("| sessionlog-sqlite | 1000 | — | — | — | 50.0 | 20.0k |"),
            std::string::npos)
      << md;
  EXPECT_EQ(md.find("of which RocksDB"), std::string::npos) << md;
}

TEST(ReportLimitsTest, NothingWithoutTheStandardPhase) {
  Json all = {{"machine", Json::object()}, {"results", Json::object()}};
  EXPECT_EQ(PhysicalLimitSection(all), "");
}

}  // namespace
}  // namespace sessionlog::bench
