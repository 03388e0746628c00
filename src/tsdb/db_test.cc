#include "tsdb/db.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <thread>

#include "storage/matcher.h"

namespace astrolabe::tsdb {
namespace {

namespace fs = std::filesystem;

std::string TempDir() {
  std::string templ = (fs::temp_directory_path() / "astrolabe-db-XXXXXX").string();
  return mkdtemp(templ.data());
}

storage::Labels Series(int i) {
  return storage::Labels::FromPairs(
      {{"__name__", "prompt_tokens_total"}, {"model", "m" + std::to_string(i)}});
}

// Every series and its samples, by the model label.
std::map<std::string, std::vector<storage::Sample>> ReadAll(storage::Storage& db) {
  std::map<std::string, std::vector<storage::Sample>> out;
  auto q = db.NewQuerier();
  std::vector<storage::Matcher> m = {
      storage::Matcher::MustMake(storage::MatchType::kEqual, "__name__", "prompt_tokens_total")};
  auto set = q->Select(m, storage::kMinTime, storage::kMaxTime);
  EXPECT_TRUE(set.ok()) << set.status().ToString();
  if (!set.ok()) return out;
  auto all = storage::Materialize(**set);
  EXPECT_TRUE(all.ok());
  for (auto& s : *all) out[std::string(s.labels.Get("model"))] = s.samples;
  return out;
}

// Completed head chunks go to chunks_head/ and come back from there at Open: the WAL samples
// they hold are skipped, not refused; a damaged file is cut at the damage (one log line) and
// the WAL rebuilds the rest, never serving damaged bytes.
std::map<std::string, std::vector<std::pair<int64_t, double>>> Pairs(
    const std::map<std::string, std::vector<storage::Sample>>& in) {
  std::map<std::string, std::vector<std::pair<int64_t, double>>> out;
  for (const auto& [k, v] : in) {
    for (const storage::Sample& s : v) out[k].emplace_back(s.t, s.v);
  }
  return out;
}

TEST(DbTest, HeadChunksComeBackFromTheirFilesAndDamageIsRebuiltFromTheWal) {
  const std::string dir = TempDir();
  DbOptions opts;
  opts.background_compaction = false;
  opts.head.samples_per_chunk = 10;
  std::map<std::string, std::vector<std::pair<int64_t, double>>> want;
  {
    auto db = Db::Open(dir, opts);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    for (int batch = 0; batch < 20; ++batch) {
      auto app = (*db)->NewAppender();
      for (int i = 0; i < 3; ++i) {
        for (int k = 0; k < 10; ++k) {
          const int64_t t = (batch * 10 + k) * 10'000;
          const double v = double(t) / 7 + i;
          ASSERT_TRUE(app->Append(Series(i), t, v).ok());
          want["m" + std::to_string(i)].emplace_back(t, v);
        }
      }
      ASSERT_TRUE(app->Commit().ok());
    }
    EXPECT_EQ(Pairs(ReadAll(**db)), want);
  }
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir + "/chunks_head")) files.push_back(e.path());
  ASSERT_EQ(files.size(), 1u);
  const auto size = fs::file_size(files[0]);
  EXPECT_GT(size, 3u * 19 * 10);  // 19 completed chunks per series (the 20th is open)
  {
    auto db = Db::Open(dir, opts);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    const OpenStats& st = (*db)->open_stats();
    EXPECT_EQ(st.head_chunks, 3u * 19);
    EXPECT_EQ(st.samples_in_head_chunks, 3u * 190);
    EXPECT_EQ(st.samples, 3u * 10);  // only the open chunk's samples are re-appended
    EXPECT_EQ(st.samples_rejected, 0u);
    EXPECT_EQ(st.head_chunk_files_damaged, 0u);
    EXPECT_EQ(Pairs(ReadAll(**db)), want);
    auto app = (*db)->NewAppender();  // the head goes on from there
    ASSERT_TRUE(app->Append(Series(0), 2'000'000, 1).ok());
    ASSERT_TRUE(app->Commit().ok());
    want["m0"].emplace_back(2'000'000, 1);
  }
  // Flip a byte in the middle of the first file: its entries from there on, and the files
  // after it, are dropped; the samples come back from the WAL.
  {
    std::fstream io(files[0], std::ios::in | std::ios::out | std::ios::binary);
    io.seekg(static_cast<std::streamoff>(size / 2));
    char c;
    io.read(&c, 1);
    c = static_cast<char>(c ^ 0x10);
    io.seekp(static_cast<std::streamoff>(size / 2));
    io.write(&c, 1);
  }
  {
    auto db = Db::Open(dir, opts);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    const OpenStats& st = (*db)->open_stats();
    EXPECT_EQ(st.head_chunk_files_damaged, 1u);
    EXPECT_GT(st.head_chunks, 0u);
    EXPECT_LT(st.head_chunks, 3u * 19);
    EXPECT_EQ(st.samples_rejected, 0u);
    EXPECT_EQ(Pairs(ReadAll(**db)), want);
  }
  // Repaired: the next Open finds no damage and the same data.
  auto db = Db::Open(dir, opts);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_EQ((*db)->open_stats().head_chunk_files_damaged, 0u);
  EXPECT_EQ((*db)->open_stats().samples_rejected, 0u);
  EXPECT_EQ(Pairs(ReadAll(**db)), want);
  db->reset();
  fs::remove_all(dir);
}

