// Hostile import lines: parsing must refuse with a status, never crash. A
// line that parses must print and parse back to the same record.

#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/string_view.h"
#include "schema/json_codec.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<sessionlog::JsonLine> line =
      sessionlog::JsonLineFromJson(text);
  if (!line.ok()) {
    Check(!line.status().message().empty());
    return 0;
  }
  // Exactly one of the two.
  Check(line->session.has_value() != line->event.has_value());
  std::string printed = line->session
                            ? sessionlog::JsonLineToJson(*line->session)
                            : sessionlog::JsonLineToJson(*line->event);
  absl::StatusOr<sessionlog::JsonLine> again =
      sessionlog::JsonLineFromJson(printed);
  Check(again.ok());
  if (line->session) {
    Check(again->session.has_value() && *again->session == *line->session);
  } else {
    Check(again->event.has_value() && *again->event == *line->event);
  }
  return 0;
}
