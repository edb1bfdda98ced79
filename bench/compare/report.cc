#include "bench/compare/report.h"

#include <sqlite3.h>
#include <sys/utsname.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "bench/peer.h"
#include "rocksdb/version.h"

namespace sessionlog::bench {
namespace {

using Json = nlohmann::json;

std::string FirstLine(const std::string& command) {
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return "";
  char buffer[512] = {0};
  std::string line = fgets(buffer, sizeof(buffer), pipe) ? buffer : "";
  pclose(pipe);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) {
    line.pop_back();
  }
  return line;
}

// 1234567 -> "1.23M"; keeps three significant digits.
std::string Human(double v) {
  const char* suffix = "";
  if (v >= 1e9) {
    v /= 1e9, suffix = "G";
  } else if (v >= 1e6) {
    v /= 1e6, suffix = "M";
  } else if (v >= 1e4) {
    v /= 1e3, suffix = "k";
  }
  if (v >= 100 || (*suffix == '\0' && v == static_cast<int64_t>(v))) {
    return absl::StrFormat("%.0f%s", v, suffix);
  }
  if (v >= 10) return absl::StrFormat("%.1f%s", v, suffix);
  return absl::StrFormat("%.2f%s", v, suffix);
}

std::string Mb(double bytes) { return absl::StrFormat("%.1f", bytes / 1e6); }

// The result object of (phase, peer), or null when it did not run or failed.
const Json* Result(const Json& all, const std::string& phase,
                   const std::string& peer) {
  const Json& results = all["results"];
  if (!results.contains(phase) || !results[phase].contains(peer))
    return nullptr;
  const Json& answer = results[phase][peer];
  if (!answer.value("ok", false)) return nullptr;
  return &answer["result"];
}

double Field(const Json* result, const std::string& field) {
  if (result == nullptr || !result->contains(field)) return 0;
  return (*result)[field].get<double>();
}

// The point of a phase's points[] whose `key` equals `value`.
const Json* Point(const Json* result, const std::string& key, int64_t value) {
  if (result == nullptr || !result->contains("points")) return nullptr;
  for (const Json& p : (*result)["points"]) {
    if (p[key].get<int64_t>() == value) return &p;
  }
  return nullptr;
}

// Peers in the order of the tables: sessionlog first, then the baselines.
std::vector<std::string> PeersOf(const Json& all, const std::string& phase) {
  auto rank = [](const std::string& peer) {
    const std::vector<std::string>& order = AllPeerNames();
    return std::find(order.begin(), order.end(), peer) - order.begin();
  };
  std::vector<std::string> peers;
  if (all["results"].contains(phase)) {
    for (auto& [peer, answer] : all["results"][phase].items()) {
      peers.push_back(peer);
    }
  }
  std::stable_sort(peers.begin(), peers.end(),
                   [&](const std::string& a, const std::string& b) {
                     return rank(a) < rank(b);
                   });
  return peers;
}

// A rate, or a dash where the phase did not measure it.
std::string Rate(double v) { return v > 0 ? Human(v) : "—"; }
std::string Micros(double v) {
  return v > 0 ? absl::StrFormat("%.1f", v) : "—";
}

std::string Failure(const Json& all, const std::string& phase,
                    const std::string& peer) {
  return all["results"][phase][peer].value("error", std::string("?"));
}

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

// A table of `value` over a phase's points, one row per peer, one column per
// distinct `key`; also writes gnuplot data (one block per peer).
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

}  // namespace

Json MachineDescription() {
  struct utsname u;
  uname(&u);
  std::string cpu =
      FirstLine("grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'");
  std::string mem = FirstLine("awk '/MemTotal/ {print $2}' /proc/meminfo");
  char when[64];
  time_t now = time(nullptr);
  strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", gmtime(&now));
  return Json{{"cpu", cpu},
              {"cores", std::thread::hardware_concurrency()},
              {"memory_gib", mem.empty() ? 0 : std::stod(mem) / (1 << 20)},
              {"kernel", absl::StrCat(u.sysname, " ", u.release)},
              {"rocksdb", absl::StrCat(ROCKSDB_MAJOR, ".", ROCKSDB_MINOR, ".",
                                       ROCKSDB_PATCH)},
              {"sqlite", sqlite3_libversion()},
              {"node", FirstLine("node --version 2>/dev/null")},
              {"load_average", FirstLine("cat /proc/loadavg")},
              {"time", when}};
}