TEST(DbTest, ReopenReplaysEverythingCommitted) {
  const std::string dir = TempDir();
  {
    auto db = Db::Open(dir);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    for (int batch = 0; batch < 10; ++batch) {
      auto app = (*db)->NewAppender();
      for (int i = 0; i < 3; ++i) {
        for (int k = 0; k < 10; ++k) {
          int64_t t = (batch * 10 + k) * 10'000;
          ASSERT_TRUE(app->Append(Series(i), t, double(t) / 1000 + i).ok());
        }
      }
      ASSERT_TRUE(
          app->UpdateMetadata("prompt_tokens", {storage::MetricType::kCounter, "", "Prompt tokens"})
              .ok());
      ASSERT_TRUE(app->Commit().ok());
    }
    auto rolled_back = (*db)->NewAppender();
    ASSERT_TRUE(rolled_back->Append(Series(9), 1, 1).ok());
    rolled_back->Rollback();
    EXPECT_GT((*db)->wal_stats().fsyncs, 0u);
  }
  auto db = Db::Open(dir);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_EQ((*db)->open_stats().series, 3u);
  EXPECT_EQ((*db)->open_stats().samples, 300u);
  auto all = ReadAll(**db);
  ASSERT_EQ(all.size(), 3u) << "the rolled-back series must not come back";
  for (int i = 0; i < 3; ++i) {
    const auto& samples = all["m" + std::to_string(i)];
    ASSERT_EQ(samples.size(), 100u);
    EXPECT_EQ(samples[42].t, 420'000);
    EXPECT_EQ(samples[42].v, 420.0 + i);
  }
  auto meta = (*db)->NewQuerier()->Metadata("prompt_tokens");
  ASSERT_EQ(meta.size(), 1u);
  EXPECT_EQ(meta[0].metadata.help, "Prompt tokens");

  // Appends after a reopen continue the same series and survive the next one.
  auto app = (*db)->NewAppender();
  ASSERT_TRUE(app->Append(Series(0), 1'000'000, 7).ok());
  ASSERT_TRUE(app->Commit().ok());
  db->reset();
  auto again = Db::Open(dir);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(ReadAll(**again)["m0"].size(), 101u);
  fs::remove_all(dir);
}

constexpr int64_t kHour = 3600 * 1000;

storage::Labels Gauge(int i) {
  return storage::Labels::FromPairs(
      {{"__name__", "kv_cache_usage"}, {"pod", "p" + std::to_string(i)}});
}

// Appends `series` gauges every 10 s over [from, to), one commit per timestamp.
void Fill(Db& db, int series, int64_t from, int64_t to) {
  for (int64_t t = from; t < to; t += 10'000) {
    auto app = db.NewAppender();
    for (int i = 0; i < series; ++i)
      ASSERT_TRUE(app->Append(Gauge(i), t, double(t / 1000 + i)).ok());
    ASSERT_TRUE(app->Commit().ok());
  }
}

// Checks that every gauge holds exactly its samples in [from, to).
void ExpectGauges(Db& db, int series, int64_t from, int64_t to) {
  auto q = db.NewQuerier();
  std::vector<storage::Matcher> m = {
      storage::Matcher::MustMake(storage::MatchType::kEqual, "__name__", "kv_cache_usage")};
  auto set = q->Select(m, storage::kMinTime, storage::kMaxTime);
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  auto all = storage::Materialize(**set);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), size_t(series));
  for (auto& s : *all) {
    int i = std::stoi(std::string(s.labels.Get("pod")).substr(1));
    ASSERT_EQ(s.samples.size(), size_t((to - from) / 10'000)) << s.labels.ToString();
    for (size_t k = 0; k < s.samples.size(); ++k) {
      int64_t t = from + int64_t(k) * 10'000;
      ASSERT_EQ(s.samples[k].t, t);
      ASSERT_EQ(s.samples[k].v, double(t / 1000 + i));
    }
  }
}

DbOptions SmallBlocks() {
  DbOptions o;
  o.head.chunk_range_ms = kHour;
  o.background_compaction = false;
  o.retention_time_ms = 0;
  o.compaction_ranges = {};
  o.wal.sync = wal::SyncMode::kInterval;  // these tests reopen cleanly; fsyncs only cost time
  return o;
}

TEST(DbTest, CompactionCutsBlocksTruncatesHeadAndCheckpointsWal) {
  const std::string dir = TempDir();
  {
    auto db = Db::Open(dir, SmallBlocks());
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    Fill(**db, 20, 0, 4 * kHour);
    ASSERT_TRUE((*db)->Compact().ok());
    auto blocks = (*db)->blocks();
    // The head spans 4 h with 1 h ranges: [0,1h), [1h,2h), [2h,3h) become blocks; the last 1 h
    // stays.
    ASSERT_EQ(blocks.size(), 3u);
    EXPECT_EQ(blocks[0].min_time, 0);
    EXPECT_EQ(blocks[0].max_time, kHour);
    EXPECT_EQ(blocks[0].stats.num_series, 20u);
    EXPECT_EQ(blocks[0].stats.num_samples, 20u * 360);
    EXPECT_EQ((*db)->head().min_time(), 3 * kHour);
    EXPECT_EQ((*db)->head().min_valid_time(), 3 * kHour);
    EXPECT_GE((*db)->compaction_stats().checkpoints, 1u);
    EXPECT_TRUE((*db)->wal_stats().checkpoints >= 1);
    ExpectGauges(**db, 20, 0, 4 * kHour);
    // Below the newest block's end: out of bounds.
    auto app = (*db)->NewAppender();
    auto st = app->Append(Gauge(0), 2 * kHour + 5, 1);
    EXPECT_EQ(storage::AppendErrorKindOf(st.status()), storage::AppendErrorKind::kOutOfBounds);
    // Label queries see blocks and head.
    auto q = (*db)->NewQuerier();
    auto values = q->LabelValues("pod", {}, 0, kHour / 2);
    ASSERT_TRUE(values.ok());
    EXPECT_EQ(values->size(), 20u);
  }
  // Reopen: blocks + checkpoint + WAL give the same data, nothing replayed twice.
  auto db = Db::Open(dir, SmallBlocks());
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_EQ((*db)->open_stats().blocks, 3u);
  EXPECT_LE((*db)->open_stats().samples, 20u * 360 + 20)
      << "only the head's hour comes from the WAL";
  ExpectGauges(**db, 20, 0, 4 * kHour);
  fs::remove_all(dir);
}

TEST(DbTest, HeadTruncationRemovesSeriesWithoutSamples) {
  const std::string dir = TempDir();
  auto db = Db::Open(dir, SmallBlocks());
  ASSERT_TRUE(db.ok());
  Fill(**db, 10, 0, kHour);         // 10 series only in the first hour
  Fill(**db, 2, kHour, 3 * kHour);  // 2 of them go on
  ASSERT_TRUE((*db)->Compact().ok());
  EXPECT_EQ((*db)->head().stats().num_series, 2u);
  EXPECT_EQ((*db)->compaction_stats().series_removed, 8u);
  auto q = (*db)->NewQuerier();
  auto values = q->LabelValues("pod", {}, storage::kMinTime, storage::kMaxTime);
  ASSERT_TRUE(values.ok());
  EXPECT_EQ(values->size(), 10u);
  // A removed series comes back as a new one.
  auto app = (*db)->NewAppender();
  ASSERT_TRUE(app->Append(Gauge(7), 3 * kHour, 1).ok());
  ASSERT_TRUE(app->Commit().ok());
  EXPECT_EQ((*db)->head().stats().num_series, 3u);
  fs::remove_all(dir);
}

TEST(DbTest, BlocksMergeByLevelAndRetentionDeletesOldest) {
  const std::string dir = TempDir();
  DbOptions o = SmallBlocks();
  o.compaction_ranges = {3, 6};
  {
    auto db = Db::Open(dir, o);
    ASSERT_TRUE(db.ok());
    Fill(**db, 5, 0, 8 * kHour);
    ASSERT_TRUE((*db)->Compact().ok());
    auto blocks = (*db)->blocks();
    // Blocks [0,1h) … [6h,7h) are cut; [0,3h) and [3h,6h) merge into level 2, then the 6 h
    // window [0,6h) holds both and is complete: one level-3 block; [6h,7h) stays level 1.
    ASSERT_EQ(blocks.size(), 2u);
    EXPECT_EQ(blocks[0].min_time, 0);
    EXPECT_EQ(blocks[0].max_time, 6 * kHour);
    EXPECT_EQ(blocks[0].level, 3);
    EXPECT_EQ(blocks[0].sources.size(), 6u);
    EXPECT_EQ(blocks[1].level, 1);
    EXPECT_EQ((*db)->compaction_stats().block_compactions, 3u);
    ExpectGauges(**db, 5, 0, 8 * kHour);
  }
  o.retention_time_ms = 3 * kHour / 2;  // newest sample 8h - 10s: cutoff 6.5h - 10s
  {
    auto db = Db::Open(dir, o);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Compact().ok());
    auto blocks = (*db)->blocks();
    ASSERT_EQ(blocks.size(), 1u);
    EXPECT_EQ(blocks[0].min_time, 6 * kHour);
    EXPECT_EQ((*db)->compaction_stats().blocks_deleted_retention, 1u);
    ExpectGauges(**db, 5, 6 * kHour, 8 * kHour);
  }
  o.retention_time_ms = 0;
  o.retention_size_bytes = 1;  // everything on disk is too much: every block goes
  {
    auto db = Db::Open(dir, o);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Compact().ok());
    EXPECT_TRUE((*db)->blocks().empty());
    ExpectGauges(**db, 5, 7 * kHour, 8 * kHour);
  }
  fs::remove_all(dir);
}

