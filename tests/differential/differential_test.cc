// The differential test: thousands of random operations run through the real
// SDK's in-memory driver (tests/sdk/sdk_harness.mjs under node) and through
// every sessionlog driver, comparing every result: records and events as
// JSON values, listings page by page (page sizes and where the last page is).
//
// Scripts stay inside what the contract keeps the same as the SDK (see
// op_generator.h). The oracle pages with offset cursors and sessionlog with
// keyset cursors, so each listing is a whole cursor chain on both sides; the
// oracle is asked for every page a chain can have under the caps.
//
// Stores: kStoreUris below, one line per backend; or a comma-separated list in
// the environment variable SESSIONLOG_DIFF_STORES. "{dir}" becomes a fresh
// directory per script, "{pg}" the Postgres URI in SESSIONLOG_PG_URI (each
// script then gets its own schema). Every store but "memory:" is durable: it
// is closed and reopened every kReopenEvery operations of a script, which the
// SDK never notices, so state rebuilt on open is compared too.
//
// Needs node and the SDK's npm packages (install_node_packages in
// tools/scripts/services.sh), and for "{pg}" a Postgres server
// (SESSIONLOG_PG_URI); fails, saying what is missing, without them.

#include <cstdlib>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "engine/open.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "schema/json_codec.h"
#include "tests/differential/op_generator.h"
#include "tests/oracle/oracle_runner.h"
#include "tests/testing/pg_test_schema.h"
#include "tests/testing/temp_dir.h"

