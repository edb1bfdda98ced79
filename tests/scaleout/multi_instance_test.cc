// Many service instances, one Postgres (docs/SCALE-OUT.md): several processes
// (copies of this binary), each with several writer threads, and a TS SDK
// process with its example Postgres driver (tests/interop/ts_sql_drivers.mjs),
// all writing one schema at once. The sessionlog writers
//   * append to shared sessions with the SDK's index allocation (highest
//     index + 1, again on AlreadyExists), logging every acknowledged event;
//   * append past max_events_per_session to sessions of their own, singly and
//     in batches, so that retention trims in every process;
//   * create sessions past max_sessions, so that eviction runs in every
//     process;
//   * read while they write: every page of sessions and events must be in
//     order, across pages too.
// Afterwards: every acknowledged event is there exactly once and nothing
// else is; indexes of shared sessions are contiguous and each writer's rise
// with its own order; limits held; the TS sessions read back whole.
// Needs SESSIONLOG_PG_URI and the npm packages (tag "external").

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "api/driver.h"
#include "engine/open.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "schema/json_codec.h"
#include "tests/scaleout/scaleout_support.h"

namespace sessionlog::scaleout {
namespace {

constexpr int kProcesses = 3;
constexpr int kThreads = 4;
constexpr int kWriters = kProcesses * kThreads;
constexpr int kSharedSessions = 4;
constexpr int kSteps = 40;       // One shared append per step and writer.
constexpr int kOwnPerStep = 4;   // Appends to the writer's own session.
constexpr int kChurnEvery = 5;   // Steps between new churn sessions.
constexpr int kChurnEvents = 2;  // Events per churn session.
constexpr int kReadEvery = 4;    // Steps between read passes.
constexpr int kTsSessions = 2;
constexpr int kTsEvents = 80;
constexpr int64_t kMaxSessions = 30;
constexpr int64_t kMaxEvents = 150;  // Own sessions get kSteps * kOwnPerStep.
// Shared, own and TS sessions sort after every churn session, so eviction
// only ever takes churn sessions.
constexpr int64_t kPermanentAt = 4000000000000;
constexpr int64_t kChurnAt = 1000000000000;

static_assert(kWriters * kSteps / kSharedSessions < kMaxEvents,
              "shared sessions must stay under the retention limit");
static_assert(kSteps * kOwnPerStep > kMaxEvents,
              "own sessions must go past the retention limit");
static_assert(kSharedSessions + kWriters + kTsSessions < kMaxSessions,
              "permanent sessions must fit under max_sessions");

std::string SharedId(int k) { return absl::StrCat("shared-", k); }
std::string OwnId(int w) { return absl::StrCat("own-", w); }
std::string ChurnId(int w, int k) { return absl::StrCat("churn-", w, "-", k); }
std::string TsId(int k) { return absl::StrCat("ts-", k); }

DriverOptions Options(const std::string& schema) {
  DriverOptions options;
  options.postgres_schema = schema;
  options.max_sessions = kMaxSessions;
  options.max_events_per_session = kMaxEvents;
  return options;
}

// ---- The child process: kThreads writers ----

class ChildRun {
 public:
  ChildRun(SessionPersistDriver& store, int process)
      : store_(store), process_(process) {}

