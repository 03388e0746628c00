#include "processor/cumulativetodelta/cumulativetodelta.h"

#include <gtest/gtest.h>

#include <climits>
#include <cmath>
#include <mutex>
#include <optional>
#include <thread>

#include "component/testing/lifecycle.h"
#include "component/testing/test_components.h"
#include "processor/cumulativetodelta/factory.h"

namespace astrolabe::processor::cumulativetodelta {
namespace {

using pdata::AggregationTemporality;
using pdata::kDataPointFlagNoRecordedValue;

constexpr uint64_t kSecond = 1'000'000'000;
// The fake clock's time when processors are created; points come later.
constexpr int64_t kCreated = 1'700'000'000'000'000'000;
constexpr uint64_t kBase = static_cast<uint64_t>(kCreated) + 10 * kSecond;

uint64_t At(int i) { return kBase + static_cast<uint64_t>(i) * 10 * kSecond; }

// A consumer that keeps every batch it is given.
class RecordingConsumer : public component::Consumer {
 public:
  Status ConsumeMetrics(pdata::MetricsBatch batch) override {
    std::lock_guard<std::mutex> lock(mu_);
    batches_.push_back(std::move(batch));
    return Status::Ok();
  }
  std::vector<pdata::MetricsBatch> Batches() const {
    std::lock_guard<std::mutex> lock(mu_);
    return batches_;
  }
  const pdata::Metrics& Last() const {
    std::lock_guard<std::mutex> lock(mu_);
    return batches_.back().get();
  }

 private:
  mutable std::mutex mu_;
  std::vector<pdata::MetricsBatch> batches_;
};

// A value that may be "no recorded value".
struct V {
  double value;
  bool stale = false;
};
constexpr V kNoValue{0, true};

pdata::NumberDataPoint Num(uint64_t time, V v, uint64_t start = 0) {
  pdata::NumberDataPoint dp;
  dp.start_time_unix_nano = start;
  dp.time_unix_nano = time;
  dp.value = v.value;
  if (v.stale) dp.flags = kDataPointFlagNoRecordedValue;
  return dp;
}

pdata::Metric SumMetric(std::string name, std::vector<pdata::NumberDataPoint> points,
                        bool monotonic = true,
                        AggregationTemporality t = AggregationTemporality::kCumulative) {
  pdata::Metric m;
  m.name = std::move(name);
  pdata::Sum sum;
  sum.data_points = std::move(points);
  sum.is_monotonic = monotonic;
  sum.aggregation_temporality = t;
  m.data = std::move(sum);
  return m;
}

// A cumulative sum whose i-th point is at At(i), start unset, as upstream's tests build.
pdata::Metric SumSeries(std::string name, std::vector<V> values) {
  std::vector<pdata::NumberDataPoint> points;
  for (size_t i = 0; i < values.size(); ++i) points.push_back(Num(At(int(i)), values[i]));
  return SumMetric(std::move(name), std::move(points));
}

pdata::Metric GaugeMetric(std::string name, std::vector<pdata::NumberDataPoint> points) {
  pdata::Metric m;
  m.name = std::move(name);
  m.data = pdata::Gauge{std::move(points)};
  return m;
}

struct HistogramIn {
  uint64_t count;
  double sum;
  std::vector<uint64_t> buckets;
  bool stale = false;
};

pdata::Metric HistogramSeries(std::string name, std::vector<HistogramIn> values,
                              bool with_min_max = false) {
  pdata::Histogram h;
  h.aggregation_temporality = AggregationTemporality::kCumulative;
  for (size_t i = 0; i < values.size(); ++i) {
    pdata::HistogramDataPoint dp;
    dp.time_unix_nano = At(int(i));
    dp.count = values[i].count;
    dp.sum = values[i].sum;
    dp.bucket_counts = values[i].buckets;
    dp.explicit_bounds.assign(values[i].buckets.empty() ? 0 : values[i].buckets.size() - 1, 0);
    for (size_t b = 0; b < dp.explicit_bounds.size(); ++b) dp.explicit_bounds[b] = double(b + 1);
    if (values[i].stale) {
      dp.flags = kDataPointFlagNoRecordedValue;
      dp.sum.reset();
    }
    if (with_min_max) {
      dp.min = 0.5;
      dp.max = 9.5;
    }
    h.data_points.push_back(std::move(dp));
  }
  pdata::Metric m;
  m.name = std::move(name);
  m.data = std::move(h);
  return m;
}

pdata::Metrics Wrap(std::vector<pdata::Metric> metrics) {
  pdata::ScopeMetrics sm;
  sm.scope.name = "astrolabe/prometheus";
  sm.metrics = std::move(metrics);
  pdata::ResourceMetrics rm;
  rm.resource.attributes.push_back({"service.name", pdata::AnyValue("nim")});
  rm.scope_metrics.push_back(std::move(sm));
  pdata::Metrics md;
  md.resource_metrics.push_back(std::move(rm));
  return md;
}

const pdata::Metric* Find(const pdata::Metrics& md, std::string_view name) {
  for (const auto& rm : md.resource_metrics) {
    for (const auto& sm : rm.scope_metrics) {
      for (const auto& m : sm.metrics) {
        if (m.name == name) return &m;
      }
    }
  }
  return nullptr;
}

std::vector<double> SumValues(const pdata::Metric& m) {
  std::vector<double> out;
  for (const auto& dp : std::get<pdata::Sum>(m.data).data_points) out.push_back(dp.AsDouble());
  return out;
}

// Element-wise equality where NaN equals NaN.
void ExpectValues(const std::vector<double>& got, const std::vector<double>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(want[i])) {
      EXPECT_TRUE(std::isnan(got[i])) << "at " << i << ": " << got[i];
    } else {
      EXPECT_EQ(got[i], want[i]) << "at " << i;
    }
  }
}

