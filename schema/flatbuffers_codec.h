// struct <-> FlatBuffers for the records of api/session.h, in the format of
// schema/session.fbs.
//
// Decoding verifies the whole buffer first (FlatBuffers Verifier), so hostile
// or corrupt bytes give DataLoss, never an out-of-bounds read. Input need not
// be aligned: RocksDB hands back values at arbitrary addresses, so misaligned
// input is copied to an aligned buffer before it is read.

#ifndef SESSIONLOG_SCHEMA_FLATBUFFERS_CODEC_H_
#define SESSIONLOG_SCHEMA_FLATBUFFERS_CODEC_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "api/session.h"

namespace sessionlog {

// Appends the encoded record to *out (cleared first).
void EncodeSessionRecord(const SessionRecord& record, std::string* out);

// DataLoss if `bytes` is not a valid SessionRecord buffer.
absl::StatusOr<SessionRecord> DecodeSessionRecord(absl::string_view bytes);

enum class SessionIdField { kInclude, kOmit };

// Encodes `event` into *out (cleared first). With kOmit the session id is
// left out, for stores whose key already names the session.
void EncodeSessionEvent(const SessionEvent& event, SessionIdField session_id,
                        std::string* out);

// DataLoss if `bytes` is not a valid SessionEvent buffer. When the buffer has
// no session id, the result's session_id is `session_id`.
absl::StatusOr<SessionEvent> DecodeSessionEvent(
    absl::string_view bytes, absl::string_view session_id = {});

}  // namespace sessionlog

#endif  // SESSIONLOG_SCHEMA_FLATBUFFERS_CODEC_H_
