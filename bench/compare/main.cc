// The comparison harness: the same workload against every peer, in one run,
// with a table, the targets and PNG plots.
//
//   bazel run -c opt //bench/compare -- [--quick] [--out_dir=DIR]
//
// Each (phase, peer) runs in a child process of its own (this binary with
// --child, or node for the TS peers), so that RSS and disk bytes belong to one
// peer and one peer's caches never warm another's. See docs/BENCHMARKS.md.

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "bench/bench_env.h"
#include "bench/compare/node_peers.h"
#include "bench/compare/phases.h"
#include "bench/compare/report.h"
#include "bench/event_stream.h"
#include "bench/peer.h"
#include "engine/open.h"
#include "tests/testing/temp_dir.h"

ABSL_FLAG(bool, quick, false,
          "a small run (CI): fewer events and reads, same peers and phases");
ABSL_FLAG(std::string, out_dir, "",
          "where results.json, results.md and the PNG plots go (default: "
          "docs/benchmarks in the workspace under `bazel run`, else "
          "./bench-results; /tmp/sessionlog-bench-quick with --quick)");
ABSL_FLAG(std::string, peers, "",
          "comma-separated peers to run (default: every peer available)");
ABSL_FLAG(std::string, phases, "standard,scaling,replay,fsync,writers",
          "phases to run");
ABSL_FLAG(int64_t, sessions, 1000, "sessions in the default workload");
ABSL_FLAG(int64_t, events_per_session, 500, "events per session");
ABSL_FLAG(int64_t, payload_bytes, 300, "approximate payload size");
ABSL_FLAG(int64_t, reads, 5000, "replay reads and session gets per peer");
ABSL_FLAG(std::string, checkpoints, "50000,500000,1000000,2000000",
          "scaling: event counts at which appends/s and RSS are taken");
ABSL_FLAG(int64_t, repeat, 1,
          "standard phase: rounds over the peers; each figure is the median "
          "(e.g. --repeat=5 --peers=sessionlog-rocksdb,raw-rocksdb for a "
          "steadier ratio on a noisy machine)");
ABSL_FLAG(int64_t, sqlite_scaling_max, 1000000,
          "scaling: SQLite peers stop at this many events (they append 10x "
          "slower, and the run must fit in ~15 minutes)");
ABSL_FLAG(std::string, replay_lengths, "500,5000,50000",
          "replay: events per session");
ABSL_FLAG(int64_t, replay_store_events, 100000,
          "replay: events in each store (sessions = this / length)");
ABSL_FLAG(std::string, writers, "1,4,16",
          "fsync and writers: concurrent writer threads");
ABSL_FLAG(int64_t, appends_per_writer, 400, "fsync: appends per writer");
ABSL_FLAG(int64_t, writers_appends_per_writer, 50000,
          "writers (default durability): appends per writer");
ABSL_FLAG(int64_t, fsync_events, 2000,
          "standard phase: events for peers that fsync every append");
ABSL_FLAG(std::string, node_modules, "",
          "node_modules holding sandbox-agent@0.4.2 and better-sqlite3@12 "
          "(default: a cache dir, installed from npm when missing)");
ABSL_FLAG(std::string, node_script, "",
          "path of bench/node/ts_peer.mjs (default: found in the runfiles or "
          "the workspace)");
ABSL_FLAG(std::string, child, "", "internal: run one phase and print JSON");
ABSL_FLAG(std::string, child_config, "", "internal: the phase's config file");

