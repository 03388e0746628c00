// Worked examples of the OTLP → series rules (docs/design/otlp-to-series.md), one test per
// rule. Expected series are written out as Prometheus would show them.
#include "exporter/store/translate.h"

#include <cmath>
#include <map>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace astrolabe::exporter::store {
namespace {

using pdata::AggregationTemporality;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

constexpr uint64_t kSec = 1000000000ull;
constexpr uint64_t kT = 1700000000ull * kSec + 123456789;  // ms: 1700000000123

pdata::Metrics One(pdata::Metric m, pdata::Attributes resource = {{"service.name", "nim"}},
                   pdata::InstrumentationScope scope = {}) {
  pdata::ScopeMetrics sm;
  sm.scope = std::move(scope);
  sm.metrics.push_back(std::move(m));
  pdata::ResourceMetrics rm;
  rm.resource.attributes = std::move(resource);
  rm.scope_metrics.push_back(std::move(sm));
  pdata::Metrics out;
  out.resource_metrics.push_back(std::move(rm));
  return out;
}

pdata::NumberDataPoint Number(double v, pdata::Attributes attrs = {}, uint64_t t = kT) {
  pdata::NumberDataPoint p;
  p.attributes = std::move(attrs);
  p.time_unix_nano = t;
  p.value = v;
  return p;
}

// series text → (t, v), ignoring target_info unless asked.
std::map<std::string, std::pair<int64_t, double>> Series(const Translation& t,
                                                         bool with_target_info = false) {
  std::map<std::string, std::pair<int64_t, double>> out;
  for (const SeriesSample& s : t.samples) {
    if (!with_target_info && s.labels.MetricName() == "target_info") continue;
    out[s.labels.ToString()] = {s.t, s.v};
  }
  return out;
}

TEST(Translate, GaugeWithJobInstanceAndTargetInfo) {
  pdata::Metric m;
  m.name = "gpu_cache_usage_perc";
  m.description = "GPU KV-cache usage.";
  m.data = pdata::Gauge{{Number(0.4172, {{"model_name", "llama"}})}};
  Translation t = Translate(One(std::move(m), {{"service.name", "nim"},
                                               {"service.namespace", "ai"},
                                               {"service.instance.id", "10.0.0.1:8000"},
                                               {"server.port", "8000"},
                                               {"url.scheme", "http"}}));
  EXPECT_EQ(t.points, 1u);
  EXPECT_EQ(t.rejected, 0u);
  EXPECT_THAT(
      Series(t, true),
      ElementsAre(
          Pair("gpu_cache_usage_perc{instance=\"10.0.0.1:8000\", job=\"ai/nim\", "
               "model_name=\"llama\"}",
               Pair(1700000000123, 0.4172)),
          Pair("target_info{instance=\"10.0.0.1:8000\", job=\"ai/nim\", server_port=\"8000\", "
               "url_scheme=\"http\"}",
               Pair(1700000000123, 1))));
  ASSERT_EQ(t.metadata.size(), 1u);
  EXPECT_EQ(t.metadata[0].family, "gpu_cache_usage_perc");
  EXPECT_EQ(t.metadata[0].metadata.type, storage::MetricType::kGauge);
  EXPECT_EQ(t.metadata[0].metadata.help, "GPU KV-cache usage.");
}

TEST(Translate, NoTargetInfoWithOnlyIdentifyingAttributesOrNoJobInstance) {
  pdata::Metric m;
  m.name = "up";
  m.data = pdata::Gauge{{Number(1)}};
  Translation only_job = Translate(One(std::move(m), {{"service.name", "nim"}}));
  EXPECT_EQ(Series(only_job, true).size(), 1u);

  pdata::Metric m2;
  m2.name = "up";
  m2.data = pdata::Gauge{{Number(1)}};
  Translation no_id = Translate(One(std::move(m2), {{"host.name", "gpu-1"}}));
  EXPECT_THAT(Series(no_id, true), ElementsAre(Pair("up{}", Pair(1700000000123, 1))));
}

TEST(Translate, TargetInfoEveryHalfLookbackAcrossTheResourcesPoints) {
  pdata::Metric m;
  m.name = "g";
  m.data = pdata::Gauge{{Number(1, {}, 1000 * kSec), Number(2, {}, 1400 * kSec)}};
  Translation t = Translate(One(std::move(m), {{"service.name", "s"}, {"host.name", "h"}}));
  std::vector<int64_t> times;
  for (const SeriesSample& s : t.samples) {
    if (s.labels.MetricName() == "target_info") {
      times.push_back(s.t);
      EXPECT_EQ(s.point, kNoPoint);
    }
  }
  EXPECT_THAT(times, ElementsAre(1000000, 1150000, 1300000, 1400000));
}

TEST(Translate, TargetInfoSamplesAreCappedToTheLastHour) {
  pdata::Metric m;
  m.name = "g";
  // A point at time 0 next to a recent one: Prometheus would write ~11 million samples.
  m.data = pdata::Gauge{{Number(1, {}, 0), Number(2, {}, kT)}};
  Translation t = Translate(One(std::move(m), {{"service.name", "s"}, {"host.name", "h"}}));
  std::vector<int64_t> times;
  for (const SeriesSample& s : t.samples) {
    if (s.labels.MetricName() == "target_info") times.push_back(s.t);
  }
  ASSERT_EQ(times.size(), 25u);  // 24 grid steps from time 0, then the latest
  EXPECT_EQ(times.back(), 1700000000123);
  EXPECT_EQ(times[0] % 150000, 0);  // still on the grid that starts at the earliest point
  EXPECT_GT(times[0], 1700000000123 - 24 * 150000 - 1);
}

TEST(Translate, MonotonicSumGetsTotalAndIntsBecomeDoubles) {
  pdata::Metric m;
  m.name = "http.server.requests";
  m.unit = "{request}";
  pdata::NumberDataPoint p = Number(0, {{"http.method", "GET"}});
  p.value = int64_t{18540};
  m.data = pdata::Sum{{p}, AggregationTemporality::kCumulative, true};
  Translation t = Translate(One(std::move(m)));
  EXPECT_THAT(Series(t), ElementsAre(Pair("http_server_requests_total{http_method=\"GET\", "
                                          "job=\"nim\"}",
                                          Pair(1700000000123, 18540))));
  EXPECT_FALSE(t.samples[0].delta);
  EXPECT_EQ(t.metadata[0].metadata.type, storage::MetricType::kCounter);
  EXPECT_EQ(t.metadata[0].metadata.unit, "");
}

TEST(Translate, NonMonotonicSumIsAGaugeWithoutTotal) {
  pdata::Metric m;
  m.name = "queue.size";
  m.unit = "By";
  m.data = pdata::Sum{{Number(5)}, AggregationTemporality::kCumulative, false};
  Translation t = Translate(One(std::move(m)));
  EXPECT_THAT(Series(t),
              ElementsAre(Pair("queue_size_bytes{job=\"nim\"}", Pair(1700000000123, 5))));
  EXPECT_EQ(t.metadata[0].metadata.type, storage::MetricType::kGauge);
  EXPECT_EQ(t.metadata[0].metadata.unit, "bytes");
}

TEST(Translate, DeltaSumsAreMarkedForAccumulation) {
  pdata::Metric m;
  m.name = "tokens";
  m.data = pdata::Sum{{Number(7)}, AggregationTemporality::kDelta, true};
  Translation t = Translate(One(std::move(m)));
  ASSERT_EQ(t.samples.size(), 1u);
  EXPECT_EQ(t.samples[0].labels.MetricName(), "tokens_total");
  EXPECT_TRUE(t.samples[0].delta);
  EXPECT_EQ(t.samples[0].v, 7);
}

TEST(Translate, UnspecifiedTemporalityIsRejectedAndCounted) {
  pdata::Metric bad;
  bad.name = "weird";
  bad.data = pdata::Sum{{Number(1), Number(2)}, AggregationTemporality::kUnspecified, true};
  pdata::Metric good;
  good.name = "fine";
  good.data = pdata::Gauge{{Number(3)}};
  pdata::Metrics metrics = One(std::move(bad));
  metrics.resource_metrics[0].scope_metrics[0].metrics.push_back(std::move(good));
  Translation t = Translate(metrics);
  EXPECT_EQ(t.points, 3u);
  EXPECT_EQ(t.rejected, 2u);
  EXPECT_EQ(t.first_error, "invalid temporality and type combination for metric \"weird\"");
  EXPECT_THAT(Series(t), ElementsAre(Pair("fine{job=\"nim\"}", Pair(1700000000123, 3))));
  EXPECT_EQ(t.samples[0].point, 2u);
}

TEST(Translate, NoRecordedValueIsAStaleMarker) {
  pdata::Metric m;
  m.name = "g";
  pdata::NumberDataPoint p = Number(42);
  p.flags = pdata::kDataPointFlagNoRecordedValue;
  m.data = pdata::Gauge{{p}};
  Translation t = Translate(One(std::move(m)));
  ASSERT_EQ(t.samples.size(), 1u);
  EXPECT_TRUE(IsStaleNaN(t.samples[0].v));
  EXPECT_FALSE(IsStaleNaN(std::nan("")));
}

TEST(Translate, HistogramBucketsAreCumulativeWithInf) {
  pdata::Metric m;
  m.name = "time_to_first_token_seconds";
  m.unit = "s";
  pdata::HistogramDataPoint p;
  p.time_unix_nano = kT;
  p.count = 42;
  p.sum = 2.3917;
  p.explicit_bounds = {0.02, 0.5, 1.0};
  p.bucket_counts = {4, 38, 0, 0};
  m.data = pdata::Histogram{{p}, AggregationTemporality::kCumulative};
  Translation t = Translate(One(std::move(m)));
  const int64_t ms = 1700000000123;
  EXPECT_THAT(
      Series(t),
      ElementsAre(
          Pair("time_to_first_token_seconds_bucket{job=\"nim\", le=\"+Inf\"}", Pair(ms, 42)),
          Pair("time_to_first_token_seconds_bucket{job=\"nim\", le=\"0.02\"}", Pair(ms, 4)),
          Pair("time_to_first_token_seconds_bucket{job=\"nim\", le=\"0.5\"}", Pair(ms, 42)),
          Pair("time_to_first_token_seconds_bucket{job=\"nim\", le=\"1\"}", Pair(ms, 42)),
          Pair("time_to_first_token_seconds_count{job=\"nim\"}", Pair(ms, 42)),
          Pair("time_to_first_token_seconds_sum{job=\"nim\"}", Pair(ms, 2.3917))));
  EXPECT_EQ(t.metadata[0].family, "time_to_first_token_seconds");
  EXPECT_EQ(t.metadata[0].metadata.type, storage::MetricType::kHistogram);
  EXPECT_EQ(t.metadata[0].metadata.unit, "seconds");
}

TEST(Translate, HistogramWithoutSumHasNoSumSeries) {
  pdata::Metric m;
  m.name = "h";
  pdata::HistogramDataPoint p;
  p.time_unix_nano = kT;
  p.count = 3;
  m.data = pdata::Histogram{{p}, AggregationTemporality::kDelta};
  Translation t = Translate(One(std::move(m)));
  EXPECT_THAT(Series(t),
              ElementsAre(Pair("h_bucket{job=\"nim\", le=\"+Inf\"}", Pair(1700000000123, 3)),
                          Pair("h_count{job=\"nim\"}", Pair(1700000000123, 3))));
  for (const SeriesSample& s : t.samples) EXPECT_TRUE(s.delta);
}

TEST(Translate, ExponentialHistogramBecomesClassicBuckets) {
  // scale 0: base 2; positive buckets index 0 (1,2] and 1 (2,4]; negative index 0 [-2,-1);
  // zero bucket [-0.5, 0.5].
  pdata::Metric m;
  m.name = "latency";
  m.unit = "ms";
  pdata::ExponentialHistogramDataPoint p;
  p.time_unix_nano = kT;
  p.scale = 0;
  p.count = 7;
  p.sum = 5.5;
  p.zero_count = 1;
  p.zero_threshold = 0.5;
  p.positive = {0, {2, 3}};
  p.negative = {0, {1}};
  m.data = pdata::ExponentialHistogram{{p}, AggregationTemporality::kCumulative};
  Translation t = Translate(One(std::move(m)));
  const int64_t ms = 1700000000123;
  EXPECT_THAT(
      Series(t),
      ElementsAre(Pair("latency_milliseconds_bucket{job=\"nim\", le=\"+Inf\"}", Pair(ms, 7)),
                  Pair("latency_milliseconds_bucket{job=\"nim\", le=\"-1\"}", Pair(ms, 1)),
                  Pair("latency_milliseconds_bucket{job=\"nim\", le=\"0.5\"}", Pair(ms, 2)),
                  Pair("latency_milliseconds_bucket{job=\"nim\", le=\"2\"}", Pair(ms, 4)),
                  Pair("latency_milliseconds_bucket{job=\"nim\", le=\"4\"}", Pair(ms, 7)),
                  Pair("latency_milliseconds_count{job=\"nim\"}", Pair(ms, 7)),
                  Pair("latency_milliseconds_sum{job=\"nim\"}", Pair(ms, 5.5))));
}

TEST(Translate, ExponentialHistogramAtFinerScale) {
  // scale 1: base sqrt(2); bucket index 2 is (2, 2.828...].
  pdata::Metric m;
  m.name = "x";
  pdata::ExponentialHistogramDataPoint p;
  p.time_unix_nano = kT;
  p.scale = 1;
  p.count = 1;
  p.positive = {2, {1}};
  m.data = pdata::ExponentialHistogram{{p}, AggregationTemporality::kCumulative};
  Translation t = Translate(One(std::move(m)));
  auto s = Series(t);
  EXPECT_TRUE(s.contains("x_bucket{job=\"nim\", le=\"2.8284271247461903\"}"));
  EXPECT_TRUE(s.contains("x_bucket{job=\"nim\", le=\"0\"}"));  // zero bucket, threshold 0
}

TEST(Translate, ExponentialHistogramWithHugeScaleIsRejected) {
  pdata::Metric m;
  m.name = "x";
  pdata::ExponentialHistogramDataPoint p;
  p.time_unix_nano = kT;
  p.scale = 40;
  m.data = pdata::ExponentialHistogram{{p}, AggregationTemporality::kCumulative};
  Translation t = Translate(One(std::move(m)));
  EXPECT_EQ(t.rejected, 1u);
  EXPECT_THAT(t.first_error, HasSubstr("scale 40"));
}

TEST(Translate, SummaryAsQuantileSeries) {
  pdata::Metric m;
  m.name = "rpc.duration";
  m.unit = "s";
  pdata::SummaryDataPoint p;
  p.time_unix_nano = kT;
  p.count = 10;
  p.sum = 4;
  p.quantile_values = {{0.5, 0.3}, {0.99, 1.2}};
  m.data = pdata::Summary{{p}};
  Translation t = Translate(One(std::move(m)));
  const int64_t ms = 1700000000123;
  EXPECT_THAT(
      Series(t),
      ElementsAre(Pair("rpc_duration_seconds_count{job=\"nim\"}", Pair(ms, 10)),
                  Pair("rpc_duration_seconds_sum{job=\"nim\"}", Pair(ms, 4)),
                  Pair("rpc_duration_seconds{job=\"nim\", quantile=\"0.5\"}", Pair(ms, 0.3)),
                  Pair("rpc_duration_seconds{job=\"nim\", quantile=\"0.99\"}", Pair(ms, 1.2))));
  EXPECT_EQ(t.metadata[0].metadata.type, storage::MetricType::kSummary);
}

TEST(Translate, CollidingLabelNamesAreJoinedInKeyOrder) {
  pdata::Metric m;
  m.name = "g";
  m.data = pdata::Gauge{{Number(1, {{"a_b", "second"}, {"a.b", "first"}})}};
  Translation t = Translate(One(std::move(m), {}));
  EXPECT_THAT(Series(t), ElementsAre(Pair("g{a_b=\"first;second\"}", Pair(1700000000123, 1))));
}

TEST(Translate, JobAndInstanceWinOverPointAttributes) {
  pdata::Metric m;
  m.name = "g";
  m.data = pdata::Gauge{{Number(1, {{"job", "mine"}, {"instance", "x"}})}};
  Translation t = Translate(One(std::move(m), {{"service.name", "svc"}}));
  EXPECT_THAT(Series(t),
              ElementsAre(Pair("g{instance=\"x\", job=\"svc\"}", Pair(1700000000123, 1))));
}

TEST(Translate, BadLabelNameRejectsThePoint) {
  pdata::Metric m;
  m.name = "g";
  m.data = pdata::Gauge{{Number(1, {{"...", "v"}}), Number(2)}};
  Translation t = Translate(One(std::move(m)));
  EXPECT_EQ(t.rejected, 1u);
  EXPECT_THAT(t.first_error, HasSubstr("metric \"g\": normalization for label name \"...\""));
  EXPECT_THAT(Series(t), ElementsAre(Pair("g{job=\"nim\"}", Pair(1700000000123, 2))));
}

TEST(Translate, ScopeLabelsOnlyWhenPromoted) {
  auto make = [] {
    pdata::Metric m;
    m.name = "g";
    m.data = pdata::Gauge{{Number(1)}};
    pdata::InstrumentationScope scope;
    scope.name = "openllmetry";
    scope.version = "0.3";
    scope.attributes = {{"lib.kind", "sdk"}};
    return One(std::move(m), {{"service.name", "app"}}, scope);
  };
  EXPECT_THAT(Series(Translate(make())),
              ElementsAre(Pair("g{job=\"app\"}", Pair(1700000000123, 1))));
  TranslateOptions o;
  o.promote_scope_metadata = true;
  EXPECT_THAT(Series(Translate(make(), o)),
              ElementsAre(Pair("g{job=\"app\", otel_scope_lib_kind=\"sdk\", "
                               "otel_scope_name=\"openllmetry\", otel_scope_version=\"0.3\"}",
                               Pair(1700000000123, 1))));
}

TEST(Translate, PromotedResourceAttributes) {
  pdata::Metric m;
  m.name = "g";
  m.data = pdata::Gauge{{Number(1, {{"k8s.pod.name", "from-point"}})}};
  TranslateOptions o;
  o.promote_resource_attributes = {"k8s.namespace.name", "k8s.pod.name", "absent"};
  Translation t = Translate(One(std::move(m), {{"service.name", "app"},
                                               {"k8s.namespace.name", "ml"},
                                               {"k8s.pod.name", "from-resource"}}),
                            o);
  EXPECT_THAT(Series(t), ElementsAre(Pair("g{job=\"app\", k8s_namespace_name=\"ml\", "
                                          "k8s_pod_name=\"from-point\"}",
                                          Pair(1700000000123, 1))));
}

TEST(Translate, NonStringAttributeValuesAsText) {
  pdata::Metric m;
  m.name = "g";
  m.data = pdata::Gauge{{Number(1, {{"code", 200}, {"ok", true}, {"ratio", 0.5}})}};
  Translation t = Translate(One(std::move(m), {}));
  EXPECT_THAT(Series(t), ElementsAre(Pair("g{code=\"200\", ok=\"true\", ratio=\"0.5\"}",
                                          Pair(1700000000123, 1))));
}

}  // namespace
}  // namespace astrolabe::exporter::store
