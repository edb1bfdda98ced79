// The thin client in one program: connect, create a session, prompt it, and
// restore it from the store in a new client, whose first prompt carries the
// replay of the history. docs/CLIENT.md walks through it.
//
//   sandbox-agent server --no-token --port 2468 &
//   curl -X POST localhost:2468/v1/agents/mock/install -d '{}'
//   url=http://127.0.0.1:2468 store=rocksdb:/tmp/sessions
//   bazel run //api/client/example:client_example -- --url=$url --store=$store

#include <cstdio>
#include <memory>
#include <string>
#include <utility>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "api/client/client.h"
#include "engine/open.h"

ABSL_FLAG(std::string, url, "http://127.0.0.1:2468", "sandbox-agent base URL");
ABSL_FLAG(std::string, token, "", "bearer token, if the server has one");
ABSL_FLAG(std::string, store, "memory:", "where sessions go, e.g. rocksdb:DIR");
ABSL_FLAG(std::string, agent, "mock", "the agent to run");

namespace {

absl::Status Run() {
  // 1. A store and a client.
  absl::StatusOr<std::unique_ptr<sessionlog::SessionPersistDriver>> store =
      sessionlog::Open(absl::GetFlag(FLAGS_store));
  if (!store.ok()) return store.status();
  sessionlog::ClientOptions options;
  options.base_url = absl::GetFlag(FLAGS_url);
  options.token = absl::GetFlag(FLAGS_token);
  options.driver = std::move(*store);  // Shared by the clients below.
  absl::StatusOr<std::unique_ptr<sessionlog::Client>> client =
      sessionlog::Client::Connect(options);  // Waits for health.
  if (!client.ok()) return client.status();

  // 2. A session, and a prompt. Every envelope is stored as it goes.
  sessionlog::CreateSessionRequest request;
  request.agent = absl::GetFlag(FLAGS_agent);
  absl::StatusOr<sessionlog::SessionRecord> session =
      (*client)->CreateSession(request);
  if (!session.ok()) return session.status();
  absl::StatusOr<sessionlog::PromptResult> reply =
      (*client)->Prompt(session->id, "What is in this repository?");
  if (!reply.ok()) return reply.status();
  std::printf("session %s\nstop reason: %s\nreply: %s\n", session->id.c_str(),
              reply->stop_reason.c_str(), reply->reply_json.c_str());

  // 3. Later, in another client (say, after this service restarted): resume
  // the stored session. The agent gets a new session, and the next prompt
  // starts with the replay of the stored history.
  client->reset();
  client = sessionlog::Client::Connect(options);
  if (!client.ok()) return client.status();
  absl::StatusOr<sessionlog::SessionRecord> resumed =
      (*client)->ResumeSession(session->id);
  if (!resumed.ok()) return resumed.status();
  reply = (*client)->Prompt(session->id, "And what did I ask before?");
  if (!reply.ok()) return reply.status();
  std::printf("after resume: %s\n", reply->reply_json.c_str());
  return absl::OkStatus();
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  absl::Status status = Run();
  if (!status.ok()) {
    std::fprintf(stderr, "client_example: %s\n", status.ToString().c_str());
    return 1;
  }
  return 0;
}
