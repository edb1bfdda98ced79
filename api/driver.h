// SessionPersistDriver: the contract that every sessionlog backend keeps.
//
// It is the C++ form of the sandbox-agent SDK's SessionPersistDriver (five
// operations) plus the extras a service needs. Every backend (rocksdb, sqlite,
// postgres, memory) passes the same conformance suite (tests/conformance).
//
// Semantics, where the SDK is loose sessionlog is strict:
//  * An event's identity is (session_id, event_index). Inserting an event
//    whose index is already stored is a successful no-op when the stored event
//    is identical (so retries are safe), and AlreadyExists otherwise. The
//    AlreadyExists message contains SQLite's "UNIQUE constraint failed:
//    events.session_id, events.event_index", which the SDK's retry logic
//    recognises.
//  * Sessions list in (created_at, id) order, ids compared bytewise; events
//    in event_index order. Cursors are keyset cursors (see page.h).
//  * Retention keeps each session's newest max_events_per_session events by
//    event_index. An insert below the retained window is accepted and is
//    immediately trimmed.
//  * Eviction happens only in UpdateSession and ForkSession (which writes a
//    record too): when there are more than max_sessions records, those first
//    in (created_at, id) order are removed with all of their events; the
//    record just written may be one of them. The age limits
//    (DriverOptions::destroyed_session_ttl, idle_session_ttl) remove sessions
//    in the background, as PruneSessions does.
//  * Events under a session id that has no record are accepted and listable.
//    They do not count toward max_sessions.
//  * Every input is validated first; invalid input is InvalidArgument naming
//    the field, and nothing is changed.
//
// Errors are absl::Status; no exception leaves this interface.
// Thread safety: every method may be called from any number of threads at
// once. Calls on one session are linearizable.

#ifndef SESSIONLOG_API_DRIVER_H_
#define SESSIONLOG_API_DRIVER_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "api/options.h"
#include "api/page.h"
#include "api/session.h"

namespace sessionlog {

class PeriodicTask;  // api/internal/periodic_task.h

struct DriverStats {
  int64_t sessions = 0;  // Session records.
  int64_t events = 0;    // Events, including those under unknown sessions.
  bool events_is_estimate = false;  // True where counting would need a scan.
  int64_t disk_bytes = 0;  // Bytes the store occupies; 0 where not known.
  // What the age limits' background check did since this driver opened: the
  // sessions it removed, and the message of its last failed check (empty
  // when the last check succeeded; a failed check is retried at the next
  // interval).
  int64_t sessions_expired = 0;
  std::string retention_error;
};

// Which sessions PruneSessions removes. Times are milliseconds since the
// Unix epoch; an unset time switches its rule off.
struct PruneRule {
  // Sessions destroyed (destroyed_at set) before this.
  std::optional<int64_t> destroyed_before;
  // Sessions whose last activity is before this: the latest of created_at,
  // destroyed_at and the created_at of the newest retained event.
  std::optional<int64_t> idle_before;
};

enum class PruneReason { kDestroyed, kIdle };

// "destroyed" or "idle".
absl::string_view PruneReasonName(PruneReason reason);

struct PrunedSession {
  SessionRecord record;  // As it was when it was removed.
  PruneReason reason;    // kDestroyed when both rules select it.
  int64_t last_activity_at = 0;
  int64_t events = 0;  // The retained events removed with it.
};

// The latest of a session's created_at, its destroyed_at and
// `newest_event_at` (the created_at of its newest event, if any).
int64_t LastActivity(const SessionRecord& record,
                     std::optional<int64_t> newest_event_at);

// The rule that selects `record` (with `newest_event_at` as for
// LastActivity), or nullopt. The destroyed rule wins when both do.
std::optional<PruneReason> PruneReasonFor(
    const PruneRule& rule, const SessionRecord& record,
    std::optional<int64_t> newest_event_at);

class SessionPersistDriver {
 public:
  SessionPersistDriver(const SessionPersistDriver&) = delete;
  SessionPersistDriver& operator=(const SessionPersistDriver&) = delete;
  virtual ~SessionPersistDriver();

