#include "tests/conformance/conformance_helpers.h"

#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "schema/json_codec.h"

namespace sessionlog {

void PrintTo(const SessionRecord& record, std::ostream* os) {
  *os << SessionRecordToJson(record);
}

void PrintTo(const SessionEvent& event, std::ostream* os) {
  *os << SessionEventToJson(event);
}

namespace conformance {
namespace {

// A chain of pages longer than this means the cursors do not advance.
constexpr int kMaxPages = 100000;

}  // namespace

void ExpectInvalidArgument(const absl::Status& status,
                           absl::string_view field) {
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_NE(status.message().find(field), absl::string_view::npos)
      << "the message should name \"" << field << "\": " << status;
}

DriverOptions Caps(int64_t max_sessions, int64_t max_events_per_session) {
  DriverOptions options;
  options.max_sessions = max_sessions;
  options.max_events_per_session = max_events_per_session;
  return options;
}

absl::StatusOr<std::vector<SessionRecord>> ListAllSessions(
    SessionPersistDriver& driver, int64_t limit) {
  std::vector<SessionRecord> all;
  ListSessionsRequest request;
  request.limit = limit;
  std::set<std::string> seen_cursors;
  for (int pages = 0; pages < kMaxPages; ++pages) {
    absl::StatusOr<Page<SessionRecord>> page = driver.ListSessions(request);
    if (!page.ok()) return page.status();
    for (SessionRecord& record : page->items) all.push_back(std::move(record));
    if (!page->next_cursor) return all;
    if (!seen_cursors.insert(*page->next_cursor).second) {
      return absl::InternalError(absl::StrCat("ListSessions returned cursor \"",
                                              *page->next_cursor, "\" twice"));
    }
    request.cursor = *page->next_cursor;
  }
  return absl::InternalError("ListSessions: the cursor chain does not end");
}

absl::StatusOr<std::vector<SessionEvent>> ListAllEvents(
    SessionPersistDriver& driver, absl::string_view session_id, int64_t limit) {
  std::vector<SessionEvent> all;
  ListEventsRequest request;
  request.session_id = std::string(session_id);
  request.limit = limit;
  std::set<std::string> seen_cursors;
  for (int pages = 0; pages < kMaxPages; ++pages) {
    absl::StatusOr<Page<SessionEvent>> page = driver.ListEvents(request);
    if (!page.ok()) return page.status();
    for (SessionEvent& event : page->items) all.push_back(std::move(event));
    if (!page->next_cursor) return all;
    if (!seen_cursors.insert(*page->next_cursor).second) {
      return absl::InternalError(absl::StrCat("ListEvents returned cursor \"",
                                              *page->next_cursor, "\" twice"));
    }
    request.cursor = *page->next_cursor;
  }
  return absl::InternalError("ListEvents: the cursor chain does not end");
}

std::vector<std::string> IdsOf(const std::vector<SessionRecord>& records) {
  std::vector<std::string> ids;
  for (const SessionRecord& record : records) ids.push_back(record.id);
  return ids;
}

std::vector<int64_t> IndicesOf(const std::vector<SessionEvent>& events) {
  std::vector<int64_t> indices;
  for (const SessionEvent& event : events) indices.push_back(event.event_index);
  return indices;
}

void PrintTo(const StoreSnapshot& snapshot, std::ostream* os) {
  *os << "sessions:";
  for (const SessionRecord& record : snapshot.sessions) {
    *os << "\n  " << SessionRecordToJson(record);
  }
  for (const auto& [id, events] : snapshot.events) {
    *os << "\nevents of \"" << id << "\": ["
        << absl::StrJoin(IndicesOf(events), ",") << "]";
  }
}

absl::StatusOr<StoreSnapshot> TakeSnapshot(
    SessionPersistDriver& driver,
    const std::vector<std::string>& event_session_ids) {
  StoreSnapshot snapshot;
  absl::StatusOr<std::vector<SessionRecord>> sessions = ListAllSessions(driver);
  if (!sessions.ok()) return sessions.status();
  snapshot.sessions = *std::move(sessions);
  for (const std::string& id : event_session_ids) {
    absl::StatusOr<std::vector<SessionEvent>> events =
        ListAllEvents(driver, id);
    if (!events.ok()) return events.status();
    snapshot.events[id] = *std::move(events);
  }
  return snapshot;
}

}  // namespace conformance
}  // namespace sessionlog