class CumulativeToDeltaTest : public ::testing::Test {
 protected:
  CumulativeToDeltaProcessor& Make(const Config& config = Config()) {
    EXPECT_TRUE(config.Validate().ok()) << config.Validate().message();
    processor_ = std::make_unique<CumulativeToDeltaProcessor>(config, clock_, sink_);
    return *processor_;
  }
  // Runs one batch through the processor and returns what came out.
  const pdata::Metrics& Run(pdata::Metrics md) {
    EXPECT_TRUE(processor_->ConsumeMetrics(pdata::MetricsBatch(std::move(md))).ok());
    return sink_.Last();
  }

  FakeClock clock_{kCreated};
  RecordingConsumer sink_;
  std::unique_ptr<CumulativeToDeltaProcessor> processor_;
};

// --- The processor examples of the reference note (§3.5), one test each. ---

TEST_F(CumulativeToDeltaTest, OnePositive) {
  Make();
  const auto& out = Run(Wrap({SumSeries("metric_1", {{0}, {100}, {200}, {500}})}));
  const pdata::Metric* m = Find(out, "metric_1");
  ASSERT_NE(m, nullptr);
  const auto& sum = std::get<pdata::Sum>(m->data);
  EXPECT_EQ(sum.aggregation_temporality, AggregationTemporality::kDelta);
  EXPECT_TRUE(sum.is_monotonic);
  ExpectValues(SumValues(*m), {100, 100, 300});
  // Each delta starts at the previous point's time.
  EXPECT_EQ(sum.data_points[0].start_time_unix_nano, At(0));
  EXPECT_EQ(sum.data_points[0].time_unix_nano, At(1));
  EXPECT_EQ(sum.data_points[2].start_time_unix_nano, At(2));
}

TEST_F(CumulativeToDeltaTest, All) {
  Make();
  const auto& out = Run(Wrap(
      {SumSeries("metric_1", {{0}, {100}, {200}, {500}}), SumSeries("metric_2", {{0}, {4}, {5}})}));
  ExpectValues(SumValues(*Find(out, "metric_1")), {100, 100, 300});
  ExpectValues(SumValues(*Find(out, "metric_2")), {4, 1});
}

TEST_F(CumulativeToDeltaTest, NanValue) {
  Make();
  const auto& out = Run(Wrap({SumSeries("metric_1", {{0}, {100}, {200}, {NAN}})}));
  ExpectValues(SumValues(*Find(out, "metric_1")), {100, 100, NAN});
  // The NaN point left the state alone: the next delta counts from 200.
  const auto& next = Run(Wrap({SumMetric("metric_1", {Num(At(5), {260})})}));
  ExpectValues(SumValues(*Find(next, "metric_1")), {60});
}

TEST_F(CumulativeToDeltaTest, NoData) {
  Make();
  const auto& out = Run(Wrap({SumSeries("metric_1", {{0}, {100}, kNoValue, {200}, {400}}),
                              SumSeries("metric_2", {{0}, {100}, kNoValue, kNoValue, {400}})}));
  ExpectValues(SumValues(*Find(out, "metric_1")), {100, 100, 200});
  ExpectValues(SumValues(*Find(out, "metric_2")), {100, 300});
}

TEST_F(CumulativeToDeltaTest, RestartDetected) {
  Make();
  const auto& out = Run(Wrap({SumSeries("metric_1", {{100}, {105}, {120}, {100}, {110}})}));
  ExpectValues(SumValues(*Find(out, "metric_1")), {5, 15, 10});
}

