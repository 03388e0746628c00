// Blocks: meta.json, write → open → query round trips (against the head the block was cut
// from), and damage of every kind reported as DataLoss naming file and offset.
#include "tsdb/block.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <bit>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "tsdb/head.h"

namespace astrolabe::tsdb {
namespace {

namespace fs = std::filesystem;
using storage::Labels;
using storage::Matcher;
using storage::MatchType;

std::string TempDir() {
  std::string templ = (fs::temp_directory_path() / "astrolabe-block-XXXXXX").string();
  return mkdtemp(templ.data());
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
void WriteFile(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
}

// A head with 60 series over 3 label dimensions, 10 s samples over [0, 4 h), some special
// values.
std::unique_ptr<Head> MakeHead() {
  auto head = std::make_unique<Head>();
  std::mt19937_64 rng(7);
  auto app = head->NewAppender();
  for (int i = 0; i < 60; ++i) {
    Labels l = Labels::FromPairs({{"__name__", i % 3 == 0 ? "requests_total" : "latency_seconds"},
                                  {"model", "m" + std::to_string(i % 7)},
                                  {"pod", "p" + std::to_string(i)}});
    double v = 0;
    for (int64_t t = (i % 5) * 1000; t < 4 * 3600 * 1000; t += 10'000) {
      v += static_cast<double>(rng() % 100);
      double x = (t / 10'000) % 97 == 0 ? std::nan("") : v;
      EXPECT_TRUE(app->Append(l, t, x).ok());
    }
  }
  EXPECT_TRUE(app->Commit().ok());
  return head;
}

std::vector<storage::MaterializedSeries> SelectAll(storage::Querier& q,
                                                   std::vector<Matcher> matchers, int64_t mint,
                                                   int64_t maxt) {
  auto set = q.Select(matchers, mint, maxt);
  EXPECT_TRUE(set.ok()) << set.status().ToString();
  if (!set.ok()) return {};
  auto all = storage::Materialize(**set);
  EXPECT_TRUE(all.ok()) << all.status().ToString();
  return all.ok() ? *all : std::vector<storage::MaterializedSeries>{};
}

void ExpectSame(const std::vector<storage::MaterializedSeries>& a,
                const std::vector<storage::MaterializedSeries>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].labels, b[i].labels);
    ASSERT_EQ(a[i].samples.size(), b[i].samples.size()) << a[i].labels.ToString();
    for (size_t k = 0; k < a[i].samples.size(); ++k) {
      ASSERT_EQ(a[i].samples[k].t, b[i].samples[k].t);
      ASSERT_EQ(std::bit_cast<uint64_t>(a[i].samples[k].v),
                std::bit_cast<uint64_t>(b[i].samples[k].v));
    }
  }
}

class BlockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TempDir();
    head_ = MakeHead();
    auto q = head_->NewQuerier();
    auto set = q->Select({}, 0, kMaxt - 1);
    ASSERT_TRUE(set.ok());
    BlockMeta meta;
    auto written = WriteBlock(dir_, **set, 0, kMaxt, meta, {.samples_per_chunk = 100});
    ASSERT_TRUE(written.ok()) << written.status().ToString();
    meta_ = *written;
    block_dir_ = dir_ + "/" + meta_.id;
  }
  void TearDown() override { fs::remove_all(dir_); }

  static constexpr int64_t kMaxt = 2 * 3600 * 1000;
  std::string dir_, block_dir_;
  std::unique_ptr<Head> head_;
  BlockMeta meta_;
};

TEST(BlockMetaTest, RoundTripAndStrictness) {
  BlockMeta m;
  m.id = NewBlockId();
  m.min_time = -5;
  m.max_time = 7200000;
  m.stats = {3, 4, 500};
  m.level = 2;
  m.sources = {NewBlockId(), NewBlockId()};
  m.parents = {m.sources[0]};
  auto back = DecodeBlockMeta(EncodeBlockMeta(m));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->id, m.id);
  EXPECT_EQ(back->min_time, -5);
  EXPECT_EQ(back->max_time, 7200000);
  EXPECT_EQ(back->stats.num_samples, 500u);
  EXPECT_EQ(back->level, 2);
  EXPECT_EQ(back->sources, m.sources);
  EXPECT_EQ(back->parents, m.parents);
  EXPECT_TRUE(IsBlockId(m.id));
  EXPECT_LT(NewBlockId().substr(0, 10), "2");  // time prefix: sortable, decades of room
  for (std::string bad :
       {std::string("{"), std::string("[]"), std::string("{\"version\": 2}"),
        EncodeBlockMeta(m).replace(EncodeBlockMeta(m).find("7200000"), 7, "-9")}) {
    auto r = DecodeBlockMeta(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
    EXPECT_NE(r.status().message().find("meta.json"), std::string::npos);
  }
}

