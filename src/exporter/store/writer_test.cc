// The Writer against a real tsdb::Db in a temp directory: cumulative data as is, deltas
// accumulated, running totals recovered after a restart, partial rejections with counts,
// a failed Commit changing nothing.
#include "common/testing/temp_dir.h"
#include "exporter/store/writer.h"

#include <cmath>
#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "component/partial.h"
#include "tsdb/db.h"

namespace astrolabe::exporter::store {
namespace {

using pdata::AggregationTemporality;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr uint64_t kMs = 1000000ull;

using astrolabe::test::TempDir;

pdata::Metrics SumBatch(AggregationTemporality temporality,
                        std::vector<std::pair<uint64_t, double>> points,
                        std::string name = "tokens", bool monotonic = true) {
  pdata::Sum sum;
  sum.aggregation_temporality = temporality;
  sum.is_monotonic = monotonic;
  for (auto [t_ms, v] : points) {
    pdata::NumberDataPoint p;
    p.time_unix_nano = t_ms * kMs;
    p.value = v;
    p.attributes = {{"model", "llama"}};
    sum.data_points.push_back(p);
  }
  pdata::Metric m;
  m.name = std::move(name);
  m.data = std::move(sum);
  pdata::ScopeMetrics sm;
  sm.metrics.push_back(std::move(m));
  pdata::ResourceMetrics rm;
  rm.resource.attributes = {{"service.name", "app"}};
  rm.scope_metrics.push_back(std::move(sm));
  pdata::Metrics out;
  out.resource_metrics.push_back(std::move(rm));
  return out;
}

std::vector<storage::Sample> Read(storage::Storage& s, const std::string& series_name) {
  auto q = s.NewQuerier();
  std::vector<storage::Matcher> m = {
      storage::Matcher::MustMake(storage::MatchType::kEqual, "__name__", series_name)};
  auto set = q->Select(m, storage::kMinTime, storage::kMaxTime);
  EXPECT_TRUE(set.ok());
  auto all = storage::Materialize(**set);
  EXPECT_TRUE(all.ok());
  if (!all.ok() || all->size() != 1) {
    ADD_FAILURE() << series_name << ": " << (all.ok() ? all->size() : 0) << " series";
    return {};
  }
  return (*all)[0].samples;
}

std::vector<double> Values(const std::vector<storage::Sample>& samples) {
  std::vector<double> out;
  for (const auto& s : samples) out.push_back(s.v);
  return out;
}

class WriterTest : public ::testing::Test {
 protected:
  void Open() {
    auto db = tsdb::Db::Open(dir_.path() + "/tsdb");
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
  }
  void Reopen() {
    ASSERT_TRUE(db_->Close().ok());
    db_.reset();
    Open();
  }
  void SetUp() override { Open(); }