TEST_F(CumulativeToDeltaTest, RemoveNonMonotonic) {
  Make();
  const auto& out = Run(Wrap({SumMetric("metric_1", {Num(At(0), {4}), Num(At(1), {5})},
                                        /*monotonic=*/false)}));
  const pdata::Metric* m = Find(out, "metric_1");
  ExpectValues(SumValues(*m), {4, 5});
  EXPECT_EQ(std::get<pdata::Sum>(m->data).aggregation_temporality,
            AggregationTemporality::kCumulative);
}

TEST_F(CumulativeToDeltaTest, ExcludePrecedence) {
  Config config;
  config.include.match_type = "regexp";
  config.include.metrics = {".*"};
  config.exclude.match_type = "regexp";
  config.exclude.metrics = {".*"};
  Make(config);
  const auto& out = Run(Wrap({SumSeries("metric_1", {{100}})}));
  const pdata::Metric* m = Find(out, "metric_1");
  ExpectValues(SumValues(*m), {100});
  EXPECT_EQ(std::get<pdata::Sum>(m->data).aggregation_temporality,
            AggregationTemporality::kCumulative);
}

const pdata::Histogram& HistogramOf(const pdata::Metrics& md, std::string_view name) {
  return std::get<pdata::Histogram>(Find(md, name)->data);
}

TEST_F(CumulativeToDeltaTest, HistogramOnePositive) {
  Make();
  const auto& out = Run(Wrap({HistogramSeries("h", {{0, 0, {0, 0, 0}},
                                                    {100, 100, {50, 25, 25}},
                                                    {200, 200, {100, 50, 50}},
                                                    {500, 500, {250, 125, 125}}})}));
  const auto& h = HistogramOf(out, "h");
  EXPECT_EQ(h.aggregation_temporality, AggregationTemporality::kDelta);
  ASSERT_EQ(h.data_points.size(), 3u);
  EXPECT_EQ(h.data_points[0].count, 100u);
  EXPECT_EQ(h.data_points[1].count, 100u);
  EXPECT_EQ(h.data_points[2].count, 300u);
  EXPECT_EQ(h.data_points[0].bucket_counts, (std::vector<uint64_t>{50, 25, 25}));
  EXPECT_EQ(h.data_points[1].bucket_counts, (std::vector<uint64_t>{50, 25, 25}));
  EXPECT_EQ(h.data_points[2].bucket_counts, (std::vector<uint64_t>{150, 75, 75}));
  EXPECT_EQ(h.data_points[2].sum, 300);
  EXPECT_EQ(h.data_points[2].start_time_unix_nano, At(2));
}

TEST_F(CumulativeToDeltaTest, HistogramNanSum) {
  Make();
  const auto& out = Run(Wrap({HistogramSeries("h", {{0, 0, {0, 0, 0}},
                                                    {100, 100, {50, 25, 25}},
                                                    {200, NAN, {100, 50, 50}},
                                                    {500, 500, {250, 125, 125}}})}));
  const auto& h = HistogramOf(out, "h");
  ASSERT_EQ(h.data_points.size(), 3u);
  EXPECT_EQ(h.data_points[0].sum, 100);
  ASSERT_TRUE(h.data_points[1].sum.has_value());
  EXPECT_TRUE(std::isnan(*h.data_points[1].sum));
  EXPECT_EQ(h.data_points[1].count, 100u);
  EXPECT_EQ(h.data_points[2].sum, 400);
}

TEST_F(CumulativeToDeltaTest, HistogramNoValue) {
  Make();
  const auto& out = Run(Wrap({HistogramSeries("h", {{0, 0, {0, 0, 0}},
                                                    {2, 3, {1, 1, 1}},
                                                    {0, 0, {0, 0, 0}, true},
                                                    {0, 0, {0, 0, 0}, true},
                                                    {16, 81, {21, 40, 20}}})}));
  const auto& h = HistogramOf(out, "h");
  ASSERT_EQ(h.data_points.size(), 2u);
  EXPECT_EQ(h.data_points[0].count, 2u);
  EXPECT_EQ(h.data_points[0].sum, 3);
  EXPECT_EQ(h.data_points[0].bucket_counts, (std::vector<uint64_t>{1, 1, 1}));
  EXPECT_EQ(h.data_points[1].count, 14u);
  EXPECT_EQ(h.data_points[1].sum, 78);
  EXPECT_EQ(h.data_points[1].bucket_counts, (std::vector<uint64_t>{20, 39, 19}));
}