TEST(DbTest, CorruptBlockIsMovedAsideAndTheRestServed) {
  const std::string dir = TempDir();
  std::string bad_id;
  {
    auto db = Db::Open(dir, SmallBlocks());
    ASSERT_TRUE(db.ok());
    Fill(**db, 3, 0, 4 * kHour);
    ASSERT_TRUE((*db)->Compact().ok());
    ASSERT_EQ((*db)->blocks().size(), 3u);
    bad_id = (*db)->blocks()[1].id;
  }
  {
    std::ofstream f(dir + "/" + bad_id + "/index", std::ios::binary | std::ios::trunc);
    f << "garbage";
  }
  // Leftovers of an interrupted write and deletion are cleaned up.
  fs::create_directories(dir + "/01ARZ3NDEKTSV4RRFFQ69G5FAV.tmp/chunks");
  fs::create_directories(dir + "/01ARZ3NDEKTSV4RRFFQ69G5FAW.deleted");
  auto db = Db::Open(dir, SmallBlocks());
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_EQ((*db)->open_stats().corrupt_blocks, 1u);
  EXPECT_EQ((*db)->blocks().size(), 2u);
  EXPECT_TRUE(fs::exists(dir + "/corrupt/" + bad_id + "/index"));
  EXPECT_FALSE(fs::exists(dir + "/01ARZ3NDEKTSV4RRFFQ69G5FAV.tmp"));
  EXPECT_FALSE(fs::exists(dir + "/01ARZ3NDEKTSV4RRFFQ69G5FAW.deleted"));
  auto q = (*db)->NewQuerier();
  std::vector<storage::Matcher> m = {
      storage::Matcher::MustMake(storage::MatchType::kEqual, "pod", "p1")};
  auto set = q->Select(m, storage::kMinTime, storage::kMaxTime);
  ASSERT_TRUE(set.ok());
  auto all = storage::Materialize(**set);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].samples.size(), 360u * 3) << "hours 0, 2 and 3; hour 1 was the bad block";
  fs::remove_all(dir);
}

