#include "receiver/prometheus/metrics_builder.h"

#include <gtest/gtest.h>

#include <cmath>

namespace astrolabe::receiver::prometheus {
namespace {

constexpr int64_t kT = 1'700'000'000'000;  // ms
constexpr uint64_t kTNanos = static_cast<uint64_t>(kT) * 1'000'000;

Labels L(std::vector<Label> labels) { return Labels(std::move(labels)); }

Labels Series(const std::string& name, std::vector<Label> labels = {}) {
  labels.push_back({"__name__", name});
  labels.push_back({"job", "nim"});
  labels.push_back({"instance", "nim-0.ai.svc:8000"});
  return Labels(std::move(labels));
}

const pdata::Metric* FindMetric(const pdata::Metrics& m, const std::string& name) {
  for (const auto& rm : m.resource_metrics) {
    for (const auto& sm : rm.scope_metrics) {
      for (const auto& metric : sm.metrics) {
        if (metric.name == name) return &metric;
      }
    }
  }
  return nullptr;
}

TEST(MetricsBuilder, ResourceScopeAndTypes) {
  MetricsBuilder b({.scheme = "https"});
  b.SetMetadata("num_requests_running", {FamilyType::kGauge, "Running.", ""});
  b.SetMetadata("request_success_total", {FamilyType::kCounter, "Successes.", ""});
  b.Add(Series("num_requests_running", {{"model_name", "m"}}), 3, kT);
  b.Add(Series("request_success_total", {{"model_name", "m"}}), 40, kT);
  b.Add(Series("no_type_at_all"), 7, kT);
  pdata::Metrics m = b.Finish();
  ASSERT_EQ(m.resource_metrics.size(), 1u);
  const auto& rm = m.resource_metrics[0];
  pdata::Attributes want_resource = {{"service.name", "nim"},
                                     {"service.instance.id", "nim-0.ai.svc:8000"},
                                     {"server.address", "nim-0.ai.svc"},
                                     {"server.port", "8000"},
                                     {"url.scheme", "https"}};
  EXPECT_EQ(rm.resource.attributes, want_resource);
  ASSERT_EQ(rm.scope_metrics.size(), 1u);
  EXPECT_EQ(rm.scope_metrics[0].scope.name, kScopeName);
  EXPECT_EQ(rm.scope_metrics[0].scope.version, ScopeVersion());
  ASSERT_EQ(rm.scope_metrics[0].metrics.size(), 3u);

  pdata::Metric gauge;
  gauge.name = "num_requests_running";
  gauge.description = "Running.";
  gauge.metadata = {{"prometheus.type", "gauge"}};
  pdata::NumberDataPoint p;
  p.attributes = {{"model_name", "m"}};
  p.time_unix_nano = kTNanos;
  p.value = 3.0;
  gauge.data = pdata::Gauge{{p}};
  EXPECT_EQ(rm.scope_metrics[0].metrics[0], gauge);

  const pdata::Metric& counter = rm.scope_metrics[0].metrics[1];
  ASSERT_EQ(counter.type(), pdata::MetricType::kSum);
  const auto& sum = std::get<pdata::Sum>(counter.data);
  EXPECT_TRUE(sum.is_monotonic);
  EXPECT_EQ(sum.aggregation_temporality, pdata::AggregationTemporality::kCumulative);
  EXPECT_EQ(sum.data_points[0].start_time_unix_nano, 0u);  // no _created: unset
  EXPECT_EQ(sum.data_points[0].AsDouble(), 40);

  const pdata::Metric& unknown = rm.scope_metrics[0].metrics[2];
  EXPECT_EQ(unknown.type(), pdata::MetricType::kGauge);
  EXPECT_EQ(unknown.metadata, (pdata::Attributes{{"prometheus.type", "unknown"}}));
}

TEST(MetricsBuilder, LoopbackInstanceHasNoServerAddress) {
  MetricsBuilder b({});
  b.Add(L({{"__name__", "x"}, {"job", "j"}, {"instance", "127.0.0.1:9"}}), 1, kT);
  b.Add(L({{"__name__", "x"}, {"job", "j"}, {"instance", "localhost"}}), 1, kT);
  pdata::Metrics m = b.Finish();
  ASSERT_EQ(m.resource_metrics.size(), 2u);
  EXPECT_EQ(m.resource_metrics[0].resource.attributes,
            (pdata::Attributes{{"service.name", "j"},
                               {"service.instance.id", "127.0.0.1:9"},
                               {"server.port", "9"},
                               {"url.scheme", "http"}}));
  EXPECT_EQ(*pdata::FindAttribute(m.resource_metrics[1].resource.attributes, "server.port"),
            pdata::AnyValue(""));
}

TEST(MetricsBuilder, HistogramFromBuckets) {
  MetricsBuilder b({});
  b.SetMetadata("lat_seconds", {FamilyType::kHistogram, "Latency.", "seconds"});
  for (auto [le, v] :
       std::vector<std::pair<const char*, double>>{{"0.5", 2}, {"0.1", 1}, {"1", 5}, {"+Inf", 6}}) {
    b.Add(Series("lat_seconds_bucket", {{"le", le}, {"m", "a"}}), v, kT);
  }
  b.Add(Series("lat_seconds_count", {{"m", "a"}}), 6, kT);
  b.Add(Series("lat_seconds_sum", {{"m", "a"}}), 2.5, kT);
  b.Add(Series("lat_seconds_created", {{"m", "a"}}), 1'699'999'000.5, kT);
  pdata::Metrics m = b.Finish();
  const pdata::Metric* h = FindMetric(m, "lat_seconds");
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->unit, "s");
  ASSERT_EQ(h->type(), pdata::MetricType::kHistogram);
  const auto& hist = std::get<pdata::Histogram>(h->data);
  ASSERT_EQ(hist.data_points.size(), 1u);
  const auto& dp = hist.data_points[0];
  EXPECT_EQ(dp.attributes, (pdata::Attributes{{"m", "a"}}));
  EXPECT_EQ(dp.explicit_bounds, (std::vector<double>{0.1, 0.5, 1}));
  EXPECT_EQ(dp.bucket_counts, (std::vector<uint64_t>{1, 1, 3, 1}));
  EXPECT_EQ(dp.count, 6u);
  EXPECT_EQ(dp.sum, 2.5);
  EXPECT_EQ(dp.start_time_unix_nano, 1'699'999'000'500'000'000u);
  EXPECT_EQ(dp.time_unix_nano, kTNanos);
  EXPECT_EQ(m.DataPointCount(), 1u);  // _created is not a series of its own
}

TEST(MetricsBuilder, MalformedHistogramsAreDropped) {
  MetricsBuilder b({});
  b.SetMetadata("h", {FamilyType::kHistogram, "", ""});
  b.Add(Series("h_bucket", {{"le", "1"}, {"case", "no_inf"}}), 1, kT);
  b.Add(Series("h_count", {{"case", "no_inf"}}), 1, kT);
  b.Add(Series("h_bucket", {{"le", "+Inf"}, {"case", "no_count"}}), 1, kT);
  b.Add(Series("h_bucket", {{"le", "+Inf"}, {"case", "times"}}), 1, kT);
  b.Add(Series("h_count", {{"case", "times"}}), 1, kT + 1);
  pdata::Metrics m = b.Finish();
  EXPECT_EQ(m.DataPointCount(), 0u);
  EXPECT_EQ(b.dropped_points(), 3);
}

TEST(MetricsBuilder, SummaryAndOpenMetricsCounter) {
  MetricsBuilder b({});
  b.SetMetadata("rpc", {FamilyType::kSummary, "RPCs.", ""});
  b.SetMetadata("tokens", {FamilyType::kCounter, "Tokens.", ""});
  b.Add(Series("rpc", {{"quantile", "0.99"}}), 0.8, kT);
  b.Add(Series("rpc", {{"quantile", "0.5"}}), 0.3, kT);
  b.Add(Series("rpc_count"), 10, kT);
  b.Add(Series("tokens_total"), 100, kT);
  b.Add(Series("tokens_created"), 1'699'000'000, kT);
  pdata::Metrics m = b.Finish();
  const pdata::Metric* s = FindMetric(m, "rpc");
  ASSERT_NE(s, nullptr);
  const auto& sdp = std::get<pdata::Summary>(s->data).data_points.at(0);
  EXPECT_EQ(sdp.count, 10u);
  EXPECT_EQ(sdp.sum, 0);  // no _sum: 0
  ASSERT_EQ(sdp.quantile_values.size(), 2u);
  EXPECT_EQ(sdp.quantile_values[0].quantile, 0.5);
  EXPECT_EQ(sdp.quantile_values[1].value, 0.8);
  // OpenMetrics counter: family "tokens", metric keeps the sample name tokens_total.
  const pdata::Metric* c = FindMetric(m, "tokens_total");
  ASSERT_NE(c, nullptr);
  const auto& cdp = std::get<pdata::Sum>(c->data).data_points.at(0);
  EXPECT_EQ(cdp.start_time_unix_nano, 1'699'000'000'000'000'000u);
  EXPECT_EQ(cdp.AsDouble(), 100);
}

TEST(MetricsBuilder, InfoStateSetGaugeHistogram) {
  MetricsBuilder b({});
  b.SetMetadata("build", {FamilyType::kInfo, "", ""});
  b.SetMetadata("state", {FamilyType::kStateSet, "", ""});
  b.SetMetadata("gh", {FamilyType::kGaugeHistogram, "", ""});
  b.Add(Series("build_info", {{"version", "1.2"}}), 1, kT);
  b.Add(Series("state", {{"state", "a"}}), 1, kT);
  b.Add(Series("state", {{"state", "b"}}), 0, kT);
  b.Add(Series("gh_bucket", {{"le", "+Inf"}}), 1, kT);
  b.Add(Series("gh_gcount"), 1, kT);
  pdata::Metrics m = b.Finish();
  const pdata::Metric* info = FindMetric(m, "build_info");
  ASSERT_NE(info, nullptr);
  EXPECT_FALSE(std::get<pdata::Sum>(info->data).is_monotonic);
  EXPECT_EQ(info->metadata, (pdata::Attributes{{"prometheus.type", "info"}}));
  const pdata::Metric* state = FindMetric(m, "state");
  ASSERT_NE(state, nullptr);
  EXPECT_EQ(std::get<pdata::Sum>(state->data).data_points.size(), 2u);
  EXPECT_EQ(FindMetric(m, "gh"), nullptr);  // gaugehistogram is dropped
  EXPECT_EQ(m.MetricCount(), 2u);
}

TEST(MetricsBuilder, TargetInfoAndScopeLabels) {
  MetricsBuilder b({});
  b.Add(Series("target_info", {{"k8s_pod_name", "nim-0"}, {"deployment_environment", "prod"}}), 1,
        kT);
  b.Add(Series("x", {{"otel_scope_name", "vllm"},
                     {"otel_scope_version", "0.6"},
                     {"otel_scope_region", "eu"},
                     {"a", "1"}}),
        1, kT);
  b.Add(Series("y"), 2, kT);
  pdata::Metrics m = b.Finish();
  ASSERT_EQ(m.resource_metrics.size(), 1u);
  const auto& rm = m.resource_metrics[0];
  EXPECT_EQ(*pdata::FindAttribute(rm.resource.attributes, "k8s_pod_name"),
            pdata::AnyValue("nim-0"));
  EXPECT_EQ(*pdata::FindAttribute(rm.resource.attributes, "deployment_environment"),
            pdata::AnyValue("prod"));
  ASSERT_EQ(rm.scope_metrics.size(), 2u);
  EXPECT_EQ(rm.scope_metrics[0].scope.name, "vllm");
  EXPECT_EQ(rm.scope_metrics[0].scope.version, "0.6");
  EXPECT_EQ(rm.scope_metrics[0].scope.attributes, (pdata::Attributes{{"region", "eu"}}));
  EXPECT_EQ(std::get<pdata::Gauge>(rm.scope_metrics[0].metrics[0].data).data_points[0].attributes,
            (pdata::Attributes{{"a", "1"}}));
  EXPECT_EQ(rm.scope_metrics[1].scope.name, kScopeName);
  EXPECT_EQ(FindMetric(m, "target_info"), nullptr);
}

TEST(MetricsBuilder, StaleMarkersBecomeNoRecordedValue) {
  MetricsBuilder b({});
  b.SetMetadata("g", {FamilyType::kGauge, "", ""});
  b.SetMetadata("h", {FamilyType::kHistogram, "", ""});
  b.Add(Series("g"), StaleNaN(), kT);
  b.Add(Series("h_bucket", {{"le", "1"}}), StaleNaN(), kT);
  b.Add(Series("h_bucket", {{"le", "+Inf"}}), StaleNaN(), kT);
  b.Add(Series("h_count"), StaleNaN(), kT);
  b.Add(Series("n"), std::nan(""), kT);  // an ordinary NaN is a value
  pdata::Metrics m = b.Finish();
  const auto& g = std::get<pdata::Gauge>(FindMetric(m, "g")->data).data_points.at(0);
  EXPECT_TRUE(g.no_recorded_value());
  EXPECT_EQ(g.AsDouble(), 0);
  const auto& h = std::get<pdata::Histogram>(FindMetric(m, "h")->data).data_points.at(0);
  EXPECT_TRUE(h.no_recorded_value());
  EXPECT_EQ(h.explicit_bounds, (std::vector<double>{1}));
  EXPECT_EQ(h.bucket_counts, (std::vector<uint64_t>{0, 0}));
  const auto& n = std::get<pdata::Gauge>(FindMetric(m, "n")->data).data_points.at(0);
  EXPECT_FALSE(n.no_recorded_value());
  EXPECT_TRUE(std::isnan(n.AsDouble()));
  EXPECT_TRUE(IsStaleNaN(StaleNaN()));
  EXPECT_FALSE(IsStaleNaN(std::nan("")));
}

TEST(MetricsBuilder, ExemplarsAndTrimSuffixes) {
  MetricsBuilder b({.trim_metric_suffixes = true});
  b.SetMetadata("req", {FamilyType::kCounter, "", ""});
  b.SetMetadata("lat_seconds", {FamilyType::kGauge, "", "seconds"});
  ExemplarInput ex{L({{"trace_id", "0102030405060708090a0b0c0d0e0f10"},
                      {"span_id", "1112131415161718"},
                      {"user", "alice"}}),
                   1.0, std::nullopt};
  b.Add(Series("req_total"), 5, kT, &ex);
  b.Add(Series("lat_seconds"), 0.2, kT);
  pdata::Metrics m = b.Finish();
  const pdata::Metric* req = FindMetric(m, "req");
  ASSERT_NE(req, nullptr);
  const auto& dp = std::get<pdata::Sum>(req->data).data_points.at(0);
  ASSERT_EQ(dp.exemplars.size(), 1u);
  EXPECT_EQ(dp.exemplars[0].trace_id.ToHex(), "0102030405060708090a0b0c0d0e0f10");
  EXPECT_EQ(dp.exemplars[0].span_id.ToHex(), "1112131415161718");
  EXPECT_EQ(dp.exemplars[0].filtered_attributes, (pdata::Attributes{{"user", "alice"}}));
  EXPECT_EQ(dp.exemplars[0].time_unix_nano, kTNanos);  // sample time when it has none
  EXPECT_NE(FindMetric(m, "lat"), nullptr);
}

TEST(SplitHostPort, Forms) {
  std::string h, p;
  SplitHostPort("[::1]:9090", &h, &p);
  EXPECT_EQ(h, "::1");
  EXPECT_EQ(p, "9090");
  SplitHostPort("nim", &h, &p);
  EXPECT_EQ(h, "nim");
  EXPECT_EQ(p, "");
  SplitHostPort("nim:8000", &h, &p);
  EXPECT_EQ(h, "nim");
  EXPECT_EQ(p, "8000");
}

}  // namespace
}  // namespace astrolabe::receiver::prometheus

// The garbage below names only the fields it sets; g++ 12 warns about the rest under -Wextra.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace astrolabe::receiver::prometheus {
namespace {

// A Metrics with every field set to something no builder output has, and more (and
// differently typed) resources, scopes, metrics and points than the scrapes below.
pdata::Metrics Garbage() {
  pdata::Attributes attrs = {{"junk", "a value long enough to be on the heap"}, {"n", 7}};
  pdata::Exemplar ex{.filtered_attributes = attrs, .time_unix_nano = 9, .value = 1.5};
  pdata::NumberDataPoint np{.attributes = attrs, .start_time_unix_nano = 3, .time_unix_nano = 4,
                            .value = int64_t{5}, .exemplars = {ex}, .flags = 1};
  pdata::HistogramDataPoint hp{.attributes = attrs, .start_time_unix_nano = 3,
                               .time_unix_nano = 4, .count = 9, .sum = 2.5,
                               .bucket_counts = {1, 2, 3, 4}, .explicit_bounds = {1, 2, 3},
                               .exemplars = {ex}, .flags = 1, .min = 0.5, .max = 8.0};
  pdata::SummaryDataPoint sp{.attributes = attrs, .start_time_unix_nano = 3, .time_unix_nano = 4,
                             .count = 2, .sum = 1, .quantile_values = {{0.5, 1}}, .flags = 1};
  auto metric = [&](int kind) {
    pdata::Metric m{.name = "garbage_metric_name_long_enough", .description = "d", .unit = "u"};
    m.metadata = attrs;
    switch (kind % 4) {
      case 0:
        m.data = pdata::Gauge{{np, np, np}};
        break;
      case 1:
        m.data = pdata::Sum{{np, np}, pdata::AggregationTemporality::kDelta, false};
        break;
      case 2:
        m.data = pdata::Histogram{{hp, hp}, pdata::AggregationTemporality::kDelta};
        break;
      default:
        m.data = pdata::Summary{{sp, sp, sp}};
    }
    return m;
  };
  pdata::Metrics out;
  for (int r = 0; r < 3; ++r) {
    pdata::ResourceMetrics rm{.resource = {.attributes = attrs, .dropped_attributes_count = 2},
                              .schema_url = "s"};
    for (int s = 0; s < 3; ++s) {
      pdata::ScopeMetrics sm{.scope = {.name = "n", .version = "v", .attributes = attrs,
                                       .dropped_attributes_count = 1},
                             .schema_url = "s"};
      for (int k = 0; k < 9; ++k) sm.metrics.push_back(metric(k + s + r));
      rm.scope_metrics.push_back(std::move(sm));
    }
    out.resource_metrics.push_back(std::move(rm));
  }
  return out;
}

// Two scrapes into the same builders: one finished fresh, one into a recycled output.
void AddScrape(MetricsBuilder& b, int scrape) {
  b.SetMetadata("running", {FamilyType::kGauge, "Running.", ""});
  b.SetMetadata("reqs", {FamilyType::kCounter, "Requests.", ""});
  b.SetMetadata("lat", {FamilyType::kHistogram, "Latency.", "seconds"});
  b.SetMetadata("q", {FamilyType::kSummary, "", ""});
  const int64_t t = kT + scrape * 1000;
  b.Add(Series("running", {{"model_name", "meta/llama-3.1-8b-instruct"}}), 3 + scrape, t);
  if (scrape != 1) b.Add(Series("running", {{"model_name", "m2"}}), 1, t);  // leaves, comes back
  b.Add(Series("reqs_total", {{"model_name", "m"}}), 40 + scrape, t);
  b.Add(Series("reqs_created", {{"model_name", "m"}}), 1700000000.5, t);
  b.Add(Series("lat_bucket", {{"le", "0.5"}}), 1, t);
  b.Add(Series("lat_bucket", {{"le", "+Inf"}}), 2 + scrape, t);
  b.Add(Series("lat_sum"), 0.7, t);
  b.Add(Series("lat_count"), 2 + scrape, t);
  b.Add(Series("q", {{"quantile", "0.9"}}), 0.2, t);
  b.Add(Series("q_count"), 4, t);
  if (scrape == 2) {
    b.Add(Series("lat_bucket", {{"le", "0.5"}, {"x", "1"}}), StaleNaN(), t);  // a stale point
    b.Add(Series("other", {{"a", "b"}}), 1, t);
  }
  if (scrape == 3) b.Add(Series("target_info", {{"version", "1"}}), 1, t);
}

TEST(MetricsBuilder, FinishIntoAnyOutputEqualsFinish) {
  for (bool keep : {true, false}) {
    MetricsBuilder fresh({.keep_structure = keep});
    MetricsBuilder recycled({.keep_structure = keep});
    pdata::Metrics out = Garbage();
    for (int scrape = 0; scrape < 5; ++scrape) {
      AddScrape(fresh, scrape);
      AddScrape(recycled, scrape);
      pdata::Metrics want = fresh.Finish();
      if (scrape == 4) out = Garbage();  // a batch another target's scrape left behind
      recycled.FinishInto(out);
      EXPECT_GT(want.DataPointCount(), 0u);
      EXPECT_TRUE(out == want) << "keep " << keep << ", scrape " << scrape;
      EXPECT_EQ(fresh.dropped_points(), recycled.dropped_points());
    }
  }
}

}  // namespace
}  // namespace astrolabe::receiver::prometheus
