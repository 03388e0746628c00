#include "tsdb/db.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
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
      ASSERT_TRUE(app->UpdateMetadata("prompt_tokens", {storage::MetricType::kCounter, "", "Prompt tokens"}).ok());
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

// The crash test of the store: a forked writer commits batches and reports each acknowledged
// one on a pipe; it is SIGKILLed at 200 random moments, and after each kill the store must
// open and hold every acknowledged sample, with its value.
TEST(DbCrashTest, EveryAcknowledgedSampleSurvivesKillDashNine) {
  const std::string dir = TempDir();
  std::mt19937 rng(20261122);
  constexpr int kSeries = 4;
  constexpr int kPerBatch = 25;  // samples per series per commit
  int64_t acked_t = -1;          // the newest timestamp of an acknowledged commit
  int kills = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  for (int round = 0; round < 200 && std::chrono::steady_clock::now() < deadline; ++round) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {  // the writer
      close(fds[0]);
      auto db = Db::Open(dir);
      if (!db.ok()) _exit(2);
      // Continue after what is stored: a commit that became durable but was never
      // acknowledged (killed before the pipe write) is in the store, and appending below its
      // newest sample again would be out of order.
      const int64_t stored = (*db)->head().max_time();
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
    std::this_thread::sleep_for(std::chrono::microseconds(std::uniform_int_distribution<int>(0, 40000)(rng)));
    kill(pid, SIGKILL);
    int64_t newest;
    while (read(fds[0], &newest, sizeof newest) == sizeof newest) acked_t = std::max(acked_t, newest);
    close(fds[0]);
    int wstatus = 0;
    waitpid(pid, &wstatus, 0);
    ASSERT_TRUE(WIFSIGNALED(wstatus)) << "the writer failed on its own: exit " << WEXITSTATUS(wstatus);
    ++kills;

    auto db = Db::Open(dir);
    ASSERT_TRUE(db.ok()) << "round " << round << ": " << db.status().ToString();
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
  RecordProperty("kills", kills);
  RecordProperty("acknowledged_samples", std::to_string((acked_t + 1) * kSeries));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace astrolabe::tsdb
