// FaultFs against raw RocksDB: the harness must be able to see loss and
// inject errors before the engine's tests can trust it.

#include "tests/fault/fault_fs.h"

#include <cstdlib>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "rocksdb/options.h"
#include "tests/testing/temp_dir.h"

namespace sessionlog {
namespace {

class FaultFsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs_ = std::make_shared<FaultFs>();
    env_ = FaultFs::NewEnv(fs_);
  }

  rocksdb::Status OpenDb(std::unique_ptr<rocksdb::DB>* db) {
    rocksdb::Options options;
    options.create_if_missing = true;
    options.env = env_.get();
    rocksdb::DB* raw = nullptr;
    rocksdb::Status s = rocksdb::DB::Open(options, dir_.path(), &raw);
    db->reset(raw);
    return s;
  }

  // Writes `n` keys, cuts the power, and returns how many survived.
  int WriteCutAndCount(int n, bool sync) {
    std::unique_ptr<rocksdb::DB> db;
    EXPECT_TRUE(OpenDb(&db).ok());
    rocksdb::WriteOptions write;
    write.sync = sync;
    for (int i = 0; i < n; ++i) {
      EXPECT_TRUE(db->Put(write, absl::StrCat("k", i), "v").ok());
    }
    fs_->SetActive(false);
    db.reset();
    EXPECT_EQ(fs_->DropUnsyncedData() > 0, !sync);
    fs_->SetActive(true);
    EXPECT_TRUE(OpenDb(&db).ok());
    int found = 0;
    for (int i = 0; i < n; ++i) {
      std::string value;
      if (db->Get(rocksdb::ReadOptions(), absl::StrCat("k", i), &value).ok()) {
        ++found;
      }
    }
    return found;
  }

  TempDir dir_;
  std::shared_ptr<FaultFs> fs_;
  std::unique_ptr<rocksdb::Env> env_;
};

TEST_F(FaultFsTest, PowerCutDropsUnsyncedWrites) {
  // The negative control of every power-cut test: without sync the writes
  // sit in the page cache and the cut must take them.
  EXPECT_EQ(WriteCutAndCount(100, /*sync=*/false), 0);
}

TEST_F(FaultFsTest, PowerCutKeepsSyncedWrites) {
  EXPECT_EQ(WriteCutAndCount(100, /*sync=*/true), 100);
}

TEST_F(FaultFsTest, TracksUnsyncedBytes) {
  std::unique_ptr<rocksdb::DB> db;
  ASSERT_TRUE(OpenDb(&db).ok());
  int64_t before = fs_->UnsyncedBytes();
  rocksdb::WriteOptions no_sync;
  ASSERT_TRUE(db->Put(no_sync, "k", std::string(1000, 'x')).ok());
  EXPECT_GE(fs_->UnsyncedBytes(), before + 1000);
  ASSERT_TRUE(db->SyncWAL().ok());
  EXPECT_LT(fs_->UnsyncedBytes(), 1000);
}

TEST_F(FaultFsTest, DeadMachineFailsWrites) {
  std::unique_ptr<rocksdb::DB> db;
  ASSERT_TRUE(OpenDb(&db).ok());
  fs_->SetActive(false);
  rocksdb::WriteOptions sync;
  sync.sync = true;
  EXPECT_FALSE(db->Put(sync, "k", "v").ok());
  db.reset();
  fs_->SetActive(true);
}

TEST_F(FaultFsTest, FailsTheNthWalAppendOnce) {
  std::unique_ptr<rocksdb::DB> db;
  ASSERT_TRUE(OpenDb(&db).ok());
  fs_->FailNth({FaultFs::Op::kAppend, 3, FaultFs::ErrorKind::kIoError,
                FaultFs::Persistence::kTransient, ".log"});
  rocksdb::WriteOptions write;
  EXPECT_TRUE(db->Put(write, "a", "1").ok());
  EXPECT_TRUE(db->Put(write, "b", "2").ok());
  rocksdb::Status third = db->Put(write, "c", "3");
  EXPECT_TRUE(third.IsIOError()) << third.ToString();
  EXPECT_EQ(fs_->InjectedErrors(), 1);
  EXPECT_EQ(fs_->Calls(FaultFs::Op::kAppend), 3);
}

