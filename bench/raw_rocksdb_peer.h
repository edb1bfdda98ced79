// The raw-RocksDB baseline: Puts of exactly the engine's bytes (16-byte key =
// big-endian session handle + big-endian event index; value = the event's
// FlatBuffers with the session id omitted), with the WAL on and otherwise
// default options. It does no validation, no limits and no bookkeeping, so it
// is the ceiling that the rocksdb driver is measured against.

#ifndef SESSIONLOG_BENCH_RAW_ROCKSDB_PEER_H_
#define SESSIONLOG_BENCH_RAW_ROCKSDB_PEER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "bench/peer.h"

namespace sessionlog::bench {

// `sync`: fsync the WAL on every write (WriteOptions::sync).
absl::StatusOr<std::unique_ptr<Peer>> OpenRawRocksDbPeer(
    const std::string& path, bool sync);

}  // namespace sessionlog::bench

#endif  // SESSIONLOG_BENCH_RAW_ROCKSDB_PEER_H_
