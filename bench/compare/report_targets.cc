#include "bench/compare/report_targets.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/compare/report_results.h"

namespace sessionlog::bench {
namespace {

using Json = nlohmann::json;

class Targets {
 public:
  void Ratio(const std::string& what, double numerator, double denominator,
             double at_least, const std::string& how) {
    if (numerator <= 0 || denominator <= 0) {
      rows_.push_back({what, "not measured (a peer did not run)", "—"});
      return;
    }
    const double ratio = numerator / denominator;
    rows_.push_back({what, absl::StrFormat("%.2f× (%s)", ratio, how),
                     ratio >= at_least ? "met" : "**missed**"});
  }
  void AtMost(const std::string& what, double value, double limit,
              const std::string& shown) {
    if (value <= 0) {
      rows_.push_back({what, "not measured (a peer did not run)", "—"});
      return;
    }
    rows_.push_back({what, shown, value <= limit ? "met" : "**missed**"});
  }
  std::string Markdown() const {
    std::string out = "| target | measured | |\n|---|---|---|\n";
    for (const auto& row : rows_) {
      absl::StrAppend(&out, "| ", row[0], " | ", row[1], " | ", row[2], " |\n");
    }
    return out;
  }

 private:
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace

std::string TargetsSection(const Json& all) {
  Targets targets;
  const Json* engine = Result(all, "standard", "sessionlog-rocksdb");
  const double engine_appends = Field(engine, "appends_per_s");
  targets.Ratio("default-durability appends ≥ 10× TS SQLite", engine_appends,
                Field(Result(all, "standard", "ts-sqlite"), "appends_per_s"),
                10, "sessionlog-rocksdb / ts-sqlite");
  targets.Ratio("default-durability appends ≥ 4× raw SQLite", engine_appends,
                Field(Result(all, "standard", "raw-sqlite"), "appends_per_s"),
                4, "sessionlog-rocksdb / raw-sqlite");
  targets.Ratio("default-durability appends ≥ 0.9× raw RocksDB", engine_appends,
                Field(Result(all, "standard", "raw-rocksdb"), "appends_per_s"),
                0.9, "sessionlog-rocksdb / raw-rocksdb");
  const Json* fsync = Result(all, "fsync", "sessionlog-rocksdb-fsync");
  if (fsync != nullptr && !(*fsync)["points"].empty()) {
    const Json& points = (*fsync)["points"];
    const Json& most = points.back();
    targets.Ratio(
        absl::StrCat("fsync, ", most["writers"].get<int64_t>(),
                     " writers ≥ 10× one fsync per event"),
        most["appends_per_s"].get<double>(),
        points.front()["appends_per_s"].get<double>(), 10,
        absl::StrCat(most["writers"].get<int64_t>(), " writers / ",
                     points.front()["writers"].get<int64_t>(), " writer"));
  } else {
    targets.Ratio("fsync with 16 writers ≥ 10× one fsync per event", 0, 0, 10,
                  "");
  }
  // Issue 15: concurrent writers at the default durability, next to raw
  // RocksDB with the same threads.
  const Json* writers = Result(all, "writers", "sessionlog-rocksdb");
  const Json* raw_writers = Result(all, "writers", "raw-rocksdb");
  if (writers != nullptr && (*writers)["points"].size() >= 2) {
    const Json& points = (*writers)["points"];
    const double one = points.front()["appends_per_s"].get<double>();
    const Json* raw_one = Point(raw_writers, "writers", 1);
    for (size_t i = 1; i < points.size(); ++i) {
      const int64_t n = points[i]["writers"].get<int64_t>();
      const Json* raw = Point(raw_writers, "writers", n);
      std::string how = absl::StrCat(n, " writers / 1 writer");
      if (raw != nullptr && raw_one != nullptr) {
        absl::StrAppend(
            &how,
            absl::StrFormat("; raw RocksDB %.2f×",
                            (*raw)["appends_per_s"].get<double>() /
                                (*raw_one)["appends_per_s"].get<double>()));
      }
      targets.Ratio(
          absl::StrCat("default durability, ", n, " writers ≥ 1.5× one writer"),
          points[i]["appends_per_s"].get<double>(), one, 1.5, how);
    }
  } else {
    targets.Ratio("default durability, 4 and 16 writers ≥ 1.5× one writer", 0,
                  0, 1.5, "");
  }
  targets.Ratio("last-50 replay reads ≥ 3× raw SQLite",
                Field(engine, "replays_per_s"),
                Field(Result(all, "standard", "raw-sqlite"), "replays_per_s"),
                3, "sessionlog-rocksdb / raw-sqlite, reads/s");
  const Json* replay = Result(all, "replay", "sessionlog-rocksdb");
  if (replay != nullptr && (*replay)["points"].size() >= 2) {
    const Json& points = (*replay)["points"];
    const double first = points.front()["replay_p50_us"].get<double>();
    const double last = points.back()["replay_p50_us"].get<double>();
    targets.AtMost(
        absl::StrCat("last-50 replay flat within 20% from ",
                     Human(points.front()["events_per_session"].get<double>()),
                     " to ",
                     Human(points.back()["events_per_session"].get<double>()),
                     " events"),
        last / first, 1.2,
        absl::StrFormat("p50 %.1f µs → %.1f µs (%.2f×)", first, last,
                        last / first));
  } else {
    targets.AtMost("last-50 replay flat within 20%", 0, 1.2, "");
  }
  const Json* scaling = Result(all, "scaling", "sessionlog-rocksdb");
  const Json* at_million = Point(scaling, "events", 1000000);
  if (at_million == nullptr && scaling != nullptr) {
    at_million = &(*scaling)["points"].back();
  }
  if (at_million != nullptr) {
    const double rss = (*at_million)["rss_bytes"].get<double>();
    targets.AtMost(absl::StrCat("RSS ≤ 150 MB with ",
                                Human((*at_million)["events"].get<double>()),
                                " events stored"),
                   rss, 150e6, absl::StrCat(Mb(rss), " MB"));
  } else {
    targets.AtMost("RSS ≤ 150 MB with 1M events stored", 0, 150e6, "");
  }
  const double engine_disk = Field(engine, "disk_bytes");
  const double sqlite_disk =
      Field(Result(all, "standard", "raw-sqlite"), "disk_bytes");
  targets.AtMost(
      "disk ≤ 0.6× SQLite's (TS schema)",
      sqlite_disk > 0 ? engine_disk / sqlite_disk : 0, 0.6,
      sqlite_disk > 0
          ? absl::StrFormat("%.2f× (%s MB vs %s MB)", engine_disk / sqlite_disk,
                            Mb(engine_disk), Mb(sqlite_disk))
          : "");
  return absl::StrCat(
      "## Targets (issue 8)\n\n",
      all["quick"].get<bool>()
          ? "--quick: ~1/50 of the data, so these figures only "
            "show that the harness works; the reference figures "
            "are in docs/BENCHMARKS.md.\n\n"
          : "",
      targets.Markdown(), "\n");
}

}  // namespace sessionlog::bench