namespace sessionlog {
namespace {

using Json = nlohmann::json;

// One line per backend.
const std::vector<std::string> kStoreUris = {
    "memory:",
    "rocksdb:{dir}/store",
    "sqlite:{dir}/store.sqlite",
    "{pg}",
};

struct Caps {
  int64_t max_sessions;
  int64_t max_events_per_session;
};
// Small caps, so that eviction and trimming happen all the time.
const std::vector<Caps> kCaps = {{3, 5}, {2, 3}, {1, 2}, {4, 6}};
constexpr int kScripts = 24;
constexpr int kOpsPerScript = 500;

// The page size a listing op asks for: the SDK's default when 0.
int64_t PageSize(const Op& op) { return op.limit == 0 ? 100 : op.limit; }

// A listing, as both sides see it: each page's items, and whether a page
// after it was announced.
struct ListedPage {
  Json items;
  bool has_next;
  friend bool operator==(const ListedPage& a, const ListedPage& b) {
    return a.items == b.items && a.has_next == b.has_next;
  }
};

std::string Show(const std::vector<ListedPage>& pages) {
  std::string out;
  for (const ListedPage& page : pages) {
    absl::StrAppend(&out, "\n    ", page.items.dump().substr(0, 600),
                    page.has_next ? " (more)" : " (last)");
  }
  return out;
}

// The oracle lines of one script, and which of them answer each op.
struct OracleScript {
  std::vector<std::string> lines;
  std::vector<std::pair<size_t, size_t>> spans;  // [first, last) per op.
};

OracleScript ToOracle(const Script& script) {
  OracleScript out;
  out.lines.push_back(
      Json{{"op", "init"},
           {"options",
            {{"maxSessions", script.max_sessions},
             {"maxEventsPerSession", script.max_events_per_session}}}}
          .dump());
  for (const Op& op : script.ops) {
    const size_t first = out.lines.size();
    switch (op.kind) {
      case Op::Kind::kUpdateSession:
        out.lines.push_back(
            Json{{"op", "updateSession"},
                 {"session", Json::parse(SessionRecordToJson(op.record))}}
                .dump());
        break;
      case Op::Kind::kInsertEvent:
        out.lines.push_back(
            Json{{"op", "insertEvent"},
                 {"sessionId", op.event.session_id},
                 {"event", Json::parse(SessionEventToJson(op.event))}}
                .dump());
        break;
      case Op::Kind::kGetSession:
        out.lines.push_back(Json{{"op", "getSession"}, {"id", op.id}}.dump());
        break;
      case Op::Kind::kListSessions:
      case Op::Kind::kListEvents: {
        const bool sessions = op.kind == Op::Kind::kListSessions;
        // Every page the chain can have: the caps bound the list's length.
        const int64_t bound =
            sessions ? script.max_sessions : script.max_events_per_session;
        const int64_t size = PageSize(op);
        const int64_t pages = std::max<int64_t>(1, (bound + size - 1) / size);
        for (int64_t k = 0; k < pages; ++k) {
          Json request = Json::object();
          if (!sessions) request["sessionId"] = op.id;
          if (k > 0) request["cursor"] = std::to_string(k * size);
          if (op.limit != 0) request["limit"] = op.limit;
          out.lines.push_back(Json{
              {"op", sessions ? "listSessions" : "listEvents"},
              {"request",
               request}}.dump());
        }
        break;
      }
    }
    out.spans.emplace_back(first, out.lines.size());
  }
  return out;
}

// The oracle's answer to op `span`, in the form compared. A chain is followed
// through the SDK's offset cursors.
absl::StatusOr<std::vector<ListedPage>> OraclePages(
    const Op& op, const std::vector<Json>& results,
    std::pair<size_t, size_t> span) {
  std::vector<ListedPage> pages;
  for (size_t line = span.first; line < span.second; ++line) {
    const Json& result = results[line].at("result");
    const bool has_next = result.contains("nextCursor");
    pages.push_back({result.at("items"), has_next});
    const std::string expected_cursor = std::to_string(
        PageSize(op) * static_cast<int64_t>(line - span.first + 1));
    if (!has_next) return pages;
    if (result["nextCursor"] != expected_cursor) {
      return absl::InternalError(
          absl::StrCat("the oracle's cursor is ", result["nextCursor"].dump(),
                       ", not the offset ", expected_cursor));
    }
  }
  return absl::InternalError(
      "the oracle has more pages than the caps allow: a generator bug");
}

absl::StatusOr<std::vector<ListedPage>> OurPages(SessionPersistDriver& driver,
                                                 const Op& op) {
  std::vector<ListedPage> pages;
  std::string cursor;
  for (int guard = 0; guard < 1000; ++guard) {
    Json items = Json::array();
    std::optional<std::string> next;
    if (op.kind == Op::Kind::kListSessions) {
      absl::StatusOr<sessionlog::Page<SessionRecord>> page =
          driver.ListSessions({cursor, op.limit});
      if (!page.ok()) return page.status();
      for (const SessionRecord& r : page->items) {
        items.push_back(Json::parse(SessionRecordToJson(r)));
      }
      next = page->next_cursor;
    } else {
      absl::StatusOr<sessionlog::Page<SessionEvent>> page =
          driver.ListEvents({op.id, cursor, op.limit});
      if (!page.ok()) return page.status();
      for (const SessionEvent& e : page->items) {
        items.push_back(Json::parse(SessionEventToJson(e)));
      }
      next = page->next_cursor;
    }
    pages.push_back({std::move(items), next.has_value()});
    if (!next) return pages;
    cursor = *next;
  }
  return absl::InternalError("the cursor chain does not end");
}

// What the scripts exercised, as the SDK saw it: proof that eviction,
// trimming and multi-page chains really happened.
struct Coverage {
  int64_t ops = 0;
  int64_t reopens = 0;
  int64_t multi_page_chains = 0;
  int64_t records_missing = 0;   // getSession of an id once written: evicted.
  int64_t full_event_lists = 0;  // A session at its event cap: trimming.
};

using StoreOpener =
    std::function<absl::StatusOr<std::unique_ptr<SessionPersistDriver>>()>;

// Durable stores are closed and reopened this often, so that state rebuilt on
// open (per-session indices, retention windows, the age index) is compared
// too.
constexpr int kReopenEvery = 97;

// Opens the store with `open` and runs `script` on it, comparing each result
// with the oracle's; when `durable`, reopens it every kReopenEvery ops.
// Returns the first disagreement, or "" if none.
std::string Compare(const Script& script, const OracleScript& oracle,
                    const std::vector<Json>& results, const StoreOpener& open,
                    bool durable, Coverage& coverage) {
  absl::StatusOr<std::unique_ptr<SessionPersistDriver>> opened = open();
  if (!opened.ok()) return "opening the store: " + opened.status().ToString();
  std::unique_ptr<SessionPersistDriver> owned = *std::move(opened);
  std::set<std::string> written;
  for (size_t n = 0; n < script.ops.size(); ++n) {
    if (durable && n > 0 && n % kReopenEvery == 0) {
      owned.reset();
      opened = open();
      if (!opened.ok()) {
        return absl::StrCat("reopening the store before op #", n, ": ",
                            opened.status().ToString());
      }
      owned = *std::move(opened);
      ++coverage.reopens;
    }
    SessionPersistDriver& driver = *owned;
    const Op& op = script.ops[n];
    const auto span = oracle.spans[n];
    auto disagree = [&](const std::string& ours, const std::string& sdk) {
      return absl::StrCat("op #", n, ": ", DescribeOp(op).substr(0, 400),
                          "\n  sessionlog: ", ours, "\n  SDK:        ", sdk);
    };
    for (size_t line = span.first; line < span.second; ++line) {
      if (results[line].contains("error")) {
        return disagree("(not run)", "error " + results[line]["error"].dump());
      }
    }
    ++coverage.ops;
    switch (op.kind) {
      case Op::Kind::kUpdateSession: {
        written.insert(op.record.id);
        absl::Status status = driver.UpdateSession(op.record);
        if (!status.ok()) return disagree(status.ToString(), "OK");
        break;
      }
      case Op::Kind::kInsertEvent: {
        absl::Status status = driver.InsertEvent(op.event);
        if (!status.ok()) return disagree(status.ToString(), "OK");
        break;
      }
      case Op::Kind::kGetSession: {
        const Json& sdk = results[span.first];
        const bool sdk_missing = sdk.value("undefined", false);
        absl::StatusOr<SessionRecord> ours = driver.GetSession(op.id);
        if (!ours.ok() && ours.status().code() != absl::StatusCode::kNotFound) {
          return disagree(ours.status().ToString(), sdk.dump());
        }
        if (sdk_missing) {
          if (ours.ok())
            return disagree(SessionRecordToJson(*ours), "undefined");
          if (written.count(op.id) > 0) ++coverage.records_missing;
        } else {
          if (!ours.ok()) return disagree(ours.status().ToString(), sdk.dump());
          Json mine = Json::parse(SessionRecordToJson(*ours));
          if (mine != sdk.at("result")) {
            return disagree(mine.dump(), sdk.at("result").dump());
          }
        }
        break;
      }
      case Op::Kind::kListSessions:
      case Op::Kind::kListEvents: {
        absl::StatusOr<std::vector<ListedPage>> sdk =
            OraclePages(op, results, span);
        if (!sdk.ok())
          return disagree("(not compared)", sdk.status().ToString());
        absl::StatusOr<std::vector<ListedPage>> ours = OurPages(driver, op);
        if (!ours.ok()) return disagree(ours.status().ToString(), Show(*sdk));
        if (*ours != *sdk) return disagree(Show(*ours), Show(*sdk));
        if (sdk->size() > 1) ++coverage.multi_page_chains;
        int64_t total = 0;
        for (const ListedPage& page : *sdk) total += page.items.size();
        if (op.kind == Op::Kind::kListEvents &&
            total == script.max_events_per_session) {
          ++coverage.full_event_lists;
        }
        break;
      }
    }
  }
  return "";
}

// Where one script's store lives: a fresh directory, and for Postgres a fresh
// schema, dropped afterwards. Open creates the store on its first call and
// reopens it later, with the script's caps.
class ScriptStore {
 public:
  static absl::StatusOr<std::unique_ptr<ScriptStore>> Make(
      const std::string& uri_template) {
    auto store = std::make_unique<ScriptStore>();
    store->uri_ =
        absl::StrReplaceAll(uri_template, {{"{dir}", store->dir_.path()}});
    if (store->uri_.find("{pg}") != std::string::npos) {
      absl::StatusOr<std::string> pg = PgTestUri();
      if (!pg.ok()) return pg.status();
      store->uri_ = absl::StrReplaceAll(store->uri_, {{"{pg}", *pg}});
      store->schema_.emplace();
    }
    return store;
  }