TEST_F(CumulativeToDeltaTest, HistogramMinAndMax) {
  Make();
  const auto& out = Run(Wrap({HistogramSeries(
      "h", {{0, 0, {0, 0, 0}}, {100, 100, {50, 25, 25}}, {200, 200, {100, 50, 50}}},
      /*with_min_max=*/true)}));
  const auto& h = HistogramOf(out, "h");
  ASSERT_EQ(h.data_points.size(), 2u);
  for (const auto& dp : h.data_points) {
    EXPECT_FALSE(dp.min.has_value());
    EXPECT_FALSE(dp.max.has_value());
  }
}

// --- Further behaviour. ---

TEST_F(CumulativeToDeltaTest, GaugesSummariesAndDeltaSumsPassUntouched) {
  Make();
  pdata::Metric summary;
  summary.name = "s";
  pdata::SummaryDataPoint sdp;
  sdp.time_unix_nano = At(0);
  sdp.count = 3;
  sdp.sum = 1.5;
  summary.data = pdata::Summary{{sdp}};
  pdata::Metric stale_gauge = GaugeMetric("g", {Num(At(0), {3}), Num(At(1), kNoValue)});
  pdata::Metric delta = SumMetric("d", {Num(At(0), {7})}, true, AggregationTemporality::kDelta);
  pdata::Metrics in = Wrap({summary, stale_gauge, delta});
  pdata::Metrics expected = in.Clone();
  EXPECT_EQ(Run(std::move(in)), expected);
}

TEST_F(CumulativeToDeltaTest, MetricsScopesAndResourcesLeftEmptyAreRemoved) {
  Make();
  pdata::Metrics md = Wrap({SumSeries("first_only", {{5}}), GaugeMetric("g", {Num(At(0), {1})})});
  // A second resource holding only a first sum point: it disappears entirely.
  pdata::Metrics other = Wrap({SumSeries("x", {{1}})});
  other.resource_metrics[0].resource.attributes[0].value = pdata::AnyValue("kong");
  md.resource_metrics.push_back(std::move(other.resource_metrics[0]));
  // An empty scope is removed too, as upstream removes every empty scope.
  md.resource_metrics[0].scope_metrics.push_back(pdata::ScopeMetrics{});
  const auto& out = Run(std::move(md));
  ASSERT_EQ(out.resource_metrics.size(), 1u);
  ASSERT_EQ(out.resource_metrics[0].scope_metrics.size(), 1u);
  ASSERT_EQ(out.resource_metrics[0].scope_metrics[0].metrics.size(), 1u);
  EXPECT_EQ(out.resource_metrics[0].scope_metrics[0].metrics[0].name, "g");
}

TEST_F(CumulativeToDeltaTest, AnEmptyBatchIsStillPassedOn) {
  Make();
  const auto& out = Run(Wrap({SumSeries("m", {{5}})}));
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(sink_.Batches().size(), 1u);
}

TEST_F(CumulativeToDeltaTest, IntSumsStayInts) {
  Make();
  pdata::NumberDataPoint a = Num(At(0), {0});
  a.value = int64_t{10};
  pdata::NumberDataPoint b = Num(At(1), {0});
  b.value = int64_t{25};
  const auto& out = Run(Wrap({SumMetric("m", {a, b})}));
  const auto& points = std::get<pdata::Sum>(Find(out, "m")->data).data_points;
  ASSERT_EQ(points.size(), 1u);
  ASSERT_TRUE(points[0].is_int());
  EXPECT_EQ(std::get<int64_t>(points[0].value), 15);
}

TEST_F(CumulativeToDeltaTest, StreamsAreSeparatedByAttributesResourceAndStart) {
  Make();
  pdata::NumberDataPoint a0 = Num(At(0), {10});
  a0.attributes.push_back({"model", pdata::AnyValue("a")});
  pdata::NumberDataPoint b0 = Num(At(0), {1000});
  b0.attributes.push_back({"model", pdata::AnyValue("b")});
  Run(Wrap({SumMetric("m", {a0, b0})}));
  pdata::NumberDataPoint a1 = a0, b1 = b0;
  a1.time_unix_nano = b1.time_unix_nano = At(1);
  a1.value = 15.0;
  b1.value = 1010.0;
  const auto& out = Run(Wrap({SumMetric("m", {a1, b1})}));
  ExpectValues(SumValues(*Find(out, "m")), {5, 10});
}

TEST_F(CumulativeToDeltaTest, AutoEmitsFirstPointWhoseStartIsAfterCreation) {
  Make();
  // An OpenMetrics _created after the collector started: the whole value is new.
  const uint64_t created = static_cast<uint64_t>(kCreated) + kSecond;
  const auto& out = Run(Wrap({SumMetric("m", {Num(At(0), {42}, created)})}));
  const auto& dp = std::get<pdata::Sum>(Find(out, "m")->data).data_points.at(0);
  EXPECT_EQ(dp.AsDouble(), 42);
  EXPECT_EQ(dp.start_time_unix_nano, created);
}