  void Writer(int thread) {
    const int w = process_ * kThreads + thread;
    int64_t seq = 0;
    int64_t own_next = 1;
    int churn = 0;
    std::string acks;
    for (int step = 0; step < kSteps && !failed(); ++step) {
      // A shared session, with the SDK's index allocation.
      const std::string shared = SharedId((step + w) % kSharedSessions);
      for (;;) {
        absl::StatusOr<std::optional<int64_t>> high =
            store_.HighestEventIndex(shared);
        if (!high.ok()) return Fail("HighestEventIndex", high.status());
        SessionEvent e = WriterEvent(shared, high->value_or(0) + 1, w, seq);
        absl::Status s = store_.InsertEvent(e);
        if (absl::IsAlreadyExists(s)) {
          ++conflicts_;
          continue;
        }
        if (!s.ok()) return Fail("InsertEvent (shared)", s);
        acks += AckLine(e, w, seq++);
        break;
      }
      // The writer's own session: a batch of two, then two single appends.
      std::vector<SessionEvent> batch;
      for (int i = 0; i < kOwnPerStep; ++i) {
        batch.push_back(WriterEvent(OwnId(w), own_next++, w, seq++));
      }
      absl::Status s = store_.InsertEvents(absl::MakeSpan(batch).subspan(0, 2));
      for (size_t i = 2; s.ok() && i < batch.size(); ++i) {
        s = store_.InsertEvent(batch[i]);
      }
      if (!s.ok()) return Fail("InsertEvent(s) (own)", s);
      for (int i = 0; i < kOwnPerStep; ++i) {
        acks += AckLine(batch[i], w, seq - kOwnPerStep + i);
      }
      // A new session past max_sessions: this UpdateSession evicts.
      if (step % kChurnEvery == 0) {
        const std::string id = ChurnId(w, churn);
        s = store_.UpdateSession(Record(id, kChurnAt + churn * 100 + w));
        ++churn;
        if (!s.ok()) return Fail("UpdateSession (churn)", s);
        for (int i = 1; i <= kChurnEvents; ++i) {
          SessionEvent e = WriterEvent(id, i, w, seq);
          s = store_.InsertEvent(e);
          if (!s.ok()) return Fail("InsertEvent (churn)", s);
          acks += AckLine(e, w, seq++);
        }
      }
      if (step % kReadEvery == 0) Read(shared);
    }
    std::lock_guard<std::mutex> lock(mu_);
    acks_ += acks;
  }

  // Pages through the sessions and a shared session's events: each page in
  // order, and each page after the one before.
  void Read(const std::string& shared) {
    ListSessionsRequest sr;
    sr.limit = 4;
    std::optional<std::pair<int64_t, std::string>> last_session;
    for (;;) {
      absl::StatusOr<Page<SessionRecord>> page = store_.ListSessions(sr);
      if (!page.ok()) return Fail("ListSessions", page.status());
      for (const SessionRecord& r : page->items) {
        std::pair<int64_t, std::string> key(r.created_at, r.id);
        if (last_session && !(*last_session < key)) {
          return Fail("ListSessions", absl::InternalError(absl::StrCat(
                                          "out of order at ", r.id)));
        }
        last_session = key;
      }
      ++reads_;
      if (!page->next_cursor) break;
      sr.cursor = *page->next_cursor;
    }
    ListEventsRequest er;
    er.session_id = shared;
    er.limit = 7;
    int64_t last_index = 0;
    for (;;) {
      absl::StatusOr<Page<SessionEvent>> page = store_.ListEvents(er);
      if (!page.ok()) return Fail("ListEvents", page.status());
      for (const SessionEvent& e : page->items) {
        if (e.event_index <= last_index) {
          return Fail("ListEvents", absl::InternalError(absl::StrCat(
                                        shared, ": index ", e.event_index,
                                        " after ", last_index)));
        }
        last_index = e.event_index;
      }
      ++reads_;
      if (!page->next_cursor) break;
      er.cursor = *page->next_cursor;
    }
    absl::StatusOr<std::vector<SessionEvent>> last =
        store_.LastEvents(shared, 10);
    if (!last.ok()) return Fail("LastEvents", last.status());
    for (size_t i = 1; i < last->size(); ++i) {
      if ((*last)[i].event_index <= (*last)[i - 1].event_index) {
        return Fail("LastEvents", absl::InternalError("out of order"));
      }
    }
    ++reads_;
  }

  void Fail(const char* what, const absl::Status& s) {
    std::lock_guard<std::mutex> lock(mu_);
    if (failure_.empty()) failure_ = absl::StrCat(what, ": ", s.ToString());
    failed_ = true;
  }
  bool failed() const { return failed_.load(); }

  std::string failure_;
  std::string acks_;
  std::atomic<int64_t> conflicts_{0};
  std::atomic<int64_t> reads_{0};

