#include "extension/file_storage/log_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/log.h"

namespace astrolabe::extension::file_storage {
namespace {

using component::StorageOperation;
using ::testing::HasSubstr;

class LogStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/astrolabe_log_store_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/store";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<LogStore> Open(LogStoreOptions options = {}) {
    auto store = LogStore::Open(path_, options, GetLogger("test/file_storage"));
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(*store) : nullptr;
  }

  std::string ReadFile() const {
    std::ifstream in(path_, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  void WriteFile(const std::string& bytes) const {
    std::ofstream out(path_, std::ios::binary | std::ios::trunc);
    out << bytes;
  }

  static Status Set(LogStore& s, std::string k, std::string v) {
    StorageOperation op = StorageOperation::Set(std::move(k), std::move(v));
    return s.Apply(std::span<StorageOperation>(&op, 1));
  }
  static Status Del(LogStore& s, std::string k) {
    StorageOperation op = StorageOperation::Delete(std::move(k));
    return s.Apply(std::span<StorageOperation>(&op, 1));
  }
  static std::string GetOr(LogStore& s, const std::string& k, std::string missing = "<none>") {
    auto v = s.Get(k);
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    return v.ok() && v->has_value() ? **v : missing;
  }

  std::string dir_;
  std::string path_;
};

TEST_F(LogStoreTest, NothingOnDiskUntilTheFirstWrite) {
  auto store = Open();
  EXPECT_EQ(GetOr(*store, "a"), "<none>");
  EXPECT_FALSE(std::filesystem::exists(path_));
  ASSERT_TRUE(Set(*store, "a", "1").ok());
  EXPECT_TRUE(std::filesystem::exists(path_));
  EXPECT_EQ(ReadFile().substr(0, 8), "ASTROKV\n");
}

TEST_F(LogStoreTest, SetGetDeleteSurviveReopen) {
  {
    auto store = Open();
    ASSERT_TRUE(Set(*store, "a", "alpha").ok());
    ASSERT_TRUE(Set(*store, "b", std::string(100000, 'x')).ok());
    ASSERT_TRUE(Set(*store, "a", "again").ok());
    ASSERT_TRUE(Set(*store, "c", "").ok());
    ASSERT_TRUE(Del(*store, "b").ok());
    ASSERT_TRUE(Del(*store, "never-there").ok());
    EXPECT_EQ(GetOr(*store, "a"), "again");
    EXPECT_EQ(store->key_count(), 2u);
  }
  auto store = Open();
  EXPECT_EQ(GetOr(*store, "a"), "again");
  EXPECT_EQ(GetOr(*store, "b"), "<none>");
  EXPECT_EQ(GetOr(*store, "c"), "");
  EXPECT_EQ(store->key_count(), 2u);
}

TEST_F(LogStoreTest, BatchGetsSeeEarlierWritesOfTheSameBatch) {
  auto store = Open();
  ASSERT_TRUE(Set(*store, "k", "old").ok());
  std::vector<StorageOperation> ops = {
      StorageOperation::Get("k"), StorageOperation::Set("k", "new"),
      StorageOperation::Get("k"), StorageOperation::Delete("k"),
      StorageOperation::Get("k"), StorageOperation::Get("missing")};
  ASSERT_TRUE(store->Apply(ops).ok());
  EXPECT_TRUE(ops[0].found);
  EXPECT_EQ(ops[0].value, "old");
  EXPECT_TRUE(ops[2].found);
  EXPECT_EQ(ops[2].value, "new");
  EXPECT_FALSE(ops[4].found);
  EXPECT_FALSE(ops[5].found);
  EXPECT_EQ(GetOr(*store, "k"), "<none>");
}

// The state a sequence of batches leaves, computed without the store.
using Model = std::map<std::string, std::string>;

TEST_F(LogStoreTest, EveryTruncationPointKeepsExactlyTheWholeBatchesBeforeIt) {
  std::vector<std::vector<StorageOperation>> batches = {
      {StorageOperation::Set("meta", "1"), StorageOperation::Set("item/0", "zero")},
      {StorageOperation::Set("meta", "2"), StorageOperation::Set("item/1", "one")},
      {StorageOperation::Set("meta", "3"), StorageOperation::Delete("item/0")},
      {StorageOperation::Set("item/2", std::string(300, 'z'))},
  };
  std::vector<Model> models(1);
  std::vector<size_t> ends;  // file length after each batch
  {
    auto store = Open();
    for (auto& batch : batches) {
      ASSERT_TRUE(store->Apply(batch).ok());
      Model m = models.back();
      for (const auto& op : batch) {
        if (op.type == StorageOperation::Type::kSet) m[op.key] = op.value;
        if (op.type == StorageOperation::Type::kDelete) m.erase(op.key);
      }
      models.push_back(m);
      ends.push_back(store->file_bytes());
    }
  }
  const std::string full = ReadFile();
  ASSERT_EQ(full.size(), ends.back());
  for (size_t cut = 0; cut <= full.size(); ++cut) {
    WriteFile(full.substr(0, cut));
    size_t whole = 0;
    while (whole < ends.size() && ends[whole] <= cut) ++whole;
    auto store = Open();
    ASSERT_NE(store, nullptr) << "cut at " << cut;
    const Model& want = models[whole];
    EXPECT_EQ(store->key_count(), want.size()) << "cut at " << cut;
    for (const auto& [k, v] : want) EXPECT_EQ(GetOr(*store, k), v) << "cut at " << cut;
    // The torn tail is gone from the file: it is exactly the whole records.
    const size_t expect_len = whole == 0 ? kFileHeaderBytes : ends[whole - 1];
    store.reset();
    EXPECT_EQ(ReadFile().size(), expect_len) << "cut at " << cut;
  }
}

TEST_F(LogStoreTest, AFlippedByteEndsTheLogAtThatRecord) {
  size_t first_end = 0;
  {
    auto store = Open();
    ASSERT_TRUE(Set(*store, "a", "first").ok());
    first_end = store->file_bytes();
    ASSERT_TRUE(Set(*store, "b", "second").ok());
    ASSERT_TRUE(Set(*store, "c", "third").ok());
  }
  std::string bytes = ReadFile();
  bytes[first_end + kRecordHeaderBytes + 3] ^= 0x40;  // inside the second record's payload
  WriteFile(bytes);
  auto store = Open();
  EXPECT_EQ(GetOr(*store, "a"), "first");
  EXPECT_EQ(GetOr(*store, "b"), "<none>");
  EXPECT_EQ(GetOr(*store, "c"), "<none>");
  store.reset();
  EXPECT_EQ(ReadFile().size(), first_end);
}

TEST_F(LogStoreTest, ReplayReportsWhyTheTailWasDropped) {
  std::string log = FileHeader();
  std::vector<uint64_t> offsets;
  StorageOperation op = StorageOperation::Set("k", "v");
  ASSERT_TRUE(EncodeRecord(std::span<const StorageOperation>(&op, 1), &log, &offsets).ok());
  const size_t good = log.size();

  auto replay = [](const std::string& bytes) {
    StringSource src(bytes);
    auto r = Replay(src);
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : ReplayResult{};
  };
  EXPECT_EQ(replay(log).tail_problem, "");
  EXPECT_EQ(replay(log).index.size(), 1u);

  ReplayResult cut = replay(log + std::string("\x01\x02\x03", 3));
  EXPECT_EQ(cut.valid_end, good);
  EXPECT_THAT(cut.tail_problem,
              HasSubstr("record header at offset " + std::to_string(good) + " is cut short"));

  std::string huge = log;
  huge += std::string("\0\0\0\0\xff\xff\xff\x7f", 8);
  EXPECT_THAT(replay(huge).tail_problem, HasSubstr("more than the limit"));

  std::string truncated = log + log.substr(kFileHeaderBytes, good - kFileHeaderBytes - 1);
  EXPECT_THAT(replay(truncated).tail_problem, HasSubstr("is cut short"));

  std::string bad_crc = log + log.substr(kFileHeaderBytes);
  bad_crc[good] ^= 1;
  EXPECT_THAT(replay(bad_crc).tail_problem, HasSubstr("fails its CRC"));
}

TEST_F(LogStoreTest, RefusesAFileThatIsNotOurs) {
  WriteFile("#!/bin/sh\necho this is not a store\n");
  auto store = LogStore::Open(path_, {}, GetLogger("test/file_storage"));
  ASSERT_FALSE(store.ok());
  EXPECT_THAT(store.status().message(), HasSubstr("not a file_storage file"));
  EXPECT_EQ(ReadFile(), "#!/bin/sh\necho this is not a store\n") << "left untouched";

  std::string header = FileHeader();
  header[8] = 9;  // version 9
  WriteFile(header);
  store = LogStore::Open(path_, {}, GetLogger("test/file_storage"));
  ASSERT_FALSE(store.ok());
  EXPECT_THAT(store.status().message(), HasSubstr("unsupported file_storage format version 9"));
}

TEST_F(LogStoreTest, AHeaderTornAtCreationIsAnEmptyStore) {
  WriteFile(FileHeader().substr(0, 5));
  auto store = Open();
  EXPECT_EQ(store->key_count(), 0u);
  ASSERT_TRUE(Set(*store, "a", "1").ok());
  store.reset();
  store = Open();
  EXPECT_EQ(GetOr(*store, "a"), "1");
}

TEST_F(LogStoreTest, CompactionKeepsTheLiveKeysAndShrinksTheFile) {
  auto store = Open();
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(Set(*store, "k" + std::to_string(i), std::string(1000, 'a' + i % 26)).ok());
  }
  for (int i = 0; i < 190; ++i) ASSERT_TRUE(Del(*store, "k" + std::to_string(i)).ok());
  const uint64_t before = store->file_bytes();
  ASSERT_TRUE(store->Compact().ok());
  EXPECT_LT(store->file_bytes(), before / 10);
  EXPECT_FALSE(std::filesystem::exists(path_ + ".compacting"));
  for (int i = 190; i < 200; ++i) {
    EXPECT_EQ(GetOr(*store, "k" + std::to_string(i)), std::string(1000, 'a' + i % 26));
  }
  ASSERT_TRUE(Set(*store, "after", "compaction").ok());
  store.reset();
  store = Open();
  EXPECT_EQ(store->key_count(), 11u);
  EXPECT_EQ(GetOr(*store, "k195"), std::string(1000, 'a' + 195 % 26));
  EXPECT_EQ(GetOr(*store, "after"), "compaction");
}

TEST_F(LogStoreTest, CompactsByItselfWhenMostOfTheFileIsDead) {
  LogStoreOptions options;
  options.auto_compact_min_bytes = 64 << 10;
  auto store = Open(options);
  // A queue's life: items come and go; the file must stay bounded.
  for (int i = 0; i < 2000; ++i) {
    ASSERT_TRUE(Set(*store, "item" + std::to_string(i), std::string(1000, 'q')).ok());
    if (i >= 5) {
      ASSERT_TRUE(Del(*store, "item" + std::to_string(i - 5)).ok());
    }
    ASSERT_LE(store->file_bytes(), (64u << 10) + 2 * 1100u) << "at item " << i;
  }
  store.reset();
  store = Open(options);
  EXPECT_EQ(store->key_count(), 5u);
  EXPECT_EQ(GetOr(*store, "item1999"), std::string(1000, 'q'));
}

TEST_F(LogStoreTest, ALeftoverCompactionFileIsRemovedOnOpen) {
  {
    auto store = Open();
    ASSERT_TRUE(Set(*store, "a", "1").ok());
  }
  {
    std::ofstream junk(path_ + ".compacting");
    junk << "half written";
  }
  auto store = Open();
  EXPECT_EQ(GetOr(*store, "a"), "1");
  EXPECT_FALSE(std::filesystem::exists(path_ + ".compacting"));
}

TEST_F(LogStoreTest, ASecondOpenOfTheSameFileWaitsForTheLockThenFails) {
  auto first = Open();
  ASSERT_TRUE(Set(*first, "a", "1").ok());
  LogStoreOptions options;
  options.lock_timeout = std::chrono::milliseconds(50);
  auto second = LogStore::Open(path_, options, GetLogger("test/file_storage"));
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(second.status().message(), HasSubstr("is locked by another process"));
  ASSERT_TRUE(first->Close().ok());
  second = LogStore::Open(path_, options, GetLogger("test/file_storage"));
  EXPECT_TRUE(second.ok()) << second.status().ToString();
}

TEST_F(LogStoreTest, ClosedStoreRefusesEverything) {
  auto store = Open();
  ASSERT_TRUE(store->Close().ok());
  ASSERT_TRUE(store->Close().ok());
  EXPECT_EQ(store->Get("a").status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(Set(*store, "a", "1").code(), StatusCode::kFailedPrecondition);
}

TEST_F(LogStoreTest, FsyncModeWritesTheSameFormat) {
  LogStoreOptions options;
  options.fsync = true;
  {
    auto store = Open(options);
    ASSERT_TRUE(Set(*store, "a", "1").ok());
    ASSERT_TRUE(store->Compact().ok());
    ASSERT_TRUE(Set(*store, "b", "2").ok());
  }
  auto store = Open();
  EXPECT_EQ(GetOr(*store, "a"), "1");
  EXPECT_EQ(GetOr(*store, "b"), "2");
}

}  // namespace
}  // namespace astrolabe::extension::file_storage

namespace astrolabe::extension::file_storage {
namespace {

// The fuzz seeds were written by a script from docs/design/file_storage.md alone: reading
// them checks that the document and the code agree.
TEST(LogFormat, SeedsWrittenFromTheDesignDocumentReplay) {
  auto read = [](const std::string& name) {
    std::ifstream in("../../../fuzz/corpus/file_storage/" + name, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  };
  const std::string good = read("good_three_records");
  ASSERT_FALSE(good.empty());
  StringSource src(good);
  auto r = Replay(src);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->tail_problem, "");
  EXPECT_EQ(r->records, 3u);
  ASSERT_EQ(r->index.size(), 2u);
  EXPECT_EQ(good.substr(r->index.at("b").offset, r->index.at("b").size), "beta");
  EXPECT_EQ(r->index.at("c").size, 0u);

  const std::string queue = read("queue_three_items_one_removed");
  StringSource qsrc(queue);
  auto q = Replay(qsrc);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->tail_problem, "");
  EXPECT_EQ(q->index.size(), 3u);  // qm, 0, 2
  EXPECT_EQ(q->index.count("1"), 0u);
}

}  // namespace
}  // namespace astrolabe::extension::file_storage