  // ---- The SDK's five operations ----

  // The record of session `id`. NotFound if there is none.
  absl::StatusOr<SessionRecord> GetSession(absl::string_view id);

  // One page of session records in (created_at, id) order.
  absl::StatusOr<Page<SessionRecord>> ListSessions(
      const ListSessionsRequest& request);

  // Inserts or fully replaces the record with this id; the session's events
  // are kept. Then evicts as described above.
  absl::Status UpdateSession(const SessionRecord& record);

  // One page of a session's events in event_index order. An unknown session
  // has no events (an empty last page, not an error).
  absl::StatusOr<Page<SessionEvent>> ListEvents(
      const ListEventsRequest& request);

  // Appends `event` to session event.session_id. Durable per
  // options().durability once OK is returned.
  absl::Status InsertEvent(const SessionEvent& event);

  // ---- Extras ----

  // Inserts `events` (any sessions) atomically: either all are applied, in
  // order, or, on any error, none is.
  absl::Status InsertEvents(absl::Span<const SessionEvent> events);

  // The newest `count` events of a session, oldest first, without scanning
  // the session. count is 1..kMaxPageLimit.
  absl::StatusOr<std::vector<SessionEvent>> LastEvents(
      absl::string_view session_id, int64_t count);

  // The highest stored event_index of a session, or nullopt if it has no
  // events. The next index to allocate is this + 1.
  absl::StatusOr<std::optional<int64_t>> HighestEventIndex(
      absl::string_view session_id);

  // Removes a session's record and all its events (also events under an id
  // that has no record). Deleting what does not exist is OK.
  absl::Status DeleteSession(absl::string_view id);

  // ---- History: fork and rewind ----

  // Creates session `new_id` as a copy of session `source_id` up to and
  // including event index `through_index`. The new record is the source's
  // with id `new_id` and no agent_session_id: no agent runs the fork, and
  // restoring it replays its history into a new agent session. Its events
  // are the source's retained events with index <= through_index, with the
  // same indexes, payloads and other fields, each with a new event id. The
  // source is not changed.
  //
  // Atomic: on any error nothing is written. Then evicts past max_sessions
  // as UpdateSession does, but never the source or the fork: the fork takes
  // the source's created_at, so in a full store the two may be among the
  // oldest, and then the fork is refused (FailedPrecondition) rather than
  // lose either. The fork's events are within the source's retained window,
  // so max_events_per_session trims none of them unless the store is opened
  // with a smaller limit than it was written with.
  //
  // Errors, with nothing changed: NotFound if `source_id` has no record;
  // FailedPrecondition if the eviction the fork causes would remove the
  // source or the fork;
  // AlreadyExists if `new_id` has a record or events (also new_id ==
  // source_id); InvalidArgument for an invalid id, a negative through_index,
  // or one above the source's highest event index (so a source without
  // events cannot be forked).
  absl::Status ForkSession(absl::string_view source_id,
                           absl::string_view new_id, int64_t through_index);

  // Drops every event of session `id` with index > through_index, atomically
  // and durably per options().durability; the record and the kept events are
  // not changed. Later appends continue from through_index + 1: an index
  // above through_index is free again. Rewinding to the highest index is OK
  // and changes nothing.
  //
  // Errors, with nothing changed: NotFound if `id` has neither a record nor
  // events; InvalidArgument for an invalid id, a negative through_index, or
  // one above the session's highest event index.
  absl::Status RewindSession(absl::string_view id, int64_t through_index);

  // ---- Retention by age ----