namespace sessionlog::bench {
namespace {

using Json = nlohmann::json;

// Which peers take part in which phase. Peers that fsync every append run
// the standard phase on fewer events (--fsync_events): at a few hundred
// fsyncs a second the full workload would take hours.
bool InPhase(const std::string& phase, const std::string& peer) {
  if (phase == "standard") return true;
  if (phase == "scaling") {
    return peer == "sessionlog-rocksdb" || peer == "sessionlog-sqlite" ||
           peer == "raw-rocksdb" || peer == "raw-sqlite";
  }
  if (phase == "replay") {
    return peer == "sessionlog-rocksdb" || peer == "sessionlog-sqlite" ||
           peer == "sessionlog-memory" || peer == "raw-sqlite" ||
           peer == "ts-memory" || peer == "ts-sqlite";
  }
  if (phase == "fsync") {
    return peer == "sessionlog-rocksdb-fsync" || peer == "raw-rocksdb-sync" ||
           peer == "sessionlog-postgres-fsync";
  }
  if (phase == "writers") {
    return peer == "sessionlog-rocksdb" || peer == "raw-rocksdb";
  }
  return false;
}

bool SyncsEveryAppend(const std::string& peer) {
  return peer == "sessionlog-rocksdb-fsync" || peer == "raw-rocksdb-sync" ||
         peer == "raw-sqlite-sync" || peer == "sessionlog-postgres-fsync";
}

// The Postgres peers run the default workload on 100 events per session:
// a round trip per append. ts-postgres (the SDK's example driver, at the
// server's own durability: a WAL flush per insert) runs the same events as
// sessionlog-postgres, side by side.
bool OnPostgres(const std::string& peer) {
  return peer == "sessionlog-postgres" || peer == "ts-postgres";
}

std::vector<int64_t> Int64List(const std::string& text) {
  std::vector<int64_t> out;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    int64_t v;
    if (!absl::SimpleAtoi(part, &v) || v <= 0) {
      std::cerr << "bad number \"" << part << "\" in list \"" << text << "\"\n";
      exit(2);
    }
    out.push_back(v);
  }
  return out;
}

Json ToJson(const PhaseConfig& c) {
  return Json{{"peer", c.peer},
              {"dir", c.dir},
              {"pg_uri", c.pg_uri},
              {"sessions", c.spec.sessions},
              {"events_per_session", c.spec.events_per_session},
              {"payload_bytes", c.spec.payload_bytes},
              {"seed", c.spec.seed},
              {"rounds_in_pool", c.rounds_in_pool},
              {"reads", c.reads},
              {"replay_count", c.replay_count},
              {"max_read_seconds", c.max_read_seconds},
              {"checkpoints", c.checkpoints},
              {"replay_lengths", c.replay_lengths},
              {"replay_store_events", c.replay_store_events},
              {"writers", c.writers},
              {"appends_per_writer", c.appends_per_writer}};
}

PhaseConfig FromJson(const Json& j) {
  PhaseConfig c;
  c.peer = j.at("peer");
  c.dir = j.at("dir");
  c.pg_uri = j.at("pg_uri");
  c.spec.sessions = j.at("sessions");
  c.spec.events_per_session = j.at("events_per_session");
  c.spec.payload_bytes = j.at("payload_bytes");
  c.spec.seed = j.at("seed");
  c.rounds_in_pool = j.at("rounds_in_pool");
  c.reads = j.at("reads");
  c.replay_count = j.at("replay_count");
  c.max_read_seconds = j.at("max_read_seconds");
  c.checkpoints = j.at("checkpoints").get<std::vector<int64_t>>();
  c.replay_lengths = j.at("replay_lengths").get<std::vector<int64_t>>();
  c.replay_store_events = j.at("replay_store_events");
  c.writers = j.at("writers").get<std::vector<int64_t>>();
  c.appends_per_writer = j.at("appends_per_writer");
  return c;
}

int RunChild(const std::string& phase, const std::string& config_file) {
  std::ifstream in(config_file);
  const PhaseConfig config = FromJson(Json::parse(in));
  absl::StatusOr<Json> result = phase == "standard"  ? RunStandard(config)
                                : phase == "scaling" ? RunScaling(config)
                                : phase == "replay"  ? RunReplay(config)
                                : phase == "fsync" || phase == "writers"
                                    ? RunConcurrentWriters(config)
                                    : absl::InvalidArgumentError(absl::StrCat(
                                          "unknown phase \"", phase, "\""));
  Json out = result.ok()
                 ? Json{{"ok", true}, {"result", *result}}
                 : Json{{"ok", false},
                        {"error", std::string(result.status().message())}};
  std::cout << out.dump() << "\n";
  return 0;
}

// Runs `command` and parses the last line it prints as the child's answer.
Json RunCommand(const std::string& command) {
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    return Json{{"ok", false}, {"error", "cannot start: " + command}};
  }
  std::string output, last;
  char buffer[4096];
  while (fgets(buffer, sizeof(buffer), pipe) != nullptr) output += buffer;
  const int rc = pclose(pipe);
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty()) last = line;
  }
  Json answer = Json::parse(last, nullptr, /*allow_exceptions=*/false);
  if (answer.is_discarded() || !answer.contains("ok")) {
    return Json{{"ok", false},
                {"error",
                 absl::StrCat("exit status ", rc,
                              ", unreadable output: ", output.substr(0, 500))}};
  }
  return answer;
}

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