TEST_F(CumulativeToDeltaTest, KeepEmitsFirstPointWithStartUnset) {
  Config config;
  config.initial_value = InitialValue::kKeep;
  Make(config);
  const auto& out = Run(Wrap({SumMetric("m", {Num(At(0), {42}, At(0) - kSecond)})}));
  const auto& dp = std::get<pdata::Sum>(Find(out, "m")->data).data_points.at(0);
  EXPECT_EQ(dp.AsDouble(), 42);
  EXPECT_EQ(dp.start_time_unix_nano, 0u);
}

TEST_F(CumulativeToDeltaTest, ExponentialHistogramIsConvertedAndMinMaxStripped) {
  Make();
  auto point = [](uint64_t time, uint64_t count, std::vector<uint64_t> buckets) {
    pdata::ExponentialHistogramDataPoint dp;
    dp.time_unix_nano = time;
    dp.count = count;
    dp.sum = double(count);
    dp.scale = 1;
    dp.positive.offset = 0;
    dp.positive.bucket_counts = std::move(buckets);
    dp.min = 0.1;
    dp.max = 3;
    return dp;
  };
  pdata::Metric m;
  m.name = "e";
  pdata::ExponentialHistogram e;
  e.aggregation_temporality = AggregationTemporality::kCumulative;
  e.data_points = {point(At(0), 3, {1, 2}), point(At(1), 7, {3, 4})};
  m.data = std::move(e);
  const auto& out = Run(Wrap({m}));
  const auto& h = std::get<pdata::ExponentialHistogram>(Find(out, "e")->data);
  EXPECT_EQ(h.aggregation_temporality, AggregationTemporality::kDelta);
  ASSERT_EQ(h.data_points.size(), 1u);
  EXPECT_EQ(h.data_points[0].count, 4u);
  EXPECT_EQ(h.data_points[0].sum, 4);
  EXPECT_EQ(h.data_points[0].positive.bucket_counts, (std::vector<uint64_t>{2, 2}));
  EXPECT_EQ(h.data_points[0].start_time_unix_nano, At(0));
  EXPECT_FALSE(h.data_points[0].min.has_value());
  EXPECT_FALSE(h.data_points[0].max.has_value());
}

TEST_F(CumulativeToDeltaTest, ASharedBatchIsClonedNotWrittenThrough) {
  Make();
  pdata::MetricsBatch batch(Wrap({SumSeries("m", {{1}, {3}})}));
  // A second owner of the same data, on purpose.
  // NOLINTNEXTLINE(performance-unnecessary-copy-initialization)
  const pdata::MetricsBatch keep = batch;
  ASSERT_TRUE(processor_->ConsumeMetrics(batch).ok());
  ExpectValues(SumValues(*Find(keep.get(), "m")), {1, 3});
  ExpectValues(SumValues(*Find(sink_.Last(), "m")), {2});
}

// --- include / exclude ---

std::vector<std::string> ConvertedNames(const pdata::Metrics& md) {
  std::vector<std::string> out;
  for (const auto& rm : md.resource_metrics) {
    for (const auto& sm : rm.scope_metrics) {
      for (const auto& m : sm.metrics) {
        if (const auto* s = std::get_if<pdata::Sum>(&m.data)) {
          if (s->aggregation_temporality == AggregationTemporality::kDelta) out.push_back(m.name);
        }
        if (const auto* h = std::get_if<pdata::Histogram>(&m.data)) {
          if (h->aggregation_temporality == AggregationTemporality::kDelta) out.push_back(m.name);
        }
      }
    }
  }
  return out;
}

// Two points per metric so converted ones keep a point and stay visible.
pdata::Metrics FilterInput() {
  return Wrap({SumSeries("metric_1", {{1}, {2}}), SumSeries("metric_2", {{1}, {2}}),
               SumSeries("other_total", {{1}, {2}}),
               HistogramSeries("metric_h", {{1, 1, {1}}, {2, 2, {2}}})});
}

TEST_F(CumulativeToDeltaTest, IncludeStrict) {
  Config c;
  c.include.match_type = "strict";
  c.include.metrics = {"metric_1", "metric_h"};
  Make(c);
  EXPECT_EQ(ConvertedNames(Run(FilterInput())), (std::vector<std::string>{"metric_1", "metric_h"}));
}

TEST_F(CumulativeToDeltaTest, IncludeRegexpIsUnanchored) {
  Config c;
  c.include.match_type = "regexp";
  c.include.metrics = {"_1"};
  Make(c);
  EXPECT_EQ(ConvertedNames(Run(FilterInput())), (std::vector<std::string>{"metric_1"}));
}

