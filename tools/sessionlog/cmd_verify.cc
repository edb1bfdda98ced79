// sessionlog verify: the backend's own integrity check, then the contract's
// invariants checked through the public API.

#include "absl/strings/str_cat.h"
#include "api/internal/validation.h"
#include "tools/sessionlog/commands.h"
#include "tools/sessionlog/event_view.h"
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

class VerifyCommand : public Command {
 public:
  const Spec& spec() const override {
    static const Spec* spec = new Spec{
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
        0};
    return *spec;
  }

  int Run(Context& ctx, const Args& args) override {
    auto store = ctx.OpenStore(Context::Access::kRead);
    if (!store.ok()) {
      // A store too corrupt to open is what verify exists to report.
      if (absl::IsDataLoss(store.status())) {
        std::string message = absl::StrCat("the store cannot be opened: ",
                                           store.status().message());
        if (ctx.options.json) {
          OrderedJson json;
          json["ok"] = false;
          json["sessions"] = 0;
          json["events"] = 0;
          json["unlistedEvents"] = nullptr;
          json["findings"] = OrderedJson::array(
              {OrderedJson{{"session", nullptr}, {"message", message}}});
          ctx.out << DumpJson(json) << "\n";
        }
        return ctx.Fail(absl::StrCat("problem: ", message), kExitVerifyFailed);
      }
      return ctx.FailStore(store.status());
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
    const auto& findings = verifier.findings();
    if (ctx.options.json) {
      OrderedJson json;
      json["ok"] = findings.empty();
      json["sessions"] = verifier.sessions();
      json["events"] = verifier.events();
      json["unlistedEvents"] = verifier.unlisted_events()
                                   ? OrderedJson(*verifier.unlisted_events())
                                   : OrderedJson(nullptr);
      OrderedJson list = OrderedJson::array();
      for (const Finding& f : findings) {
        OrderedJson item;
        item["session"] =
            f.session.empty() ? OrderedJson(nullptr) : OrderedJson(f.session);
        item["message"] = f.message;
        list.push_back(std::move(item));
      }
      json["findings"] = std::move(list);
      ctx.out << DumpJson(json) << "\n";
    } else {
      for (const Finding& f : findings) {
        ctx.out << ctx.style.Red("problem") << ": "
                << (f.session.empty() ? "" : "session \"" + f.session + "\": ")
                << f.message << "\n";
      }
      ctx.out << "checked " << verifier.sessions() << " sessions and "
              << verifier.events() << " events: "
              << (findings.empty() ? ctx.style.Green("ok")
                                   : ctx.style.Red(absl::StrCat(findings.size(),
                                                                " problem(s)")))
              << "\n";
      if (verifier.unlisted_events().value_or(0) > 0) {
        ctx.out << *verifier.unlisted_events()
                << " events are under ids with no session record (allowed; "
                   "not checked)\n";
      }
    }
    return findings.empty() ? kExitOk : kExitVerifyFailed;
  }
};

}  // namespace

std::unique_ptr<Command> NewVerifyCommand() {
  return std::make_unique<VerifyCommand>();
}

}  // namespace cli
}  // namespace sessionlog
