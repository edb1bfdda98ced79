// Hostile cursors: decoding must refuse with InvalidArgument, never crash. A
// cursor that decodes must encode back to one that decodes the same, and an
// events cursor must never be accepted for another session.

#include <cstdint>
#include <cstdlib>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "api/internal/cursor.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

void CheckRefusal(const absl::Status& status) {
  Check(absl::IsInvalidArgument(status) && !status.message().empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view text(reinterpret_cast<const char*>(data), size);

  absl::StatusOr<sessionlog::SessionCursor> sessions =
      sessionlog::DecodeSessionCursor(text);
  if (sessions.ok()) {
    absl::StatusOr<sessionlog::SessionCursor> again =
        sessionlog::DecodeSessionCursor(
            sessionlog::EncodeSessionCursor(*sessions));
    Check(again.ok() && again->created_at == sessions->created_at &&
          again->id == sessions->id);
  } else {
    CheckRefusal(sessions.status());
  }

  absl::StatusOr<int64_t> events = sessionlog::DecodeEventCursor("s-1", text);
  if (events.ok()) {
    absl::StatusOr<int64_t> again = sessionlog::DecodeEventCursor(
        "s-1", sessionlog::EncodeEventCursor("s-1", *events));
    Check(again.ok() && *again == *events);
    // The same text must not page another session.
    CheckRefusal(sessionlog::DecodeEventCursor("s-2", text).status());
  } else {
    CheckRefusal(events.status());
  }
  return 0;
}
