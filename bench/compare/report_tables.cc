#include "bench/compare/report_tables.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/compare/report_results.h"

namespace sessionlog::bench {

using Json = nlohmann::json;

std::string StandardTable(const Json& all, std::ostringstream& dat) {
  std::string out =
      "| peer | events | appends/s | append p50 µs | append p99 µs | replay "
      "reads/s | replay p50 µs | gets/s | get p50 µs | RSS MB | disk MB |\n"
      "|---|---|---|---|---|---|---|---|---|---|---|\n";
  int column = 0;
  for (const std::string& peer : PeersOf(all, "standard")) {
    const Json* r = Result(all, "standard", peer);
    if (r == nullptr) {
      absl::StrAppend(&out, "| ", peer,
                      " | failed: ", Failure(all, "standard", peer), " |\n");
      continue;
    }
    absl::StrAppend(
        &out, "| ", peer, " | ", Human(Field(r, "events")), " | ",
        Human(Field(r, "appends_per_s")), " | ",
        absl::StrFormat("%.1f", Field(r, "append_p50_us")), " | ",
        absl::StrFormat("%.1f", Field(r, "append_p99_us")), " | ",
        Rate(Field(r, "replays_per_s")), " | ",
        Micros(Field(r, "replay_p50_us")), " | ", Rate(Field(r, "gets_per_s")),
        " | ", Micros(Field(r, "get_p50_us")), " | ", Mb(Field(r, "rss_bytes")),
        " | ", Mb(Field(r, "disk_bytes")), " |\n");
    dat << column++ << " \"" << peer << "\" " << Field(r, "appends_per_s")
        << " " << Field(r, "replays_per_s") << "\n";
  }
  return out;
}

std::string RatioTable(const Json& all) {
  const Json* engine = Result(all, "standard", "sessionlog-rocksdb");
  if (engine == nullptr) return "";
  std::string out =
      "sessionlog-rocksdb (default durability) divided by each peer, same "
      "run:\n\n| peer | appends | replay reads | session gets | disk "
      "(peer / engine) |\n|---|---|---|---|---|\n";
  for (const std::string& peer : PeersOf(all, "standard")) {
    const Json* r = Result(all, "standard", peer);
    if (r == nullptr || peer == "sessionlog-rocksdb") continue;
    auto ratio = [&](const std::string& f) {
      const double d = Field(r, f);
      return d > 0 ? absl::StrFormat("%.2f×", Field(engine, f) / d)
                   : std::string("—");
    };
    const double disk = Field(engine, "disk_bytes");
    absl::StrAppend(
        &out, "| ", peer, " | ", ratio("appends_per_s"), " | ",
        ratio("replays_per_s"), " | ", ratio("gets_per_s"), " | ",
        disk > 0 && Field(r, "disk_bytes") > 0
            ? absl::StrFormat("%.2f×", Field(r, "disk_bytes") / disk)
            : std::string("—"),
        " |\n");
  }
  return out;
}

std::string PointsTable(const Json& all, const std::string& phase,
                        const std::string& key, const std::string& key_title,
                        const std::string& value, bool human,
                        std::ostringstream& dat,
                        std::vector<std::string>* titles) {
  std::vector<int64_t> keys;
  for (const std::string& peer : PeersOf(all, phase)) {
    const Json* r = Result(all, phase, peer);
    if (r == nullptr) continue;
    for (const Json& p : (*r)["points"]) {
      const int64_t k = p[key].get<int64_t>();
      if (std::find(keys.begin(), keys.end(), k) == keys.end()) {
        keys.push_back(k);
      }
    }
  }
  std::sort(keys.begin(), keys.end());
  std::string out = absl::StrCat("| peer \\ ", key_title, " |");
  std::string rule = "|---|";
  for (int64_t k : keys) {
    absl::StrAppend(&out, " ", Human(k), " |");
    rule += "---|";
  }
  absl::StrAppend(&out, "\n", rule, "\n");
  for (const std::string& peer : PeersOf(all, phase)) {
    const Json* r = Result(all, phase, peer);
    if (r == nullptr) {
      absl::StrAppend(&out, "| ", peer,
                      " | failed: ", Failure(all, phase, peer), " |\n");
      continue;
    }
    absl::StrAppend(&out, "| ", peer, " |");
    for (int64_t k : keys) {
      const Json* p = Point(r, key, k);
      const double v = p ? (*p)[value].get<double>() : 0;
      absl::StrAppend(&out, " ",
                      p == nullptr ? std::string("—")
                      : human      ? Human(v)
                                   : absl::StrFormat("%.1f", v),
                      " |");
      if (p != nullptr) dat << k << " " << v << "\n";
    }
    absl::StrAppend(&out, "\n");
    dat << "\n\n";
    titles->push_back(peer);
  }
  return out;
}

std::string PlotLines(const std::string& png, const std::string& dat,
                      const std::vector<std::string>& titles,
                      const std::string& title, const std::string& xlabel,
                      const std::string& ylabel, bool logx, bool logy) {
  std::string gp = absl::StrCat(
      "set terminal pngcairo size 900,560 noenhanced\nset output '", png,
      "'\nset title '", title, "'\nset xlabel '", xlabel, "'\nset ylabel '",
      ylabel, "'\nset grid\nset key outside right\n",
      logx ? "set logscale x\n" : "", logy ? "set logscale y\n" : "", "plot ");
  for (size_t i = 0; i < titles.size(); ++i) {
    absl::StrAppend(&gp, i ? ", " : "", "'", dat, "' index ", i,
                    " with linespoints lw 2 title '", titles[i], "'");
  }
  return gp + "\n";
}

std::string StandardHistogram(const std::string& dat_file) {
  return absl::StrCat(
      "set terminal pngcairo size 900,560 noenhanced\nset output "
      "'appends.png'\nset title 'Default workload: appends/s and "
      "replay reads/s'\nunset xlabel\nset ylabel 'per second'\nset "
      "logscale y\nunset logscale x\nset style data histograms\nset style "
      "fill solid 0.8\nset xtics rotate by -30\nset key top right\nplot '",
      dat_file, "' using 3:xtic(2) title 'appends/s', '", dat_file,
      "' using 4 title 'replay reads/s'\n");
}

}  // namespace sessionlog::bench
