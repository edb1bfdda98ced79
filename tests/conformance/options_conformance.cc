// The options every backend takes (api/options.h): read_only opens,
// create_if_missing, kFsync with Flush, kLimitFromStore on a new store, and
// Compact. Where a backend lacks what a test needs, the test is skipped and
// says why (BackendCapabilities).

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "tests/conformance/driver_conformance.h"

namespace sessionlog {
namespace {

using conformance::Caps;
using conformance::IndicesOf;
using conformance::ListAllEvents;
using conformance::ListAllSessions;
using conformance::MakeEvent;
using conformance::MakeFullSession;
using conformance::MakeSession;
using conformance::StoreSnapshot;
using conformance::TakeSnapshot;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

DriverOptions ReadOnly() {
  DriverOptions options;
  options.read_only = true;
  return options;
}

// Writes a little of everything: records, events, events without a record.
void WriteSample(SessionPersistDriver& driver) {
  SL_ASSERT_OK(driver.UpdateSession(MakeFullSession("a", 1)));
  SL_ASSERT_OK(driver.UpdateSession(MakeSession("b", 2)));
  SL_ASSERT_OK(driver.InsertEvents(
      {MakeEvent("a", 1), MakeEvent("a", 2), MakeEvent("ghost", 5)}));
}

// Every write of the contract is FailedPrecondition on `driver`.
void ExpectEveryWriteRefused(SessionPersistDriver& driver) {
  EXPECT_EQ(driver.UpdateSession(MakeSession("new", 9)).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(driver.UpdateSession(MakeSession("a", 9)).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(driver.InsertEvent(MakeEvent("a", 3)).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(driver.InsertEvents({MakeEvent("b", 1), MakeEvent("c", 1)}).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(driver.DeleteSession("a").code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(driver.Compact().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(driver.ForkSession("a", "fork", 1).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(driver.RewindSession("a", 1).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_P(DriverConformanceTest, LimitFromStoreOnANewStoreIsTheSdkDefault) {
  DriverOptions from_store;
  from_store.max_sessions = kLimitFromStore;
  from_store.max_events_per_session = kLimitFromStore;
  ASSERT_NO_FATAL_FAILURE(OpenWith(from_store));
  const bool none = capabilities().records_no_limits.supported;
  EXPECT_EQ(driver().options().max_sessions,
            none ? kNoLimit : kDefaultMaxSessions);
  EXPECT_EQ(driver().options().max_events_per_session,
            none ? kNoLimit : kDefaultMaxEventsPerSession);
}

TEST_P(DriverConformanceTest, ReadOnlyOpenBesideAWriterReadsAndRefusesWrites) {
  SL_REQUIRE_CAPABILITY(read_only);
  ASSERT_NO_FATAL_FAILURE(WriteSample(driver()));
  StoreSnapshot written;
  SL_ASSERT_OK_AND_ASSIGN(written, TakeSnapshot(driver(), {"a", "b", "ghost"}));

  // The writer stays open.
  std::unique_ptr<SessionPersistDriver> reader;
  SL_ASSERT_OK_AND_ASSIGN(reader, harness().Open(ReadOnly()));
  StoreSnapshot seen;
  SL_ASSERT_OK_AND_ASSIGN(seen, TakeSnapshot(*reader, {"a", "b", "ghost"}));
  EXPECT_EQ(seen, written);
  std::vector<SessionEvent> last;
  SL_ASSERT_OK_AND_ASSIGN(last, reader->LastEvents("a", 1));
  EXPECT_THAT(IndicesOf(last), ElementsAre(2));
  std::optional<int64_t> highest;
  SL_ASSERT_OK_AND_ASSIGN(highest, reader->HighestEventIndex("ghost"));
  EXPECT_EQ(highest, 5);
  DriverStats stats;
  SL_ASSERT_OK_AND_ASSIGN(stats, reader->Stats());
  EXPECT_EQ(stats.sessions, 2);
  SL_EXPECT_OK(reader->CheckIntegrity());
  SL_EXPECT_OK(reader->Flush());

  ExpectEveryWriteRefused(*reader);
  reader.reset();
  StoreSnapshot after;
  SL_ASSERT_OK_AND_ASSIGN(after, TakeSnapshot(driver(), {"a", "b", "ghost"}));
  EXPECT_EQ(after, written);
  // The writer still writes.
  SL_EXPECT_OK(driver().InsertEvent(MakeEvent("a", 3)));
}

TEST_P(DriverConformanceTest, ReadOnlyOpenOfAClosedStoreChangesNothing) {
  SL_REQUIRE_CAPABILITY(read_only);
  SL_REQUIRE_CAPABILITY(durable);
  ASSERT_NO_FATAL_FAILURE(OpenWith(Caps(kNoLimit, 2)));
  ASSERT_NO_FATAL_FAILURE(WriteSample(driver()));
  SL_ASSERT_OK(driver().InsertEvent(MakeEvent("a", 3)));  // Trims a/1.
  StoreSnapshot written;
  SL_ASSERT_OK_AND_ASSIGN(written, TakeSnapshot(driver(), {"a", "b", "ghost"}));

  // Read-only, with other limits than the writer's: they clip nothing that is
  // stored, and the writer finds its store as it left it.
  DriverOptions options = ReadOnly();
  options.max_sessions = 1;
  options.max_events_per_session = kNoLimit;
  ASSERT_NO_FATAL_FAILURE(OpenWith(options));
  StoreSnapshot seen;
  SL_ASSERT_OK_AND_ASSIGN(seen, TakeSnapshot(driver(), {"a", "b", "ghost"}));
  EXPECT_EQ(seen, written);
  ExpectEveryWriteRefused(driver());

  ASSERT_NO_FATAL_FAILURE(OpenWith(Caps(kNoLimit, 2)));
  StoreSnapshot after;
  SL_ASSERT_OK_AND_ASSIGN(after, TakeSnapshot(driver(), {"a", "b", "ghost"}));
  EXPECT_EQ(after, written);
}

// A read-only open never creates a store. Where opening cannot know yet (a
// server that may get the tables later), the first read says NotFound.
TEST_P(DriverConformanceTest, ReadOnlyOpenOfAMissingStoreIsNotFound) {
  SL_REQUIRE_CAPABILITY(read_only);
  std::unique_ptr<DriverHarness> missing = GetParam().make_harness();
  absl::StatusOr<std::unique_ptr<SessionPersistDriver>> reader =
      missing->Open(ReadOnly());
  absl::Status status = reader.status();
  if (reader.ok()) {
    status = (*reader)->ListSessions(ListSessionsRequest()).status();
    EXPECT_EQ((*reader)->InsertEvent(MakeEvent("s", 1)).code(),
              absl::StatusCode::kFailedPrecondition);
  }
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound) << status;
  reader = absl::UnknownError("closed");
  bool exists = true;
  SL_ASSERT_OK_AND_ASSIGN(exists, missing->StoreExists());
  EXPECT_FALSE(exists) << "a read-only open created the store";
}

TEST_P(DriverConformanceTest, CreateIfMissingDecidesWhetherOpeningCreates) {
  SL_REQUIRE_CAPABILITY(create_if_missing);
  std::unique_ptr<DriverHarness> missing = GetParam().make_harness();
  DriverOptions no_create;
  no_create.create_if_missing = false;
  absl::StatusOr<std::unique_ptr<SessionPersistDriver>> opened =
      missing->Open(no_create);
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kNotFound)
      << opened.status();
  bool exists = true;
  SL_ASSERT_OK_AND_ASSIGN(exists, missing->StoreExists());
  EXPECT_FALSE(exists) << "create_if_missing = false created the store";

  opened = missing->Open(DriverOptions());
  ASSERT_TRUE(opened.ok()) << opened.status();
  SL_ASSERT_OK((*opened)->UpdateSession(MakeSession("s", 1)));
  opened = absl::UnknownError("closed");
  SL_ASSERT_OK_AND_ASSIGN(exists, missing->StoreExists());
  EXPECT_TRUE(exists);
  // An existing store opens without creating.
  opened = missing->Open(no_create);
  ASSERT_TRUE(opened.ok()) << opened.status();
  SL_EXPECT_OK((*opened)->GetSession("s"));
}

// kFsync: every acknowledged write is synced; concurrent writers of shared
// sessions lose nothing, and Flush works on top.
TEST_P(DriverConformanceTest, FsyncDurabilityWithConcurrentWritersAndFlush) {
  constexpr int kThreads = 4, kPerThread = 60, kSessions = 2;
  DriverOptions fsync = Caps(kDefaultMaxSessions, kNoLimit);
  fsync.durability = Durability::kFsync;
  ASSERT_NO_FATAL_FAILURE(OpenWith(fsync));
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Threads t and t + kSessions share a session; indexes interleave.
      const std::string session = absl::StrCat("s", t % kSessions);
      const int lane = t / kSessions, lanes = kThreads / kSessions;
      for (int i = 0; i < kPerThread; ++i) {
        if (!driver()
                 .InsertEvent(MakeEvent(session, i * lanes + lane + 1))
                 .ok()) {
          ++failures;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures, 0);
  SL_EXPECT_OK(driver().Flush());
  SL_ASSERT_OK(driver().UpdateSession(MakeSession("s0", 1)));
  SL_EXPECT_OK(driver().Flush());

  auto check = [&] {
    for (int s = 0; s < kSessions; ++s) {
      std::vector<SessionEvent> events;
      SL_ASSERT_OK_AND_ASSIGN(
          events, ListAllEvents(driver(), absl::StrCat("s", s), 50));
      ASSERT_EQ(events.size(),
                static_cast<size_t>(kThreads / kSessions * kPerThread));
      for (size_t i = 0; i < events.size(); ++i) {
        EXPECT_EQ(events[i],
                  MakeEvent(absl::StrCat("s", s), static_cast<int64_t>(i + 1)));
      }
    }
  };
  ASSERT_NO_FATAL_FAILURE(check());
  if (capabilities().durable.supported) {
    ASSERT_NO_FATAL_FAILURE(OpenWith(Caps(kDefaultMaxSessions, kNoLimit)));
    ASSERT_NO_FATAL_FAILURE(check());
    SL_EXPECT_OK(driver().GetSession("s0"));
  }
}

// Compact keeps everything retained and brings back nothing that was
// trimmed, evicted or deleted, now or after a reopen.
TEST_P(DriverConformanceTest, CompactKeepsTheRetainedAndDropsTheRest) {
  const DriverOptions caps = Caps(2, 3);
  ASSERT_NO_FATAL_FAILURE(OpenWith(caps));
  SL_EXPECT_OK(driver().Compact());  // An empty store.
  SL_ASSERT_OK(driver().UpdateSession(MakeSession("evicted", 1)));
  SL_ASSERT_OK(driver().UpdateSession(MakeFullSession("kept", 3)));
  for (int64_t i = 1; i <= 6; ++i) {
    SL_ASSERT_OK(
        driver().InsertEvents({MakeEvent("evicted", i), MakeEvent("deleted", i),
                               MakeEvent("kept", i)}));
  }
  SL_ASSERT_OK(driver().UpdateSession(MakeSession("deleted", 2)));  // Evicts.
  SL_ASSERT_OK(driver().DeleteSession("deleted"));
  SL_ASSERT_OK(driver().UpdateSession(MakeSession("late", 4)));
  const std::vector<std::string> ids = {"evicted", "deleted", "kept", "late"};
  StoreSnapshot before;
  SL_ASSERT_OK_AND_ASSIGN(before, TakeSnapshot(driver(), ids));
  ASSERT_THAT(conformance::IdsOf(before.sessions), ElementsAre("kept", "late"));
  ASSERT_THAT(IndicesOf(before.events["kept"]), ElementsAre(4, 5, 6));
  ASSERT_THAT(before.events["evicted"], IsEmpty());
  ASSERT_THAT(before.events["deleted"], IsEmpty());

  SL_ASSERT_OK(driver().Compact());
  StoreSnapshot after;
  SL_ASSERT_OK_AND_ASSIGN(after, TakeSnapshot(driver(), ids));
  EXPECT_EQ(after, before);
  SL_EXPECT_OK(driver().CheckIntegrity());
  // Writes go on after a compaction.
  SL_ASSERT_OK(driver().InsertEvent(MakeEvent("kept", 7)));
  SL_ASSERT_OK(driver().Compact());
  std::vector<SessionEvent> kept;
  SL_ASSERT_OK_AND_ASSIGN(kept, ListAllEvents(driver(), "kept"));
  EXPECT_THAT(IndicesOf(kept), ElementsAre(5, 6, 7));
  if (capabilities().durable.supported) {
    ASSERT_NO_FATAL_FAILURE(OpenWith(Caps(kNoLimit, kNoLimit)));
    before.events["kept"] = kept;
    SL_ASSERT_OK_AND_ASSIGN(after, TakeSnapshot(driver(), ids));
    EXPECT_EQ(after, before);
  }
}

TEST_P(DriverConformanceTest, CompactGivesTheSpaceOfDeletedEventsBack) {
  SL_REQUIRE_CAPABILITY(compact_reclaims_disk);
  ASSERT_NO_FATAL_FAILURE(OpenWith(Caps(kDefaultMaxSessions, kNoLimit)));
  SL_ASSERT_OK(driver().InsertEvent(MakeEvent("small", 1)));
  // Text that compression cannot shrink much, so that the events take disk.
  uint64_t state = 88172645463325252ull;
  const auto noise = [&state](int64_t length) {
    static constexpr char kAlphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string text;
    for (int64_t i = 0; i < length; ++i) {
      state ^= state << 13, state ^= state >> 7, state ^= state << 17;
      text.push_back(kAlphabet[state % 64]);
    }
    return text;
  };
  for (int64_t batch = 0; batch < 30; ++batch) {
    std::vector<SessionEvent> events;
    for (int64_t i = 1; i <= 100; ++i) {
      SessionEvent event = MakeEvent("big", batch * 100 + i);
      event.payload_json = absl::StrCat(R"({"text":")", noise(2000), "\"}");
      events.push_back(std::move(event));
    }
    SL_ASSERT_OK(driver().InsertEvents(events));
  }
  SL_ASSERT_OK(driver().Compact());
  DriverStats full;
  SL_ASSERT_OK_AND_ASSIGN(full, driver().Stats());
  ASSERT_GT(full.disk_bytes, 3000 * 1000) << "the events are not on disk";
  SL_ASSERT_OK(driver().DeleteSession("big"));
  SL_ASSERT_OK(driver().Compact());
  DriverStats compacted;
  SL_ASSERT_OK_AND_ASSIGN(compacted, driver().Stats());
  EXPECT_LT(compacted.disk_bytes * 4, full.disk_bytes)
      << full.disk_bytes << " -> " << compacted.disk_bytes;
  std::vector<SessionEvent> small;
  SL_ASSERT_OK_AND_ASSIGN(small, ListAllEvents(driver(), "small"));
  EXPECT_THAT(small, ElementsAre(MakeEvent("small", 1)));
}

}  // namespace
}  // namespace sessionlog
