#include "tsdb/head.h"
#include "tsdb/mem_series.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <latch>
#include <thread>

namespace astrolabe::tsdb {
namespace {

using storage::AppendErrorKind;
using storage::AppendErrorKindOf;
using storage::Labels;
using storage::Matcher;
using storage::MatchType;
using storage::Sample;

Labels L(std::initializer_list<std::pair<std::string_view, std::string_view>> p) {
  return Labels::FromPairs(p);
}

Matcher M(MatchType t, std::string n, std::string v) { return Matcher::MustMake(t, n, v); }

// Runs a Select and returns "labels -> samples".
std::map<std::string, std::vector<std::pair<int64_t, double>>> Query(
    storage::Storage& st, std::vector<Matcher> ms, int64_t mint = storage::kMinTime,
    int64_t maxt = storage::kMaxTime) {
  auto q = st.NewQuerier();
  auto set = q->Select(ms, mint, maxt);
  EXPECT_TRUE(set.ok()) << set.status().ToString();
  std::map<std::string, std::vector<std::pair<int64_t, double>>> out;
  auto all = storage::Materialize(**set);
  EXPECT_TRUE(all.ok()) << all.status().ToString();
  for (auto& s : *all) {
    auto& v = out[s.labels.ToString()];
    for (Sample x : s.samples) v.emplace_back(x.t, x.v);
  }
  return out;
}

TEST(HeadTest, AppendCommitSelect) {
  Head head;
  auto app = head.NewAppender();
  Labels a = L({{"__name__", "num_requests_running"}, {"model_name", "llama"}});
  Labels b = L({{"__name__", "num_requests_running"}, {"model_name", "mistral"}});
  auto ra = app->Append(a, 1000, 3);
  ASSERT_TRUE(ra.ok()) << ra.status().ToString();
  ASSERT_TRUE(app->Append(b, 1000, 1).ok());
  ASSERT_TRUE(app->AppendByRef(*ra, 2000, 4).ok());
  // Not visible before commit.
  EXPECT_TRUE(Query(head, {M(MatchType::kEqual, "__name__", "num_requests_running")}).empty());
  ASSERT_TRUE(app->Commit().ok());
  auto got = Query(head, {M(MatchType::kEqual, "__name__", "num_requests_running")});
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[a.ToString()], (std::vector<std::pair<int64_t, double>>{{1000, 3}, {2000, 4}}));
  EXPECT_EQ(got[b.ToString()], (std::vector<std::pair<int64_t, double>>{{1000, 1}}));
  // Time bounds are inclusive and a series without samples in range is not returned.
  auto ranged = Query(head, {M(MatchType::kRegexMatch, "model_name", ".+")}, 1500, 2000);
  ASSERT_EQ(ranged.size(), 1u);
  EXPECT_EQ(ranged[a.ToString()], (std::vector<std::pair<int64_t, double>>{{2000, 4}}));
  EXPECT_EQ(head.stats().num_series, 2u);
  EXPECT_EQ(head.min_time(), 1000);
  EXPECT_EQ(head.max_time(), 2000);
  // A spent appender refuses more work.
  EXPECT_FALSE(app->Append(a, 3000, 1).ok());
}

TEST(HeadTest, RollbackDiscards) {
  Head head;
  auto app = head.NewAppender();
  ASSERT_TRUE(app->Append(L({{"__name__", "x"}}), 1, 1).ok());
  app->Rollback();
  EXPECT_TRUE(Query(head, {}).empty());
  EXPECT_EQ(head.stats().num_series, 1u);  // the series stays, empty
}

TEST(HeadTest, AppendErrors) {
  Head head;
  Labels s = L({{"__name__", "prompt_tokens_total"}, {"model_name", "m"}});
  {
    auto app = head.NewAppender();
    ASSERT_TRUE(app->Append(s, 1000, 10).ok());
    ASSERT_TRUE(app->Commit().ok());
  }
  auto app = head.NewAppender();
  auto ooo = app->Append(s, 500, 1);
  ASSERT_FALSE(ooo.ok());
  EXPECT_EQ(AppendErrorKindOf(ooo.status()), AppendErrorKind::kOutOfOrder)
      << ooo.status().ToString();
  EXPECT_NE(ooo.status().message().find("prompt_tokens_total{model_name=\"m\"}"),
            std::string::npos);
  auto dup = app->Append(s, 1000, 11);
  EXPECT_EQ(AppendErrorKindOf(dup.status()), AppendErrorKind::kDuplicate)
      << dup.status().ToString();
  EXPECT_TRUE(app->Append(s, 1000, 10).ok());  // exact repeat: ignored
  // Within one batch too.
  ASSERT_TRUE(app->Append(s, 2000, 5).ok());
  EXPECT_EQ(AppendErrorKindOf(app->Append(s, 2000, 6).status()), AppendErrorKind::kDuplicate);
  EXPECT_EQ(AppendErrorKindOf(app->Append(s, 1500, 6).status()), AppendErrorKind::kOutOfOrder);
  EXPECT_EQ(AppendErrorKindOf(app->AppendByRef(12345, 1, 1)), AppendErrorKind::kUnknownRef);
  EXPECT_EQ(AppendErrorKindOf(app->Append(Labels(), 1, 1).status()),
            AppendErrorKind::kInvalidLabels);
  ASSERT_TRUE(app->Commit().ok());
  EXPECT_EQ(Query(head, {})[s.ToString()],
            (std::vector<std::pair<int64_t, double>>{{1000, 10}, {2000, 5}}));
}

TEST(HeadTest, InvalidLabelSetsAreRejected) {
  Head head;
  auto app = head.NewAppender();
  auto dup = Labels::FromSorted({{"a", "1"}, {"a", "2"}});
  EXPECT_EQ(AppendErrorKindOf(app->Append(dup, 1, 1).status()), AppendErrorKind::kInvalidLabels);
  EXPECT_EQ(
      AppendErrorKindOf(app->Append(L({{"__name__", "m"}, {"model", "bad\xff"}}), 1, 1).status()),
      AppendErrorKind::kInvalidLabels);
  auto empty_name = Labels::FromSorted({{"", "1"}});
  EXPECT_EQ(AppendErrorKindOf(app->Append(empty_name, 1, 1).status()),
            AppendErrorKind::kInvalidLabels);
}

TEST(HeadTest, OutOfOrderWindow) {
  HeadOptions opts;
  opts.out_of_order_window_ms = 10000;
  Head head(opts);
  Labels s = L({{"__name__", "g"}});
  auto app = head.NewAppender();
  for (int64_t t : {10000, 20000, 30000})
    ASSERT_TRUE(app->Append(s, t, static_cast<double>(t)).ok());
  ASSERT_TRUE(app->Commit().ok());
  app = head.NewAppender();
  EXPECT_TRUE(app->Append(s, 25000, 1).ok());  // out of order, inside the window
  EXPECT_TRUE(app->Append(s, 21000, 2).ok());
  EXPECT_TRUE(app->Append(s, 20000, 20000).ok());  // repeat of an in-order sample: ignored
  EXPECT_EQ(AppendErrorKindOf(app->Append(s, 10000, 7).status()), AppendErrorKind::kTooOld);
  EXPECT_EQ(AppendErrorKindOf(app->Append(s, 20000, 7).status()), AppendErrorKind::kDuplicate);
  ASSERT_TRUE(app->Commit().ok());
  app = head.NewAppender();
  EXPECT_EQ(AppendErrorKindOf(app->Append(s, 25000, 9).status()), AppendErrorKind::kDuplicate);
  EXPECT_TRUE(app->Append(s, 25000, 1).ok());
  ASSERT_TRUE(app->Commit().ok());
  auto got = Query(head, {})[s.ToString()];
  EXPECT_EQ(got, (std::vector<std::pair<int64_t, double>>{
                     {10000, 10000}, {20000, 20000}, {21000, 2}, {25000, 1}, {30000, 30000}}));
  // Seek lands on OOO and in-order samples alike.
  auto q = head.NewQuerier();
  std::vector<Matcher> ms;
  auto set = q->Select(ms, storage::kMinTime, storage::kMaxTime);
  ASSERT_TRUE(set.ok());
  ASSERT_TRUE((*set)->Next());
  auto it = (*set)->At().Iterator();
  ASSERT_TRUE(it->Seek(20500));
  EXPECT_EQ(it->At().t, 21000);
  ASSERT_TRUE(it->Next());
  EXPECT_EQ(it->At().t, 25000);
  ASSERT_TRUE(it->Seek(26000));
  EXPECT_EQ(it->At().t, 30000);
  EXPECT_FALSE(it->Next());
  EXPECT_EQ(head.stats().ooo_samples_appended, 2u);
}

TEST(HeadTest, ChunksAreCutByCountAndRange) {
  HeadOptions opts;
  opts.samples_per_chunk = 120;
  opts.chunk_range_ms = 3600 * 1000;
  Head head(opts);
  Labels s = L({{"__name__", "c"}});
  auto app = head.NewAppender();
  // 10 s interval for 2 h: 720 samples; chunk range 1 h → at least 6 + 1 cuts.
  for (int i = 0; i < 720; ++i) ASSERT_TRUE(app->Append(s, i * 10000LL, i).ok());
  ASSERT_TRUE(app->Commit().ok());
  EXPECT_EQ(head.stats().chunks_cut, 5u);  // 6 chunks of 120; the 6th is the head chunk
  SeriesSnapshot snap;
  ASSERT_TRUE(
      head.Snapshot(head.SeriesRefsInLabelOrder()[0], storage::kMinTime, storage::kMaxTime, &snap));
  ASSERT_EQ(snap.chunks.size(), 6u);
  for (const ChunkView& c : snap.chunks) {
    // No chunk spans an hour boundary.
    EXPECT_EQ(c.min_t / 3600000, c.max_t / 3600000) << c.min_t << ".." << c.max_t;
  }
  auto got = Query(head, {}, 3590000, 3610000)[s.ToString()];
  EXPECT_EQ(got, (std::vector<std::pair<int64_t, double>>{
                     {3590000, 359}, {3600000, 360}, {3610000, 361}}));
}

TEST(HeadTest, MatchersIncludingEmptyMatching) {
  Head head;
  auto app = head.NewAppender();
  Labels a = L({{"__name__", "kong_ai_llm_requests_total"},
                {"ai_model", "gpt-4o"},
                {"cache_status", "hit"}});
  Labels b = L({{"__name__", "kong_ai_llm_requests_total"}, {"ai_model", "llama"}});
  Labels c = L({{"__name__", "kong_ai_llm_cost_total"}, {"ai_model", "gpt-4o"}});
  for (const Labels* l : {&a, &b, &c}) ASSERT_TRUE(app->Append(*l, 1, 1).ok());
  ASSERT_TRUE(app->Commit().ok());
  auto names = [&](std::vector<Matcher> ms) {
    std::vector<std::string> out;
    for (auto& [k, v] : Query(head, ms)) out.push_back(k);
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(names({M(MatchType::kEqual, "ai_model", "gpt-4o")}), (V{c.ToString(), a.ToString()}));
  EXPECT_EQ(names({M(MatchType::kEqual, "cache_status", "")}), (V{c.ToString(), b.ToString()}));
  EXPECT_EQ(names({M(MatchType::kNotEqual, "cache_status", "hit")}),
            (V{c.ToString(), b.ToString()}));
  EXPECT_EQ(names({M(MatchType::kRegexMatch, "cache_status", "hit|")}).size(), 3u);
  EXPECT_EQ(names({M(MatchType::kRegexNoMatch, "ai_model", "gpt.*")}), (V{b.ToString()}));
  EXPECT_EQ(names({M(MatchType::kRegexMatch, "__name__", ".*_requests_total"),
                   M(MatchType::kNotEqual, "ai_model", "llama")}),
            (V{a.ToString()}));
  EXPECT_TRUE(names({M(MatchType::kEqual, "nope", "x")}).empty());
  EXPECT_EQ(names({M(MatchType::kNotEqual, "nope", "x")}).size(), 3u);
  EXPECT_EQ(names({M(MatchType::kRegexMatch, "ai_model", "(?i)GPT-4O")}).size(), 2u);
}

TEST(HeadTest, LabelNamesAndValues) {
  Head head;
  auto app = head.NewAppender();
  ASSERT_TRUE(app->Append(L({{"__name__", "a"}, {"job", "nim"}}), 100, 1).ok());
  ASSERT_TRUE(
      app->Append(L({{"__name__", "b"}, {"job", "kong"}, {"workspace", "default"}}), 200, 1).ok());
  ASSERT_TRUE(app->Commit().ok());
  auto q = head.NewQuerier();
  using V = std::vector<std::string>;
  std::vector<Matcher> none;
  EXPECT_EQ(*q->LabelNames(none, storage::kMinTime, storage::kMaxTime),
            (V{"__name__", "job", "workspace"}));
  EXPECT_EQ(*q->LabelNames(none, 0, 150), (V{"__name__", "job"}));
  EXPECT_EQ(*q->LabelValues("job", none, storage::kMinTime, storage::kMaxTime), (V{"kong", "nim"}));
  EXPECT_EQ(*q->LabelValues("job", none, 150, 300), (V{"kong"}));
  std::vector<Matcher> ms = {M(MatchType::kEqual, "__name__", "a")};
  EXPECT_EQ(*q->LabelValues("job", ms, storage::kMinTime, storage::kMaxTime), (V{"nim"}));
  EXPECT_EQ(*q->LabelNames(ms, storage::kMinTime, storage::kMaxTime), (V{"__name__", "job"}));
  EXPECT_TRUE(q->LabelValues("missing", none, storage::kMinTime, storage::kMaxTime)->empty());
}

TEST(HeadTest, QueryLimits) {
  Head head;
  auto app = head.NewAppender();
  for (int i = 0; i < 10; ++i) {
    Labels l = L({{"__name__", "m"}, {"i", std::to_string(i)}});
    for (int t = 0; t < 10; ++t) ASSERT_TRUE(app->Append(l, t, t).ok());
  }
  ASSERT_TRUE(app->Commit().ok());
  std::vector<Matcher> none;
  auto q = head.NewQuerier({.max_series = 5});
  auto set = q->Select(none, storage::kMinTime, storage::kMaxTime);
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(set.status().message().find("max_series"), std::string::npos);

  auto q2 = head.NewQuerier({.max_samples = 55});
  auto set2 = q2->Select(none, storage::kMinTime, storage::kMaxTime);
  ASSERT_TRUE(set2.ok());
  auto all = storage::Materialize(**set2);
  ASSERT_FALSE(all.ok());
  EXPECT_EQ(all.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(all.status().message().find("max_samples"), std::string::npos);
}

TEST(HeadTest, MetadataLastCommittedWins) {
  Head head;
  auto app = head.NewAppender();
  ASSERT_TRUE(app->UpdateMetadata("time_to_first_token_seconds",
                                  {storage::MetricType::kHistogram, "seconds", "TTFT"})
                  .ok());
  ASSERT_TRUE(app->Commit().ok());
  app = head.NewAppender();
  ASSERT_TRUE(app->UpdateMetadata("time_to_first_token_seconds", {storage::MetricType::kHistogram,
                                                                  "seconds", "Time to first token"})
                  .ok());
  app->Rollback();
  auto md = head.NewQuerier()->Metadata("time_to_first_token_seconds");
  ASSERT_EQ(md.size(), 1u);
  EXPECT_EQ(md[0].metadata.help, "TTFT");
  EXPECT_EQ(md[0].metadata.type, storage::MetricType::kHistogram);
  EXPECT_TRUE(head.NewQuerier()->Metadata("other").empty());
}

TEST(HeadTest, MaxSeries) {
  HeadOptions opts;
  opts.max_series = 2;
  Head head(opts);
  auto app = head.NewAppender();
  ASSERT_TRUE(app->Append(L({{"a", "1"}}), 1, 1).ok());
  ASSERT_TRUE(app->Append(L({{"a", "2"}}), 1, 1).ok());
  auto r = app->Append(L({{"a", "3"}}), 1, 1);
  EXPECT_EQ(AppendErrorKindOf(r.status()), AppendErrorKind::kLimit) << r.status().ToString();
  EXPECT_TRUE(app->Append(L({{"a", "1"}}), 2, 1).ok());  // existing series still fine
}

TEST(HeadTest, MaxFutureRefusesSamplesAheadOfTheClock) {
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  HeadOptions opts;
  opts.max_future_ms = 600'000;
  Head head(opts);
  auto app = head.NewAppender();
  const Labels s = L({{"__name__", "m"}});
  ASSERT_TRUE(app->Append(s, now + 60'000, 1).ok());  // a minute ahead: within the limit
  auto far = app->Append(s, now + 3'600'000, 2);      // an hour ahead
  ASSERT_FALSE(far.ok());
  EXPECT_EQ(AppendErrorKindOf(far.status()), AppendErrorKind::kOutOfBounds);
  EXPECT_NE(far.status().message().find("too far in the future"), std::string::npos)
      << far.status().ToString();
  EXPECT_NE(far.status().message().find(s.ToString()), std::string::npos)
      << far.status().ToString();
  EXPECT_FALSE(app->Append(s, storage::kMaxTime, 3).ok());
  ASSERT_TRUE(app->Commit().ok());
  EXPECT_EQ(Query(head, {})[s.ToString()],
            (std::vector<std::pair<int64_t, double>>{{now + 60'000, 1}}));
  // Off (the default): any time is accepted.
  Head unlimited;
  auto app2 = unlimited.NewAppender();
  EXPECT_TRUE(app2->Append(s, now + 3'600'000, 2).ok());
}

TEST(HeadTest, MaxAgeRefusesSamplesOlderThanTheRetentionWindow) {
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  const int64_t day = 86'400'000;
  HeadOptions opts;
  opts.max_age_ms = 15 * day;
  Head head(opts);
  auto app = head.NewAppender();
  const Labels s = L({{"__name__", "m"}, {"a", "1"}});
  const Labels old = L({{"__name__", "m"}, {"a", "2"}});
  ASSERT_TRUE(app->Append(s, now - 14 * day, 1).ok());  // inside the window
  for (int64_t t : {int64_t{1000}, int64_t{-day}, now - 16 * day, storage::kMinTime + 1}) {
    auto r = app->Append(old, t, 2);
    ASSERT_FALSE(r.ok()) << t;
    EXPECT_EQ(AppendErrorKindOf(r.status()), AppendErrorKind::kOutOfBounds)
        << r.status().ToString();
    EXPECT_NE(r.status().message().find("too old for the retention window"), std::string::npos)
        << r.status().ToString();
    EXPECT_NE(r.status().message().find(old.ToString()), std::string::npos)
        << r.status().ToString();
  }
  ASSERT_TRUE(app->Commit().ok());
  EXPECT_EQ(head.stats().refused_too_old, 4u);
  EXPECT_EQ(head.stats().refused_too_far_future, 0u);
  auto got = Query(head, {});
  EXPECT_EQ(got[s.ToString()], (std::vector<std::pair<int64_t, double>>{{now - 14 * day, 1}}));
  EXPECT_TRUE(got[old.ToString()].empty());
  // WAL replay applies what was committed, whatever its age (the check is for new appends).
  Head replayed(opts);
  ASSERT_TRUE(replayed.ReplaySeries(1, old).ok());
  const SampleRecord rec{1, 1000, 3};
  EXPECT_EQ(replayed.ReplaySamples(std::span(&rec, 1)).samples, 1u);
  // Off (the default): any time is accepted.
  Head unlimited;
  auto app2 = unlimited.NewAppender();
  EXPECT_TRUE(app2->Append(old, 1000, 2).ok());
}

// Records what Commit logs; can be told to fail.
class RecordingLog final : public CommitLog {
 public:
  Status Log(const CommitBatch& batch) override {
    if (fail) return Unavailable("disk full");
    for (const SeriesRecord& s : batch.series) series.emplace_back(s.ref, *s.labels);
    for (const SampleRecord& s : batch.samples) samples.push_back(s);
    for (const MetadataRecord& m : batch.metadata)
      metadata.emplace_back(std::string(m.family), *m.metadata);
    return Status::Ok();
  }
  bool fail = false;
  std::vector<std::pair<uint64_t, Labels>> series;
  std::vector<SampleRecord> samples;
  std::vector<std::pair<std::string, storage::MetricMetadata>> metadata;
};

TEST(HeadTest, CommitLogSeesBatchBeforeVisibilityAndReplayRebuilds) {
  RecordingLog log;
  HeadOptions opts;
  opts.commit_log = &log;
  opts.out_of_order_window_ms = 60000;
  Head head(opts);
  Labels a = L({{"__name__", "a"}});
  Labels b = L({{"__name__", "b"}});
  auto app = head.NewAppender();
  ASSERT_TRUE(app->Append(a, 1000, 1).ok());
  app->Rollback();  // series a exists but was never logged
  app = head.NewAppender();
  ASSERT_TRUE(app->Append(a, 2000, 2).ok());
  ASSERT_TRUE(app->Append(b, 2000, 3).ok());
  ASSERT_TRUE(app->UpdateMetadata("a", {storage::MetricType::kGauge, "", "help a"}).ok());
  ASSERT_TRUE(app->Commit().ok());
  ASSERT_EQ(log.series.size(), 2u);
  ASSERT_EQ(log.samples.size(), 2u);
  ASSERT_EQ(log.metadata.size(), 1u);
  app = head.NewAppender();
  ASSERT_TRUE(app->Append(a, 3000, 4).ok());
  ASSERT_TRUE(app->Append(a, 1500, 5).ok());  // out of order, within the window
  ASSERT_TRUE(app->Commit().ok());
  EXPECT_EQ(log.series.size(), 2u);  // already logged: not again
  EXPECT_EQ(log.samples.size(), 4u);

  // A failing log: the commit fails and nothing becomes visible.
  log.fail = true;
  app = head.NewAppender();
  ASSERT_TRUE(app->Append(b, 9000, 9).ok());
  Status st = app->Commit();
  EXPECT_EQ(st.code(), StatusCode::kUnavailable);
  EXPECT_NE(st.message().find("disk full"), std::string::npos);
  auto before = Query(head, {});
  EXPECT_EQ(before[b.ToString()], (std::vector<std::pair<int64_t, double>>{{2000, 3}}));

  // Replaying the log into a fresh head reproduces the same data; labels travel as the
  // (name, value) pairs a WAL writes.
  Head replayed(opts);
  for (auto& [ref, labels] : log.series) {
    ASSERT_TRUE(replayed.ReplaySeries(ref, Labels::FromPairs(LabelPairs(labels))).ok());
  }
  ReplayStats rs = replayed.ReplaySamples(log.samples);
  EXPECT_EQ(rs.samples, 4u);
  EXPECT_EQ(rs.unknown_refs, 0u);
  for (auto& [f, md] : log.metadata) replayed.ReplayMetadata(f, md);
  EXPECT_EQ(Query(replayed, {}), before);
  EXPECT_EQ(replayed.NewQuerier()->Metadata("a").size(), 1u);
  // New series after replay do not reuse replayed refs.
  auto app2 = replayed.NewAppender();
  auto ref = app2->Append(L({{"__name__", "c"}}), 1, 1);
  ASSERT_TRUE(ref.ok());
  for (auto& [r, labels] : log.series) EXPECT_NE(*ref, r);
  uint64_t ref_a = log.series[0].second == a ? log.series[0].first : log.series[1].first;
  EXPECT_EQ(replayed.ReplaySeries(ref_a, b).code(), StatusCode::kDataLoss);
}

TEST(HeadTest, ConcurrentAppendersAndQueriers) {
  Head head;
  constexpr int kThreads = 4, kSeries = 200, kSamples = 50;
  std::atomic<bool> stop{false};
  std::atomic<int> query_errors{0};
  std::thread reader([&] {
    std::vector<Matcher> ms = {M(MatchType::kRegexMatch, "__name__", "m.*")};
    while (!stop.load()) {
      auto q = head.NewQuerier();
      auto set = q->Select(ms, storage::kMinTime, storage::kMaxTime);
      if (!set.ok()) {
        ++query_errors;
        continue;
      }
      auto all = storage::Materialize(**set);
      if (!all.ok()) {
        ++query_errors;
        continue;
      }
      for (auto& s : *all) {
        for (size_t i = 1; i < s.samples.size(); ++i) {
          if (s.samples[i].t <= s.samples[i - 1].t) ++query_errors;
        }
      }
    }
  });
  std::vector<std::thread> writers;
  // All writers start together, so they race (a thread started late would otherwise find
  // its every timestamp already behind the head and have them all refused).
  std::latch start(kThreads);
  for (int th = 0; th < kThreads; ++th) {
    writers.emplace_back([&, th] {
      start.arrive_and_wait();
      for (int t = 0; t < kSamples; ++t) {
        auto app = head.NewAppender();
        // Every thread writes every series (shared series, contended locks) at its own times.
        for (int s = 0; s < kSeries; ++s) {
          Labels l = L({{"__name__", "m"}, {"s", std::to_string(s)}});
          (void)app->Append(l, t * kThreads + th, 1);
        }
        EXPECT_TRUE(app->Commit().ok());
      }
    });
  }
  for (auto& w : writers) w.join();
  stop = true;
  reader.join();
  EXPECT_EQ(query_errors.load(), 0);
  EXPECT_EQ(head.stats().num_series, static_cast<size_t>(kSeries));
  auto got = Query(head, {});
  ASSERT_EQ(got.size(), static_cast<size_t>(kSeries));
  uint64_t total = 0;
  for (auto& [k, v] : got) total += v.size();
  // Racing appenders may refuse some samples as out of order; every accepted one is there.
  // How many depends on how the threads interleave (one thread running ahead gets all of its
  // samples in and the others none), but every step t of every series has one sample in:
  // a thread writes step t before step t+1, so the head's newest time cannot skip a step.
  EXPECT_EQ(total, head.stats().samples_appended);
  EXPECT_GE(total, static_cast<uint64_t>(kSeries * kSamples));
}

TEST(ChunkArena, StoresBytesAndReleasesWholeBlocksByTime) {
  ChunkArena arena;
  std::vector<uint8_t> small(100), big(ChunkArena::kBlockSize / 2);
  for (size_t i = 0; i < small.size(); ++i) small[i] = static_cast<uint8_t>(i);
  // Fill more than one block with chunks ending at 1000, then one ending at 5000.
  std::vector<const uint8_t*> old;
  for (size_t i = 0; i < ChunkArena::kBlockSize / 100 + 10; ++i) {
    old.push_back(arena.Store(1, small.data(), small.size(), 900, 1000));
  }
  const uint8_t* large = arena.Store(2, big.data(), big.size(), 900, 1000);
  const uint8_t* recent = arena.Store(3, small.data(), small.size(), 4900, 5000);
  for (const uint8_t* p : old) ASSERT_EQ(std::memcmp(p, small.data(), small.size()), 0);
  EXPECT_EQ(std::memcmp(large, big.data(), big.size()), 0);
  EXPECT_EQ(arena.bytes(), 2 * ChunkArena::kBlockSize + big.size());
  // Nothing ends before 1000.
  EXPECT_TRUE(arena.Release(1000).empty());
  // The full block and the large one go; the block holding the 5000 chunk stays.
  auto released = arena.Release(1001);
  EXPECT_EQ(released.size(), 2u);
  EXPECT_EQ(arena.bytes(), ChunkArena::kBlockSize);
  EXPECT_EQ(std::memcmp(recent, small.data(), small.size()), 0);
  EXPECT_EQ(arena.Release(5001).size(), 1u);
  EXPECT_EQ(arena.bytes(), 0u);
  // A new chunk after everything was released starts a new block.
  const uint8_t* again = arena.Store(4, small.data(), small.size(), 5900, 6000);
  EXPECT_EQ(std::memcmp(again, small.data(), small.size()), 0);
}

// A small valid chunk (count in its first two bytes) of samples at t0, t0+10, ...
std::vector<uint8_t> MakeChunk(int64_t t0, int n, double v0) {
  ChunkAppender a;
  for (int i = 0; i < n; ++i) a.Append(t0 + 10 * i, v0 + i);
  return std::vector<uint8_t>(a.data(), a.data() + a.size());
}

size_t FilesIn(const std::string& dir) {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++n;
  return n;
}

TEST(ChunkArena, FileSegmentsAreWrittenReloadedReleasedAndCutAtDamage) {
  char templ[] = "/tmp/astrolabe-arena-XXXXXX";
  const std::string dir = mkdtemp(templ);
  const auto c1 = MakeChunk(1000, 5, 1), c2 = MakeChunk(1000, 7, 2), c3 = MakeChunk(2000, 3, 3),
             c4 = MakeChunk(9000, 4, 4);
  {
    ChunkArena a(dir);
    ASSERT_TRUE(a.Load(storage::kMinTime, [](const HeadChunkEntry&) {}).ok());
    const uint8_t* p1 = a.Store(1, c1.data(), uint32_t(c1.size()), 1000, 1040);
    const uint8_t* p2 = a.Store(2, c2.data(), uint32_t(c2.size()), 1000, 1060);
    const uint8_t* p3 = a.Store(1, c3.data(), uint32_t(c3.size()), 2000, 2020, 1040);
    a.Cut();
    const uint8_t* p4 = a.Store(3, c4.data(), uint32_t(c4.size()), 9000, 9030);
    EXPECT_EQ(std::memcmp(p1, c1.data(), c1.size()), 0);
    EXPECT_EQ(std::memcmp(p2, c2.data(), c2.size()), 0);
    EXPECT_EQ(std::memcmp(p3, c3.data(), c3.size()), 0);
    EXPECT_EQ(std::memcmp(p4, c4.data(), c4.size()), 0);
    EXPECT_EQ(a.stats().files, 2u);
    EXPECT_EQ(a.stats().heap_bytes, 0u);
  }
  EXPECT_EQ(FilesIn(dir), 2u);
  {
    ChunkArena b(dir);
    std::vector<HeadChunkEntry> got;
    auto st = b.Load(storage::kMinTime, [&](const HeadChunkEntry& e) { got.push_back(e); });
    ASSERT_TRUE(st.ok()) << st.status().ToString();
    EXPECT_EQ(st->files, 2u);
    EXPECT_EQ(st->damaged, 0u);
    ASSERT_EQ(got.size(), 4u);
    EXPECT_EQ(got[0].ref, 1u);
    EXPECT_EQ(got[1].ref, 2u);
    EXPECT_EQ(got[2].ref, 1u);
    EXPECT_EQ(got[3].ref, 3u);
    EXPECT_EQ(got[1].min_t, 1000);
    EXPECT_EQ(got[1].max_t, 1060);
    EXPECT_EQ(got[1].prev_max_t, storage::kMinTime);
    EXPECT_EQ(got[2].prev_max_t, 1040);
    ASSERT_EQ(got[2].size, c3.size());
    EXPECT_EQ(std::memcmp(got[2].data, c3.data(), c3.size()), 0);
    // New chunks go to a new file; the old ones are released (and deleted) by time.
    b.Store(4, c4.data(), uint32_t(c4.size()), 9100, 9130);
    EXPECT_EQ(FilesIn(dir), 3u);
    auto released = b.Release(3000);
    EXPECT_EQ(released.size(), 1u);
    released.clear();
    EXPECT_EQ(FilesIn(dir), 2u);
  }
  {
    // Loading above the newest block's end drops what is older (here: nothing is left older).
    ChunkArena c(dir);
    size_t n = 0;
    ASSERT_TRUE(c.Load(9050, [&](const HeadChunkEntry&) { ++n; }).ok());
    EXPECT_EQ(n, 1u);  // the 9100..9130 chunk; the file holding only 9000..9030 is deleted
  }
  EXPECT_EQ(FilesIn(dir), 1u);
  // Damage: cut the remaining file inside its only entry. Load drops it and deletes the file.
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    std::filesystem::resize_file(e.path(), std::filesystem::file_size(e.path()) - 3);
  }
  {
    ChunkArena d(dir);
    size_t n = 0;
    auto st = d.Load(storage::kMinTime, [&](const HeadChunkEntry&) { ++n; });
    ASSERT_TRUE(st.ok());
    EXPECT_EQ(n, 0u);
    EXPECT_EQ(st->damaged, 1u);
  }
  EXPECT_EQ(FilesIn(dir), 0u);
  std::filesystem::remove_all(dir);
}

TEST(HeadChunkScan, StopsAtTheFirstDamagedEntryAndNamesIt) {
  const auto c = MakeChunk(0, 3, 1);
  std::string file("ALHC\x01\0\0\0", 8);
  EncodeHeadChunkEntry(7, 0, 20, storage::kMinTime, c.data(), uint32_t(c.size()), &file);
  const size_t second = file.size();
  EncodeHeadChunkEntry(8, 0, 20, -5, c.data(), uint32_t(c.size()), &file);
  const size_t total = file.size();
  auto scan = [&](const std::string& bytes, size_t* n) {
    *n = 0;
    return ScanHeadChunks(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(),
                          [&](const HeadChunkEntry&) { ++*n; });
  };
  size_t n;
  auto ok = scan(file, &n);
  EXPECT_TRUE(ok.error.empty()) << ok.error;
  EXPECT_EQ(n, 2u);
  EXPECT_EQ(ok.end, total);
  std::string zeros = file + std::string(100, '\0');  // a preallocated tail
  EXPECT_TRUE(scan(zeros, &n).error.empty());
  EXPECT_EQ(n, 2u);
  std::string flipped = file;
  flipped[second + 6] ^= 1;
  auto bad = scan(flipped, &n);
  EXPECT_EQ(n, 1u);
  EXPECT_EQ(bad.end, second);
  EXPECT_NE(bad.error.find("offset " + std::to_string(second)), std::string::npos) << bad.error;
  for (size_t cut = 0; cut < total; ++cut) {
    auto r = scan(file.substr(0, cut), &n);
    if (cut == 8 || cut == second) {
      EXPECT_TRUE(r.error.empty()) << cut;  // ends exactly between entries
    } else {
      EXPECT_FALSE(r.error.empty()) << cut;
    }
  }
}

// Writes the seed corpus of fuzz/head_chunks_fuzz.cc (real chunks_head files) when
// ASTROLABE_HEAD_CHUNKS_SEEDS names a directory; otherwise there is nothing to do.
TEST(HeadChunksFuzzSeeds, WritesSeedsWhenAsked) {
  const char* out = std::getenv("ASTROLABE_HEAD_CHUNKS_SEEDS");
  if (out == nullptr) GTEST_SKIP() << "set ASTROLABE_HEAD_CHUNKS_SEEDS=<dir> to write the seeds";
  auto write = [&](const std::string& name, int series, int samples, int64_t truncate_at) {
    char templ[] = "/tmp/astrolabe-seeds-XXXXXX";
    const std::string dir = mkdtemp(templ);
    HeadOptions opts;
    opts.chunk_dir = dir;
    opts.samples_per_chunk = 5;
    opts.chunk_range_ms = 200;
    {
      Head head(opts);
      ASSERT_TRUE(head.LoadChunks().ok());
      head.FinishReplay();
      for (int k = 0; k < samples; ++k) {
        auto app = head.NewAppender();
        for (int i = 0; i < series; ++i) {
          const double v = i == 0   ? k
                           : i == 1 ? k * 0.1
                           : i == 2 ? (k % 7 ? 1.5 : std::nan(""))
                                    : -k;
          ASSERT_TRUE(app->Append(L({{"__name__", "m"}, {"ref", std::to_string(i + 1)}}),
                                  k * 10 + (i == 3 ? k % 3 : 0), v)
                          .ok());
        }
        ASSERT_TRUE(app->Commit().ok());
        if (truncate_at > 0 && k * 10 == truncate_at) head.Truncate(truncate_at);
      }
    }
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(dir)) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    ASSERT_FALSE(files.empty());
    std::filesystem::copy_file(files.back(), std::string(out) + "/" + name,
                               std::filesystem::copy_options::overwrite_existing);
    std::filesystem::remove_all(dir);
  };
  write("four_series", 4, 30, 0);
  write("one_chunk", 1, 6, 0);
  write("after_truncation", 4, 60, 200);
}

}  // namespace
}  // namespace astrolabe::tsdb