  TempDir dir_;
  std::unique_ptr<tsdb::Db> db_;
};

TEST_F(WriterTest, CumulativeIsWrittenAsIs) {
  Writer w({});
  ASSERT_TRUE(
      w.Write(*db_, SumBatch(AggregationTemporality::kCumulative, {{1000, 5}, {2000, 9}})).ok());
  EXPECT_THAT(Values(Read(*db_, "tokens_total")), ElementsAre(5, 9));
  EXPECT_EQ(w.delta_series(), 0u);
}

TEST_F(WriterTest, DeltasAccumulateAndSurviveARestart) {
  {
    Writer w({});
    ASSERT_TRUE(
        w.Write(*db_, SumBatch(AggregationTemporality::kDelta, {{1000, 1}, {2000, 2}})).ok());
    ASSERT_TRUE(w.Write(*db_, SumBatch(AggregationTemporality::kDelta, {{3000, 3}})).ok());
    EXPECT_THAT(Values(Read(*db_, "tokens_total")), ElementsAre(1, 3, 6));
  }
  Reopen();
  Writer fresh({});  // no state in memory: the running total comes back from the store
  ASSERT_TRUE(fresh.Write(*db_, SumBatch(AggregationTemporality::kDelta, {{4000, 4}})).ok());
  auto samples = Read(*db_, "tokens_total");
  EXPECT_THAT(Values(samples), ElementsAre(1, 3, 6, 10));
  EXPECT_EQ(samples.back().t, 4000);
}

TEST_F(WriterTest, IdleDeltaSeriesAreForgottenAndRecoveredFromTheStore) {
  Writer w({});
  ASSERT_TRUE(w.Write(*db_, SumBatch(AggregationTemporality::kDelta, {{1000, 5}})).ok());
  EXPECT_EQ(w.delta_series(), 1u);
  // Another series two hours later: the first one, idle for longer than an hour, is dropped.
  ASSERT_TRUE(
      w.Write(*db_, SumBatch(AggregationTemporality::kDelta, {{7201000, 1}}, "other")).ok());
  EXPECT_EQ(w.delta_series(), 1u);
  // When it comes back its total is read from the store.
  ASSERT_TRUE(w.Write(*db_, SumBatch(AggregationTemporality::kDelta, {{7202000, 2}})).ok());
  EXPECT_THAT(Values(Read(*db_, "tokens_total")), ElementsAre(5, 7));
  EXPECT_EQ(w.delta_series(), 2u);
}

TEST_F(WriterTest, StaleDeltaMarksTheSeriesAndKeepsTheTotal) {
  Writer w({});
  ASSERT_TRUE(w.Write(*db_, SumBatch(AggregationTemporality::kDelta, {{1000, 5}})).ok());
  pdata::Metrics stale = SumBatch(AggregationTemporality::kDelta, {{2000, 0}});
  std::get<pdata::Sum>(stale.resource_metrics[0].scope_metrics[0].metrics[0].data)
      .data_points[0]
      .flags = pdata::kDataPointFlagNoRecordedValue;
  ASSERT_TRUE(w.Write(*db_, stale).ok());
  Reopen();
  Writer fresh({});  // recovery skips the stale marker to the last real value
  ASSERT_TRUE(fresh.Write(*db_, SumBatch(AggregationTemporality::kDelta, {{3000, 1}})).ok());
  auto samples = Read(*db_, "tokens_total");
  ASSERT_EQ(samples.size(), 3u);
  EXPECT_EQ(samples[0].v, 5);
  EXPECT_TRUE(IsStaleNaN(samples[1].v));
  EXPECT_EQ(samples[2].v, 6);
}

TEST_F(WriterTest, RetriedDeltaIsRejectedNotCountedTwice) {
  Writer w({});
  pdata::Metrics batch = SumBatch(AggregationTemporality::kDelta, {{1000, 5}});
  ASSERT_TRUE(w.Write(*db_, batch).ok());
  WriteStats stats;
  Status s = w.Write(*db_, batch, &stats);
  auto counts = component::RejectedPoints(s);
  ASSERT_TRUE(counts.has_value()) << s.ToString();
  EXPECT_EQ(counts->rejected, 1u);
  EXPECT_EQ(counts->total, 1u);
  EXPECT_THAT(counts->reason, HasSubstr("not after the series' last point"));
  EXPECT_EQ(stats.rejected, 1u);
  EXPECT_THAT(Values(Read(*db_, "tokens_total")), ElementsAre(5));
}

TEST_F(WriterTest, NonFiniteDeltaIsRefusedAndTheTotalKept) {
  Writer w({});
  ASSERT_TRUE(w.Write(*db_, SumBatch(AggregationTemporality::kDelta, {{1000, 5}})).ok());
  Status s = w.Write(*db_, SumBatch(AggregationTemporality::kDelta, {{2000, std::nan("")}}));
  auto counts = component::RejectedPoints(s);
  ASSERT_TRUE(counts.has_value()) << s.ToString();
  EXPECT_THAT(counts->reason, HasSubstr("is not a finite number"));
  ASSERT_TRUE(w.Write(*db_, SumBatch(AggregationTemporality::kDelta, {{3000, 1}})).ok());
  EXPECT_THAT(Values(Read(*db_, "tokens_total")), ElementsAre(5, 6));
}

TEST_F(WriterTest, DeltaHistogramsAccumulatePerBucket) {
  auto batch = [](uint64_t t_ms, std::vector<uint64_t> counts, double sum) {
    pdata::HistogramDataPoint p;
    p.time_unix_nano = t_ms * kMs;
    p.explicit_bounds = {0.1, 1};
    p.bucket_counts = counts;
    p.count = counts[0] + counts[1] + counts[2];
    p.sum = sum;
    pdata::Metric m;
    m.name = "latency";
    m.unit = "s";
    m.data = pdata::Histogram{{p}, AggregationTemporality::kDelta};
    pdata::ScopeMetrics sm;
    sm.metrics.push_back(std::move(m));
    pdata::ResourceMetrics rm;
    rm.scope_metrics.push_back(std::move(sm));
    pdata::Metrics out;
    out.resource_metrics.push_back(std::move(rm));
    return out;
  };
  Writer w({});
  ASSERT_TRUE(w.Write(*db_, batch(1000, {1, 0, 0}, 0.05)).ok());
  ASSERT_TRUE(w.Write(*db_, batch(2000, {0, 2, 1}, 3.5)).ok());
  auto q = db_->NewQuerier();
  auto set = q->Select({}, storage::kMinTime, storage::kMaxTime);
  ASSERT_TRUE(set.ok());
  auto all = storage::Materialize(**set);
  ASSERT_TRUE(all.ok());
  std::map<std::string, std::vector<double>> got;
  for (auto& s : *all) got[s.labels.ToString()] = Values(s.samples);
  EXPECT_EQ(got["latency_seconds_bucket{le=\"0.1\"}"], (std::vector<double>{1, 1}));
  EXPECT_EQ(got["latency_seconds_bucket{le=\"1\"}"], (std::vector<double>{1, 3}));
  EXPECT_EQ(got["latency_seconds_bucket{le=\"+Inf\"}"], (std::vector<double>{1, 4}));
  EXPECT_EQ(got["latency_seconds_count{}"], (std::vector<double>{1, 4}));
  EXPECT_EQ(got["latency_seconds_sum{}"], (std::vector<double>{0.05, 3.55}));
}

TEST_F(WriterTest, PartialRejectionKeepsTheRestAndCounts) {
  pdata::Metrics batch = SumBatch(AggregationTemporality::kCumulative, {{1000, 1}});
  pdata::Metric bad;
  bad.name = "bad";
  pdata::NumberDataPoint p;
  p.time_unix_nano = 1000 * kMs;
  bad.data = pdata::Sum{{p, p}, AggregationTemporality::kUnspecified, true};
  batch.resource_metrics[0].scope_metrics[0].metrics.push_back(std::move(bad));
  Writer w({});
  Status s = w.Write(*db_, batch);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "partially rejected: 2 of 3 data points: invalid temporality and type combination "
            "for metric \"bad\"");
  EXPECT_THAT(Values(Read(*db_, "tokens_total")), ElementsAre(1));
}

TEST_F(WriterTest, OutOfOrderCumulativeSampleIsRejected) {
  Writer w({});
  ASSERT_TRUE(w.Write(*db_, SumBatch(AggregationTemporality::kCumulative, {{2000, 2}})).ok());
  Status s = w.Write(*db_, SumBatch(AggregationTemporality::kCumulative, {{1000, 1}}));
  auto counts = component::RejectedPoints(s);
  ASSERT_TRUE(counts.has_value()) << s.ToString();
  EXPECT_EQ(counts->rejected, 1u);
  EXPECT_THAT(counts->reason, HasSubstr("out of order sample"));
}

TEST_F(WriterTest, FailedCommitIsRetryableAndLeavesTotalsAlone) {
  Writer w({});
  ASSERT_TRUE(w.Write(*db_, SumBatch(AggregationTemporality::kDelta, {{1000, 5}})).ok());
  ASSERT_TRUE(db_->Close().ok());  // commits fail from now on
  Status s = w.Write(*db_, SumBatch(AggregationTemporality::kDelta, {{2000, 100}}));
  EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
  EXPECT_THAT(s.message(), HasSubstr("committing to the metrics store"));
  db_.reset();
  Open();
  // The failed batch left nothing: the same writer (its total rolled back) continues at 5.
  ASSERT_TRUE(w.Write(*db_, SumBatch(AggregationTemporality::kDelta, {{2000, 1}})).ok());
  EXPECT_THAT(Values(Read(*db_, "tokens_total")), ElementsAre(5, 6));
}

TEST_F(WriterTest, MetadataIsStoredPerFamily) {
  Writer w({});
  pdata::Metrics batch = SumBatch(AggregationTemporality::kCumulative, {{1000, 1}});
  batch.resource_metrics[0].scope_metrics[0].metrics[0].description = "Tokens processed.";
  ASSERT_TRUE(w.Write(*db_, batch).ok());
  auto q = db_->NewQuerier();
  auto md = q->Metadata("tokens_total");
  ASSERT_EQ(md.size(), 1u);
  EXPECT_EQ(md[0].metadata.type, storage::MetricType::kCounter);
  EXPECT_EQ(md[0].metadata.help, "Tokens processed.");
}

}  // namespace
}  // namespace astrolabe::exporter::store
