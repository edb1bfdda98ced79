// Paged listing: requests and pages.
//
// Cursors are opaque keyset cursors. A page never shifts when other sessions
// or events are written between calls: the next page starts right after the
// last item of the previous one. A cursor is tied to what it lists (sessions,
// or one session's events); any other cursor is InvalidArgument.

#ifndef SESSIONLOG_API_PAGE_H_
#define SESSIONLOG_API_PAGE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sessionlog {

struct ListSessionsRequest {
  std::string cursor;  // Empty: the first page.
  int64_t limit = 0;   // 0: the default (100). Otherwise 1..kMaxPageLimit.
};

struct ListEventsRequest {
  std::string session_id;
  std::string cursor;  // Empty: the first page.
  int64_t limit = 0;   // 0: the default (100). Otherwise 1..kMaxPageLimit.
};

// A position in the sessions listing: the (created_at, id) of the last record
// of a page. Backends receive it decoded (SessionPersistDriver::DoListSessions);
// callers only ever see it encoded, as an opaque cursor.
struct SessionCursor {
  int64_t created_at = 0;
  std::string id;
};

template <typename T>
struct Page {
  std::vector<T> items;
  // Absent on the last page; pass it back as the next request's cursor.
  std::optional<std::string> next_cursor;
};

}  // namespace sessionlog

#endif  // SESSIONLOG_API_PAGE_H_