TEST_F(BlockTest, AnswersLikeTheHead) {
  EXPECT_EQ(meta_.stats.num_series, 60u);
  EXPECT_EQ(meta_.stats.num_samples, 60u * 720u);
  EXPECT_EQ(meta_.level, 1);
  ASSERT_EQ(meta_.sources, std::vector<std::string>{meta_.id});
  auto block = Block::Open(block_dir_);
  ASSERT_TRUE(block.ok()) << block.status().ToString();
  EXPECT_EQ((*block)->meta().id, meta_.id);
  EXPECT_GT((*block)->size_bytes(), 0u);
  auto bq = (*block)->NewQuerier();
  auto hq = head_->NewQuerier();
  std::vector<std::vector<Matcher>> cases = {
      {},
      {Matcher::MustMake(MatchType::kEqual, "__name__", "requests_total")},
      {Matcher::MustMake(MatchType::kRegexMatch, "model", "m1|m3")},
      {Matcher::MustMake(MatchType::kNotEqual, "model", "m1"),
       Matcher::MustMake(MatchType::kRegexNoMatch, "pod", "p1.*")},
      {Matcher::MustMake(MatchType::kEqual, "absent", "")},
      {Matcher::MustMake(MatchType::kEqual, "absent", "x")},
      {Matcher::MustMake(MatchType::kRegexMatch, "pod", "p[0-9]"),
       Matcher::MustMake(MatchType::kEqual, "__name__", "latency_seconds")},
  };
  std::vector<std::pair<int64_t, int64_t>> ranges = {{0, kMaxt - 1},
                                                     {-100, 5000},
                                                     {3600 * 1000 + 1, 3600 * 1000 + 9999},
                                                     {7000000, 1 << 30},
                                                     {kMaxt, 1 << 30}};
  for (const auto& m : cases) {
    for (auto [mint, maxt] : ranges) {
      // The head holds 4 h; the block only the first 2 h.
      int64_t hmax = std::min<int64_t>(maxt, kMaxt - 1);
      SCOPED_TRACE(std::to_string(mint) + ".." + std::to_string(maxt));
      ExpectSame(SelectAll(*bq, m, mint, maxt), hmax < mint
                                                    ? std::vector<storage::MaterializedSeries>{}
                                                    : SelectAll(*hq, m, mint, hmax));
      if (hmax < mint) continue;
      auto bn = bq->LabelNames(m, mint, maxt);
      auto hn = hq->LabelNames(m, mint, hmax);
      ASSERT_TRUE(bn.ok() && hn.ok());
      EXPECT_EQ(*bn, *hn);
      auto bv = bq->LabelValues("model", m, mint, maxt);
      auto hv = hq->LabelValues("model", m, mint, hmax);
      ASSERT_TRUE(bv.ok() && hv.ok());
      EXPECT_EQ(*bv, *hv);
    }
  }
  // Seek inside a block series.
  std::vector<Matcher> p3 = {Matcher::MustMake(MatchType::kEqual, "pod", "p3")};
  auto set = bq->Select(p3, 0, kMaxt);
  ASSERT_TRUE(set.ok() && (*set)->Next());
  auto it = (*set)->At().Iterator();
  ASSERT_TRUE(it->Seek(3'600'005));
  EXPECT_EQ(it->At().t, 3'603'000);  // p3 samples sit at 3 s past each 10 s
  EXPECT_FALSE((*set)->Next());
  // Limits.
  auto limited = (*block)->NewQuerier({.max_series = 5});
  auto r = limited->Select({}, 0, kMaxt);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
}

TEST_F(BlockTest, QuerierOutlivesTheBlockObject) {
  std::unique_ptr<storage::Querier> q;
  {
    auto block = Block::Open(block_dir_);
    ASSERT_TRUE(block.ok());
    q = (*block)->NewQuerier();
  }
  fs::remove_all(block_dir_);  // retention deletes while a query runs
  EXPECT_EQ(SelectAll(*q, {}, 0, kMaxt).size(), 60u);
}

