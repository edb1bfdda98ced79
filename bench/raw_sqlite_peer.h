// The raw-SQLite baseline: the TS SDK's example driver schema and SQL
// (REFERENCE.md: events keyed by a TEXT id with an upsert, an index on
// (session_id, event_index, id)), run straight through the SQLite C API with
// statements prepared once. The replay read is the best query that schema
// allows: ORDER BY event_index DESC LIMIT n on the index.
//
// Journal: WAL. With `sync` false, synchronous=NORMAL (a commit survives a
// process crash, like sessionlog's default); with `sync` true,
// synchronous=FULL (fsync per commit).

#ifndef SESSIONLOG_BENCH_RAW_SQLITE_PEER_H_
#define SESSIONLOG_BENCH_RAW_SQLITE_PEER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "bench/peer.h"

namespace sessionlog::bench {

absl::StatusOr<std::unique_ptr<Peer>> OpenRawSqlitePeer(const std::string& file,
                                                        bool sync);

}  // namespace sessionlog::bench

#endif  // SESSIONLOG_BENCH_RAW_SQLITE_PEER_H_
