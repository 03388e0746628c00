#include "receiver/prometheus_remote_write/translate.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>

namespace astrolabe::receiver::prometheus_remote_write {
namespace {

namespace prw = wire::prw;

prw::TimeSeries Series(std::vector<prw::Label> labels, std::vector<prw::Sample> samples) {
  prw::TimeSeries ts;
  ts.labels = std::move(labels);
  ts.samples = std::move(samples);
  return ts;
}

const pdata::ScopeMetrics& Scope(const TranslateResult& r) {
  static const pdata::ScopeMetrics kEmpty;
  if (r.metrics.resource_metrics.size() != 1) return kEmpty;
  return r.metrics.resource_metrics[0].scope_metrics.at(0);
}

std::string Attr(const pdata::Attributes& attrs, std::string_view key) {
  const pdata::AnyValue* v = pdata::FindAttribute(attrs, key);
  return v == nullptr ? "<absent>" : v->string_value();
}

TEST(TranslateTest, OneMetricPerNameLabelsAsAttributes) {
  prw::WriteRequest req;
  req.timeseries.push_back(
      Series({{"__name__", "node_load1"}, {"instance", "h:9100"}, {"job", "node"}},
             {{0.5, 1700000000000}}));
  req.timeseries.push_back(Series(
      {{"__name__", "node_cpu_seconds_total"}, {"cpu", "0"}, {"job", "node"}, {"mode", "idle"}},
      {{10, 1700000000000}, {11, 1700000001000}}));
  req.timeseries.push_back(
      Series({{"__name__", "node_cpu_seconds_total"}, {"cpu", "1"}, {"job", "node"}, {"mode", ""}},
             {{20, 1700000000000}}));
  TranslateResult r = Translate(req, nullptr, {});
  EXPECT_EQ(r.invalid, 0u);
  EXPECT_EQ(r.samples, 4u);
  ASSERT_EQ(r.metrics.resource_metrics.size(), 1u);
  EXPECT_TRUE(r.metrics.resource_metrics[0].resource.attributes.empty());
  const pdata::ScopeMetrics& scope = Scope(r);
  EXPECT_TRUE(scope.scope.name.empty());
  ASSERT_EQ(scope.metrics.size(), 2u);
  const pdata::Metric& load = scope.metrics[0];
  EXPECT_EQ(load.name, "node_load1");
  EXPECT_TRUE(load.unit.empty());
  ASSERT_EQ(load.type(), pdata::MetricType::kGauge);
  const auto& lp = std::get<pdata::Gauge>(load.data).data_points;
  ASSERT_EQ(lp.size(), 1u);
  EXPECT_EQ(lp[0].AsDouble(), 0.5);
  EXPECT_EQ(lp[0].time_unix_nano, 1700000000000ull * 1000000);
  EXPECT_EQ(lp[0].attributes.size(), 2u);
  EXPECT_EQ(Attr(lp[0].attributes, "job"), "node");
  EXPECT_EQ(Attr(lp[0].attributes, "instance"), "h:9100");
  EXPECT_EQ(Attr(lp[0].attributes, "__name__"), "<absent>");
  // No metadata: a counter-looking name stays a gauge (its name is kept either way).
  const pdata::Metric& cpu = scope.metrics[1];
  ASSERT_EQ(cpu.type(), pdata::MetricType::kGauge);
  const auto& cp = std::get<pdata::Gauge>(cpu.data).data_points;
  ASSERT_EQ(cp.size(), 3u);
  EXPECT_EQ(Attr(cp[1].attributes, "mode"), "idle");
  EXPECT_EQ(cp[1].AsDouble(), 11);
  EXPECT_EQ(Attr(cp[2].attributes, "mode"), "<absent>");  // empty value = no label
}

TEST(TranslateTest, MetadataMakesCountersSumsOnlyWithTotal) {
  MetadataCache cache;
  prw::WriteRequest meta;
  meta.metadata = {{prw::MetricType::kCounter, "http_requests_total", "Requests.", ""},
                   {prw::MetricType::kCounter, "odd_counter", "", ""},
                   {prw::MetricType::kHistogram, "latency_seconds", "Latency.", "seconds"},
                   {prw::MetricType::kGauge, "temp", "", ""}};
  cache.Learn(meta);
  EXPECT_EQ(cache.size(), 4u);
  EXPECT_EQ(cache.Lookup("latency_seconds_bucket"), prw::MetricType::kHistogram);
  EXPECT_EQ(cache.Lookup("nope"), prw::MetricType::kUnknown);

  prw::WriteRequest req;
  req.timeseries.push_back(Series({{"__name__", "http_requests_total"}}, {{5, 1000}}));
  req.timeseries.push_back(Series({{"__name__", "odd_counter"}}, {{1, 1000}}));
  req.timeseries.push_back(
      Series({{"__name__", "latency_seconds_bucket"}, {"le", "0.5"}}, {{3, 1000}}));
  req.timeseries.push_back(Series({{"__name__", "latency_seconds_sum"}}, {{1.5, 1000}}));
  req.timeseries.push_back(Series({{"__name__", "latency_seconds_count"}}, {{4, 1000}}));
  TranslateResult r = Translate(req, &cache, {});
  const auto& m = Scope(r).metrics;
  ASSERT_EQ(m.size(), 5u);
  ASSERT_EQ(m[0].type(), pdata::MetricType::kSum);
  const auto& sum = std::get<pdata::Sum>(m[0].data);
  EXPECT_TRUE(sum.is_monotonic);
  EXPECT_EQ(sum.aggregation_temporality, pdata::AggregationTemporality::kCumulative);
  EXPECT_EQ(Attr(m[0].metadata, "prometheus.type"), "counter");
  EXPECT_EQ(m[1].type(), pdata::MetricType::kGauge);  // no _total: would be renamed
  EXPECT_EQ(Attr(m[1].metadata, "prometheus.type"), "counter");
  for (int i = 2; i < 5; ++i) {
    EXPECT_EQ(m[i].type(), pdata::MetricType::kGauge) << m[i].name;
    EXPECT_EQ(Attr(m[i].metadata, "prometheus.type"), "histogram");
  }
  EXPECT_EQ(Attr(std::get<pdata::Gauge>(m[2].data).data_points[0].attributes, "le"), "0.5");
}

TEST(TranslateTest, V2MetadataAndCreatedTimestamp) {
  prw::WriteRequest req;
  prw::TimeSeries ts = Series({{"__name__", "jobs_total"}}, {{7, 2000}});
  ts.metadata = {prw::MetricType::kCounter, "Jobs done.", ""};
  ts.created_timestamp_ms = 1000;
  req.timeseries.push_back(ts);
  TranslateResult r = Translate(req, nullptr, {});
  const auto& m = Scope(r).metrics.at(0);
  EXPECT_EQ(m.description, "Jobs done.");
  ASSERT_EQ(m.type(), pdata::MetricType::kSum);
  const auto& p = std::get<pdata::Sum>(m.data).data_points.at(0);
  EXPECT_EQ(p.start_time_unix_nano, 1000ull * 1000000);
  EXPECT_EQ(p.time_unix_nano, 2000ull * 1000000);
}

TEST(TranslateTest, StaleMarkerBecomesNoRecordedValue) {
  prw::WriteRequest req;
  req.timeseries.push_back(
      Series({{"__name__", "up"}},
             {{1, 1000}, {std::bit_cast<double>(prw::kStaleNaNBits), 2000}, {std::nan(""), 3000}}));
  TranslateResult r = Translate(req, nullptr, {});
  const auto& p = std::get<pdata::Gauge>(Scope(r).metrics.at(0).data).data_points;
  ASSERT_EQ(p.size(), 3u);
  EXPECT_FALSE(p[0].no_recorded_value());
  EXPECT_TRUE(p[1].no_recorded_value());
  EXPECT_FALSE(p[2].no_recorded_value());  // an ordinary NaN is a value
  EXPECT_TRUE(std::isnan(p[2].AsDouble()));
}

TEST(TranslateTest, ExemplarsGoToTheirPoint) {
  prw::WriteRequest req;
  prw::TimeSeries ts = Series({{"__name__", "req_total"}}, {{1, 1000}, {2, 2000}});
  prw::Exemplar e;
  e.labels = {{"trace_id", "4bf92f3577b34da6a3ce929d0e0e4736"},
              {"span_id", "00f067aa0ba902b7"},
              {"user", "x"}};
  e.value = 0.3;
  e.timestamp_ms = 1000;
  ts.exemplars.push_back(e);
  prw::Exemplar late = e;
  late.labels = {{"trace_id", "not-hex"}};
  late.timestamp_ms = 9999;
  ts.exemplars.push_back(late);
  req.timeseries.push_back(ts);
  TranslateResult r = Translate(req, nullptr, {});
  EXPECT_EQ(r.exemplars, 2u);
  const auto& p = std::get<pdata::Gauge>(Scope(r).metrics.at(0).data).data_points;
  ASSERT_EQ(p[0].exemplars.size(), 1u);
  EXPECT_EQ(p[0].exemplars[0].trace_id.ToHex(), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(p[0].exemplars[0].span_id.ToHex(), "00f067aa0ba902b7");
  EXPECT_EQ(Attr(p[0].exemplars[0].filtered_attributes, "user"), "x");
  ASSERT_EQ(p[1].exemplars.size(), 1u);  // no point at 9999: the last one
  EXPECT_TRUE(p[1].exemplars[0].trace_id.empty());
  EXPECT_EQ(Attr(p[1].exemplars[0].filtered_attributes, "trace_id"), "not-hex");
}

// A span after the first with a negative offset (indices going backwards) is refused, as
// Prometheus refuses it; it wrote past the dense buckets (found by remote_write_receiver_fuzz,
// fuzz/corpus/remote_write_receiver/crash-b0bc40e6...).
TEST(TranslateTest, NativeHistogramSpanGoingBackwardsIsInvalid) {
  for (bool float_counts : {false, true}) {
    for (bool custom : {false, true}) {
      prw::WriteRequest req;
      prw::TimeSeries ts;
      ts.labels = {{"__name__", "rpc_seconds"}};
      prw::Histogram h;
      h.float_counts = float_counts;
      h.count_int = 4;
      h.count_float = 4;
      h.schema = custom ? -53 : 0;
      if (custom) h.custom_values = {0.1, 1, 10};
      // Indexes 0, 1, 2, then 1: the last one is not the highest, so the dense buckets
      // were sized 2 and index 2 written past them.
      h.positive_spans = {{0, 3}, {-2, 1}};
      h.positive_deltas = {1, 0, 0, 0};
      h.positive_counts = {1, 1, 1, 1};
      h.timestamp_ms = 5000;
      ts.histograms.push_back(h);
      req.timeseries.push_back(ts);
      TranslateResult r = Translate(req, nullptr, {});
      EXPECT_EQ(r.invalid, 1u) << float_counts << custom;
      EXPECT_NE(r.first_error.find("negative offset"), std::string::npos) << r.first_error;
    }
  }
}

TEST(TranslateTest, NativeHistograms) {
  prw::WriteRequest req;
  prw::TimeSeries ts;
  ts.labels = {{"__name__", "rpc_seconds"}, {"job", "a"}};
  prw::Histogram h;
  h.count_int = 9;
  h.sum = 4.5;
  h.schema = 1;
  h.zero_count_int = 1;
  h.zero_threshold = 0.001;
  h.positive_spans = {{0, 2}, {2, 1}};  // Prometheus indexes 0, 1, 4
  h.positive_deltas = {2, 1, -1};       // counts 2, 3, 2
  h.negative_spans = {{-1, 1}};
  h.negative_deltas = {1};
  h.timestamp_ms = 5000;
  ts.histograms.push_back(h);
  req.timeseries.push_back(ts);

  prw::TimeSeries custom;
  custom.labels = {{"__name__", "nhcb_seconds"}};
  prw::Histogram c;
  c.float_counts = true;
  c.count_float = 6;
  c.sum = 3;
  c.schema = -53;
  c.custom_values = {0.1, 1};
  c.positive_spans = {{0, 1}, {1, 1}};  // indexes 0 and 2 (+Inf)
  c.positive_counts = {4, 2};
  c.timestamp_ms = 5000;
  custom.histograms.push_back(c);
  req.timeseries.push_back(custom);

  TranslateResult r = Translate(req, nullptr, {});
  EXPECT_EQ(r.invalid, 0u) << r.first_error;
  EXPECT_EQ(r.histograms, 2u);
  const auto& m = Scope(r).metrics;
  ASSERT_EQ(m.size(), 2u);
  ASSERT_EQ(m[0].type(), pdata::MetricType::kExponentialHistogram);
  const auto& e = std::get<pdata::ExponentialHistogram>(m[0].data);
  EXPECT_EQ(e.aggregation_temporality, pdata::AggregationTemporality::kCumulative);
  const auto& p = e.data_points.at(0);
  EXPECT_EQ(p.scale, 1);
  EXPECT_EQ(p.count, 9u);
  EXPECT_EQ(p.zero_count, 1u);
  EXPECT_EQ(p.positive.offset, -1);
  EXPECT_EQ(p.positive.bucket_counts, (std::vector<uint64_t>{2, 3, 0, 0, 2}));
  EXPECT_EQ(p.negative.offset, -2);
  EXPECT_EQ(p.negative.bucket_counts, (std::vector<uint64_t>{1}));
  EXPECT_EQ(Attr(p.attributes, "job"), "a");

  ASSERT_EQ(m[1].type(), pdata::MetricType::kHistogram);
  const auto& hp = std::get<pdata::Histogram>(m[1].data).data_points.at(0);
  EXPECT_EQ(hp.explicit_bounds, (std::vector<double>{0.1, 1}));
  EXPECT_EQ(hp.bucket_counts, (std::vector<uint64_t>{4, 0, 2}));
  EXPECT_EQ(hp.count, 6u);
  EXPECT_EQ(*hp.sum, 3);
}

TEST(TranslateTest, InvalidSeriesAreSkippedAndNamed) {
  prw::WriteRequest req;
  req.timeseries.push_back(Series({{"job", "x"}}, {{1, 1}}));
  req.timeseries.push_back(Series({{"__name__", "ok"}}, {{1, 1}}));
  req.timeseries.push_back(Series({{"__name__", "dup"}, {"a", "1"}, {"a", "2"}}, {{1, 1}}));
  req.timeseries.push_back(
      Series({{"__name__", "long"}, {"v", std::string_view("0123456789")}}, {{1, 1}}));
  prw::Histogram bad;
  bad.schema = 1;
  bad.positive_spans = {{0, 3}};
  bad.positive_deltas = {1};
  prw::TimeSeries h;
  h.labels = {{"__name__", "h"}};
  h.histograms.push_back(bad);
  req.timeseries.push_back(h);
  TranslateLimits limits;
  limits.max_label_value_length = 5;
  TranslateResult r = Translate(req, nullptr, limits);
  EXPECT_EQ(r.invalid, 4u);
  EXPECT_EQ(r.first_error, "timeseries[0]: missing metric name (the __name__ label)");
  ASSERT_EQ(Scope(r).metrics.size(), 1u);  // "h" had no valid point: dropped
  EXPECT_EQ(Scope(r).metrics[0].name, "ok");

  prw::WriteRequest only_dup;
  only_dup.timeseries.push_back(req.timeseries[2]);
  EXPECT_EQ(Translate(only_dup, nullptr, {}).first_error, "timeseries[0]: duplicate label \"a\"");
  prw::WriteRequest only_long;
  only_long.timeseries.push_back(req.timeseries[3]);
  EXPECT_EQ(Translate(only_long, nullptr, limits).first_error,
            "timeseries[0]: label \"v\" value of 10 bytes, longer than max_label_value_length (5)");
}

}  // namespace
}  // namespace astrolabe::receiver::prometheus_remote_write
