// A Peer is one store that the comparison harness and the suites drive with
// the same workload: a sessionlog driver behind Open(uri), or a raw baseline
// (RocksDB Puts, SQLite with the TS schema) that does the least work a store
// of that kind can do. Each call is one user-visible operation, so timing a
// call times what a service would wait for.

#ifndef SESSIONLOG_BENCH_PEER_H_
#define SESSIONLOG_BENCH_PEER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "api/options.h"
#include "api/session.h"

namespace sessionlog::bench {

class Peer {
 public:
  virtual ~Peer() = default;

  virtual absl::Status PutSession(const SessionRecord& record) = 0;
  virtual absl::Status Append(const SessionEvent& event) = 0;
  // All of `events` in one atomic write, where the peer has one.
  virtual absl::Status AppendBatch(absl::Span<const SessionEvent> events) = 0;
  // Reads and decodes the newest `count` events of a session (the replay
  // read); returns how many there were.
  virtual absl::StatusOr<int64_t> LastEvents(absl::string_view session_id,
                                             int64_t count) = 0;
  // Reads and decodes one session record.
  virtual absl::Status GetSession(absl::string_view id) = 0;
  // Makes everything durable and releases the store, so that its files can be
  // measured.
  virtual absl::Status Close() = 0;
};

// Every peer the harness knows, in run and table order. The
// ts-* peers run under node (bench/node), not through OpenPeer.
const std::vector<std::string>& AllPeerNames();

// Peers by name. `dir` is an empty directory the peer may use; `pg_uri` is
// used by the postgres peers only.
//   sessionlog-rocksdb, sessionlog-rocksdb-fsync, sessionlog-sqlite,
//   sessionlog-postgres, sessionlog-postgres-fsync, sessionlog-memory:
//   engine/open.h drivers (the -fsync ones with Durability::kFsync);
//   raw-rocksdb, raw-rocksdb-sync: RocksDB Puts of the engine's key and value;
//   raw-sqlite: SQLite with the TS driver's schema and SQL.
// `limits` carries max_sessions / max_events_per_session for the drivers.
absl::StatusOr<std::unique_ptr<Peer>> OpenPeer(absl::string_view name,
                                               const std::string& dir,
                                               const std::string& pg_uri,
                                               const DriverOptions& limits);

// The URI a sessionlog-* peer opens, or an error for other names.
absl::StatusOr<std::string> PeerUri(absl::string_view name,
                                    const std::string& dir,
                                    const std::string& pg_uri);

// Drops a schema that a benchmark made in Postgres: each run writes into
// schemas of its own, so that runs never see each other's rows, and leaves
// none behind. Failures are printed, not returned.
void DropPostgresSchema(const std::string& uri, const std::string& schema);

// The value of server setting `name` (e.g. "fsync") of the Postgres at `uri`,
// or "unknown (why)".
std::string PostgresSetting(const std::string& uri, const std::string& name);

}  // namespace sessionlog::bench

#endif  // SESSIONLOG_BENCH_PEER_H_