// Whether a sessionlog backend is built in and reachable, so that a run
// before the sqlite/postgres drivers land still reports everything else.
absl::Status ProbeDriver(const std::string& peer, const std::string& pg_uri) {
  TempDir dir("sessionlog-bench");
  return OpenPeer(peer, dir.path(), pg_uri, DriverOptions()).status();
}

// A full run under `bazel run` refreshes the reference figures that
// docs/BENCHMARKS.md shows; a quick one stays out of the tree.
std::string DefaultOutDir(bool quick) {
  if (quick) return "/tmp/sessionlog-bench-quick";
  if (const char* ws = getenv("BUILD_WORKSPACE_DIRECTORY")) {
    return absl::StrCat(ws, "/docs/benchmarks");
  }
  return "bench-results";
}

// This binary, for the children. /proc/PID/exe stays executable even when a
// build replaces the file while a long run is under way.
std::string SelfPath() { return absl::StrCat("/proc/", getpid(), "/exe"); }

// What every child run needs besides its phase and peer.
struct RunContext {
  PhaseConfig base;
  bool quick;
  int64_t fsync_events;
  int64_t writers_appends_per_writer;
  std::string scratch;
  NodeWorkloadFiles* node_files;
  std::string node_script;
  std::string node_modules;
};

// Runs one (phase, peer) in a child process; returns its answer with the
// configuration it ran.
Json RunPeer(const RunContext& context, const std::string& phase,
             const std::string& peer) {
  const PhaseConfig& base = context.base;
  PhaseConfig config = base;
  config.peer = peer;
  config.dir = absl::StrCat(context.scratch, "/", phase, "-", peer);
  std::filesystem::create_directories(config.dir);
  if (phase == "standard" && SyncsEveryAppend(peer)) {
    config.spec.events_per_session =
        std::max<int64_t>(1, context.fsync_events / config.spec.sessions);
    config.reads = 0;  // Their reads would be of 2-event sessions.
  }
  if (phase == "scaling" && absl::StrContains(peer, "sqlite")) {
    const int64_t cap = context.quick ? base.checkpoints.back()
                                      : absl::GetFlag(FLAGS_sqlite_scaling_max);
    config.checkpoints.clear();
    for (int64_t c : base.checkpoints) {
      if (c <= cap) config.checkpoints.push_back(c);
    }
  }
  if (phase == "writers") {
    config.appends_per_writer = context.writers_appends_per_writer;
  }
  if (OnPostgres(peer)) {
    config.spec.events_per_session =
        std::min<int64_t>(config.spec.events_per_session, 100);
  }
  std::cerr << "== " << phase << " / " << peer << "\n";
  const std::string config_file = config.dir + ".json";
  Json child_config = ToJson(config);
  std::string command;
  if (absl::StartsWith(peer, "ts-")) {
    absl::StatusOr<Json> files = context.node_files->For(phase, config);
    if (!files.ok()) {
      return Json{{"ok", false},
                  {"error", std::string(files.status().message())}};
    }
    child_config["phase"] = phase;
    child_config["files"] = *files;
    child_config["node_modules"] = context.node_modules;
    command = absl::StrCat("node ", Quote(context.node_script), " ",
                           Quote(config_file));
  } else {
    command = absl::StrCat(Quote(SelfPath()), " --child=", phase,
                           " --child_config=", Quote(config_file));
  }
  std::ofstream(config_file) << child_config.dump();
  Json answer = RunCommand(command);
  if (!answer["ok"].get<bool>()) {
    std::cerr << "   FAILED: " << answer["error"].get<std::string>() << "\n";
  }
  answer["config"] = ToJson(config);
  answer["config"].erase("pg_uri");  // May carry credentials.
  std::filesystem::remove_all(config.dir);
  return answer;
}

