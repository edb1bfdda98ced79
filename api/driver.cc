#include "api/driver.h"

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "api/internal/cursor.h"
#include "api/internal/uuid.h"
#include "api/internal/validation.h"

namespace sessionlog {

// Every public method validates and normalizes here, once for all backends,
// then calls the backend's Do* method.

absl::StatusOr<SessionRecord> SessionPersistDriver::GetSession(
    absl::string_view id) {
  if (absl::Status s = ValidateId("id", id); !s.ok()) return s;
  return DoGetSession(id);
}

absl::StatusOr<Page<SessionRecord>> SessionPersistDriver::ListSessions(
    const ListSessionsRequest& request) {
  absl::StatusOr<int64_t> limit = NormalizePageLimit(request.limit);
  if (!limit.ok()) return limit.status();
  std::optional<SessionCursor> after;
  if (!request.cursor.empty()) {
    absl::StatusOr<SessionCursor> cursor = DecodeSessionCursor(request.cursor);
    if (!cursor.ok()) return cursor.status();
    after = *std::move(cursor);
  }
  // One item more than asked tells whether there is a next page.
  absl::StatusOr<std::vector<SessionRecord>> items =
      DoListSessions(after, *limit + 1);
  if (!items.ok()) return items.status();
  Page<SessionRecord> page;
  page.items = *std::move(items);
  if (static_cast<int64_t>(page.items.size()) > *limit) {
    page.items.resize(*limit);
    const SessionRecord& last = page.items.back();
    page.next_cursor = EncodeSessionCursor({last.created_at, last.id});
  }
  return page;
}

absl::Status SessionPersistDriver::UpdateSession(const SessionRecord& record) {
  if (absl::Status s = ValidateSessionRecord(record); !s.ok()) return s;
  return DoUpdateSession(record);
}

absl::StatusOr<Page<SessionEvent>> SessionPersistDriver::ListEvents(
    const ListEventsRequest& request) {
  if (absl::Status s = ValidateId("sessionId", request.session_id); !s.ok()) {
    return s;
  }
  absl::StatusOr<int64_t> limit = NormalizePageLimit(request.limit);
  if (!limit.ok()) return limit.status();
  std::optional<int64_t> after_index;
  if (!request.cursor.empty()) {
    absl::StatusOr<int64_t> last =
        DecodeEventCursor(request.session_id, request.cursor);
    if (!last.ok()) return last.status();
    after_index = *last;
  }
  absl::StatusOr<std::vector<SessionEvent>> items =
      DoListEvents(request.session_id, after_index, *limit + 1);
  if (!items.ok()) return items.status();
  Page<SessionEvent> page;
  page.items = *std::move(items);
  if (static_cast<int64_t>(page.items.size()) > *limit) {
    page.items.resize(*limit);
    page.next_cursor =
        EncodeEventCursor(request.session_id, page.items.back().event_index);
  }
  return page;
}

absl::Status SessionPersistDriver::InsertEvent(const SessionEvent& event) {
  return InsertEvents(absl::MakeConstSpan(&event, 1));
}

absl::Status SessionPersistDriver::InsertEvents(
    absl::Span<const SessionEvent> events) {
  for (size_t i = 0; i < events.size(); ++i) {
    absl::Status s = ValidateSessionEvent(events[i], options_);
    if (!s.ok()) {
      if (events.size() == 1) return s;
      return absl::Status(s.code(),
                          absl::StrCat("events[", i, "]: ", s.message()));
    }
  }
  if (events.empty()) return absl::OkStatus();
  return DoInsertEvents(events);
}

absl::StatusOr<std::vector<SessionEvent>> SessionPersistDriver::LastEvents(
    absl::string_view session_id, int64_t count) {
  if (absl::Status s = ValidateId("sessionId", session_id); !s.ok()) return s;
  if (count < 1 || count > kMaxPageLimit) {
    return absl::InvalidArgumentError(absl::StrCat(
        "count: must be in [1, ", kMaxPageLimit, "], got ", count));
  }
  return DoLastEvents(session_id, count);
}

absl::StatusOr<std::optional<int64_t>> SessionPersistDriver::HighestEventIndex(
    absl::string_view session_id) {
  if (absl::Status s = ValidateId("sessionId", session_id); !s.ok()) return s;
  return DoHighestEventIndex(session_id);
}

absl::Status SessionPersistDriver::DeleteSession(absl::string_view id) {
  if (absl::Status s = ValidateId("id", id); !s.ok()) return s;
  return DoDeleteSession(id);
}

namespace {

absl::Status ValidateThroughIndex(int64_t through_index) {
  if (through_index < 0 || through_index > kMaxSafeInteger) {
    return absl::InvalidArgumentError(
        absl::StrCat("through_index: must be in [0, ", kMaxSafeInteger,
                     "], got ", through_index));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status SessionPersistDriver::ForkSession(absl::string_view source_id,
                                               absl::string_view new_id,
                                               int64_t through_index) {
  if (absl::Status s = ValidateId("source_id", source_id); !s.ok()) return s;
  if (absl::Status s = ValidateId("new_id", new_id); !s.ok()) return s;
  if (absl::Status s = ValidateThroughIndex(through_index); !s.ok()) return s;
  return DoForkSession(source_id, new_id, through_index);
}

absl::Status SessionPersistDriver::RewindSession(absl::string_view id,
                                                 int64_t through_index) {
  if (absl::Status s = ValidateId("id", id); !s.ok()) return s;
  if (absl::Status s = ValidateThroughIndex(through_index); !s.ok()) return s;
  return DoRewindSession(id, through_index);
}

absl::Status SessionPersistDriver::DoForkSession(absl::string_view,
                                                 absl::string_view, int64_t) {
  return absl::UnimplementedError("this driver cannot fork sessions");
}

absl::Status SessionPersistDriver::DoRewindSession(absl::string_view, int64_t) {
  return absl::UnimplementedError("this driver cannot rewind sessions");
}

SessionRecord SessionPersistDriver::ForkedRecord(const SessionRecord& source,
                                                 absl::string_view new_id) {
  SessionRecord fork = source;
  fork.id = std::string(new_id);
  fork.agent_session_id.reset();
  return fork;
}

SessionEvent SessionPersistDriver::ForkedEvent(const SessionEvent& source,
                                               absl::string_view new_id) {
  SessionEvent fork = source;
  fork.id = NewUuidV4();
  fork.session_id = std::string(new_id);
  return fork;
}

absl::Status SessionPersistDriver::ForkSourceNotFound(absl::string_view id) {
  return absl::NotFoundError(absl::StrCat("source session \"",
                                          absl::CHexEscape(id),
                                          "\" not found; nothing forked"));
}

absl::Status SessionPersistDriver::ForkTargetExists(absl::string_view id) {
  return absl::AlreadyExistsError(
      absl::StrCat("session \"", absl::CHexEscape(id),
                   "\" already exists; fork into a new id"));
}

absl::Status SessionPersistDriver::CheckForkEvictions(
    absl::string_view source_id, absl::string_view new_id,
    const std::vector<std::string>& victims, int64_t max_sessions) {
  for (const std::string& victim : victims) {
    if (victim != source_id && victim != new_id) continue;
    return absl::FailedPreconditionError(absl::StrCat(
        "forking \"", absl::CHexEscape(source_id), "\" into \"",
        absl::CHexEscape(new_id), "\" would evict \"", absl::CHexEscape(victim),
        "\": the store holds max_sessions (", max_sessions,
        ") sessions, and the fork, which takes its source's created_at, would "
        "be among the oldest. Nothing was changed; raise max_sessions or "
        "delete older sessions first"));
  }
  return absl::OkStatus();
}

absl::Status SessionPersistDriver::RewindSessionNotFound(absl::string_view id) {
  return absl::NotFoundError(
      absl::StrCat("session \"", absl::CHexEscape(id),
                   "\" not found (no record and no events); nothing rewound"));
}

absl::Status SessionPersistDriver::CheckThroughIndex(
    absl::string_view id, std::optional<int64_t> highest,
    int64_t through_index) {
  if (!highest) {
    return absl::InvalidArgumentError(
        absl::StrCat("through_index: session \"", absl::CHexEscape(id),
                     "\" has no events, so there is nothing to keep"));
  }
  if (through_index > *highest) {
    return absl::InvalidArgumentError(absl::StrCat(
        "through_index: ", through_index, " is past the highest event index ",
        *highest, " of session \"", absl::CHexEscape(id), "\""));
  }
  return absl::OkStatus();
}

absl::StatusOr<DriverStats> SessionPersistDriver::Stats() {
  absl::StatusOr<DriverStats> stats = DoStats();
  if (!stats.ok()) return stats;
  std::lock_guard<std::mutex> lock(retention_mu_);
  stats->sessions_expired = sessions_expired_;
  stats->retention_error = retention_error_;
  return stats;
}

absl::Status SessionPersistDriver::Flush() { return DoFlush(); }

absl::Status SessionPersistDriver::CheckIntegrity() {
  return DoCheckIntegrity();
}

absl::Status SessionPersistDriver::Compact() { return DoCompact(); }

namespace {

absl::Status CheckPageSize(int64_t page_size) {
  if (page_size < 1 || page_size > kMaxPageLimit) {
    return absl::InvalidArgumentError(absl::StrCat(
        "page_size: must be in [1, ", kMaxPageLimit, "], got ", page_size));
  }
  return absl::OkStatus();
}

// Calls `visit` per item of every page from `request` on; the request's
// cursor follows each page's next_cursor.
template <typename Request, typename Item, typename List>
absl::Status Walk(Request request, List list,
                  absl::FunctionRef<absl::Status(const Item&)> visit) {
  while (true) {
    absl::StatusOr<Page<Item>> page = list(request);
    if (!page.ok()) return page.status();
    for (const Item& item : page->items) {
      if (absl::Status s = visit(item); !s.ok()) return s;
    }
    if (!page->next_cursor) return absl::OkStatus();
    request.cursor = *std::move(page->next_cursor);
  }
}

}  // namespace

absl::Status ForEachSession(
    SessionPersistDriver& driver,
    absl::FunctionRef<absl::Status(const SessionRecord&)> visit,
    const SessionWalkOptions& options) {
  if (absl::Status s = CheckPageSize(options.page_size); !s.ok()) return s;
  ListSessionsRequest request;
  request.limit = options.page_size;
  request.cursor = options.cursor;
  return Walk<ListSessionsRequest, SessionRecord>(
      std::move(request),
      [&](const ListSessionsRequest& r) { return driver.ListSessions(r); },
      visit);
}

absl::Status ForEachEvent(
    SessionPersistDriver& driver, absl::string_view session_id,
    absl::FunctionRef<absl::Status(const SessionEvent&)> visit,
    const EventWalkOptions& options) {
  if (absl::Status s = CheckPageSize(options.page_size); !s.ok()) return s;
  if (absl::Status s = ValidateId("sessionId", session_id); !s.ok()) return s;
  ListEventsRequest request;
  request.session_id = std::string(session_id);
  request.limit = options.page_size;
  if (options.after_index && *options.after_index >= 0) {
    // No stored index exceeds kMaxSafeInteger, so nothing comes after it.
    if (*options.after_index >= kMaxSafeInteger) return absl::OkStatus();
    // An events cursor means "after this index", so a walk can start
    // mid-session without reading what comes before.
    request.cursor = EncodeEventCursor(session_id, *options.after_index);
  }
  return Walk<ListEventsRequest, SessionEvent>(
      std::move(request),
      [&](const ListEventsRequest& r) { return driver.ListEvents(r); }, visit);
}

}  // namespace sessionlog
