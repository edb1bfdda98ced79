// sessionlog verify: the backend's own integrity check, then the contract's
// invariants checked through the public API.

#include "absl/strings/str_cat.h"
#include "api/internal/validation.h"
#include "tools/sessionlog/command.h"
#include "tools/sessionlog/progress.h"
#include "tools/sessionlog/walk.h"

namespace sessionlog {
namespace cli {
namespace {

struct Finding {
  std::string session;  // Empty for store-wide findings.
  std::string message;
};

class Verifier {
 public:
  Verifier(SessionPersistDriver& store, ProgressBar& progress)
      : store_(store), progress_(progress) {}

  void Run() {
    const DriverOptions& options = store_.options();
    if (absl::Status s = store_.CheckIntegrity(); !s.ok()) {
      Add("", absl::StrCat("integrity check: ", s.message()));
    }
    std::optional<SessionRecord> previous;
    absl::Status s = ForEachSession(store_, [&](const SessionRecord& record) {
      ++sessions_;
      if (previous && !(std::make_pair(previous->created_at, previous->id) <
                        std::make_pair(record.created_at, record.id))) {
        Add(record.id, absl::StrCat("listed after \"", previous->id,
                                    "\": sessions are not in strictly "
                                    "increasing (createdAt, id) order"));
      }
      previous = record;
      if (absl::Status v = ValidateSessionRecord(record); !v.ok()) {
        Add(record.id, absl::StrCat("record: ", v.message()));
      }
      absl::StatusOr<SessionRecord> fetched = store_.GetSession(record.id);
      if (!fetched.ok()) {
        Add(record.id, absl::StrCat("listed but GetSession fails: ",
                                    fetched.status().message()));
      } else if (*fetched != record) {
        Add(record.id, "GetSession returns a different record than the list");
      }
      CheckEvents(record.id, options);
      progress_.Update(sessions_);
      return absl::OkStatus();
    });
    if (!s.ok()) {
      Add("", absl::StrCat("listing sessions failed after ", sessions_, ": ",
                           s.message()));
    }
    if (options.max_sessions != kNoLimit && sessions_ > options.max_sessions) {
      Add("", absl::StrCat(sessions_, " sessions exceed --max-sessions ",
                           options.max_sessions));
    }
    absl::StatusOr<DriverStats> stats = store_.Stats();
    if (!stats.ok()) {
      Add("", absl::StrCat("Stats fails: ", stats.status().message()));
    } else {
      stats_ = *stats;
      if (stats->sessions != sessions_) {
        Add("", absl::StrCat("Stats counts ", stats->sessions,
                             " sessions, the listing ", sessions_));
      }
      if (!stats->events_is_estimate && stats->events < events_) {
        Add("", absl::StrCat("Stats counts ", stats->events,
                             " events, fewer than the ", events_, " listed"));
      }
    }
  }

  const std::vector<Finding>& findings() const { return findings_; }
  int64_t sessions() const { return sessions_; }
  int64_t events() const { return events_; }
  // Events under ids with no record, where the backend counts exactly.
  std::optional<int64_t> unlisted_events() const {
    if (!stats_ || stats_->events_is_estimate || stats_->events < events_) {
      return std::nullopt;
    }
    return stats_->events - events_;
  }

 private:
  void Add(const std::string& session, std::string message) {
    findings_.push_back({session, std::move(message)});
  }

  void CheckEvents(const std::string& id, const DriverOptions& options) {
    std::optional<int64_t> last;
    int64_t count = 0;
    std::vector<SessionEvent> tail;  // The newest few, to check LastEvents.
    constexpr size_t kTailCheck = 16;
    absl::Status s = ForEachEvent(store_, id, [&](const SessionEvent& event) {
      ++count;
      if (last && event.event_index <= *last) {
        Add(id, absl::StrCat("event index ", event.event_index, " follows ",
                             *last, ": indexes are not strictly increasing"));
      }
      last = event.event_index;
      if (event.session_id != id) {
        Add(id, absl::StrCat("event ", event.event_index,
                             " is listed under this session but names "
                             "session \"",
                             event.session_id, "\""));
      }
      if (absl::Status v = ValidateSessionEvent(event, options); !v.ok()) {
        Add(id, absl::StrCat("event ", event.event_index, ": ", v.message()));
      }
      tail.push_back(event);
      if (tail.size() > kTailCheck) tail.erase(tail.begin());
      return absl::OkStatus();
    });
    events_ += count;
    if (!s.ok()) {
      Add(id, absl::StrCat("listing events failed after ", count, ": ",
                           s.message()));
      return;
    }
    if (options.max_events_per_session != kNoLimit &&
        count > options.max_events_per_session) {
      Add(id, absl::StrCat(count, " events exceed --max-events-per-session ",
                           options.max_events_per_session));
    }
    absl::StatusOr<std::optional<int64_t>> highest =
        store_.HighestEventIndex(id);
    if (!highest.ok()) {
      Add(id, absl::StrCat("HighestEventIndex fails: ",
                           highest.status().message()));
    } else if (*highest != last) {
      Add(id, absl::StrCat("HighestEventIndex is ",
                           *highest ? absl::StrCat(**highest) : "none",
                           " but the last listed event is ",
                           last ? absl::StrCat(*last) : "none"));
    }
    if (!tail.empty()) {
      absl::StatusOr<std::vector<SessionEvent>> newest =
          store_.LastEvents(id, static_cast<int64_t>(tail.size()));
      if (!newest.ok()) {
        Add(id, absl::StrCat("LastEvents fails: ", newest.status().message()));
      } else if (*newest != tail) {
        Add(id, "LastEvents differs from the end of the listing");
      }
    }
  }