TEST_F(CumulativeToDeltaTest, ExcludeStrict) {
  Config c;
  c.exclude.match_type = "strict";
  c.exclude.metrics = {"metric_1"};
  Make(c);
  EXPECT_EQ(ConvertedNames(Run(FilterInput())),
            (std::vector<std::string>{"metric_2", "other_total", "metric_h"}));
}

TEST_F(CumulativeToDeltaTest, ExcludeRegexp) {
  Config c;
  c.exclude.match_type = "regexp";
  c.exclude.metrics = {"^metric_"};
  Make(c);
  EXPECT_EQ(ConvertedNames(Run(FilterInput())), (std::vector<std::string>{"other_total"}));
}

TEST_F(CumulativeToDeltaTest, IncludeMetricTypes) {
  Config c;
  c.include.metric_types = {"Histogram"};
  Make(c);
  EXPECT_EQ(ConvertedNames(Run(FilterInput())), (std::vector<std::string>{"metric_h"}));
}

TEST_F(CumulativeToDeltaTest, ExcludeMetricTypes) {
  Config c;
  c.exclude.metric_types = {"histogram"};
  Make(c);
  EXPECT_EQ(ConvertedNames(Run(FilterInput())),
            (std::vector<std::string>{"metric_1", "metric_2", "other_total"}));
}

TEST_F(CumulativeToDeltaTest, IncludeNamesAndTypesMustBothMatch) {
  Config c;
  c.include.match_type = "regexp";
  c.include.metrics = {"^metric_"};
  c.include.metric_types = {"sum"};
  Make(c);
  EXPECT_EQ(ConvertedNames(Run(FilterInput())), (std::vector<std::string>{"metric_1", "metric_2"}));
}

TEST_F(CumulativeToDeltaTest, FilterDecisionsStayTheSameAcrossBatches) {
  Config c;
  c.include.match_type = "regexp";
  c.include.metrics = {"_1"};
  Make(c);
  EXPECT_EQ(ConvertedNames(Run(FilterInput())), (std::vector<std::string>{"metric_1"}));
  EXPECT_EQ(ConvertedNames(Run(FilterInput())), (std::vector<std::string>{"metric_1"}));
}

