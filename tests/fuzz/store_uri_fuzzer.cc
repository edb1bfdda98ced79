// Hostile store URIs: parsing must refuse with InvalidArgument, never crash;
// what parses must be consistent with the text.

#include <cstdint>
#include <cstdlib>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "engine/open.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using sessionlog::StoreUri;
  absl::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<StoreUri> uri = sessionlog::ParseStoreUri(text);
  if (!uri.ok()) {
    Check(absl::IsInvalidArgument(uri.status()) &&
          !uri.status().message().empty());
    return 0;
  }
  Check(text.find('\0') == absl::string_view::npos);
  switch (uri->scheme) {
    case StoreUri::Scheme::kMemory:
      Check(text == "memory:");
      break;
    case StoreUri::Scheme::kRocksDb:
      Check(absl::StartsWith(text, "rocksdb:") && !uri->location.empty() &&
            absl::EndsWith(text, uri->location));
      break;
    case StoreUri::Scheme::kSqlite:
      Check(absl::StartsWith(text, "sqlite:") && !uri->location.empty() &&
            absl::EndsWith(text, uri->location));
      break;
    case StoreUri::Scheme::kPostgres:
      Check(absl::StartsWith(text, "postgres") && uri->location == text);
      break;
  }
  return 0;
}