absl::Status WriteReport(const Json& all, const std::string& out_dir) {
  std::ofstream(out_dir + "/results.json") << all.dump(2) << "\n";
  const Json& m = all["machine"];
  std::string md = absl::StrCat(
      "# sessionlog benchmark results",
      all["quick"].get<bool>() ? " (--quick)" : "",
      "\n\nMachine: ", m["cpu"].get<std::string>(), ", ", m["cores"].get<int>(),
      " cores, ", absl::StrFormat("%.0f", m["memory_gib"].get<double>()),
      " GiB, ", m["kernel"].get<std::string>(), "; RocksDB ",
      m["rocksdb"].get<std::string>(), ", SQLite ",
      m["sqlite"].get<std::string>(), ", node ", m["node"].get<std::string>(),
      ". Load average at the end: ", m["load_average"].get<std::string>(), ". ",
      m["time"].get<std::string>(), ".\n\n");
  for (auto& [peer, why] : all["skipped"].items()) {
    absl::StrAppend(&md, "Skipped ", peer, ": ", why.get<std::string>(),
                    "\n\n");
  }

  std::ostringstream standard_dat;
  if (all["results"].contains("standard")) {
    const Json* any = nullptr;
    int64_t rounds = 1;
    for (auto& [peer, answer] : all["results"]["standard"].items()) {
      if (any == nullptr || peer == "sessionlog-rocksdb") {
        any = &answer["config"];
      }
      rounds = std::max<int64_t>(rounds, answer.value("repetitions", 1));
    }
    absl::StrAppend(&md, "## Default workload\n\n");
    if (any != nullptr) {
      absl::StrAppend(
          &md, (*any)["sessions"].get<int64_t>(), " sessions × ",
          (*any)["events_per_session"].get<int64_t>(), " events, ~",
          (*any)["payload_bytes"].get<int64_t>(),
          "-byte JSON-RPC payloads, appended round-robin with the SDK's "
          "limits (1024 sessions, 500 events); then ",
          (*any)["reads"].get<int64_t>(),
          " last-50 replay reads and as many session gets. Peers that fsync "
          "every append run fewer events (the events column) and no reads. "
          "TS peers' "
          "replay reads are the SDK's collectReplayEvents (page through the "
          "whole session, keep the last 50).",
          rounds > 1 ? absl::StrCat(" Each figure is the median of ", rounds,
                                    " rounds over the peers.")
                     : "",
          "\n\n");
    }
    absl::StrAppend(&md, StandardTable(all, standard_dat), "\n",
                    RatioTable(all), "\n![appends](appends.png)\n\n");
  }

  struct Plot {
    std::string phase, key, key_title, value, title, ylabel;
    bool human, logx, logy;
  };
  const std::vector<Plot> plots = {
      {"scaling", "events", "events stored", "appends_per_s",
       "Appends/s (cumulative) as the store grows, limits off", "appends/s",
       true, true, false},
      {"replay", "events_per_session", "events per session", "replay_p50_us",
       "Replay read (last 50) p50 latency by session length", "µs", false, true,
       true},
      {"fsync", "writers", "writers", "appends_per_s",
       "fsync durability: appends/s by concurrent writers (group commit)",
       "appends/s", true, false, true},
  };
  std::string gp;
  for (const Plot& plot : plots) {
    if (!all["results"].contains(plot.phase)) continue;
    std::ostringstream dat;
    std::vector<std::string> titles;
    absl::StrAppend(&md, "## ", plot.title, " (", plot.ylabel, ")\n\n",
                    PointsTable(all, plot.phase, plot.key, plot.key_title,
                                plot.value, plot.human, dat, &titles),
                    "\n");
    if (plot.phase == "scaling") {
      std::vector<std::string> dummy;
      std::ostringstream rss;
      absl::StrAppend(&md, "RSS (bytes) at each point:\n\n");
      std::string table = PointsTable(all, "scaling", "events", "events stored",
                                      "rss_bytes", true, rss, &dummy);
      absl::StrAppend(&md, table, "\n");
    }
    absl::StrAppend(&md, "![", plot.phase, "](", plot.phase, ".png)\n\n");
    if (titles.empty()) continue;  // Nothing measured: no plot.
    // plots.gp names its files relative to out_dir, where gnuplot runs.
    const std::string dat_file = plot.phase + ".dat";
    std::ofstream(out_dir + "/" + dat_file) << dat.str();
    gp += PlotLines(plot.phase + ".png", dat_file, titles, plot.title,
                    plot.key_title, plot.ylabel, plot.logx, plot.logy);
  }
  if (!standard_dat.str().empty()) {
    const std::string dat_file = "standard.dat";
    std::ofstream(out_dir + "/" + dat_file) << standard_dat.str();
    absl::StrAppend(
        &gp,
        "set terminal pngcairo size 900,560 noenhanced\nset output "
        "'appends.png'\nset title 'Default workload: appends/s and "
        "replay reads/s'\nunset xlabel\nset ylabel 'per second'\nset "
        "logscale y\nunset logscale x\nset style data histograms\nset style "
        "fill solid 0.8\nset xtics rotate by -30\nset key top right\nplot '",
        dat_file, "' using 3:xtic(2) title 'appends/s', '", dat_file,
        "' using 4 title 'replay reads/s'\n");
  }

  // The targets, from figures of this run.
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
  absl::StrAppend(&md, "## Targets (issue 8)\n\n",
                  all["quick"].get<bool>()
                      ? "--quick: ~1/50 of the data, so these figures only "
                        "show that the harness works; the reference figures "
                        "are in docs/BENCHMARKS.md.\n\n"
                      : "",
                  targets.Markdown(), "\n");

  std::ofstream(out_dir + "/results.md") << md;
  std::ofstream(out_dir + "/plots.gp") << gp;
  std::cout << md;
  const std::string command =
      absl::StrCat("cd '", out_dir, "' && gnuplot plots.gp 2>&1");
  if (system("command -v gnuplot >/dev/null 2>&1") == 0) {
    if (system(command.c_str()) != 0) {
      std::cerr << "gnuplot failed; the tables are still in results.md\n";
    }
  } else {
    std::cerr << "gnuplot is not installed; no plots (apt-get install "
                 "gnuplot-nox)\n";
  }
  return absl::OkStatus();
}

}  // namespace sessionlog::bench
