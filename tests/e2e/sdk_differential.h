// The differential test's parts: the same steps through the real TS SDK
// (sdk_runner.mjs under node) and through sessionlog::Client, on one real
// server, and the comparison of what each stored. sdk_differential_test.cc
// has the cases; the header comment there tells what is compared and why.

#ifndef SESSIONLOG_TESTS_E2E_SDK_DIFFERENTIAL_H_
#define SESSIONLOG_TESTS_E2E_SDK_DIFFERENTIAL_H_

#include <memory>
#include <string>
#include <utility>

#include "api/driver.h"
#include "nlohmann/json.hpp"
#include "tests/e2e/server_process.h"

namespace sessionlog {
namespace sdk_differential {

using Json = nlohmann::json;

// What one side stored: {records:[...], events:{id:[...]}, results:[...]}.
using Stored = Json;

inline constexpr char kReplayPrefix[] =
    "Previous session history is replayed below as JSON-RPC envelopes.";

// A memory store with no limit on events per session.
std::shared_ptr<SessionPersistDriver> NewStore();

// Runs `steps` through both, in parallel on `server`; returns (sdk, cpp).
// `sdk_state` (may be null) is an earlier phase's SDK output to load first.
std::pair<Stored, Stored> RunBoth(ServerProcess& server, const Json& steps,
                                  const std::string& tag,
                                  std::shared_ptr<SessionPersistDriver> store,
                                  const Stored* sdk_state);

// sessionlog's own order must already be the agent's: within each session,
// the agent's messages are stored in the order the agent sent them.
void ExpectAgentOrder(const Stored& stored);

// The same outcomes, records and events, once normalized.
void ExpectSame(const Stored& sdk, const Stored& cpp);

}  // namespace sdk_differential
}  // namespace sessionlog

#endif  // SESSIONLOG_TESTS_E2E_SDK_DIFFERENTIAL_H_