  // Removes, each with all of its events, the sessions that `rule` selects
  // (see PruneRule). Each removal is one atomic write that checks the rule
  // again inside the write's isolation, so a session resumed, updated or
  // appended to since it was found stays. Events under ids without a record
  // are left alone. Returns what was removed, in (created_at, id) order.
  // Cost: a walk of the session records, plus, with idle_before set, a read
  // of the newest event of each session whose record alone does not show
  // activity since idle_before.
  //
  // The age limits of DriverOptions (destroyed_session_ttl,
  // idle_session_ttl) run this in the background with times relative to the
  // clock. Errors: InvalidArgument for a rule with neither time set, or a
  // negative time; FailedPrecondition on a read_only driver. On an error
  // midway, what was removed before it stays removed.
  absl::StatusOr<std::vector<PrunedSession>> PruneSessions(
      const PruneRule& rule);

  // Counts of what the store holds now, and its size on disk (see
  // DriverStats for which figures are exact). Cheap: never a scan of the
  // events on backends that keep counts; an estimate where counting would
  // need one (events_is_estimate says so).
  absl::StatusOr<DriverStats> Stats();

  // Makes every acknowledged write durable against power loss, whatever the
  // durability option.
  absl::Status Flush();

  // Checks the backend's own integrity: RocksDB's block and file checksums,
  // SQLite's integrity_check. DataLoss, naming the file or table, on
  // corruption; OK for backends with nothing to check. Reads everything, so
  // it is slow on a large store. (The contract's invariants, such as limits
  // and ordering, are checked through the public methods by `sessionlog
  // verify`.)
  absl::Status CheckIntegrity();

  // Reclaims space now rather than in the background: for RocksDB, a full
  // compaction that drops trimmed and evicted events; for SQLite, VACUUM.
  // OK and a no-op for backends with nothing to reclaim. Slow on a large
  // store; reads and writes may go on meanwhile.
  absl::Status Compact();

  const DriverOptions& options() const { return options_; }

 protected:
  // `options` must have passed ValidateOptions.
  // kLimitFromStore limits become the SDK's defaults here; a backend that
  // records limits in the store adopts them with AdoptStoredLimits.
  explicit SessionPersistDriver(const DriverOptions& options);

  // For a backend that records limits in the store: the limits in force, once
  // it has resolved kLimitFromStore against what the store recorded. Call only
  // while opening, before the driver is shared.
  void AdoptStoredLimits(int64_t max_sessions, int64_t max_events_per_session) {
    options_.max_sessions = max_sessions;
    options_.max_events_per_session = max_events_per_session;
  }

  // The backend's part. Inputs have been validated and normalized: limits are
  // in range, ids non-empty and valid UTF-8, JSON fields parse. Each hook is
  // called from any thread, concurrently with the others; the backend does
  // its own locking. Errors go back to the caller unchanged, so their
  // messages must name what is at fault.