 private:
  SessionPersistDriver& store_;
  const int process_;
  std::mutex mu_;
  std::atomic<bool> failed_{false};
};

int ChildMain(const std::string& uri, const std::string& schema, int process,
              const std::string& ack_path) {
  absl::StatusOr<std::unique_ptr<SessionPersistDriver>> store =
      Open(uri, Options(schema));
  if (!store.ok()) {
    std::printf("FAIL: open: %s\n", store.status().ToString().c_str());
    return 1;
  }
  ChildRun run(**store, process);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&run, t] { run.Writer(t); });
  }
  for (std::thread& t : threads) t.join();
  std::ofstream(ack_path) << run.acks_;
  if (run.failed()) {
    std::printf("FAIL: process %d: %s\n", process, run.failure_.c_str());
    return 1;
  }
  std::printf("process %d: conflicts %lld, pages read %lld\n", process,
              static_cast<long long>(run.conflicts_.load()),
              static_cast<long long>(run.reads_.load()));
  return 0;
}

// ---- The test ----

struct Row {
  std::string id;
  int writer = -1;
  int64_t seq = -1;
};

// Every event row of the schema: session -> index -> row.
std::map<std::string, std::map<int64_t, Row>> AllRows(
    const std::string& uri, const std::string& schema) {
  std::map<std::string, std::map<int64_t, Row>> out;
  auto rows = Query(uri, absl::StrCat("SELECT session_id, event_index, id, "
                                      "payload_json::text FROM \"",
                                      schema, "\".events"));
  EXPECT_TRUE(rows.ok()) << rows.status();
  if (!rows.ok()) return out;
  for (const auto& r : *rows) {
    int64_t index = 0;
    EXPECT_TRUE(absl::SimpleAtoi(r[1], &index));
    Row row;
    row.id = r[2];
    if (auto who = WriterOf(r[3])) std::tie(row.writer, row.seq) = *who;
    out[r[0]][index] = row;
  }
  return out;
}

