// Google Benchmark suites for each driver operation, on every backend that
// api/open.h can open: append, batch append, last N, page, get, update and
// evict. Each reports events/s (items_per_second) and bytes/s (payload or
// record bytes moved).
//
//   bazel run //bench:driver_bench                       # memory, rocksdb,
//   sqlite bazel run //bench:driver_bench --
//   --uris=rocksdb:/tmp/x,postgresql://... bazel run //bench:driver_bench --
//   --benchmark_filter=LastN
//
// Without --uris it runs memory:, rocksdb: and sqlite: stores in a scratch
// directory, plus $SESSIONLOG_PG_URI when set. Stores live for the whole run:
// the read suites share one store per backend filled with 200 sessions x 500
// events, the write suites append to another.

#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "bench/bench_env.h"
#include "bench/event_stream.h"
#include "bench/peer.h"
#include "bench/workload.h"
#include "benchmark/benchmark.h"
#include "engine/open.h"
#include "tests/testing/temp_dir.h"

ABSL_FLAG(std::string, uris, "",
          "comma-separated store URIs (default: memory:, rocksdb: and sqlite: "
          "in a scratch dir, and $SESSIONLOG_PG_URI when set)");

namespace sessionlog::bench {
namespace {

constexpr int64_t kReadSessions = 200;
constexpr int64_t kReadEvents = 500;
constexpr int64_t kEvictCap = 100;  // max_sessions of the eviction store.

TempDir* scratch = nullptr;

// One backend's stores, opened on first use and kept for the whole run.
class Backend {
 public:
  Backend(std::string name, std::string uri)
      : name_(std::move(name)), uri_(std::move(uri)) {}
  ~Backend() {
    read_.reset();
    write_.reset();
    evict_.reset();
    for (const std::string& schema : schemas_) DropPostgresSchema(uri_, schema);
  }

  const std::string& name() const { return name_; }

  // A store with `kReadSessions` x `kReadEvents` events, for the read suites.
  absl::StatusOr<SessionPersistDriver*> ReadStore() {
    if (read_ == nullptr) {
      auto driver = OpenFresh("read", DriverOptions());
      if (!driver.ok()) return driver.status();
      WorkloadSpec spec;
      spec.sessions = kReadSessions;
      spec.events_per_session = kReadEvents;
      read_workload_ = std::make_unique<Workload>(spec);
      for (int64_t s = 0; s < kReadSessions; ++s) {
        if (auto st = (*driver)->UpdateSession(read_workload_->Session(s));
            !st.ok()) {
          return st;
        }
      }
      EventStream stream(*read_workload_, 20);
      std::vector<SessionEvent> batch;
      for (int64_t n = 0; n < spec.total_events(); n += 500) {
        batch = stream.NextBatch(500);
        if (auto st = (*driver)->InsertEvents(batch); !st.ok()) return st;
      }
      read_ = *std::move(driver);
    }
    return read_.get();
  }
  const Workload& read_workload() const { return *read_workload_; }

  // A store that the write suites append to, and its event stream.
  absl::StatusOr<SessionPersistDriver*> WriteStore() {
    if (write_ == nullptr) {
      auto driver = OpenFresh("write", DriverOptions());
      if (!driver.ok()) return driver.status();
      write_workload_ = std::make_unique<Workload>(WorkloadSpec());
      for (int64_t s = 0; s < write_workload_->spec().sessions; ++s) {
        if (auto st = (*driver)->UpdateSession(write_workload_->Session(s));
            !st.ok()) {
          return st;
        }
      }
      stream_ = std::make_unique<EventStream>(*write_workload_, 20);
      write_ = *std::move(driver);
    }
    return write_.get();
  }
  EventStream& stream() { return *stream_; }
  const Workload& write_workload() const { return *write_workload_; }

  // A store capped at kEvictCap sessions, full, for the eviction suite.
  absl::StatusOr<SessionPersistDriver*> EvictStore() {
    if (evict_ == nullptr) {
      DriverOptions options;
      options.max_sessions = kEvictCap;
      auto driver = OpenFresh("evict", options);
      if (!driver.ok()) return driver.status();
      evict_ = *std::move(driver);
    }
    return evict_.get();
  }

 private:
  absl::StatusOr<std::unique_ptr<SessionPersistDriver>> OpenFresh(
      const std::string& role, DriverOptions options) {
    std::string uri = uri_;
    if (absl::StartsWith(uri_, "rocksdb:") ||
        absl::StartsWith(uri_, "sqlite:")) {
      uri = absl::StrCat(uri_, "-", role);
    }
    if (absl::StartsWith(uri_, "postgres")) {
      options.postgres_schema =
          absl::StrCat("sessionlog_bench_", getpid(), "_", role);
      schemas_.push_back(options.postgres_schema);
    }
    return Open(uri, options);
  }

