// Hostile bytes as a stored value: decoding must verify and refuse, never read
// out of bounds, at any alignment. What decodes must re-encode to a buffer
// that decodes to the same record.

#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/string_view.h"
#include "schema/flatbuffers_codec.h"

namespace sessionlog {
namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

void DecodeAt(absl::string_view bytes) {
  absl::StatusOr<SessionRecord> record = DecodeSessionRecord(bytes);
  if (record.ok()) {
    std::string again;
    EncodeSessionRecord(*record, &again);
    absl::StatusOr<SessionRecord> decoded = DecodeSessionRecord(again);
    Check(decoded.ok() && *decoded == *record);
  }
  absl::StatusOr<SessionEvent> event = DecodeSessionEvent(bytes, "fuzz");
  if (event.ok()) {
    std::string again;
    EncodeSessionEvent(*event, SessionIdField::kInclude, &again);
    absl::StatusOr<SessionEvent> decoded = DecodeSessionEvent(again);
    Check(decoded.ok() && *decoded == *event);
  }
}

}  // namespace
}  // namespace sessionlog

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  sessionlog::DecodeAt(bytes);
  // RocksDB hands values back at any address: try an odd one too.
  std::string shifted(1, '\0');
  shifted.append(bytes.data(), bytes.size());
  sessionlog::DecodeAt(absl::string_view(shifted).substr(1));
  return 0;
}
