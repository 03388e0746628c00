#include "processor/batch/split.h"

#include <gtest/gtest.h>

// Designated initializers name only the fields a test cares about.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#include "processor/batch/test_util.h"

namespace astrolabe::processor::batch {
namespace {

using test::NumberMetric;
using test::Resource;
using test::Values;

// R1 {A: 3 points, B: 2 points (a sum)}, R2 {C: 4 points}; values 0..8 in order.
pdata::Metrics Sample() {
  pdata::Metrics md;
  md.resource_metrics.push_back(
      Resource("r1", {NumberMetric("a", 3, 0), NumberMetric("b", 2, 3, /*sum=*/true)}));
  md.resource_metrics[0].scope_metrics[0].metrics[1].metadata.push_back({"k", "v"});
  md.resource_metrics.push_back(Resource("r2", {NumberMetric("c", 4, 5)}));
  return md;
}

TEST(SplitMetrics, DividesAMetricAndCopiesItsContainers) {
  pdata::Metrics src = Sample();
  pdata::Metrics out = SplitMetrics(4, src);
  EXPECT_EQ(out.DataPointCount(), 4u);
  EXPECT_EQ(src.DataPointCount(), 5u);
  EXPECT_EQ(Values(out), (std::vector<double>{0, 1, 2, 3}));
  EXPECT_EQ(Values(src), (std::vector<double>{4, 5, 6, 7, 8}));

  // The divided resource, scope and metric exist on both sides with the same identity.
  ASSERT_EQ(out.resource_metrics.size(), 1u);
  ASSERT_EQ(src.resource_metrics.size(), 2u);
  EXPECT_EQ(out.resource_metrics[0].resource, src.resource_metrics[0].resource);
  EXPECT_EQ(out.resource_metrics[0].schema_url, "https://schema/r1");
  EXPECT_EQ(out.resource_metrics[0].scope_metrics[0].scope,
            src.resource_metrics[0].scope_metrics[0].scope);
  EXPECT_EQ(out.resource_metrics[0].scope_metrics[0].schema_url, "https://scope-schema/r1");
  const pdata::Metric& b_out = out.resource_metrics[0].scope_metrics[0].metrics[1];
  const pdata::Metric& b_src = src.resource_metrics[0].scope_metrics[0].metrics[0];
  EXPECT_EQ(b_out.name, "b");
  EXPECT_EQ(b_src.name, "b");
  EXPECT_EQ(b_out.description, "b help");
  EXPECT_EQ(b_out.unit, "1");
  EXPECT_EQ(b_out.metadata, b_src.metadata);
  const auto& sum = std::get<pdata::Sum>(b_out.data);
  EXPECT_EQ(sum.aggregation_temporality, pdata::AggregationTemporality::kCumulative);
  EXPECT_TRUE(sum.is_monotonic);
  EXPECT_EQ(sum.data_points.size(), 1u);
  EXPECT_EQ(std::get<pdata::Sum>(b_src.data).data_points.size(), 1u);
}

TEST(SplitMetrics, WholeResourcesMoveWhenTheyFit) {
  pdata::Metrics src = Sample();
  pdata::Metrics out = SplitMetrics(5, src);
  ASSERT_EQ(out.resource_metrics.size(), 1u);
  EXPECT_EQ(out.DataPointCount(), 5u);
  ASSERT_EQ(src.resource_metrics.size(), 1u);
  EXPECT_EQ(src.resource_metrics[0].schema_url, "https://schema/r2");
}

TEST(SplitMetrics, EverythingWhenItFits) {
  pdata::Metrics src = Sample();
  pdata::Metrics out = SplitMetrics(9, src);
  EXPECT_EQ(out.DataPointCount(), 9u);
  EXPECT_TRUE(src.empty());
  pdata::Metrics again = Sample();
  EXPECT_EQ(SplitMetrics(100, again), Sample());
}

TEST(SplitMetrics, RepeatedSplitsKeepEveryPointInOrder) {
  for (size_t size = 1; size <= 10; ++size) {
    pdata::Metrics src = Sample();
    std::vector<double> seen;
    while (!src.empty() && src.DataPointCount() > 0) {
      pdata::Metrics out = SplitMetrics(size, src);
      EXPECT_LE(out.DataPointCount(), size);
      for (double v : Values(out)) seen.push_back(v);
    }
    EXPECT_EQ(seen, (std::vector<double>{0, 1, 2, 3, 4, 5, 6, 7, 8})) << "size " << size;
  }
}

TEST(SplitMetrics, EmptyMetricsTravelWhileThereIsRoom) {
  pdata::Metrics src;
  src.resource_metrics.push_back(
      Resource("r", {NumberMetric("a", 2), NumberMetric("empty", 0), NumberMetric("c", 2, 2)}));
  pdata::Metrics out = SplitMetrics(3, src);
  const auto& metrics = out.resource_metrics[0].scope_metrics[0].metrics;
  ASSERT_EQ(metrics.size(), 3u);
  EXPECT_EQ(metrics[1].name, "empty");
  EXPECT_EQ(Values(src), (std::vector<double>{3}));

  // Once full, an empty metric stays behind for the next batch.
  pdata::Metrics src2;
  src2.resource_metrics.push_back(
      Resource("r", {NumberMetric("a", 2), NumberMetric("empty", 0), NumberMetric("c", 2, 2)}));
  pdata::Metrics out2 = SplitMetrics(2, src2);
  EXPECT_EQ(out2.resource_metrics[0].scope_metrics[0].metrics.size(), 1u);
  EXPECT_EQ(src2.resource_metrics[0].scope_metrics[0].metrics[0].name, "empty");
}

TEST(SplitMetrics, EveryPointType) {
  pdata::Metric h{.name = "h"};
  h.data = pdata::Histogram{{pdata::HistogramDataPoint{}, pdata::HistogramDataPoint{}},
                            pdata::AggregationTemporality::kDelta};
  pdata::Metric e{.name = "e"};
  e.data = pdata::ExponentialHistogram{
      {pdata::ExponentialHistogramDataPoint{}, pdata::ExponentialHistogramDataPoint{}},
      pdata::AggregationTemporality::kCumulative};
  pdata::Metric s{.name = "s"};
  s.data = pdata::Summary{{pdata::SummaryDataPoint{}, pdata::SummaryDataPoint{}}};
  for (pdata::Metric m : {h, e, s}) {
    pdata::Metrics src;
    src.resource_metrics.push_back(Resource("r", {m}));
    pdata::Metrics out = SplitMetrics(1, src);
    const pdata::Metric& a = out.resource_metrics[0].scope_metrics[0].metrics[0];
    const pdata::Metric& b = src.resource_metrics[0].scope_metrics[0].metrics[0];
    EXPECT_EQ(a.type(), m.type());
    EXPECT_EQ(a.DataPointCount(), 1u);
    EXPECT_EQ(b.DataPointCount(), 1u);
    if (m.type() == pdata::MetricType::kHistogram) {
      EXPECT_EQ(std::get<pdata::Histogram>(a.data).aggregation_temporality,
                pdata::AggregationTemporality::kDelta);
    }
    if (m.type() == pdata::MetricType::kExponentialHistogram) {
      EXPECT_EQ(std::get<pdata::ExponentialHistogram>(a.data).aggregation_temporality,
                pdata::AggregationTemporality::kCumulative);
    }
  }
}

TEST(SplitTraces, DividesScopesAndKeepsOrder) {
  pdata::Traces src = test::Spans(3, 0, "a");
  pdata::Traces more = test::Spans(4, 3, "b");
  src.resource_spans.push_back(std::move(more.resource_spans[0]));
  pdata::Traces out = SplitTraces(5, src);
  EXPECT_EQ(out.SpanCount(), 5u);
  EXPECT_EQ(src.SpanCount(), 2u);
  ASSERT_EQ(out.resource_spans.size(), 2u);
  EXPECT_EQ(out.resource_spans[1].resource, src.resource_spans[0].resource);
  EXPECT_EQ(out.resource_spans[1].scope_spans[0].scope.name, "scope");
  EXPECT_EQ(out.resource_spans[1].scope_spans[0].spans.back().name, "span-4");
  EXPECT_EQ(src.resource_spans[0].scope_spans[0].spans.front().name, "span-5");
}

TEST(SplitLogs, DividesScopesAndKeepsOrder) {
  pdata::Logs src = test::Records(6);
  pdata::Logs out = SplitLogs(4, src);
  EXPECT_EQ(out.LogRecordCount(), 4u);
  EXPECT_EQ(src.LogRecordCount(), 2u);
  EXPECT_EQ(src.resource_logs[0].scope_logs[0].log_records[0].body.string_value(), "record-4");
  EXPECT_EQ(out.resource_logs[0].resource, src.resource_logs[0].resource);
  pdata::Logs rest = SplitLogs(4, src);
  EXPECT_EQ(rest.LogRecordCount(), 2u);
  EXPECT_TRUE(src.empty());
}

}  // namespace
}  // namespace astrolabe::processor::batch
