#include "api/client/event_recorder.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "api/client/uuid.h"

namespace sessionlog {
namespace {

// As the SDK's MAX_EVENT_INDEX_INSERT_RETRIES.
constexpr int kInsertAttempts = 3;

}  // namespace

EventRecorder::EventRecorder(SessionPersistDriver* driver,
                             std::function<void(const SessionEvent&)> listener)
    : driver_(driver), listener_(std::move(listener)) {}

absl::Mutex* EventRecorder::SessionMutex(absl::string_view session_id) {
  absl::MutexLock lock(&map_mu_);
  std::unique_ptr<absl::Mutex>& mu = session_mu_[session_id];
  if (mu == nullptr) mu = std::make_unique<absl::Mutex>();
  return mu.get();
}

absl::StatusOr<SessionEvent> EventRecorder::Record(
    absl::string_view session_id, absl::string_view connection_id,
    Sender sender, absl::string_view envelope_json) {
  absl::MutexLock lock(SessionMutex(session_id));
  SessionEvent event;
  event.session_id = std::string(session_id);
  event.connection_id = std::string(connection_id);
  event.sender = sender;
  event.payload_json = std::string(envelope_json);
  absl::Status status;
  for (int attempt = 0; attempt < kInsertAttempts; ++attempt) {
    absl::StatusOr<std::optional<int64_t>> highest =
        driver_->HighestEventIndex(session_id);
    if (!highest.ok()) return highest.status();
    event.id = NewUuidV4();
    event.event_index = highest->value_or(0) + 1;
    event.created_at = absl::ToUnixMillis(absl::Now());
    status = driver_->InsertEvent(event);
    if (status.ok()) {
      if (listener_) listener_(event);
      return event;
    }
    if (!absl::IsAlreadyExists(status)) break;
  }
  return status;
}

}  // namespace sessionlog