// One answer from repetitions: the first failure if any, else the first
// answer with each numeric result field replaced by its median.
Json Median(const std::vector<Json>& answers) {
  for (const Json& a : answers) {
    if (!a["ok"].get<bool>()) return a;
  }
  Json median = answers.front();
  if (answers.size() == 1) return median;
  for (auto& [field, value] : median["result"].items()) {
    if (!value.is_number()) continue;
    std::vector<double> values;
    for (const Json& a : answers) values.push_back(a["result"][field]);
    std::sort(values.begin(), values.end());
    value = values[values.size() / 2];
  }
  median["repetitions"] = answers.size();
  return median;
}

int RunHarness() {
  const bool quick = absl::GetFlag(FLAGS_quick);
  const std::string out_dir = absl::GetFlag(FLAGS_out_dir).empty()
                                  ? DefaultOutDir(quick)
                                  : absl::GetFlag(FLAGS_out_dir);
  std::filesystem::create_directories(out_dir);
  const char* pg_env = getenv("SESSIONLOG_PG_URI");
  const std::string pg_uri = pg_env ? pg_env : "";

  PhaseConfig base;
  base.spec.sessions = absl::GetFlag(FLAGS_sessions);
  base.spec.events_per_session = absl::GetFlag(FLAGS_events_per_session);
  base.spec.payload_bytes = absl::GetFlag(FLAGS_payload_bytes);
  base.reads = absl::GetFlag(FLAGS_reads);
  base.checkpoints = Int64List(absl::GetFlag(FLAGS_checkpoints));
  base.replay_lengths = Int64List(absl::GetFlag(FLAGS_replay_lengths));
  base.replay_store_events = absl::GetFlag(FLAGS_replay_store_events);
  base.writers = Int64List(absl::GetFlag(FLAGS_writers));
  base.appends_per_writer = absl::GetFlag(FLAGS_appends_per_writer);
  base.pg_uri = pg_uri;
  int64_t fsync_events = absl::GetFlag(FLAGS_fsync_events);
  int64_t writers_appends = absl::GetFlag(FLAGS_writers_appends_per_writer);
  if (quick) {
    // Every phase and peer still runs, on ~1/50 of the data.
    base.spec.sessions = 100;
    base.spec.events_per_session = 100;
    base.reads = 500;
    base.max_read_seconds = 1;
    base.checkpoints = {5000, 20000, 40000};
    base.replay_lengths = {50, 500, 2000};
    base.replay_store_events = 4000;
    base.writers = {1, 4};
    base.appends_per_writer = 50;
    fsync_events = 200;
    writers_appends = 1000;
  }

  std::vector<std::string> peers =
      absl::GetFlag(FLAGS_peers).empty()
          ? AllPeerNames()
          : absl::StrSplit(absl::GetFlag(FLAGS_peers), ',', absl::SkipEmpty());
  Json skipped = Json::object();
  std::vector<std::string> runnable;
  std::string node_modules, node_script;
  for (const std::string& peer : peers) {
    absl::Status ok;
    if (absl::StartsWith(peer, "sessionlog-")) {
      ok = ProbeDriver(peer, pg_uri);
    } else if (peer == "ts-postgres" && pg_uri.empty()) {
      ok = absl::FailedPreconditionError(
          "no Postgres URI (set SESSIONLOG_PG_URI)");
    } else if (absl::StartsWith(peer, "ts-")) {
      // Resolved now: a rebuild during the run must not move it.
      absl::StatusOr<std::string> script =
          NodePeerScript(absl::GetFlag(FLAGS_node_script));
      if (script.ok()) node_script = *script;
      if (!script.ok()) {
        ok = script.status();
      } else if (node_modules.empty()) {
        absl::StatusOr<std::string> nm =
            EnsureNodeModules(absl::GetFlag(FLAGS_node_modules));
        ok = nm.status();
        if (nm.ok()) node_modules = *nm;
      } else {
        ok = absl::OkStatus();
      }
    } else if (!absl::StartsWith(peer, "raw-")) {
      ok = absl::InvalidArgumentError(absl::StrCat("unknown peer ", peer));
    }
    if (ok.ok()) {
      runnable.push_back(peer);
    } else {
      std::cerr << "skipping " << peer << ": " << ok.message() << "\n";
      skipped[peer] = std::string(ok.message());
    }
  }

  TempDir scratch("sessionlog-bench");
  // The disk's own speed, next to what the peers write (the report's
  // physical-limit section); on the scratch directory the stores use.
  absl::StatusOr<double> disk_bandwidth = SequentialWriteBytesPerSecond(
      scratch.path(), quick ? (64 << 20) : (int64_t{1} << 30));
  if (!disk_bandwidth.ok()) {
    std::cerr << "disk bandwidth not measured: "
              << disk_bandwidth.status().message() << "\n";
  }
  Json results = Json::object();
  int failures = 0;
  NodeWorkloadFiles node_files(scratch.path());
  RunContext context{base,           quick,       fsync_events, writers_appends,
                     scratch.path(), &node_files, node_script,  node_modules};
  for (absl::string_view phase_view :
       absl::StrSplit(absl::GetFlag(FLAGS_phases), ',', absl::SkipEmpty())) {
    const std::string phase(phase_view);
    // Repetitions go round the peers, so that a noisy minute hits each peer
    // once rather than one peer N times.
    const int64_t repeat =
        phase == "standard" ? std::max<int64_t>(1, absl::GetFlag(FLAGS_repeat))
                            : 1;
    std::map<std::string, std::vector<Json>> answers;
    for (int64_t round = 0; round < repeat; ++round) {
      for (const std::string& peer : runnable) {
        if (!InPhase(phase, peer)) continue;
        answers[peer].push_back(RunPeer(context, phase, peer));
      }
    }
    for (auto& [peer, list] : answers) {
      Json answer = Median(list);
      if (!answer["ok"].get<bool>()) ++failures;
      results[phase][peer] = answer;
    }
  }
  Json machine = MachineDescription();
  if (disk_bandwidth.ok())
    machine["disk_seq_write_bytes_per_s"] = *disk_bandwidth;
  if (!pg_uri.empty()) {
    // Postgres figures mean little with fsync off: every commit is then as
    // cheap as synchronous_commit=off makes it.
    machine["postgres"] = {
        {"server_version", PostgresSetting(pg_uri, "server_version")},
        {"fsync", PostgresSetting(pg_uri, "fsync")},
        {"synchronous_commit", PostgresSetting(pg_uri, "synchronous_commit")}};
    if (machine["postgres"]["fsync"] != "on") {
      std::cerr << "note: the Postgres at SESSIONLOG_PG_URI runs with fsync="
                << machine["postgres"]["fsync"].get<std::string>()
                << ", which flatters every Postgres figure; for a reference "
                   "run start it with start_postgres_durable "
                   "(tools/scripts/services.sh)\n";
    }
  }
  Json all = {{"quick", quick},
              {"machine", machine},
              {"skipped", skipped},
              {"results", results}};
  if (absl::Status st = WriteReport(all, out_dir); !st.ok()) {
    std::cerr << "report: " << st.message() << "\n";
    return 1;
  }
  std::cerr << "results in " << out_dir << "\n";
  return failures == 0 ? 0 : 1;
}

}  // namespace
}  // namespace sessionlog::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  if (!absl::GetFlag(FLAGS_child).empty()) {
    return sessionlog::bench::RunChild(absl::GetFlag(FLAGS_child),
                                       absl::GetFlag(FLAGS_child_config));
  }
  return sessionlog::bench::RunHarness();
}
