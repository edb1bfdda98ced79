// A small C++ service built outside the sessionlog tree, the way an embedder
// builds one: it includes only <sessionlog/sessionlog.h> and links the
// installed library (through pkg-config, CMake or Bazel; see
// docs/EMBEDDING.md). It opens the store named on its command line, writes a
// session of three events, and prints the newest two and their replay text.
//
//   service STORE_URI SESSION_ID
#include <sessionlog/sessionlog.h>

#include <cstdio>
#include <memory>
#include <string>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: service STORE_URI SESSION_ID\n");
    return 2;
  }
  const std::string session_id = argv[2];
  absl::StatusOr<std::unique_ptr<sessionlog::SessionPersistDriver>> store =
      sessionlog::Open(argv[1]);
  if (!store.ok()) {
    std::fprintf(stderr, "open: %s\n", store.status().ToString().c_str());
    return 1;
  }
  sessionlog::SessionRecord record;
  record.id = session_id;
  record.agent = "mock";
  record.last_connection_id = "conn-1";
  record.created_at = 1700000000000;
  if (absl::Status s = (*store)->UpdateSession(record); !s.ok()) {
    std::fprintf(stderr, "update: %s\n", s.ToString().c_str());
    return 1;
  }
  for (int64_t index = 1; index <= 3; ++index) {
    sessionlog::SessionEvent event;
    event.id = session_id + "-e" + std::to_string(index);
    event.event_index = index;
    event.session_id = session_id;
    event.created_at = record.created_at + index;
    event.connection_id = "conn-1";
    event.sender = index % 2 ? sessionlog::Sender::kClient
                             : sessionlog::Sender::kAgent;
    event.payload_json = "{\"jsonrpc\":\"2.0\",\"method\":\"session/update\","
                         "\"params\":{\"n\":" + std::to_string(index) + "}}";
    if (absl::Status s = (*store)->InsertEvent(event); !s.ok()) {
      std::fprintf(stderr, "insert: %s\n", s.ToString().c_str());
      return 1;
    }
  }
  absl::StatusOr<std::vector<sessionlog::SessionEvent>> last =
      (*store)->LastEvents(session_id, 2);
  if (!last.ok()) {
    std::fprintf(stderr, "last: %s\n", last.status().ToString().c_str());
    return 1;
  }
  for (const sessionlog::SessionEvent& event : *last) {
    std::printf("event %lld %s\n", static_cast<long long>(event.event_index),
                std::string(sessionlog::SenderName(event.sender)).c_str());
  }
  absl::StatusOr<std::optional<std::string>> replay =
      sessionlog::ReplayTextForSession(**store, session_id, 2);
  if (!replay.ok() || !replay->has_value()) {
    std::fprintf(stderr, "replay: %s\n",
                 replay.ok() ? "no text" : replay.status().ToString().c_str());
    return 1;
  }
  std::printf("%s", (*replay)->c_str());
  std::printf("sessionlog %s\n", sessionlog::kVersion);
  return 0;
}