  // The record of `id`, or NotFound.
  virtual absl::StatusOr<SessionRecord> DoGetSession(absl::string_view id) = 0;
  // Up to `limit` records in (created_at, id) order, strictly after `after`
  // when it is set.
  virtual absl::StatusOr<std::vector<SessionRecord>> DoListSessions(
      const std::optional<SessionCursor>& after, int64_t limit) = 0;
  // Replaces or inserts the record, keeping the session's events, then evicts
  // past options().max_sessions as the class comment says; all of it
  // atomically with respect to readers.
  virtual absl::Status DoUpdateSession(const SessionRecord& record) = 0;
  // Up to `limit` retained events in event_index order, with index strictly
  // greater than `after_index` when it is set.
  virtual absl::StatusOr<std::vector<SessionEvent>> DoListEvents(
      absl::string_view session_id, std::optional<int64_t> after_index,
      int64_t limit) = 0;
  // Applies every event, in order, or none: identical re-inserts are no-ops,
  // an index holding another event is AlreadyExists (with the SQLite text in
  // the class comment). Durable per options().durability when it returns OK.
  virtual absl::Status DoInsertEvents(
      absl::Span<const SessionEvent> events) = 0;
  // The newest `count` retained events, oldest first; O(count), never a scan.
  virtual absl::StatusOr<std::vector<SessionEvent>> DoLastEvents(
      absl::string_view session_id, int64_t count) = 0;
  // The highest retained event_index, or nullopt when the session has none.
  virtual absl::StatusOr<std::optional<int64_t>> DoHighestEventIndex(
      absl::string_view session_id) = 0;
  // Removes the record and every event of `id`; OK when there is nothing.
  virtual absl::Status DoDeleteSession(absl::string_view id) = 0;
  // Forks as ForkSession says, in one atomic write, checking what the store
  // holds inside that write's isolation (the errors: ForkSourceNotFound,
  // ForkTargetExists, CheckThroughIndex below). Builds the fork with
  // ForkedRecord and ForkedEvent. Every backend of this repository has it
  // (the conformance suite checks); the default, for test doubles, is
  // Unimplemented.
  virtual absl::Status DoForkSession(absl::string_view source_id,
                                     absl::string_view new_id,
                                     int64_t through_index);
  // Rewinds as RewindSession says, atomically (the errors:
  // RewindSessionNotFound, CheckThroughIndex). Default as DoForkSession's.
  virtual absl::Status DoRewindSession(absl::string_view id,
                                       int64_t through_index);
  // Removes session `id`, its record and all of its events, in one atomic
  // write, if `still_selected` returns true when called on its record and
  // the created_at of its newest retained event (nullopt: none) inside that
  // write's isolation: no write to `id` may happen between the call and the
  // removal. Returns the number of retained events removed with it, or
  // nullopt, with nothing changed, when it removed nothing (also when `id`
  // has no record). Default as DoForkSession's.
  using StillSelected = absl::FunctionRef<bool(
      const SessionRecord& record, std::optional<int64_t> newest_event_at)>;
  virtual absl::StatusOr<std::optional<int64_t>> DoDeleteSessionIf(
      absl::string_view id, StillSelected still_selected);
  virtual absl::StatusOr<DriverStats> DoStats() = 0;
  // Makes every acknowledged write survive a power cut.
  virtual absl::Status DoFlush() = 0;
  // Stats(), CheckIntegrity() and Compact() above state what these return;
  // the defaults suit a backend with nothing to check or reclaim.
  virtual absl::Status DoCheckIntegrity() { return absl::OkStatus(); }
  virtual absl::Status DoCompact() { return absl::OkStatus(); }

  // The background check of the age limits (DriverOptions'
  // destroyed_session_ttl and idle_session_ttl). A backend calls
  // StartRetention() once it is open, and StopRetention() first thing in its
  // destructor, since the check calls the Do* hooks. StartRetention does
  // nothing when no age limit is set or the driver is read_only.
  void StartRetention();
  void StopRetention();

  // What every backend's fork and rewind share, so that all of them build the
  // same fork and refuse with the same messages.

  // The fork's record: `source` with id `new_id` and no agent session.
  static SessionRecord ForkedRecord(const SessionRecord& source,
                                    absl::string_view new_id);
  // The fork's copy of `source`: under `new_id`, with a new event id.
  static SessionEvent ForkedEvent(const SessionEvent& source,
                                  absl::string_view new_id);
  // NotFound for fork source `id`, which has no record.
  static absl::Status ForkSourceNotFound(absl::string_view id);
  // AlreadyExists for fork target `id`, which has a record or events.
  static absl::Status ForkTargetExists(absl::string_view id);
  // OK unless `victims`, the sessions that the fork of `source_id` into
  // `new_id` would evict, include either; then FailedPrecondition.
  static absl::Status CheckForkEvictions(
      absl::string_view source_id, absl::string_view new_id,
      const std::vector<std::string>& victims, int64_t max_sessions);
  // NotFound for rewound session `id`, which has no record and no events.
  static absl::Status RewindSessionNotFound(absl::string_view id);
  // OK when `through_index` is at or below `highest`, the highest event index
  // of session `id` (nullopt: no events); else InvalidArgument.
  static absl::Status CheckThroughIndex(absl::string_view id,
                                        std::optional<int64_t> highest,
                                        int64_t through_index);

