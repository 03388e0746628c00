#include "pdata/metrics.h"

#include <gtest/gtest.h>

// Tests build data with designated initializers that name only the fields they care
// about; g++ 12 warns about the rest under -Wextra.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#include <type_traits>

namespace astrolabe::pdata {
namespace {

Metrics SampleMetrics() {
  Metric gauge{.name = "gpu_cache_usage_perc", .description = "KV cache", .unit = "1"};
  gauge.data = Gauge{
      {NumberDataPoint{.attributes = {{"model", "llama"}}, .time_unix_nano = 2000, .value = 0.5},
       NumberDataPoint{.time_unix_nano = 2000, .value = int64_t{3}}}};

  Metric sum{.name = "requests_total"};
  sum.data = Sum{.data_points = {NumberDataPoint{.start_time_unix_nano = 1000,
                                                 .time_unix_nano = 2000,
                                                 .value = 12.0,
                                                 .exemplars = {Exemplar{.value = int64_t{7}}}}},
                 .aggregation_temporality = AggregationTemporality::kCumulative,
                 .is_monotonic = true};

  Metric hist{.name = "latency_seconds", .unit = "s"};
  hist.data = Histogram{.data_points = {HistogramDataPoint{.count = 3,
                                                           .sum = 1.5,
                                                           .bucket_counts = {1, 2, 0},
                                                           .explicit_bounds = {0.1, 1},
                                                           .min = 0.05}},
                        .aggregation_temporality = AggregationTemporality::kDelta};

  Metric exp{.name = "exp"};
  ExponentialHistogramDataPoint ep;
  ep.count = 2;
  ep.scale = 1;
  ep.positive = {.offset = -1, .bucket_counts = {1, 1}};
  exp.data = ExponentialHistogram{.data_points = {ep, ep}};

  Metric summary{.name = "summary"};
  summary.data = Summary{{SummaryDataPoint{.count = 1, .sum = 2, .quantile_values = {{0.5, 2}}}}};

  Metric empty{.name = "empty"};

  ResourceMetrics rm;
  rm.resource.attributes = {{"service.name", "nim"}};
  rm.schema_url = "https://opentelemetry.io/schemas/1.25.0";
  rm.scope_metrics.push_back(ScopeMetrics{.scope = {.name = "scope", .version = "1.0"},
                                          .metrics = {gauge, sum, hist},
                                          .schema_url = ""});
  rm.scope_metrics.push_back(ScopeMetrics{.metrics = {exp, summary, empty}});
  Metrics md;
  md.resource_metrics.push_back(rm);
  md.resource_metrics.push_back(ResourceMetrics{});
  return md;
}

TEST(MetricsTest, IsMoveOnly) {
  static_assert(!std::is_copy_constructible_v<Metrics>);
  static_assert(std::is_nothrow_move_constructible_v<Metrics>);
}

TEST(MetricsTest, Counts) {
  Metrics md = SampleMetrics();
  EXPECT_EQ(md.MetricCount(), 6u);
  EXPECT_EQ(md.DataPointCount(), 2u + 1 + 1 + 2 + 1 + 0);
  EXPECT_EQ(Metrics().DataPointCount(), 0u);
  EXPECT_TRUE(Metrics().empty());
}

TEST(MetricsTest, TypesAndNames) {
  Metrics md = SampleMetrics();
  const auto& m0 = md.resource_metrics[0].scope_metrics[0].metrics;
  const auto& m1 = md.resource_metrics[0].scope_metrics[1].metrics;
  EXPECT_EQ(m0[0].type(), MetricType::kGauge);
  EXPECT_EQ(m0[1].type(), MetricType::kSum);
  EXPECT_EQ(m0[2].type(), MetricType::kHistogram);
  EXPECT_EQ(m1[0].type(), MetricType::kExponentialHistogram);
  EXPECT_EQ(m1[1].type(), MetricType::kSummary);
  EXPECT_EQ(m1[2].type(), MetricType::kEmpty);
  EXPECT_EQ(MetricTypeName(m1[0].type()), "ExponentialHistogram");
  EXPECT_EQ(AggregationTemporalityName(AggregationTemporality::kCumulative), "Cumulative");

  const auto& points = std::get<Gauge>(m0[0].data).data_points;
  EXPECT_FALSE(points[0].is_int());
  EXPECT_TRUE(points[1].is_int());
  EXPECT_EQ(points[1].AsDouble(), 3.0);
  EXPECT_FALSE(points[0].no_recorded_value());
  NumberDataPoint stale{.flags = kDataPointFlagNoRecordedValue};
  EXPECT_TRUE(stale.no_recorded_value());
}

TEST(MetricsTest, CloneIsDeepAndEqual) {
  Metrics md = SampleMetrics();
  Metrics copy = md.Clone();
  EXPECT_EQ(copy, md);
  std::get<Gauge>(copy.resource_metrics[0].scope_metrics[0].metrics[0].data)
      .data_points[0]
      .attributes[0]
      .value = "mistral";
  EXPECT_NE(copy, md);
  EXPECT_EQ(*FindAttribute(std::get<Gauge>(md.resource_metrics[0].scope_metrics[0].metrics[0].data)
                               .data_points[0]
                               .attributes,
                           "model"),
            AnyValue("llama"));
}

TEST(MetricsTest, EqualitySeesEveryLevel) {
  Metrics a = SampleMetrics();
  {
    Metrics b = a.Clone();
    b.resource_metrics[0].schema_url = "x";
    EXPECT_NE(a, b);
  }
  {
    Metrics b = a.Clone();
    std::get<Histogram>(b.resource_metrics[0].scope_metrics[0].metrics[2].data).data_points[0].max =
        3;
    EXPECT_NE(a, b);
  }
  {
    Metrics b = a.Clone();
    std::get<Sum>(b.resource_metrics[0].scope_metrics[0].metrics[1].data).is_monotonic = false;
    EXPECT_NE(a, b);
  }
  {
    Metrics b = a.Clone();
    b.resource_metrics[0].scope_metrics[1].metrics[2].data = Gauge{};
    EXPECT_NE(a, b);  // Empty vs Gauge without points
  }
}

TEST(MetricsTest, MoveLeavesNoCopies) {
  Metrics md = SampleMetrics();
  const std::string* name_storage = &md.resource_metrics[0].scope_metrics[0].metrics[0].name;
  Metrics moved = std::move(md);
  EXPECT_EQ(&moved.resource_metrics[0].scope_metrics[0].metrics[0].name, name_storage);
}

}  // namespace
}  // namespace astrolabe::pdata
