#include "schema/flatbuffers_codec.h"

#include <cstdint>
#include <cstring>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "flatbuffers/flatbuffers.h"
#include "schema/session_generated.h"

namespace sessionlog {
namespace {

// A builder per thread: reusing its buffer saves an allocation per encode.
flatbuffers::FlatBufferBuilder& ThreadBuilder() {
  thread_local flatbuffers::FlatBufferBuilder builder(512);
  builder.Clear();
  return builder;
}

void Finish(flatbuffers::FlatBufferBuilder& builder, std::string* out) {
  out->assign(reinterpret_cast<const char*>(builder.GetBufferPointer()),
              builder.GetSize());
}

flatbuffers::Offset<flatbuffers::String> OptionalString(
    flatbuffers::FlatBufferBuilder& builder,
    const std::optional<std::string>& value) {
  return value ? builder.CreateString(*value) : 0;
}

std::optional<std::string> ReadOptional(const flatbuffers::String* value) {
  if (value == nullptr) return std::nullopt;
  return value->str();
}

std::string Read(const flatbuffers::String* value) {
  return value == nullptr ? std::string() : value->str();
}

// FlatBuffers reads 8-byte scalars in place, so the buffer must be 8-byte
// aligned. Returns `bytes` itself when it is, else an aligned copy in
// *storage.
const uint8_t* Aligned(absl::string_view bytes,
                       std::vector<uint64_t>* storage) {
  if (reinterpret_cast<uintptr_t>(bytes.data()) % alignof(uint64_t) == 0) {
    return reinterpret_cast<const uint8_t*>(bytes.data());
  }
  storage->resize((bytes.size() + 7) / 8);
  // An empty value leaves storage without memory: memcpy of a null pointer is
  // undefined even for zero bytes (found by tests/fuzz).
  if (!bytes.empty()) std::memcpy(storage->data(), bytes.data(), bytes.size());
  return reinterpret_cast<const uint8_t*>(storage->data());
}

template <typename Table>
absl::StatusOr<const Table*> VerifiedRoot(const uint8_t* data, size_t size,
                                          absl::string_view what) {
  flatbuffers::Verifier verifier(data, size);
  if (size < sizeof(flatbuffers::uoffset_t) ||
      !verifier.VerifyBuffer<Table>(nullptr)) {
    return absl::DataLossError(absl::StrCat(
        "stored ", what, " (", size, " bytes) is not a valid FlatBuffer"));
  }
  return flatbuffers::GetRoot<Table>(data);
}

}  // namespace

void EncodeSessionRecord(const SessionRecord& r, std::string* out) {
  flatbuffers::FlatBufferBuilder& b = ThreadBuilder();
  auto id = b.CreateString(r.id);
  auto agent = b.CreateString(r.agent);
  auto agent_session_id = OptionalString(b, r.agent_session_id);
  auto last_connection_id = b.CreateString(r.last_connection_id);
  auto sandbox_id = OptionalString(b, r.sandbox_id);
  auto session_init = OptionalString(b, r.session_init_json);
  auto config_options = OptionalString(b, r.config_options_json);
  auto modes = OptionalString(b, r.modes_json);
  fb::SessionRecordBuilder rb(b);
  rb.add_id(id);
  rb.add_agent(agent);
  if (!agent_session_id.IsNull()) rb.add_agent_session_id(agent_session_id);
  rb.add_last_connection_id(last_connection_id);
  rb.add_created_at(r.created_at);
  if (r.destroyed_at) rb.add_destroyed_at(*r.destroyed_at);
  if (!sandbox_id.IsNull()) rb.add_sandbox_id(sandbox_id);
  if (!session_init.IsNull()) rb.add_session_init_json(session_init);
  if (!config_options.IsNull()) rb.add_config_options_json(config_options);
  if (!modes.IsNull()) rb.add_modes_json(modes);
  b.Finish(rb.Finish());
  Finish(b, out);
}

absl::StatusOr<SessionRecord> DecodeSessionRecord(absl::string_view bytes) {
  std::vector<uint64_t> storage;
  absl::StatusOr<const fb::SessionRecord*> root =
      VerifiedRoot<fb::SessionRecord>(Aligned(bytes, &storage), bytes.size(),
                                      "session record");
  if (!root.ok()) return root.status();
  const fb::SessionRecord& f = **root;
  SessionRecord r;
  r.id = Read(f.id());
  r.agent = Read(f.agent());
  r.agent_session_id = ReadOptional(f.agent_session_id());
  r.last_connection_id = Read(f.last_connection_id());
  r.created_at = f.created_at();
  if (f.destroyed_at().has_value()) r.destroyed_at = *f.destroyed_at();
  r.sandbox_id = ReadOptional(f.sandbox_id());
  r.session_init_json = ReadOptional(f.session_init_json());
  r.config_options_json = ReadOptional(f.config_options_json());
  r.modes_json = ReadOptional(f.modes_json());
  return r;
}

void EncodeSessionEvent(const SessionEvent& e, SessionIdField session_id,
                        std::string* out) {
  flatbuffers::FlatBufferBuilder& b = ThreadBuilder();
  auto id = b.CreateString(e.id);
  flatbuffers::Offset<flatbuffers::String> session;
  if (session_id == SessionIdField::kInclude)
    session = b.CreateString(e.session_id);
  auto connection_id = b.CreateString(e.connection_id);
  auto payload = b.CreateString(e.payload_json);
  fb::SessionEventBuilder eb(b);
  eb.add_id(id);
  eb.add_event_index(e.event_index);
  if (!session.IsNull()) eb.add_session_id(session);
  eb.add_created_at(e.created_at);
  eb.add_connection_id(connection_id);
  eb.add_sender(e.sender == Sender::kAgent ? fb::Sender_Agent
                                           : fb::Sender_Client);
  eb.add_payload_json(payload);
  b.Finish(eb.Finish());
  Finish(b, out);
}

absl::StatusOr<SessionEvent> DecodeSessionEvent(absl::string_view bytes,
                                                absl::string_view session_id) {
  std::vector<uint64_t> storage;
  absl::StatusOr<const fb::SessionEvent*> root = VerifiedRoot<fb::SessionEvent>(
      Aligned(bytes, &storage), bytes.size(), "event");
  if (!root.ok()) return root.status();
  const fb::SessionEvent& f = **root;
  if (f.sender() != fb::Sender_Client && f.sender() != fb::Sender_Agent) {
    return absl::DataLossError(
        absl::StrCat("stored event has an unknown sender code ",
                     static_cast<int>(f.sender())));
  }
  SessionEvent e;
  e.id = Read(f.id());
  e.event_index = f.event_index();
  e.session_id = f.session_id() != nullptr ? f.session_id()->str()
                                           : std::string(session_id);
  e.created_at = f.created_at();
  e.connection_id = Read(f.connection_id());
  e.sender = f.sender() == fb::Sender_Agent ? Sender::kAgent : Sender::kClient;
  e.payload_json = Read(f.payload_json());
  return e;
}

}  // namespace sessionlog