  std::string name_, uri_;
  std::unique_ptr<SessionPersistDriver> read_, write_, evict_;
  std::unique_ptr<Workload> read_workload_, write_workload_;
  std::unique_ptr<EventStream> stream_;
  std::vector<std::string> schemas_;  // Postgres schemas to drop at the end.
};

void Fail(benchmark::State& state, const absl::Status& status) {
  state.SkipWithError(std::string(status.message()).c_str());
}

void BM_Append(benchmark::State& state, Backend* backend) {
  auto store = backend->WriteStore();
  if (!store.ok()) return Fail(state, store.status());
  int64_t bytes = 0;
  for (auto _ : state) {
    const SessionEvent& event = backend->stream().Next();
    bytes += event.payload_json.size();
    if (auto st = (*store)->InsertEvent(event); !st.ok())
      return Fail(state, st);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(bytes);
}

void BM_BatchAppend(benchmark::State& state, Backend* backend) {
  auto store = backend->WriteStore();
  if (!store.ok()) return Fail(state, store.status());
  const int64_t size = state.range(0);
  int64_t bytes = 0;
  for (auto _ : state) {
    // Copying the batch out of the stream costs about 1% of the write.
    std::vector<SessionEvent> batch = backend->stream().NextBatch(size);
    for (const SessionEvent& e : batch) bytes += e.payload_json.size();
    if (auto st = (*store)->InsertEvents(batch); !st.ok()) {
      return Fail(state, st);
    }
  }
  state.SetItemsProcessed(state.iterations() * size);
  state.SetBytesProcessed(bytes);
}

void BM_LastN(benchmark::State& state, Backend* backend) {
  auto store = backend->ReadStore();
  if (!store.ok()) return Fail(state, store.status());
  const int64_t count = state.range(0);
  int64_t i = 0, events = 0, bytes = 0;
  for (auto _ : state) {
    const std::string id =
        backend->read_workload().SessionId((i++ * 7919) % kReadSessions);
    auto got = (*store)->LastEvents(id, count);
    if (!got.ok()) return Fail(state, got.status());
    events += got->size();
    for (const SessionEvent& e : *got) bytes += e.payload_json.size();
  }
  state.SetItemsProcessed(events);
  state.SetBytesProcessed(bytes);
}

void BM_Page(benchmark::State& state, Backend* backend) {
  auto store = backend->ReadStore();
  if (!store.ok()) return Fail(state, store.status());
  ListEventsRequest request;
  request.limit = state.range(0);
  int64_t i = 0, events = 0, bytes = 0;
  for (auto _ : state) {
    // Pages walk each session from its start; the cursor of one page is the
    // start of the next, as a paging client uses it.
    if (request.cursor.empty()) {
      request.session_id =
          backend->read_workload().SessionId((i++ * 7919) % kReadSessions);
    }
    auto page = (*store)->ListEvents(request);
    if (!page.ok()) return Fail(state, page.status());
    request.cursor = page->next_cursor.value_or("");
    events += page->items.size();
    for (const SessionEvent& e : page->items) bytes += e.payload_json.size();
  }
  state.SetItemsProcessed(events);
  state.SetBytesProcessed(bytes);
}

int64_t RecordBytes(const SessionRecord& r) {
  return r.id.size() + r.agent.size() + r.last_connection_id.size() +
         r.agent_session_id.value_or("").size() +
         r.sandbox_id.value_or("").size() +
         r.session_init_json.value_or("").size() + 16;
}

void BM_Get(benchmark::State& state, Backend* backend) {
  auto store = backend->ReadStore();
  if (!store.ok()) return Fail(state, store.status());
  int64_t i = 0, bytes = 0;
  for (auto _ : state) {
    auto record = (*store)->GetSession(
        backend->read_workload().SessionId((i++ * 7919) % kReadSessions));
    if (!record.ok()) return Fail(state, record.status());
    bytes += RecordBytes(*record);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(bytes);
}

// Replaces existing records (a new connection id), as the SDK does on every
// resume; no eviction happens.
void BM_Update(benchmark::State& state, Backend* backend) {
  auto store = backend->WriteStore();
  if (!store.ok()) return Fail(state, store.status());
  const Workload& workload = backend->write_workload();
  int64_t i = 0, bytes = 0;
  for (auto _ : state) {
    SessionRecord record = workload.Session(i % workload.spec().sessions);
    record.last_connection_id = StableUuid(7, 7, i++);
    bytes += RecordBytes(record);
    if (auto st = (*store)->UpdateSession(record); !st.ok()) {
      return Fail(state, st);
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(bytes);
}

// The eviction suite's sessions: each newer than the one before.
const Workload& EvictWorkload() {
  static const Workload* const workload = [] {
    WorkloadSpec spec;
    spec.sessions = 1 << 30;
    spec.seed = 99;
    return new Workload(spec);
  }();
  return *workload;
}

absl::Status AddEvents(SessionPersistDriver& store, int64_t session) {
  for (int64_t index = 1; index <= 10; ++index) {
    if (auto st = store.InsertEvent(EvictWorkload().Event(session, index));
        !st.ok()) {
      return st;
    }
  }
  return absl::OkStatus();
}

// Each timed UpdateSession adds a session to a store that is full
// (max_sessions = 100), so it evicts the oldest session with its 10 events.
// Appending those events is not timed.
void BM_Evict(benchmark::State& state, Backend* backend) {
  static int64_t next = 0;  // Sessions only ever get newer across calls.
  auto store = backend->EvictStore();
  if (!store.ok()) return Fail(state, store.status());
  while (next < kEvictCap) {  // Fill the store up to its cap first.
    if (auto st = (*store)->UpdateSession(EvictWorkload().Session(next));
        !st.ok()) {
      return Fail(state, st);
    }
    if (auto st = AddEvents(**store, next++); !st.ok()) return Fail(state, st);
  }
  int64_t bytes = 0;
  for (auto _ : state) {
    const SessionRecord record = EvictWorkload().Session(next);
    bytes += RecordBytes(record);
    if (auto st = (*store)->UpdateSession(record); !st.ok()) {
      return Fail(state, st);
    }
    state.PauseTiming();
    if (auto st = AddEvents(**store, next++); !st.ok()) return Fail(state, st);
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(bytes);
}

std::vector<std::pair<std::string, std::string>> Backends() {
  std::vector<std::pair<std::string, std::string>> out;
  const std::string uris = absl::GetFlag(FLAGS_uris);
  if (!uris.empty()) {
    for (absl::string_view uri : absl::StrSplit(uris, ',', absl::SkipEmpty())) {
      auto parsed = ParseStoreUri(uri);
      const char* name =
          !parsed.ok()                                    ? "bad"
          : parsed->scheme == StoreUri::Scheme::kRocksDb  ? "rocksdb"
          : parsed->scheme == StoreUri::Scheme::kSqlite   ? "sqlite"
          : parsed->scheme == StoreUri::Scheme::kPostgres ? "postgres"
                                                          : "memory";
      out.emplace_back(name, std::string(uri));
    }
    return out;
  }
  out.emplace_back("memory", "memory:");
  out.emplace_back("rocksdb",
                   absl::StrCat("rocksdb:", scratch->path(), "/rocksdb"));
  out.emplace_back("sqlite",
                   absl::StrCat("sqlite:", scratch->path(), "/sqlite.db"));
  if (const char* pg = getenv("SESSIONLOG_PG_URI")) {
    out.emplace_back("postgres", pg);
  }
  return out;
}

}  // namespace
}  // namespace sessionlog::bench

int main(int argc, char** argv) {
  using namespace sessionlog::bench;
  benchmark::Initialize(&argc, argv);
  absl::ParseCommandLine(argc, argv);
  sessionlog::TempDir dir("sessionlog-bench");
  scratch = &dir;
  std::vector<std::unique_ptr<Backend>> backends;
  for (const auto& [name, uri] : Backends()) {
    // A backend that cannot open (not built yet, no server) is left out.
    auto probe = sessionlog::Open(uri);
    if (!probe.ok() && !absl::StartsWith(uri, "postgres")) {
      std::cerr << "skipping " << uri << ": " << probe.status().message()
                << "\n";
      continue;
    }
    backends.push_back(std::make_unique<Backend>(name, uri));
  }
  for (auto& backend : backends) {
    Backend* b = backend.get();
    auto reg = [&](const char* op, void (*fn)(benchmark::State&, Backend*)) {
      return benchmark::RegisterBenchmark(
                 absl::StrCat(op, "/", b->name()).c_str(), fn, b)
          ->UseRealTime();
    };
    reg("Append", BM_Append);
    reg("BatchAppend", BM_BatchAppend)->Arg(64);
    reg("LastN", BM_LastN)->Arg(50);
    reg("Page", BM_Page)->Arg(100);
    reg("Get", BM_Get);
    reg("Update", BM_Update);
    reg("Evict", BM_Evict);
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  backends.clear();
  return 0;
}