 private:
  static DriverOptions WithDefaultLimits(DriverOptions options) {
    if (options.max_sessions == kLimitFromStore) {
      options.max_sessions = kDefaultMaxSessions;
    }
    if (options.max_events_per_session == kLimitFromStore) {
      options.max_events_per_session = kDefaultMaxEventsPerSession;
    }
    return options;
  }

  // One check of the age limits, run by retention_.
  void EnforceAgeLimits();

  DriverOptions options_;
  std::mutex retention_mu_;  // Guards the two fields below.
  int64_t sessions_expired_ = 0;
  std::string retention_error_;
  std::unique_ptr<PeriodicTask> retention_;
};

// ---- Walks: every session, or every event of one session ----
//
// ForEachSession and ForEachEvent page through a store with ListSessions and
// ListEvents and their keyset cursors, and call `visit` once per item, in list
// order, on the calling thread. `visit` may call the driver: the walk holds no
// lock and no snapshot between pages.
//
// Stopping: the walk stops at the first non-OK status, whether the driver's or
// `visit`'s, and returns it unchanged, so a caller can stop early with a
// status of its own (e.g. Cancelled) and tell it from a failure. Otherwise it
// returns OK after the last page.
//
// While the store changes (other threads or processes writing): each page is
// read when the walk reaches it and starts right after the last item visited,
// so
//  * an item that stays in the store, at the same place in the order, for the
//    whole walk is visited exactly once;
//  * an item written behind the walk's position is not visited; one written
//    ahead of it is, if it is there when the walk reads the page it falls in.
//    The walk ends with the first page that has no next_cursor, so what is
//    written after that read is not visited: a walk over a session that is
//    being appended to ends once it has caught up with the writer;
//  * an item removed (deleted, evicted, trimmed) before the walk reads its
//    page is not visited;
//  * nothing is visited twice, except a record that an UpdateSession moves
//    (a new created_at) from behind the walk's position to ahead of it.
// Event indexes never change, so an event walk visits a session's events in
// strictly increasing event_index order.

struct SessionWalkOptions {
  // Records per ListSessions call, 1..kMaxPageLimit: large pages mean fewer
  // round trips, small ones exercise the cursors.
  int64_t page_size = kMaxPageLimit;
  // Start right after this sessions cursor (a Page::next_cursor, or one saved
  // from an earlier walk); empty starts at the first record.
  std::string cursor;
};

struct EventWalkOptions {
  // Events per ListEvents call, 1..kMaxPageLimit.
  int64_t page_size = kMaxPageLimit;
  // Visit only events with event_index > after_index; unset visits all. Any
  // value is accepted: negative means all, kMaxSafeInteger or more none.
  std::optional<int64_t> after_index;
};

// Every session record, in (created_at, id) order. InvalidArgument for a
// page_size out of range or a cursor that is not a sessions cursor.
absl::Status ForEachSession(
    SessionPersistDriver& driver,
    absl::FunctionRef<absl::Status(const SessionRecord&)> visit,
    const SessionWalkOptions& options = SessionWalkOptions());

// Every retained event of `session_id` (which need not have a record), in
// event_index order. An unknown session has none: OK without a call to
// `visit`. InvalidArgument for an invalid id or a page_size out of range.
absl::Status ForEachEvent(
    SessionPersistDriver& driver, absl::string_view session_id,
    absl::FunctionRef<absl::Status(const SessionEvent&)> visit,
    const EventWalkOptions& options = EventWalkOptions());

}  // namespace sessionlog

#endif  // SESSIONLOG_API_DRIVER_H_
