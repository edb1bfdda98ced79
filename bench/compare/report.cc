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
#include "bench/compare/report_limits.h"
#include "bench/compare/report_results.h"
#include "bench/compare/report_tables.h"
#include "bench/compare/report_targets.h"
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
      {"writers", "writers", "writers", "appends_per_s",
       "Default durability: appends/s by concurrent writers", "appends/s", true,
       false, false},
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
    gp += StandardHistogram(dat_file);
  }

  absl::StrAppend(&md, PhysicalLimitSection(all), TargetsSection(all));
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
