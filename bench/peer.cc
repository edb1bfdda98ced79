#include "bench/peer.h"

#include <unistd.h>

#include <cstdio>
#include <functional>
#include <pqxx/pqxx>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "bench/raw_rocksdb_peer.h"
#include "bench/raw_sqlite_peer.h"
#include "engine/open.h"

namespace sessionlog::bench {
namespace {

// Any sessionlog backend, through the public driver interface only.
class DriverPeer final : public Peer {
 public:
  // `cleanup` runs once the driver is gone.
  DriverPeer(std::unique_ptr<SessionPersistDriver> driver,
             std::function<void()> cleanup)
      : driver_(std::move(driver)), cleanup_(std::move(cleanup)) {}
  ~DriverPeer() override {
    Close().IgnoreError();
    if (cleanup_) cleanup_();
  }

  absl::Status PutSession(const SessionRecord& record) override {
    return driver_->UpdateSession(record);
  }
  absl::Status Append(const SessionEvent& event) override {
    return driver_->InsertEvent(event);
  }
  absl::Status AppendBatch(absl::Span<const SessionEvent> events) override {
    return driver_->InsertEvents(events);
  }
  absl::StatusOr<int64_t> LastEvents(absl::string_view session_id,
                                     int64_t count) override {
    absl::StatusOr<std::vector<SessionEvent>> events =
        driver_->LastEvents(session_id, count);
    if (!events.ok()) return events.status();
    return static_cast<int64_t>(events->size());
  }
  absl::Status GetSession(absl::string_view id) override {
    return driver_->GetSession(id).status();
  }
  absl::Status Close() override {
    if (driver_ == nullptr) return absl::OkStatus();
    absl::Status s = driver_->Flush();
    driver_.reset();
    return s;
  }

 private:
  std::unique_ptr<SessionPersistDriver> driver_;
  std::function<void()> cleanup_;
};

int NextSchemaNumber() {
  static int next = 0;
  return next++;
}

}  // namespace

void DropPostgresSchema(const std::string& uri, const std::string& schema) {
  try {
    pqxx::connection connection(uri);
    pqxx::work work(connection);
    work.exec0("DROP SCHEMA IF EXISTS \"" + schema + "\" CASCADE");
    work.commit();
  } catch (const std::exception& e) {
    fprintf(stderr, "sessionlog-postgres: dropping schema %s: %s\n",
            schema.c_str(), e.what());
  }
}

std::string PostgresSetting(const std::string& uri, const std::string& name) {
  try {
    pqxx::connection connection(uri);
    pqxx::nontransaction txn(connection);
    return txn.exec1("SELECT current_setting(" + txn.quote(name) + ")")[0]
        .c_str();
  } catch (const std::exception& e) {
    return std::string("unknown (") + e.what() + ")";
  }
}

const std::vector<std::string>& AllPeerNames() {
  // Each sessionlog backend is followed by the baselines it is compared
  // with, so that they also run minutes apart at most.
  static const auto* const kNames =
      new std::vector<std::string>{"sessionlog-rocksdb",
                                   "raw-rocksdb",
                                   "sessionlog-rocksdb-fsync",
                                   "raw-rocksdb-sync",
                                   "sessionlog-sqlite",
                                   "raw-sqlite",
                                   "raw-sqlite-sync",
                                   "ts-sqlite",
                                   "sessionlog-postgres",
                                   "sessionlog-postgres-fsync",
                                   "ts-postgres",
                                   "sessionlog-memory",
                                   "ts-memory"};
  return *kNames;
}

absl::StatusOr<std::string> PeerUri(absl::string_view name,
                                    const std::string& dir,
                                    const std::string& pg_uri) {
  if (name == "sessionlog-rocksdb" || name == "sessionlog-rocksdb-fsync") {
    return absl::StrCat("rocksdb:", dir, "/store");
  }
  if (name == "sessionlog-sqlite")
    return absl::StrCat("sqlite:", dir, "/store.db");
  if (name == "sessionlog-memory") return std::string("memory:");
  if (name == "sessionlog-postgres" || name == "sessionlog-postgres-fsync") {
    if (pg_uri.empty()) {
      return absl::FailedPreconditionError(
          "peer sessionlog-postgres: no Postgres URI (set SESSIONLOG_PG_URI)");
    }
    return pg_uri;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("peer \"", name, "\" is not a sessionlog driver"));
}

absl::StatusOr<std::unique_ptr<Peer>> OpenPeer(absl::string_view name,
                                               const std::string& dir,
                                               const std::string& pg_uri,
                                               const DriverOptions& limits) {
  if (name == "raw-rocksdb" || name == "raw-rocksdb-sync") {
    return OpenRawRocksDbPeer(absl::StrCat(dir, "/raw"),
                              name == "raw-rocksdb-sync");
  }
  if (name == "raw-sqlite" || name == "raw-sqlite-sync") {
    return OpenRawSqlitePeer(absl::StrCat(dir, "/raw.db"),
                             name == "raw-sqlite-sync");
  }
  absl::StatusOr<std::string> uri = PeerUri(name, dir, pg_uri);
  if (!uri.ok() && !absl::IsInvalidArgument(uri.status())) return uri.status();
  if (!uri.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "unknown peer \"", name,
        "\"; expected sessionlog-{rocksdb,rocksdb-fsync,sqlite,postgres,"
        "postgres-fsync,memory}, raw-rocksdb[-sync] or raw-sqlite[-sync]"));
  }
  DriverOptions options = limits;
  if (name == "sessionlog-rocksdb-fsync" ||
      name == "sessionlog-postgres-fsync") {
    options.durability = Durability::kFsync;
  }
  const bool postgres = absl::StartsWith(name, "sessionlog-postgres");
  if (postgres) {
    options.postgres_schema =
        absl::StrCat("sessionlog_bench_", getpid(), "_", NextSchemaNumber());
  }
  absl::StatusOr<std::unique_ptr<SessionPersistDriver>> driver =
      Open(*uri, options);
  if (!driver.ok()) return driver.status();
  std::function<void()> cleanup;
  if (postgres) {
    cleanup = [uri = *uri, schema = options.postgres_schema] {
      DropPostgresSchema(uri, schema);
    };
  }
  return std::make_unique<DriverPeer>(*std::move(driver), std::move(cleanup));
}

}  // namespace sessionlog::bench