TEST(MetricFilter, OverlongNamesNeverMatchARegexp) {
  MatchMetrics m;
  m.match_type = "regexp";
  m.metrics = {"a"};
  MetricFilter filter(m);
  EXPECT_TRUE(filter.MatchesName(std::string(MetricFilter::kMaxRegexpInput, 'a')));
  EXPECT_FALSE(filter.MatchesName(std::string(MetricFilter::kMaxRegexpInput + 1, 'a')));
  MatchMetrics strict;
  strict.match_type = "strict";
  strict.metrics = {std::string(10'000, 'a')};
  EXPECT_TRUE(MetricFilter(strict).MatchesName(std::string(10'000, 'a')));
}

// --- staleness ---

TEST_F(CumulativeToDeltaTest, StaleStreamsAreSweptEveryMaxStalenessByPointTime) {
  Config c;
  c.max_staleness = std::chrono::minutes(10);
  Make(c);
  Run(Wrap({SumMetric("m", {Num(At(0), {10})})}));
  EXPECT_EQ(processor_->TrackedStreams(), 1u);
  // Before the first tick (created + 10m) nothing is swept, whatever the point times.
  clock_.Advance(std::chrono::minutes(9));
  Run(Wrap({GaugeMetric("g", {Num(At(1), {1})})}));
  EXPECT_EQ(processor_->TrackedStreams(), 1u);
  // Tick at created+10m: stale if last point < created; At(0) is after creation: kept.
  clock_.Advance(std::chrono::minutes(2));
  Run(Wrap({GaugeMetric("g", {Num(At(1), {1})})}));
  EXPECT_EQ(processor_->TrackedStreams(), 1u);
  // Tick at created+20m: At(0) = created+10s < created+10m: forgotten.
  clock_.Advance(std::chrono::minutes(10));
  Run(Wrap({GaugeMetric("g", {Num(At(1), {1})})}));
  EXPECT_EQ(processor_->TrackedStreams(), 0u);
  // The stream starts again: its next point is a first point and dropped.
  const auto& out = Run(Wrap({SumMetric("m", {Num(At(2), {20})})}));
  EXPECT_EQ(Find(out, "m"), nullptr);
}

TEST_F(CumulativeToDeltaTest, ZeroMaxStalenessNeverSweeps) {
  Config c;
  c.max_staleness = Duration::zero();
  Make(c);
  Run(Wrap({SumMetric("m", {Num(At(0), {10})})}));
  clock_.Advance(std::chrono::hours(24 * 365));
  Run(Wrap({}));
  EXPECT_EQ(processor_->TrackedStreams(), 1u);
}

TEST_F(CumulativeToDeltaTest, HugeMaxStalenessDoesNotOverflow) {
  Config c;
  c.max_staleness = Duration(INT64_MAX);
  Make(c);
  clock_.Advance(std::chrono::hours(24 * 365 * 100));
  Run(Wrap({SumMetric("m", {Num(At(0), {10})})}));
  EXPECT_EQ(processor_->TrackedStreams(), 1u);
}

// --- concurrency ---

TEST_F(CumulativeToDeltaTest, ConcurrentCallersEachSeeConsistentDeltas) {
  Make();
  // Eight receivers, each with its own stream, each sending increasing values; the
  // deltas of each stream must add up to its last value minus its first.
  constexpr int kThreads = 8;
  constexpr int kPoints = 200;
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t] {
      for (int i = 0; i < kPoints; ++i) {
        pdata::NumberDataPoint dp = Num(At(i), {double(i * (t + 1))});
        dp.attributes.push_back({"thread", pdata::AnyValue(int64_t{t})});
        EXPECT_TRUE(
            processor_->ConsumeMetrics(pdata::MetricsBatch(Wrap({SumMetric("m", {dp})}))).ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  std::vector<double> totals(kThreads, 0);
  for (const auto& batch : sink_.Batches()) {
    const pdata::Metric* m = Find(batch.get(), "m");
    if (m == nullptr) continue;
    for (const auto& dp : std::get<pdata::Sum>(m->data).data_points) {
      totals[pdata::FindAttribute(dp.attributes, "thread")->int_value()] += dp.AsDouble();
    }
  }
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(totals[t], double((kPoints - 1) * (t + 1)));
}

// --- The vendor pipeline end to end (reference note §9) ---

// One scrape of a NIM-like target as the prometheus receiver delivers it: counter
// x_total, histogram h, gauge g and the synthetic up, all at time `t`, start unset.
// `stale` marks every series no-recorded-value (a failed scrape).
pdata::Metrics Scrape(uint64_t t, std::optional<double> x, std::optional<uint64_t> h_count,
                      bool stale = false) {
  std::vector<pdata::Metric> metrics;
  if (x) metrics.push_back(SumMetric("x_total", {Num(t, stale ? kNoValue : V{*x})}));
  if (h_count) {
    pdata::Metric h = HistogramSeries(
        "h", {{*h_count, double(*h_count) / 2, {*h_count / 2, *h_count - *h_count / 2}, stale}},
        /*with_min_max=*/true);
    std::get<pdata::Histogram>(h.data).data_points[0].time_unix_nano = t;
    metrics.push_back(std::move(h));
  }
  metrics.push_back(GaugeMetric("g", {Num(t, stale ? kNoValue : V{3})}));
  metrics.push_back(GaugeMetric("up", {Num(t, {stale ? 0.0 : 1.0})}));
  return Wrap(std::move(metrics));
}

std::vector<std::string> Names(const pdata::Metrics& md) {
  std::vector<std::string> out;
  for (const auto& rm : md.resource_metrics) {
    for (const auto& sm : rm.scope_metrics) {
      for (const auto& m : sm.metrics) out.push_back(m.name);
    }
  }
  return out;
}

TEST(CumulativeToDeltaPipeline, NimScrapeSequenceThroughTheFactory) {
  FakeClock clock(kCreated);
  RecordingConsumer sink;
  auto factory = NewFactory(clock);
  auto config = factory->CreateDefaultConfig();
  static_cast<Config&>(*config).max_staleness = std::chrono::hours(25);  // the seed's
  auto created = factory->CreateProcessor({}, *config, component::Signal::kMetrics, sink);
  ASSERT_TRUE(created.ok()) << created.status().message();
  component::Processor& processor = **created;
  component::test::TestHost host;
  ASSERT_TRUE(processor.Start(host).ok());

  auto scrape = [&](pdata::Metrics md) -> const pdata::Metrics& {
    clock.Advance(std::chrono::seconds(10));
    EXPECT_TRUE(processor.ConsumeMetrics(pdata::MetricsBatch(std::move(md))).ok());
    return sink.Last();
  };
  const uint64_t t1 = At(0), t2 = At(1), t3 = At(2), t4 = At(3), t5 = At(4);

  // t1: first points of x_total and h have no start time: dropped; gauges pass.
  EXPECT_EQ(Names(scrape(Scrape(t1, 100, 10))), (std::vector<std::string>{"g", "up"}));

  // t2: deltas over [t1, t2]; histogram min/max removed.
  {
    const pdata::Metrics& out = scrape(Scrape(t2, 130, 14));
    EXPECT_EQ(Names(out), (std::vector<std::string>{"x_total", "h", "g", "up"}));
    const auto& x = std::get<pdata::Sum>(Find(out, "x_total")->data);
    EXPECT_EQ(x.aggregation_temporality, AggregationTemporality::kDelta);
    EXPECT_EQ(x.data_points.at(0).AsDouble(), 30);
    EXPECT_EQ(x.data_points[0].start_time_unix_nano, t1);
    EXPECT_EQ(x.data_points[0].time_unix_nano, t2);
    const auto& h = HistogramOf(out, "h").data_points.at(0);
    EXPECT_EQ(h.count, 4u);
    EXPECT_EQ(h.start_time_unix_nano, t1);
    EXPECT_FALSE(h.min.has_value());
    EXPECT_FALSE(h.max.has_value());
  }

  // t3: the target restarted. x_total went 130 → 5: dropped. h count went 14 → 2: its
  // cumulative value is sent as the delta, starting at t2.
  {
    const pdata::Metrics& out = scrape(Scrape(t3, 5, 2));
    EXPECT_EQ(Names(out), (std::vector<std::string>{"h", "g", "up"}));
    const auto& h = HistogramOf(out, "h").data_points.at(0);
    EXPECT_EQ(h.count, 2u);
    EXPECT_EQ(h.bucket_counts, (std::vector<uint64_t>{1, 1}));
    EXPECT_EQ(h.start_time_unix_nano, t2);
  }

  // t4: x_total counts from the post-reset value: 12 - 5 over [t3, t4].
  {
    const pdata::Metrics& out = scrape(Scrape(t4, 12, 5));
    const auto& x = std::get<pdata::Sum>(Find(out, "x_total")->data).data_points.at(0);
    EXPECT_EQ(x.AsDouble(), 7);
    EXPECT_EQ(x.start_time_unix_nano, t3);
    EXPECT_EQ(HistogramOf(out, "h").data_points.at(0).count, 3u);
  }

  // t5: the scrape failed. Stale sum and histogram points are deleted (and their metrics
  // with them); the stale gauge point passes through flagged; up = 0.
  {
    const pdata::Metrics& out = scrape(Scrape(t5, 0, 0, /*stale=*/true));
    EXPECT_EQ(Names(out), (std::vector<std::string>{"g", "up"}));
    const auto& g = std::get<pdata::Gauge>(Find(out, "g")->data).data_points.at(0);
    EXPECT_TRUE(g.no_recorded_value());
    EXPECT_EQ(std::get<pdata::Gauge>(Find(out, "up")->data).data_points.at(0).AsDouble(), 0);
  }

  // t6: the target is back with the same values as t4 plus some: stale markers did not
  // touch the state, so deltas continue from t4.
  {
    const pdata::Metrics& out = scrape(Scrape(At(5), 20, 9));
    const auto& x = std::get<pdata::Sum>(Find(out, "x_total")->data).data_points.at(0);
    EXPECT_EQ(x.AsDouble(), 8);
    EXPECT_EQ(x.start_time_unix_nano, t4);
    EXPECT_EQ(HistogramOf(out, "h").data_points.at(0).count, 4u);
  }
  EXPECT_TRUE(processor.Shutdown(std::chrono::steady_clock::now()).ok());
}

// --- the factory ---

TEST(CumulativeToDeltaFactory, Lifecycle) {
  auto factory = NewFactory();
  component::test::RunLifecycleTests(*factory);
}

TEST(CumulativeToDeltaFactory, TypeSignalsAndDefaults) {
  auto factory = NewFactory();
  EXPECT_EQ(factory->type(), "cumulativetodelta");
  EXPECT_TRUE(factory->Supports(component::Signal::kMetrics));
  EXPECT_FALSE(factory->Supports(component::Signal::kTraces));
  EXPECT_FALSE(factory->Supports(component::Signal::kLogs));
  EXPECT_EQ(factory->stability(), component::Stability::kBeta);
  auto config = factory->CreateDefaultConfig();
  EXPECT_EQ(static_cast<Config&>(*config).max_staleness, std::chrono::hours(1));
}

TEST(CumulativeToDeltaFactory, RejectsInvalidConfigAndOtherSignals) {
  auto factory = NewFactory();
  component::test::NopConsumer next;
  Config bad;
  bad.include.metrics = {"x"};
  auto r = factory->CreateProcessor({}, bad, component::Signal::kMetrics, next);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "match_type must be set if metrics are supplied");
  Config good;
  EXPECT_FALSE(factory->CreateProcessor({}, good, component::Signal::kTraces, next).ok());
  auto p = factory->CreateProcessor({}, good, component::Signal::kMetrics, next);
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE((*p)->MutatesData());
}

}  // namespace
}  // namespace astrolabe::processor::cumulativetodelta
