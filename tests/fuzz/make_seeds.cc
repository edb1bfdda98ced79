// Writes the seed corpora: valid inputs of each fuzz target, made with the
// real encoders so that the fuzzers start from deep inside the formats.
//   bazel run //tests/fuzz:make_seeds -- $PWD/tests/fuzz/corpus

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api/internal/cursor.h"
#include "api/session.h"
#include "schema/flatbuffers_codec.h"
#include "schema/json_codec.h"

namespace sessionlog {
namespace {

void Write(const std::string& dir, const std::string& name,
           const std::string& bytes) {
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/" + name, std::ios::binary) << bytes;
}

SessionRecord FullRecord() {
  SessionRecord r;
  r.id = "sess-1";
  r.agent = "claude";
  r.agent_session_id = "agent-7";
  r.last_connection_id = "6f1c2f0e-8f4b-4f7e-9a59-0f6b1d2c3e4f";
  r.created_at = 1700000000000;
  r.destroyed_at = 1700000001000;
  r.sandbox_id = "docker/abc";
  r.session_init_json = R"({"cwd":"/w","mcpServers":[]})";
  r.config_options_json = R"([{"id":"model","value":"x"}])";
  r.modes_json = "null";
  return r;
}

SessionEvent FullEvent() {
  SessionEvent e;
  e.id = "0b7e3c1a-1d2f-4e5a-8b9c-0d1e2f3a4b5c";
  e.event_index = 42;
  e.session_id = "sess-1";
  e.created_at = 1700000000500;
  e.connection_id = "6f1c2f0e-8f4b-4f7e-9a59-0f6b1d2c3e4f";
  e.sender = Sender::kAgent;
  e.payload_json =
      R"({"jsonrpc":"2.0","id":1,"method":"session/prompt","params":{"x":[1,2.5,"\u00e9",null,true]}})";
  return e;
}

void Run(const std::string& root) {
  SessionRecord minimal_record;
  minimal_record.id = "s";
  SessionEvent minimal_event;
  minimal_event.id = "e";
  minimal_event.session_id = "s";
  minimal_event.payload_json = "{}";

  std::string bytes;
  const std::string fb = root + "/flatbuffers_decode";
  EncodeSessionRecord(FullRecord(), &bytes);
  Write(fb, "record_full", bytes);
  EncodeSessionRecord(minimal_record, &bytes);
  Write(fb, "record_minimal", bytes);
  EncodeSessionEvent(FullEvent(), SessionIdField::kInclude, &bytes);
  Write(fb, "event_full", bytes);
  EncodeSessionEvent(FullEvent(), SessionIdField::kOmit, &bytes);
  Write(fb, "event_keyed", bytes);
  EncodeSessionEvent(minimal_event, SessionIdField::kInclude, &bytes);
  Write(fb, "event_minimal", bytes);

  const std::string jl = root + "/json_line";
  Write(jl, "session_full", JsonLineToJson(FullRecord()));
  Write(jl, "session_minimal", JsonLineToJson(minimal_record));
  Write(jl, "event_full", JsonLineToJson(FullEvent()));
  Write(jl, "event_minimal", JsonLineToJson(minimal_event));
  Write(jl, "unknown_field", R"({"event":{"id":"e","bogus":1}})");
  Write(jl, "both", R"({"session":{"id":"s"},"event":{"id":"e"}})");

  const std::string cu = root + "/cursor";
  Write(cu, "sessions", EncodeSessionCursor({1700000000000, "sess-1"}));
  Write(cu, "sessions_utf8", EncodeSessionCursor({-5, "s\xc3\xa9ssion/\xff"}));
  Write(cu, "events", EncodeEventCursor("s-1", 42));
  Write(cu, "events_max", EncodeEventCursor("s-1", (int64_t{1} << 53) - 1));
  Write(cu, "events_other_session", EncodeEventCursor("s-2", 7));

  const std::string uri = root + "/store_uri";
  Write(uri, "rocksdb", "rocksdb:/var/lib/sessionlog");
  Write(uri, "sqlite", "sqlite:./sessions.db");
  Write(uri, "postgres", "postgresql://postgres@127.0.0.1:5432/db?sslmode=off");
  Write(uri, "postgres_short", "postgres://u:p@h/db");
  Write(uri, "memory", "memory:");
  Write(uri, "unknown", "redis://x");
}

}  // namespace
}  // namespace sessionlog

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_seeds CORPUS_DIR\n");
    return 2;
  }
  sessionlog::Run(argv[1]);
  return 0;
}