TEST_F(FaultFsTest, NoSpaceLooksLikeEnospc) {
  std::unique_ptr<rocksdb::DB> db;
  ASSERT_TRUE(OpenDb(&db).ok());
  fs_->FailNth({FaultFs::Op::kSync, 1, FaultFs::ErrorKind::kNoSpace,
                FaultFs::Persistence::kPersistent, ".log"});
  rocksdb::WriteOptions sync;
  sync.sync = true;
  rocksdb::Status s = db->Put(sync, "a", "1");
  EXPECT_TRUE(s.IsNoSpace() || s.IsIOError()) << s.ToString();
  EXPECT_GE(fs_->InjectedErrors(), 1);
}

TEST_F(FaultFsTest, FailedRenameFailsOpen) {
  // Creating a store renames a temporary file to CURRENT.
  fs_->FailNth({FaultFs::Op::kRename, 1, FaultFs::ErrorKind::kIoError,
                FaultFs::Persistence::kTransient, ""});
  std::unique_ptr<rocksdb::DB> db;
  rocksdb::Status s = OpenDb(&db);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.ToString().find("Rename"), std::string::npos) << s.ToString();
}

TEST_F(FaultFsTest, ClearFaultRestoresWrites) {
  std::unique_ptr<rocksdb::DB> db;
  ASSERT_TRUE(OpenDb(&db).ok());
  fs_->FailNth({FaultFs::Op::kClose, 1, FaultFs::ErrorKind::kIoError,
                FaultFs::Persistence::kPersistent, ""});
  fs_->ClearFault();
  EXPECT_TRUE(db->Put(rocksdb::WriteOptions(), "a", "1").ok());
  EXPECT_TRUE(db->Flush(rocksdb::FlushOptions()).ok());
  EXPECT_EQ(fs_->InjectedErrors(), 0);
}

// kAnyWrite counts every Append, Sync, Rename and Close together; persistent,
// every one of them fails from the k-th on: writes and flushes alike.
TEST_F(FaultFsTest, PersistentAnyWriteFailsEveryWriteFromTheNth) {
  std::unique_ptr<rocksdb::DB> db;
  ASSERT_TRUE(OpenDb(&db).ok());
  fs_->FailNth({FaultFs::Op::kAnyWrite, 2, FaultFs::ErrorKind::kIoError,
                FaultFs::Persistence::kPersistent, ""});
  rocksdb::WriteOptions write;
  EXPECT_TRUE(db->Put(write, "a", "1").ok());  // Append #1.
  EXPECT_TRUE(db->Put(write, "b", "2").IsIOError());
  EXPECT_FALSE(db->Put(write, "c", "3").ok());
  EXPECT_FALSE(db->Flush(rocksdb::FlushOptions()).ok());
  EXPECT_GE(fs_->InjectedErrors(), 1);
  EXPECT_GE(fs_->Calls(FaultFs::Op::kAnyWrite), 2);
}

// Reads of tables (random access) and of the MANIFEST and logs (sequential)
// fail; a read fault is never taken for missing data.
TEST_F(FaultFsTest, FailsReadsOfTablesAndOfTheLog) {
  {
    std::unique_ptr<rocksdb::DB> db;
    ASSERT_TRUE(OpenDb(&db).ok());
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), "in-table", "1").ok());
    ASSERT_TRUE(db->Flush(rocksdb::FlushOptions()).ok());
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), "in-log", "2").ok());
  }
  // Every read fails: the open (CURRENT, MANIFEST, log) cannot succeed.
  fs_->FailNth({FaultFs::Op::kRead, 1, FaultFs::ErrorKind::kIoError,
                FaultFs::Persistence::kPersistent, ""});
  std::unique_ptr<rocksdb::DB> db;
  rocksdb::Status s = OpenDb(&db);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.ToString().find("fault injection: Read"), std::string::npos)
      << s.ToString();
  fs_->ClearFault();
  ASSERT_TRUE(OpenDb(&db).ok());
  // Reads of the table fail once open; nothing is cached yet.
  fs_->FailNth({FaultFs::Op::kRead, 1, FaultFs::ErrorKind::kIoError,
                FaultFs::Persistence::kPersistent, ".sst"});
  rocksdb::ReadOptions no_cache;
  no_cache.fill_cache = false;
  std::string value;
  s = db->Get(no_cache, "in-table", &value);
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_GE(fs_->Calls(FaultFs::Op::kRead), 1);
  fs_->ClearFault();
  EXPECT_TRUE(db->Get(no_cache, "in-table", &value).ok());
  EXPECT_EQ(value, "1");
}

}  // namespace
}  // namespace sessionlog