  absl::StatusOr<std::unique_ptr<SessionPersistDriver>> Open(
      const Script& script) const {
    DriverOptions options;
    options.max_sessions = script.max_sessions;
    options.max_events_per_session = script.max_events_per_session;
    options.min_free_disk_bytes = 0;
    if (schema_) options.postgres_schema = schema_->name();
    return sessionlog::Open(uri_, options);
  }

 private:
  TempDir dir_;
  std::optional<PgTestSchema> schema_;
  std::string uri_;
};

std::vector<std::string> StoreUris() {
  const char* env = std::getenv("SESSIONLOG_DIFF_STORES");
  if (env == nullptr || *env == '\0') return kStoreUris;
  return absl::StrSplit(env, ',', absl::SkipEmpty());
}

TEST(DifferentialTest, EveryDriverAgreesWithTheSdk) {
  std::vector<Script> scripts;
  std::vector<OracleScript> oracle_scripts;
  std::vector<std::string> lines;  // All scripts in one node process.
  std::vector<size_t> offsets;
  for (int s = 0; s < kScripts; ++s) {
    const Caps& caps = kCaps[s % kCaps.size()];
    scripts.push_back(GenerateScript(1000 + s, caps.max_sessions,
                                     caps.max_events_per_session,
                                     kOpsPerScript));
    oracle_scripts.push_back(ToOracle(scripts.back()));
    offsets.push_back(lines.size());
    for (const std::string& line : oracle_scripts.back().lines) {
      lines.push_back(line);
    }
  }
  absl::StatusOr<std::vector<Json>> all_results = RunOracle(lines);
  ASSERT_TRUE(all_results.ok())
      << "the differential test needs node and the SDK oracle: "
      << all_results.status();

  for (const std::string& uri : StoreUris()) {
    Coverage coverage;
    for (size_t s = 0; s < scripts.size(); ++s) {
      const Script& script = scripts[s];
      std::vector<Json> results(
          all_results->begin() + offsets[s],
          all_results->begin() + offsets[s] + oracle_scripts[s].lines.size());
      absl::StatusOr<std::unique_ptr<ScriptStore>> store =
          ScriptStore::Make(uri);
      ASSERT_TRUE(store.ok()) << uri << ": " << store.status();
      // Spans count from the script's own first line, its "init".
      std::string disagreement = Compare(
          script, oracle_scripts[s], results,
          [&] { return (*store)->Open(script); },
          /*durable=*/uri != "memory:", coverage);
      if (!disagreement.empty()) {
        ADD_FAILURE() << uri << " disagrees with the SDK; seed " << script.seed
                      << ", caps maxSessions=" << script.max_sessions
                      << " maxEventsPerSession="
                      << script.max_events_per_session << "\n"
                      << disagreement;
      }
    }
    std::cout << uri << ": " << coverage.ops << " operations in "
              << scripts.size() << " scripts agree with the SDK ("
              << coverage.multi_page_chains << " multi-page listings, "
              << coverage.records_missing << " evicted records seen, "
              << coverage.full_event_lists << " trimmed sessions listed, "
              << coverage.reopens << " reopens)\n";
    // A script that never evicts, trims or pages compares little.
    EXPECT_GT(coverage.multi_page_chains, 0) << uri;
    EXPECT_GT(coverage.records_missing, 0) << uri;
    EXPECT_GT(coverage.full_event_lists, 0) << uri;
  }
}

}  // namespace
}  // namespace sessionlog