  SessionPersistDriver& store_;
  ProgressBar& progress_;
  std::vector<Finding> findings_;
  int64_t sessions_ = 0;
  int64_t events_ = 0;
  std::optional<DriverStats> stats_;
};

// The report: --json's object, or a line per finding and a summary.
struct Report {
  int64_t sessions = 0;
  int64_t events = 0;
  std::optional<int64_t> unlisted_events;
  std::vector<Finding> findings;
};

absl::Status PrintReport(Context& ctx, const Report& report) {
  OrderedJson json;
  json["ok"] = report.findings.empty();
  json["sessions"] = report.sessions;
  json["events"] = report.events;
  json["unlistedEvents"] = OptionalJson(report.unlisted_events);
  OrderedJson list = OrderedJson::array();
  std::string human;
  for (const Finding& f : report.findings) {
    OrderedJson item;
    item["session"] =
        f.session.empty() ? OrderedJson(nullptr) : OrderedJson(f.session);
    item["message"] = f.message;
    list.push_back(std::move(item));
    absl::StrAppend(
        &human, ctx.style.Red("problem"), ": ",
        f.session.empty()
            ? ""
            : absl::StrCat("session \"", Printable(f.session), "\": "),
        Printable(f.message), "\n");
  }
  json["findings"] = std::move(list);
  absl::StrAppend(
      &human, "checked ", report.sessions, " sessions and ", report.events,
      " events: ",
      report.findings.empty()
          ? ctx.style.Green("ok")
          : ctx.style.Red(absl::StrCat(report.findings.size(), " problem(s)")),
      "\n");
  if (report.unlisted_events.value_or(0) > 0) {
    absl::StrAppend(&human, *report.unlisted_events,
                    " events are under ids with no session record (allowed; "
                    "not checked)\n");
  }
  ctx.Print(json, human);
  if (report.findings.empty()) return absl::OkStatus();
  return WithExitCode(
      absl::DataLossError(absl::StrCat("the store has ", report.findings.size(),
                                       " problem(s)")),
      kExitVerifyFailed);
}

absl::Status RunVerify(Context& ctx) {
  auto store = ctx.OpenStore(ctx.options.db, StoreAccess::kRead);
  if (!store.ok()) {
    // A store too corrupt to open is what verify exists to report.
    if (!absl::IsDataLoss(store.status())) return store.status();
    Report report;
    report.findings.push_back({"", absl::StrCat("the store cannot be opened: ",
                                                store.status().message())});
    return PrintReport(ctx, report);
  }
  int64_t total = 0;
  if (absl::StatusOr<DriverStats> stats = (*store)->Stats(); stats.ok()) {
    total = stats->sessions;
  }
  ProgressBar progress(ctx.err, ctx.options.progress, "verify", total,
                       ProgressBar::Unit::kItems, "sessions");
  Verifier verifier(**store, progress);
  verifier.Run();
  progress.Finish();
  Report report;
  report.sessions = verifier.sessions();
  report.events = verifier.events();
  report.unlisted_events = verifier.unlisted_events();
  report.findings = verifier.findings();
  return PrintReport(ctx, report);
}

}  // namespace

extern const Command kVerifyCommand = {
    "verify",
    "",
    "Check a store: the backend's integrity, then the contract's "
    "invariants.",
    "First the backend's own check (RocksDB: every block and file "
    "checksum; SQLite:\nintegrity_check). Then, through the public API: "
    "every record and event decodes and\nvalidates; sessions list in "
    "strictly increasing (createdAt, id) order and GetSession\nagrees; "
    "each session's events have strictly increasing indexes, name the "
    "session, stay\nwithin --max-events-per-session, and agree with "
    "HighestEventIndex and LastEvents; the\nnumber of sessions stays "
    "within --max-sessions; Stats agrees with the listing.\n\nPrints each "
    "finding; exit code 6 if there is any. Opened read-only: safe on a "
    "live store,\nthough writes made during the walk can show up as "
    "disagreements with Stats.",
    {},
    {"verify", "--db rocksdb:/var/lib/app/sessions verify --json"},
    0,
    0,
    StoreAccess::kNone,
    RunVerify,
};

}  // namespace cli
}  // namespace sessionlog
