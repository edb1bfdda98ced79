// Turns the envelopes a client sends and receives into SessionEvents.
//
// Each envelope becomes the session's next event: eventIndex is the store's
// highest index + 1 (SessionPersistDriver::HighestEventIndex, O(1)), with a
// fresh event id, the connection id, createdAt in milliseconds, and sender
// client (sent) or agent (received). When another writer took that index
// first (AlreadyExists), the index is allocated again, up to three attempts
// as in the SDK. One session's envelopes are stored one at a time, in the
// order Record is called.
//
// Thread-safe.

#ifndef SESSIONLOG_API_CLIENT_EVENT_RECORDER_H_
#define SESSIONLOG_API_CLIENT_EVENT_RECORDER_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "api/driver.h"
#include "api/session.h"

namespace sessionlog {

class EventRecorder {
 public:
  // `driver` must outlive the recorder. `listener` (may be empty) is called
  // with each stored event, on the thread that stored it.
  EventRecorder(SessionPersistDriver* driver,
                std::function<void(const SessionEvent&)> listener);

  // Stores `envelope_json` (one JSON-RPC envelope, kept as given) as the next
  // event of `session_id`. Returns the stored event, or the driver's error
  // (after the retries, for AlreadyExists); nothing is stored on error.
  absl::StatusOr<SessionEvent> Record(absl::string_view session_id,
                                      absl::string_view connection_id,
                                      Sender sender,
                                      absl::string_view envelope_json);

 private:
  absl::Mutex* SessionMutex(absl::string_view session_id);

  SessionPersistDriver* const driver_;
  const std::function<void(const SessionEvent&)> listener_;
  absl::Mutex map_mu_;
  absl::flat_hash_map<std::string, std::unique_ptr<absl::Mutex>> session_mu_
      ABSL_GUARDED_BY(map_mu_);
};

}  // namespace sessionlog

#endif  // SESSIONLOG_API_CLIENT_EVENT_RECORDER_H_