TEST(MultiInstanceTest, ProcessesThreadsAndTsShareOnePostgres) {
  auto uri = RequiredEnv("SESSIONLOG_PG_URI",
                         "source tools/scripts/services.sh; start_postgres");
  ASSERT_TRUE(uri.ok()) << uri.status();
  auto modules = RequiredEnv(
      "SESSIONLOG_NODE_MODULES",
      "source tools/scripts/services.sh; install_node_packages $PWD");
  ASSERT_TRUE(modules.ok()) << modules.status();
  const std::string schema = UniqueSchemaName("sl_multi");
  struct Dropper {
    std::string uri, schema;
    ~Dropper() { DropSchema(uri, schema); }
  } dropper{*uri, schema};

  // The tables, and the sessions that must outlive every eviction.
  {
    auto store = Open(*uri, Options(schema));
    ASSERT_TRUE(store.ok()) << store.status();
    for (int k = 0; k < kSharedSessions; ++k) {
      ASSERT_TRUE(
          (*store)->UpdateSession(Record(SharedId(k), kPermanentAt + k)).ok());
    }
    for (int w = 0; w < kWriters; ++w) {
      ASSERT_TRUE((*store)
                      ->UpdateSession(Record(OwnId(w), kPermanentAt + 100 + w))
                      .ok());
    }
  }
  // What the TS process writes: its records first, then its events.
  const std::string ts_input = TempPath("ts-input.jsonl");
  std::map<std::string, std::vector<SessionEvent>> ts_events;
  {
    std::ofstream f(ts_input);
    for (int k = 0; k < kTsSessions; ++k) {
      f << JsonLineToJson(Record(TsId(k), kPermanentAt + 200 + k)) << "\n";
    }
    for (int i = 1; i <= kTsEvents; ++i) {
      for (int k = 0; k < kTsSessions; ++k) {
        SessionEvent e = WriterEvent(TsId(k), i, 1000 + k, i);
        ts_events[TsId(k)].push_back(e);
        f << JsonLineToJson(e) << "\n";
      }
    }
  }

  Child ts;
  const std::string ts_log = TempPath("ts.log");
  ASSERT_TRUE(ts.Start({"node", "tests/interop/ts_sql_drivers.mjs", "postgres",
                        *uri, schema, "write"},
                       {}, ts_input, ts_log)
                  .ok());
  std::vector<std::unique_ptr<Child>> children;
  std::vector<std::string> ack_paths, logs;
  for (int p = 0; p < kProcesses; ++p) {
    ack_paths.push_back(TempPath(absl::StrCat("acks-", p)));
    logs.push_back(TempPath(absl::StrCat("child-", p, ".log")));
    children.push_back(std::make_unique<Child>());
    ASSERT_TRUE(children.back()
                    ->Start({SelfPath()},
                            {{"SCALEOUT_CHILD", absl::StrCat(p)},
                             {"SCALEOUT_SCHEMA", schema},
                             {"SCALEOUT_ACKS", ack_paths.back()}},
                            "", logs.back())
                    .ok());
  }
  for (int p = 0; p < kProcesses; ++p) {
    EXPECT_EQ(children[p]->Wait(), 0) << ReadFile(logs[p]);
    std::printf("%s", ReadFile(logs[p]).c_str());
  }
  EXPECT_EQ(ts.Wait(), 0) << ReadFile(ts_log);
  if (HasFailure()) return;

  std::vector<Ack> acks;
  for (const std::string& path : ack_paths) {
    auto some = ReadAcks(path);
    ASSERT_TRUE(some.ok()) << some.status();
    acks.insert(acks.end(), some->begin(), some->end());
  }
  const auto rows = AllRows(*uri, schema);
  auto records =
      Query(*uri, absl::StrCat("SELECT id FROM \"", schema, "\".sessions"));
  ASSERT_TRUE(records.ok()) << records.status();
  std::set<std::string> present;
  for (const auto& r : *records) present.insert(r[0]);

  // Every acknowledged event is stored, once, as it was written, unless
  // retention or eviction removed it by design.
  std::map<std::string, std::set<int64_t>> acked;
  int64_t lost = 0, wrong = 0, evicted_churn = 0;
  std::set<std::string> churn_sessions;
  for (const Ack& a : acks) {
    acked[a.session_id].insert(a.index);
    const bool own = a.session_id.rfind("own-", 0) == 0;
    const bool churn = a.session_id.rfind("churn-", 0) == 0;
    if (churn) churn_sessions.insert(a.session_id);
    if (churn && present.count(a.session_id) == 0) continue;  // Evicted.
    auto s = rows.find(a.session_id);
    const Row* row = nullptr;
    if (s != rows.end()) {
      auto r = s->second.find(a.index);
      if (r != s->second.end()) row = &r->second;
    }
    if (row == nullptr) {
      if (own) continue;  // Checked below: the newest kMaxEvents remain.
      ++lost;
      ADD_FAILURE() << "lost: " << a.session_id << " #" << a.index;
      continue;
    }
    if (row->id != a.id || row->writer != a.writer || row->seq != a.seq) {
      ++wrong;
      ADD_FAILURE() << a.session_id << " #" << a.index << ": stored " << row->id
                    << " (writer " << row->writer << ", seq " << row->seq
                    << "), acknowledged " << a.id;
    }
  }
  for (const std::string& c : churn_sessions) {
    if (present.count(c) == 0) ++evicted_churn;
  }
  EXPECT_EQ(lost, 0);
  EXPECT_EQ(wrong, 0);
  EXPECT_GT(evicted_churn, 0) << "eviction never ran";

  // Shared sessions: exactly the acknowledged events, indexes 1..n, and each
  // writer's indexes rise with its own order.
  int64_t shared_total = 0;
  for (int k = 0; k < kSharedSessions; ++k) {
    const std::string id = SharedId(k);
    auto s = rows.find(id);
    ASSERT_NE(s, rows.end()) << id << " has no events";
    const auto& events = s->second;
    shared_total += events.size();
    EXPECT_EQ(events.size(), acked[id].size()) << id << ": stored vs acked";
    EXPECT_EQ(events.begin()->first, 1) << id;
    EXPECT_EQ(events.rbegin()->first, static_cast<int64_t>(events.size()))
        << id << ": indexes are not contiguous";
    std::map<int, int64_t> last_seq;
    for (const auto& [index, row] : events) {
      auto it = last_seq.find(row.writer);
      if (it != last_seq.end()) {
        EXPECT_LT(it->second, row.seq)
            << id << " #" << index << ": writer " << row.writer
            << "'s events are out of its order";
      }
      last_seq[row.writer] = row.seq;
    }
  }
  EXPECT_EQ(shared_total, kWriters * kSteps);

  // Own sessions: retention kept exactly the newest kMaxEvents.
  for (int w = 0; w < kWriters; ++w) {
    auto s = rows.find(OwnId(w));
    ASSERT_NE(s, rows.end());
    const auto& events = s->second;
    EXPECT_EQ(static_cast<int64_t>(events.size()), kMaxEvents) << OwnId(w);
    EXPECT_EQ(events.begin()->first, kSteps * kOwnPerStep - kMaxEvents + 1);
    EXPECT_EQ(events.rbegin()->first, kSteps * kOwnPerStep);
  }

  // No event id twice, and nothing stored that nobody acknowledged (TS
  // sessions aside).
  auto dup = Query(*uri, absl::StrCat("SELECT count(*) - count(DISTINCT id) "
                                      "FROM \"",
                                      schema, "\".events"));
  ASSERT_TRUE(dup.ok());
  EXPECT_EQ((*dup)[0][0], "0");
  for (const auto& [session, events] : rows) {
    if (session.rfind("ts-", 0) == 0) continue;
    for (const auto& [index, row] : events) {
      if (acked[session].count(index) == 0) {
        ADD_FAILURE() << "stored but never acknowledged: " << session << " #"
                      << index;
      }
    }
  }

  // Limits: no more records than max_sessions (the TS driver, which enforces
  // none, may have added its own after the last eviction), no session past
  // max_events_per_session.
  EXPECT_LE(static_cast<int64_t>(present.size()), kMaxSessions + kTsSessions);
  for (const auto& [session, events] : rows) {
    EXPECT_LE(static_cast<int64_t>(events.size()), kMaxEvents) << session;
  }
  for (int k = 0; k < kSharedSessions; ++k)
    EXPECT_TRUE(present.count(SharedId(k)));
  for (int w = 0; w < kWriters; ++w) EXPECT_TRUE(present.count(OwnId(w)));

  // The TS process's sessions, read through sessionlog: whole and equal.
  auto store = Open(*uri, Options(schema));
  ASSERT_TRUE(store.ok()) << store.status();
  for (int k = 0; k < kTsSessions; ++k) {
    std::vector<SessionEvent> got;
    ASSERT_TRUE(ForEachEvent(**store, TsId(k), [&](const SessionEvent& e) {
                  got.push_back(e);
                  return absl::OkStatus();
                }).ok());
    const auto& want = ts_events[TsId(k)];
    ASSERT_EQ(got.size(), want.size()) << TsId(k);
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].id, want[i].id);
      EXPECT_EQ(got[i].event_index, want[i].event_index);
      EXPECT_EQ(nlohmann::json::parse(got[i].payload_json),
                nlohmann::json::parse(want[i].payload_json));
    }
    EXPECT_TRUE((*store)->GetSession(TsId(k)).ok());
  }
  std::printf(
      "%d processes x %d threads + 1 TS process: %zu acknowledged events, "
      "%lld churn sessions evicted, %zu records at the end\n",
      kProcesses, kThreads, acks.size(), static_cast<long long>(evicted_churn),
      present.size());
}

}  // namespace
}  // namespace sessionlog::scaleout

int main(int argc, char** argv) {
  if (const char* child = std::getenv("SCALEOUT_CHILD")) {
    return sessionlog::scaleout::ChildMain(
        std::getenv("SESSIONLOG_PG_URI"), std::getenv("SCALEOUT_SCHEMA"),
        std::atoi(child), std::getenv("SCALEOUT_ACKS"));
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
