// Runs the documented example program (api/client/example) against the real
// server, so that docs/CLIENT.md shows code that works; then checks what it
// left in its RocksDB store.

#include <cstdlib>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/open.h"
#include "schema/replay.h"
#include "gtest/gtest.h"
#include "tests/e2e/server_process.h"

namespace sessionlog {
namespace {

TEST(ClientExampleTest, RunsAgainstTheRealServerAndLeavesAResumableStore) {
  absl::StatusOr<std::unique_ptr<ServerProcess>> server =
      ServerProcess::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string tmp = std::getenv("TEST_TMPDIR");
  const std::string store = absl::StrCat("rocksdb:", tmp, "/example-store");
  const std::string out = tmp + "/example.out";
  std::string command = absl::StrCat(
      "api/client/example/client_example --url=", (*server)->base_url(),
      " --store=", store, " > ", out, " 2>&1");
  int rc = std::system(command.c_str());
  std::ifstream f(out);
  std::stringstream output;
  output << f.rdbuf();
  ASSERT_EQ(rc, 0) << output.str();
  // The mock agent echoes the prompt: after the resume it starts with the
  // replay of the first client's history.
  EXPECT_TRUE(absl::StrContains(output.str(), "after resume:"));
  EXPECT_TRUE(absl::StrContains(output.str(),
                                "Previous session history is replayed below"))
      << output.str();

  absl::StatusOr<std::unique_ptr<SessionPersistDriver>> driver = Open(store);
  ASSERT_TRUE(driver.ok()) << driver.status();
  absl::StatusOr<Page<SessionRecord>> sessions =
      (*driver)->ListSessions(ListSessionsRequest());
  ASSERT_TRUE(sessions.ok());
  ASSERT_EQ(sessions->items.size(), 1u);
  ListEventsRequest request;
  request.session_id = sessions->items[0].id;
  request.limit = 1000;
  absl::StatusOr<Page<SessionEvent>> events = (*driver)->ListEvents(request);
  ASSERT_TRUE(events.ok());
  std::set<std::string> connections;
  for (const SessionEvent& e : events->items)
    connections.insert(e.connection_id);
  EXPECT_EQ(connections.size(), 2u);  // The first client's, then the resume's.
  EXPECT_GE(events->items.size(), 8u);  // 2 x (session/new, prompt, replies).
}

}  // namespace
}  // namespace sessionlog