// The crash test of the store: a forked writer commits batches and reports each acknowledged
// one on a pipe; it is SIGKILLed at 200 random moments, and after each kill the store must
// open and hold every acknowledged sample, with its value. Chunk ranges of 250 ms (samples are
// 1 ms apart) make the writer's background compactor cut a block, truncate the head,
// checkpoint the WAL and merge blocks every few dozen commits — and right after Open — so
// kills also land in those. On a slow disk the writer rarely lives long enough to finish a
// compaction, so every third check also compacts (and checks again) in the parent.
TEST(DbCrashTest, EveryAcknowledgedSampleSurvivesKillDashNine) {
  const std::string dir = TempDir();
  DbOptions opts;
  opts.head.chunk_range_ms = 250;
  opts.compaction_interval_ms = 50;
  std::mt19937 rng(20261122);
  constexpr int kSeries = 4;
  constexpr int kPerBatch = 25;  // samples per series per commit
  int64_t acked_t = -1;          // the newest timestamp of an acknowledged commit
  int kills = 0;
  size_t blocks_seen = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  for (int round = 0; round < 200 && std::chrono::steady_clock::now() < deadline; ++round) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {  // the writer
      close(fds[0]);
      auto db = Db::Open(dir, opts);
      if (!db.ok()) _exit(2);
      // Continue after what is stored: a commit that became durable but was never
      // acknowledged (killed before the pipe write) is in the store, and appending below its
      // newest sample again would be out of order.
      const int64_t stored = (*db)->max_time();
      const int64_t opened = -1;  // tells the parent that Open is done
      if (write(fds[1], &opened, sizeof opened) != sizeof opened) _exit(5);
      const int64_t start_t = stored == storage::kMinTime ? 0 : stored + 1;
      for (int64_t t = start_t;; t += kPerBatch) {
        auto app = (*db)->NewAppender();
        for (int i = 0; i < kSeries; ++i) {
          for (int k = 0; k < kPerBatch; ++k) {
            if (!app->Append(Series(i), t + k, double(t + k) * 2 + i).ok()) _exit(3);
          }
        }
        if (!app->Commit().ok()) _exit(4);
        int64_t newest = t + kPerBatch - 1;
        if (write(fds[1], &newest, sizeof newest) != sizeof newest) _exit(5);
      }
    }
    close(fds[1]);
    // A quarter of the kills are timed from the fork, so some land in Open (replay, and the
    // compaction the background thread starts right after); the rest from the end of Open,
    // among commits and the compactions they trigger. (Open's fsyncs take tens of ms on a
    // busy disk: timing every kill from the fork would rarely let a commit through.)
    const bool from_fork = round % 4 == 0;
    int64_t newest = -1;
    if (!from_fork && read(fds[0], &newest, sizeof newest) != sizeof newest) {
      FAIL() << "round " << round << ": the writer died in Open";
    }
    std::this_thread::sleep_for(std::chrono::microseconds(
        std::uniform_int_distribution<int>(0, from_fork ? 150000 : 60000)(rng)));
    kill(pid, SIGKILL);
    while (read(fds[0], &newest, sizeof newest) == sizeof newest)
      acked_t = std::max(acked_t, newest);
    close(fds[0]);
    int wstatus = 0;
    waitpid(pid, &wstatus, 0);
    ASSERT_TRUE(WIFSIGNALED(wstatus))
        << "the writer failed on its own: exit " << WEXITSTATUS(wstatus);
    ++kills;

    DbOptions check = opts;
    check.background_compaction = false;
    auto db = Db::Open(dir, check);
    ASSERT_TRUE(db.ok()) << "round " << round << ": " << db.status().ToString();
    blocks_seen = std::max(blocks_seen, (*db)->blocks().size());
    if (round % 3 == 2) {
      ASSERT_TRUE((*db)->Compact().ok()) << "round " << round;
      blocks_seen = std::max(blocks_seen, (*db)->blocks().size());
    }
    auto all = ReadAll(**db);
    for (int i = 0; i < kSeries && acked_t >= 0; ++i) {
      const auto& samples = all["m" + std::to_string(i)];
      ASSERT_GE(samples.size(), size_t(acked_t + 1)) << "round " << round << ", series " << i;
      for (int64_t t = 0; t <= acked_t; t += 997) {  // spot-check values across the range
        ASSERT_EQ(samples[t].t, t);
        ASSERT_EQ(samples[t].v, double(t) * 2 + i);
      }
      ASSERT_EQ(samples[acked_t].t, acked_t) << "the newest acknowledged sample";
    }
  }
  EXPECT_GE(kills, 50) << "too few rounds in the time allowed";
  EXPECT_GE(blocks_seen, 2u) << "compaction never ran: the test no longer covers it; acked "
                             << acked_t;
  RecordProperty("max_blocks", std::to_string(blocks_seen));
  RecordProperty("kills", kills);
  RecordProperty("acknowledged_samples", std::to_string((acked_t + 1) * kSeries));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace astrolabe::tsdb