TEST_F(BlockTest, DamageIsReportedWithFileAndOffset) {
  const std::string index = ReadFile(block_dir_ + "/index");
  const std::string chunk = ReadFile(block_dir_ + "/chunks/000001");
  const std::string meta = ReadFile(block_dir_ + "/meta.json");
  auto expect_open_fails = [&](const std::string& file_hint) {
    auto b = Block::Open(block_dir_);
    ASSERT_FALSE(b.ok());
    EXPECT_EQ(b.status().code(), StatusCode::kDataLoss) << b.status().ToString();
    EXPECT_NE(b.status().message().find(file_hint), std::string::npos) << b.status().ToString();
  };
  // Every truncation of the index, and a bit flip in each of a sample of positions.
  for (size_t cut = 0; cut < index.size(); cut += std::max<size_t>(1, index.size() / 300)) {
    WriteFile(block_dir_ + "/index", index.substr(0, cut));
    expect_open_fails("index");
  }
  for (size_t pos = 0; pos < index.size(); pos += std::max<size_t>(1, index.size() / 300)) {
    std::string bad = index;
    bad[pos] ^= 0x10;
    WriteFile(block_dir_ + "/index", bad);
    expect_open_fails("index");
  }
  WriteFile(block_dir_ + "/index", index);
  WriteFile(block_dir_ + "/meta.json", meta.substr(0, meta.size() / 2));
  expect_open_fails("meta.json");
  WriteFile(block_dir_ + "/meta.json", meta);
  WriteFile(block_dir_ + "/chunks/000001", "AL");
  expect_open_fails("chunks/000001");
  // A flipped bit in chunk data opens (chunks are checked lazily) and fails the query with the
  // chunk file and offset.
  std::string bad = chunk;
  bad[chunk.size() / 2] ^= 0x01;
  WriteFile(block_dir_ + "/chunks/000001", bad);
  auto b = Block::Open(block_dir_);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  auto set = (*b)->NewQuerier()->Select({}, 0, kMaxt);
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(set.status().message().find("chunks/000001 at offset"), std::string::npos)
      << set.status().ToString();
  // A truncated chunk file: the block opens; queries reaching past the end fail cleanly.
  WriteFile(block_dir_ + "/chunks/000001", chunk.substr(0, chunk.size() / 3));
  b = Block::Open(block_dir_);
  ASSERT_TRUE(b.ok());
  set = (*b)->NewQuerier()->Select({}, 0, kMaxt);
  ASSERT_FALSE(set.ok());
  EXPECT_NE(set.status().message().find("chunks/000001"), std::string::npos);
}

}  // namespace
}  // namespace astrolabe::tsdb

namespace astrolabe::tsdb {
namespace {

// Head::Truncate while appenders and queriers run (ASan checks the epoch-based reclamation):
// appenders create series and append to them, queriers read everything, the main thread keeps
// truncating behind the appenders. Every commit that returned OK with samples at or after the
// truncation point must stay readable.
TEST(HeadTruncateTest, ConcurrentWithAppendersAndQueriers) {
  HeadOptions opts;
  opts.chunk_range_ms = 100;
  opts.samples_per_chunk = 8;
  Head head(opts);
  std::atomic<bool> stop{false};
  std::atomic<int64_t> clock{0};
  std::atomic<uint64_t> commits{0}, reads{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < 2; ++w) {
    threads.emplace_back([&, w] {
      std::mt19937 rng(w);
      while (!stop.load()) {
        auto app = head.NewAppender();
        int64_t t = clock.fetch_add(1) + 1;
        for (int k = 0; k < 8; ++k) {
          // Most series are hot; one per batch is short-lived churn that truncation removes.
          int s = static_cast<int>(k == 0 ? 100 + rng() % 5000 : rng() % 20);
          Labels l = Labels::FromPairs({{"__name__", "x"}, {"s", std::to_string(s + w * 10000)}});
          (void)app->Append(l, t, double(t));
        }
        if (rng() % 4 == 0) {
          app->Rollback();
        } else if (app->Commit().ok()) {
          commits.fetch_add(1);
        }
      }
    });
  }
  threads.emplace_back([&] {
    while (!stop.load()) {
      auto q = head.NewQuerier();
      auto set = q->Select({}, storage::kMinTime, storage::kMaxTime);
      if (!set.ok()) continue;
      auto all = storage::Materialize(**set);
      if (all.ok()) reads.fetch_add(1);
      (void)q->LabelValues("s", {}, storage::kMinTime, storage::kMaxTime);
    }
  });
  uint64_t removed = 0;
  for (int i = 0; i < 300; ++i) {
    int64_t now = clock.load();
    int64_t mint = (now - 200) / 100 * 100;
    if (mint > 0) removed += head.Truncate(mint).series_removed;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  stop.store(true);
  for (auto& t : threads) t.join();
  EXPECT_GT(commits.load(), 0u);
  EXPECT_GT(reads.load(), 0u);
  EXPECT_GT(removed, 0u) << "no series was ever removed: the test lost its point";
  // Everything left is at or after the last truncation point, and readable.
  const int64_t floor = head.min_valid_time();
  auto q = head.NewQuerier();
  auto set = q->Select({}, storage::kMinTime, storage::kMaxTime);
  ASSERT_TRUE(set.ok());
  auto all = storage::Materialize(**set);
  ASSERT_TRUE(all.ok());
  for (const auto& s : *all) {
    ASSERT_FALSE(s.samples.empty());
    EXPECT_GE(s.samples.front().t, floor);
  }
  // Series without samples may remain only from batches rolled back since the last Truncate.
  EXPECT_GE(head.stats().num_series, all->size());
}

}  // namespace
}  // namespace astrolabe::tsdb
