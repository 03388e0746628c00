#include "receiver/prometheus/scrape.h"

#include <gtest/gtest.h>

#include <zlib.h>

#include <algorithm>

#include "receiver/prometheus/test_util.h"

namespace astrolabe::receiver::prometheus {
namespace {

using test::FakeTarget;
using test::FindMetric;
using test::GaugeValue;
using test::NumberPoints;
using test::ReadTestdata;
using test::RecordingConsumer;

constexpr int64_t kNowNanos = 1'700'000'000'123'000'000;  // ms-aligned
constexpr uint64_t kNowMsNanos = 1'700'000'000'123'000'000;

net::HttpClientOptions ClientOptions() {
  net::HttpClientOptions o;
  o.decompress_responses = true;
  return o;
}

class ScrapeLoopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(target_.ok());
    config_.job_name = "nim";
    config_.scrape_interval = std::chrono::seconds(10);
    config_.scrape_timeout = std::chrono::seconds(10);
    config_.scrape_protocols = DefaultScrapeProtocols();
    config_.fallback_scrape_protocol = "PrometheusText0.0.4";
    config_.static_configs.push_back({{target_.address()}, {}});
  }

  // Creates the loop for config_ (after the test adjusted it).
  ScrapeLoop& Loop(std::vector<RelabelConfig> metric_relabel = {}) {
    auto discovered = StaticTargetProvider().Discover(config_);
    EXPECT_TRUE(discovered.ok());
    auto t = PopulateTarget(config_, {}, discovered->at(0));
    EXPECT_TRUE(t.ok() && t->has_value());
    auto rules = CompileRelabelRules(metric_relabel, "metric_relabel_configs");
    EXPECT_TRUE(rules.ok()) << rules.status().ToString();
    ScrapeLoopOptions o;
    o.config = config_;
    o.target = std::move(**t);
    o.metric_relabel = std::move(*rules);
    o.client = &client_;
    o.next = next_ != nullptr ? next_ : &sink_;
    o.instruments = {&accepted_, &refused_};
    o.scrapes_refused = &scrapes_refused_;
    o.refusal_log = refusal_log_;
    o.clock = &clock_;
    loop_ = std::make_unique<ScrapeLoop>(std::move(o));
    return *loop_;
  }

  const pdata::Metrics& Last() { return last_ = sink_.batches().back(), last_.get(); }

  FakeTarget target_;
  ScrapeConfig config_;
  net::HttpClient client_{ClientOptions()};
  RecordingConsumer sink_;
  component::Counter accepted_, refused_, scrapes_refused_;
  component::Consumer* next_ = nullptr;  // null: sink_
  std::shared_ptr<RefusalLog> refusal_log_ = std::make_shared<RefusalLog>();
  FakeClock clock_{kNowNanos};
  std::unique_ptr<ScrapeLoop> loop_;
  pdata::MetricsBatch last_;
};

TEST_F(ScrapeLoopTest, NimPayloadBecomesTheExpectedOtlp) {
  target_.Serve(ReadTestdata("nim.txt"));
  ScrapeResult r = Loop().ScrapeOnce();
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.samples_scraped, 97u);  // sample lines in nim.txt
  EXPECT_EQ(r.samples_post_relabel, 97u);
  EXPECT_EQ(r.series_added, 97u);
  ASSERT_EQ(sink_.size(), 1u);
  const pdata::Metrics& m = Last();

  ASSERT_EQ(m.resource_metrics.size(), 1u);
  const auto& rm = m.resource_metrics[0];
  std::string port = std::to_string(target_.port());
  EXPECT_EQ(rm.resource.attributes, (pdata::Attributes{{"service.name", "nim"},
                                                       {"service.instance.id", target_.address()},
                                                       {"server.port", port},
                                                       {"url.scheme", "http"}}));
  ASSERT_EQ(rm.scope_metrics.size(), 1u);
  EXPECT_EQ(rm.scope_metrics[0].scope.name, kScopeName);
  std::vector<std::string> names;
  for (const auto& metric : rm.scope_metrics[0].metrics) names.push_back(metric.name);
  EXPECT_EQ(
      names,
      (std::vector<std::string>{
          "num_requests_running", "num_requests_waiting", "num_request_max", "gpu_cache_usage_perc",
          "prompt_tokens_total", "generation_tokens_total", "time_to_first_token_seconds",
          "time_per_output_token_seconds", "e2e_request_latency_seconds", "request_prompt_tokens",
          "request_generation_tokens", "request_finish_total", "request_success_total",
          "request_failure_total", "up", "scrape_duration_seconds", "scrape_samples_scraped",
          "scrape_samples_post_metric_relabeling", "scrape_series_added"}));
  // 4 gauges + 2 counters + 5 histograms + 3 finish reasons + 2 counters + 5 synthetic.
  EXPECT_EQ(m.DataPointCount(), 21u);
  EXPECT_EQ(accepted_.value(), 21);

  pdata::Attributes model = {{"model_name", "meta/llama-3.1-8b-instruct"}};
  pdata::Metric prompt;
  prompt.name = "prompt_tokens_total";
  prompt.description = "Number of prefill tokens processed.";
  prompt.metadata = {{"prometheus.type", "counter"}};
  pdata::NumberDataPoint p;
  p.attributes = model;
  p.time_unix_nano = kNowMsNanos;
  p.value = 18540.0;
  prompt.data = pdata::Sum{{p}, pdata::AggregationTemporality::kCumulative, true};
  EXPECT_EQ(*FindMetric(m, "prompt_tokens_total"), prompt);

  pdata::Metric ttft;
  ttft.name = "time_to_first_token_seconds";
  ttft.description = "Histogram of time to first token in seconds.";
  ttft.metadata = {{"prometheus.type", "histogram"}};
  pdata::HistogramDataPoint h;
  h.attributes = model;
  h.time_unix_nano = kNowMsNanos;
  h.count = 42;
  h.sum = 2.3917;
  h.explicit_bounds = {0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1,
                       0.25,  0.5,   0.75, 1.0,  2.5,  5.0,  7.5,  10.0};
  h.bucket_counts = {0, 0, 0, 4, 13, 12, 6, 3, 3, 1, 0, 0, 0, 0, 0, 0, 0};
  ttft.data = pdata::Histogram{{h}, pdata::AggregationTemporality::kCumulative};
  EXPECT_EQ(*FindMetric(m, "time_to_first_token_seconds"), ttft);

  const auto* finish = NumberPoints(FindMetric(m, "request_finish_total"));
  ASSERT_NE(finish, nullptr);
  ASSERT_EQ(finish->size(), 3u);
  EXPECT_EQ((*finish)[2].attributes,
            (pdata::Attributes{{"finished_reason", "abort"},
                               {"model_name", "meta/llama-3.1-8b-instruct"}}));
  EXPECT_EQ((*finish)[2].AsDouble(), 2);

  pdata::Metric up;
  up.name = "up";
  up.description = "The scraping was successful";
  up.metadata = {{"prometheus.type", "gauge"}};
  pdata::NumberDataPoint u;
  u.time_unix_nano = kNowMsNanos;
  u.value = 1.0;
  up.data = pdata::Gauge{{u}};
  EXPECT_EQ(*FindMetric(m, "up"), up);
  EXPECT_EQ(FindMetric(m, "scrape_duration_seconds")->unit, "s");
  EXPECT_EQ(GaugeValue(m, "scrape_samples_scraped"), 97);
  EXPECT_EQ(GaugeValue(m, "scrape_series_added"), 97);
}

TEST_F(ScrapeLoopTest, SendsPrometheusRequestHeaders) {
  target_.Serve("x 1\n");
  ASSERT_TRUE(Loop().ScrapeOnce().status.ok());
  net::HttpHeaders h = target_.last_headers();
  EXPECT_EQ(h.Get("Accept").value_or(""),
            "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,"
            "application/openmetrics-text;version=0.0.1;q=0.5,"
            "text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,"
            "text/plain;version=0.0.4;q=0.3,*/*;q=0.2");
  EXPECT_EQ(h.Get("X-Prometheus-Scrape-Timeout-Seconds").value_or(""), "10");
  EXPECT_NE(h.Get("Accept-Encoding").value_or("").find("gzip"), std::string::npos);
  EXPECT_EQ(h.Get("User-Agent").value_or("").rfind("Astrolabe/", 0), 0u);
  EXPECT_EQ(target_.last_path(), "/metrics");
}

TEST_F(ScrapeLoopTest, AuthorizationAndParams) {
  config_.authorization.credentials = "tok";
  config_.params["format"] = {"prometheus"};
  config_.metrics_path = "/v1/metrics";
  target_.Serve("x 1\n");
  ASSERT_TRUE(Loop().ScrapeOnce().status.ok());
  EXPECT_EQ(target_.last_headers().Get("Authorization").value_or(""), "Bearer tok");
  EXPECT_EQ(target_.last_path(), "/v1/metrics?format=prometheus");
  config_.authorization = {};
  config_.basic_auth.username = "Aladdin";
  config_.basic_auth.password = "open sesame";
  ASSERT_TRUE(Loop().ScrapeOnce().status.ok());
  EXPECT_EQ(target_.last_headers().Get("Authorization").value_or(""),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
}

TEST_F(ScrapeLoopTest, VllmNamesWithColonsAndKongEmptyLabels) {
  target_.Serve(ReadTestdata("vllm.txt"));
  ASSERT_TRUE(Loop().ScrapeOnce().status.ok());
  const pdata::Metrics& m = Last();
  const auto* running = NumberPoints(FindMetric(m, "vllm:num_requests_running"));
  ASSERT_NE(running, nullptr);
  EXPECT_EQ(
      (*running)[0].attributes,
      (pdata::Attributes{{"engine", "0"}, {"model_name", "meta-llama/Llama-3.1-8B-Instruct"}}));
  const pdata::Metric* ttft = FindMetric(m, "vllm:time_to_first_token_seconds");
  ASSERT_NE(ttft, nullptr);
  EXPECT_EQ(std::get<pdata::Histogram>(ttft->data).data_points[0].explicit_bounds.size(), 22u);

  config_.job_name = "kong";
  target_.Serve(ReadTestdata("kong.txt"));
  ASSERT_TRUE(Loop().ScrapeOnce().status.ok());
  const pdata::Metrics& k = Last();
  EXPECT_EQ(*pdata::FindAttribute(k.resource_metrics[0].resource.attributes, "service.name"),
            pdata::AnyValue("kong"));
  const auto* cost = NumberPoints(FindMetric(k, "kong_ai_llm_cost_total"));
  ASSERT_NE(cost, nullptr);
  ASSERT_EQ(cost->size(), 2u);
  // cache_status="" and the other empty labels are not attributes.
  EXPECT_EQ((*cost)[0].attributes,
            (pdata::Attributes{
                {"ai_model", "gpt-4o"}, {"ai_provider", "openai"}, {"workspace", "default"}}));
  EXPECT_DOUBLE_EQ((*cost)[0].AsDouble(), 0.3105);
  const pdata::Metric* lat = FindMetric(k, "kong_ai_llm_provider_latency_ms");
  ASSERT_NE(lat, nullptr);
  const auto& dp = std::get<pdata::Histogram>(lat->data).data_points.at(0);
  EXPECT_EQ(dp.explicit_bounds, (std::vector<double>{250, 500, 1000, 1500, 2000, 2500, 3000, 3500,
                                                     4000, 4500, 5000, 10000, 30000, 60000}));
  EXPECT_EQ(dp.bucket_counts,
            (std::vector<uint64_t>{0, 3, 18, 17, 11, 6, 3, 1, 1, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(dp.count, 60u);
  EXPECT_EQ(dp.sum, 81240);
}

TEST_F(ScrapeLoopTest, OpenMetricsCreatedSetsStartTimeAndTimestampsAreSeconds) {
  target_.Serve(
      "# TYPE tokens counter\n# HELP tokens Tokens.\n"
      "tokens_total{model=\"m\"} 100 1700000000.5\n"
      "tokens_created{model=\"m\"} 1690000000.25 1700000000.5\n"
      "# TYPE lat_seconds histogram\n# UNIT lat_seconds seconds\n"
      "lat_seconds_bucket{le=\"1.0\"} 1\nlat_seconds_bucket{le=\"+Inf\"} 2\n"
      "lat_seconds_count 2\nlat_seconds_sum 3.5\nlat_seconds_created 1690000001\n# EOF\n",
      "application/openmetrics-text; version=1.0.0; charset=utf-8");
  ScrapeResult r = Loop().ScrapeOnce();
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  const pdata::Metrics& m = Last();
  const auto* tokens = NumberPoints(FindMetric(m, "tokens_total"));
  ASSERT_NE(tokens, nullptr);
  EXPECT_EQ((*tokens)[0].start_time_unix_nano, 1'690'000'000'250'000'000u);
  EXPECT_EQ((*tokens)[0].time_unix_nano, 1'700'000'000'500'000'000u);  // honored
  EXPECT_EQ(FindMetric(m, "tokens_total")->description, "Tokens.");
  const pdata::Metric* lat = FindMetric(m, "lat_seconds");
  ASSERT_NE(lat, nullptr);
  EXPECT_EQ(lat->unit, "s");
  EXPECT_EQ(std::get<pdata::Histogram>(lat->data).data_points[0].start_time_unix_nano,
            1'690'000'001'000'000'000u);
  EXPECT_EQ(FindMetric(m, "tokens_created"), nullptr);
}

TEST_F(ScrapeLoopTest, HonorTimestampsFalseUsesScrapeTime) {
  config_.honor_timestamps = false;
  target_.Serve("x 1 1600000000000\n");
  ASSERT_TRUE(Loop().ScrapeOnce().status.ok());
  EXPECT_EQ(NumberPoints(FindMetric(Last(), "x"))->at(0).time_unix_nano, kNowMsNanos);
}

TEST_F(ScrapeLoopTest, FailedScrapeGivesUpZeroAndStaleMarkers) {
  target_.Serve(ReadTestdata("nim.txt"));
  ScrapeLoop& loop = Loop();
  ASSERT_TRUE(loop.ScrapeOnce().status.ok());

  target_.Serve("unavailable", "text/plain", 503);
  clock_.Advance(std::chrono::seconds(10));
  ScrapeResult r = loop.ScrapeOnce();
  EXPECT_EQ(r.status.message(), "server returned HTTP status 503 Service Unavailable");
  EXPECT_EQ(r.stale_markers, 97u);
  const pdata::Metrics& m = Last();
  EXPECT_EQ(GaugeValue(m, "up"), 0);
  EXPECT_EQ(GaugeValue(m, "scrape_samples_scraped"), 0);
  // Every series of the previous scrape is there once more, with no recorded value.
  EXPECT_EQ(m.DataPointCount(), 21u);
  size_t flagged = 0;
  for (const auto& metric : m.resource_metrics[0].scope_metrics[0].metrics) {
    if (const auto* points = NumberPoints(&metric)) {
      for (const auto& p : *points) flagged += p.no_recorded_value();
    } else if (const auto* h = std::get_if<pdata::Histogram>(&metric.data)) {
      for (const auto& p : h->data_points) {
        EXPECT_TRUE(p.no_recorded_value()) << metric.name;
        EXPECT_EQ(p.count, 0u);
        flagged += p.no_recorded_value();
      }
    }
  }
  EXPECT_EQ(flagged, 16u);  // 21 points - 5 synthetic
  const auto& ttft = std::get<pdata::Histogram>(FindMetric(m, "time_to_first_token_seconds")->data);
  EXPECT_EQ(ttft.data_points[0].time_unix_nano, kNowMsNanos + 10'000'000'000ULL);

  // A second failure has nothing left to mark stale.
  clock_.Advance(std::chrono::seconds(10));
  r = loop.ScrapeOnce();
  EXPECT_EQ(r.stale_markers, 0u);
  EXPECT_EQ(Last().DataPointCount(), 5u);
  EXPECT_EQ(GaugeValue(Last(), "up"), 0);

  // Recovery: every series is new again.
  target_.Serve(ReadTestdata("nim.txt"));
  r = loop.ScrapeOnce();
  EXPECT_TRUE(r.status.ok());
  EXPECT_EQ(r.series_added, 97u);
  EXPECT_EQ(GaugeValue(Last(), "up"), 1);
}

TEST_F(ScrapeLoopTest, SeriesGoneSinceLastScrapeGetAStaleMarker) {
  target_.Serve("# TYPE a gauge\na{x=\"1\"} 1\na{x=\"2\"} 2\n");
  ScrapeLoop& loop = Loop();
  ASSERT_TRUE(loop.ScrapeOnce().status.ok());
  target_.Serve("# TYPE a gauge\na{x=\"1\"} 5\n");
  ScrapeResult r = loop.ScrapeOnce();
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.stale_markers, 1u);
  EXPECT_EQ(r.series_added, 0u);
  const auto* a = NumberPoints(FindMetric(Last(), "a"));
  ASSERT_NE(a, nullptr);
  ASSERT_EQ(a->size(), 2u);
  EXPECT_EQ((*a)[0].AsDouble(), 5);
  EXPECT_FALSE((*a)[0].no_recorded_value());
  EXPECT_EQ((*a)[1].attributes, (pdata::Attributes{{"x", "2"}}));
  EXPECT_TRUE((*a)[1].no_recorded_value());
}

// Bodies are read into the storage of earlier scrapes' bodies (ScrapeLoopOptions::bodies):
// whether the next body is longer or shorter, nothing of the earlier one shows through.
TEST_F(ScrapeLoopTest, BodiesReadIntoEarlierBodiesStorageAreExact) {
  auto body = [](int series, int value) {
    std::string s = "# TYPE g gauge\n";
    for (int i = 0; i < series; ++i) {
      s += "g{i=\"" + std::to_string(i) + "\"} " + std::to_string(value) + "\n";
    }
    return s;
  };
  ScrapeLoop* loop = nullptr;
  for (int series : {2000, 2000, 2000, 150, 3000, 150, 2000}) {
    target_.Serve(body(series, series));
    if (loop == nullptr) loop = &Loop();
    ScrapeResult r = loop->ScrapeOnce();
    ASSERT_TRUE(r.status.ok()) << series << ": " << r.status.ToString();
    EXPECT_EQ(r.samples_scraped, size_t(series)) << series;
    const auto* g = NumberPoints(FindMetric(Last(), "g"));
    ASSERT_NE(g, nullptr);
    size_t live = 0;
    for (const auto& p : *g) {
      if (p.no_recorded_value()) continue;
      ++live;
      EXPECT_EQ(p.AsDouble(), series);
    }
    EXPECT_EQ(live, size_t(series));
  }
}

TEST_F(ScrapeLoopTest, TransportErrorsAndLimitsFailTheScrape) {
  // Unparsable body.
  target_.Serve("x{ 1\n");
  ScrapeResult r = Loop().ScrapeOnce();
  EXPECT_FALSE(r.status.ok());
  EXPECT_EQ(GaugeValue(Last(), "up"), 0);
  // Sample limit.
  config_.sample_limit = 1;
  target_.Serve("a 1\nb 2\n");
  r = Loop().ScrapeOnce();
  EXPECT_EQ(r.status.message(), "sample limit exceeded");
  // Label limit.
  config_.sample_limit = 0;
  config_.label_limit = 3;  // __name__, instance, job + 1 scraped
  target_.Serve("a{x=\"1\"} 1\n");
  r = Loop().ScrapeOnce();
  EXPECT_EQ(r.status.message(), "label_limit exceeded (metric: a, number of labels: 4, limit: 3)");
  // Label value length limit.
  config_.label_limit = 0;
  config_.label_value_length_limit = 4;
  target_.Serve("a{x=\"12345\"} 1\n");
  r = Loop().ScrapeOnce();
  EXPECT_EQ(r.status.message(),
            "label_value_length_limit exceeded (metric: a, label name: instance, value: \"" +
                target_.address() + "\", length: " + std::to_string(target_.address().size()) +
                ", limit: 4)");
  config_.label_value_length_limit = 0;
  // Body size limit.
  config_.body_size_limit = 16;
  target_.Serve(std::string(1000, '#') + "\n");
  r = Loop().ScrapeOnce();
  EXPECT_EQ(r.status.message(), "body size limit exceeded");
  EXPECT_EQ(GaugeValue(Last(), "up"), 0);
}

TEST_F(ScrapeLoopTest, TimeoutFailsTheScrape) {
  config_.scrape_timeout = std::chrono::milliseconds(200);
  target_.SetDelay(std::chrono::milliseconds(1500));
  target_.Serve("x 1\n");
  auto started = std::chrono::steady_clock::now();
  ScrapeResult r = Loop().ScrapeOnce();
  EXPECT_EQ(r.status.code(), StatusCode::kDeadlineExceeded) << r.status.ToString();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(1));
  EXPECT_EQ(target_.last_headers().Get("X-Prometheus-Scrape-Timeout-Seconds").value_or(""), "0.2");
  target_.SetDelay(std::chrono::milliseconds(0));
}

std::string Gzip(const std::string& in) {
  z_stream zs{};
  deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, in.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

TEST_F(ScrapeLoopTest, GzipResponsesAreDecoded) {
  target_.Serve(Gzip(ReadTestdata("kong.txt")));
  target_.SetContentEncoding("gzip");
  ScrapeResult r = Loop().ScrapeOnce();
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.samples_scraped, 27u);  // sample lines in kong.txt
}

// What memory_limiter answers above its soft limit.
class RefusingConsumer : public component::Consumer {
 public:
  Status ConsumeMetrics(pdata::MetricsBatch) override {
    ++calls;
    return ResourceExhausted("data refused due to high memory usage");
  }
  int calls = 0;
};

TEST_F(ScrapeLoopTest, RefusedScrapesAreSkippedAndCounted) {
  RefusingConsumer refusing;
  next_ = &refusing;
  target_.Serve("# TYPE x counter\nx 3\n");
  ScrapeLoop& loop = Loop();
  ScrapeResult r = loop.ScrapeOnce();
  ASSERT_TRUE(r.status.ok()) << "the scrape itself worked";
  EXPECT_TRUE(r.push_status.IsRetryable());
  EXPECT_GT(r.points_pushed, 0u);
  EXPECT_EQ(refused_.value(), static_cast<double>(r.points_pushed));
  EXPECT_EQ(accepted_.value(), 0);
  EXPECT_EQ(scrapes_refused_.value(), 1);
  clock_.Advance(std::chrono::seconds(10));
  (void)loop.ScrapeOnce();
  EXPECT_EQ(scrapes_refused_.value(), 2);
  EXPECT_EQ(refusing.calls, 2) << "a refused scrape is not re-sent";
}

TEST(RefusalLog, LogsOncePerIntervalAndCountsWhatItHeldBack) {
  RefusalLog log;
  auto t0 = std::chrono::steady_clock::time_point(std::chrono::hours(1));
  uint64_t held = 99;
  EXPECT_TRUE(log.ShouldLog(t0, std::chrono::seconds(10), &held));
  EXPECT_EQ(held, 0u);
  EXPECT_FALSE(log.ShouldLog(t0 + std::chrono::seconds(1), std::chrono::seconds(10), &held));
  EXPECT_FALSE(log.ShouldLog(t0 + std::chrono::seconds(9), std::chrono::seconds(10), &held));
  EXPECT_TRUE(log.ShouldLog(t0 + std::chrono::seconds(10), std::chrono::seconds(10), &held));
  EXPECT_EQ(held, 2u);
}

TEST_F(ScrapeLoopTest, TwoThousandSeriesTargetGzipped) {
  std::string body = "# TYPE load gauge\n";
  for (int i = 0; i < 2000; ++i) {
    body += "load{pod=\"p" + std::to_string(i) + "\",zone=\"z" + std::to_string(i % 7) + "\"} " +
            std::to_string(i) + "\n";
  }
  target_.Serve(Gzip(body));
  target_.SetContentEncoding("gzip");
  for (int scrape = 0; scrape < 2; ++scrape) {  // the second rides the pooled connection
    ScrapeResult r = (scrape == 0 ? Loop() : *loop_).ScrapeOnce();
    ASSERT_TRUE(r.status.ok()) << r.status.ToString();
    EXPECT_EQ(r.samples_scraped, 2000u);
    EXPECT_EQ(r.series_added, scrape == 0 ? 2000u : 0u);
  }
  EXPECT_EQ(NumberPoints(FindMetric(Last(), "load"))->size(), 2000u);
}

TEST_F(ScrapeLoopTest, MissingContentTypeFallsBackToText) {
  target_.Serve("# TYPE x counter\nx 3\n", "");
  ScrapeResult r = Loop().ScrapeOnce();
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(NumberPoints(FindMetric(Last(), "x"))->at(0).AsDouble(), 3);
}

TEST_F(ScrapeLoopTest, HonorLabelsConflicts) {
  config_.static_configs[0].labels["team"] = "ai";
  target_.Serve("m{job=\"exported\",instance=\"other:1\",team=\"web\",foo=\"1\"} 1\n");
  ASSERT_TRUE(Loop().ScrapeOnce().status.ok());
  {
    const pdata::Metrics& m = Last();
    EXPECT_EQ(*pdata::FindAttribute(m.resource_metrics[0].resource.attributes, "service.name"),
              pdata::AnyValue("nim"));
    EXPECT_EQ(NumberPoints(FindMetric(m, "m"))->at(0).attributes,
              (pdata::Attributes{{"exported_instance", "other:1"},
                                 {"exported_job", "exported"},
                                 {"exported_team", "web"},
                                 {"foo", "1"},
                                 {"team", "ai"}}));
    // Synthetic metrics carry the target's labels.
    EXPECT_EQ(NumberPoints(FindMetric(m, "up"))->at(0).attributes,
              (pdata::Attributes{{"team", "ai"}}));
  }
  config_.honor_labels = true;
  ASSERT_TRUE(Loop().ScrapeOnce().status.ok());
  const pdata::Metrics& m = Last();
  ASSERT_EQ(m.resource_metrics.size(), 2u);  // the samples' own job/instance, and the target's
  EXPECT_EQ(m.resource_metrics[0].resource.attributes,
            (pdata::Attributes{{"service.name", "exported"},
                               {"service.instance.id", "other:1"},
                               {"server.address", "other"},
                               {"server.port", "1"},
                               {"url.scheme", "http"}}));
  EXPECT_EQ(NumberPoints(FindMetric(m, "m"))->at(0).attributes,
            (pdata::Attributes{{"foo", "1"}, {"team", "web"}}));
}

// The clashing scraped job="a" moves to the first free exported_ name; the scraped
// exported_job="b" keeps its own name (Prometheus resolveConflictingExposedLabels).
TEST_F(ScrapeLoopTest, ExportedPrefixRepeatsUntilFree) {
  target_.Serve("m{job=\"a\",exported_job=\"b\"} 1\n");
  ASSERT_TRUE(Loop().ScrapeOnce().status.ok());
  EXPECT_EQ(NumberPoints(FindMetric(Last(), "m"))->at(0).attributes,
            (pdata::Attributes{{"exported_exported_job", "a"}, {"exported_job", "b"}}));
}

TEST_F(ScrapeLoopTest, MetricRelabelConfigs) {
  target_.Serve(ReadTestdata("vllm.txt"));
  RelabelConfig drop;
  drop.action = "drop";
  drop.source_labels = {"__name__"};
  drop.regex = "vllm:prefix_cache_.*";
  RelabelConfig labeldrop;
  labeldrop.action = "labeldrop";
  labeldrop.regex = "engine";
  ScrapeResult r = Loop({drop, labeldrop}).ScrapeOnce();
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.samples_scraped, 35u);
  EXPECT_EQ(r.samples_post_relabel, 33u);
  const pdata::Metrics& m = Last();
  EXPECT_EQ(FindMetric(m, "vllm:prefix_cache_hits_total"), nullptr);
  EXPECT_EQ(NumberPoints(FindMetric(m, "vllm:num_requests_running"))->at(0).attributes,
            (pdata::Attributes{{"model_name", "meta-llama/Llama-3.1-8B-Instruct"}}));
  EXPECT_EQ(GaugeValue(m, "scrape_samples_post_metric_relabeling"), 33);
}

// The scrape cache changes nothing: the same bodies scraped by a loop with the cache and by
// one without (every sample on the full path, a fresh builder every scrape) give the same
// OTLP, scrape after scrape, through series that come and go, duplicates, metadata that
// changes, relabel drops, target_info, histograms, honored timestamps, a failed scrape and
// an escaped label value.
// Clones every batch it is given and lets the batch go, so that a recycled batch goes back
// to its recycler at once (as behind the debug exporter).
class CloningConsumer : public component::Consumer {
 public:
  Status ConsumeMetrics(pdata::MetricsBatch batch) override {
    clones_.push_back(pdata::MetricsBatch(batch.get().Clone()));
    return Status::Ok();
  }
  std::vector<pdata::MetricsBatch> batches() const { return clones_; }

 private:
  std::vector<pdata::MetricsBatch> clones_;
};

// `recycle`: the cached loop builds each scrape into its previous output, which its consumer
// let go of (MetricsBuilder's FinishIntoAnyOutputEqualsFinish covers other targets' output).
void SameOutputAsWithoutTheCache(bool recycle) {
  ScrapeConfig config;
  config.job_name = "nim";
  config.scrape_interval = std::chrono::seconds(10);
  config.scrape_timeout = std::chrono::seconds(10);
  config.scrape_protocols = DefaultScrapeProtocols();
  config.fallback_scrape_protocol = "PrometheusText0.0.4";
  config.static_configs.push_back({{"10.1.2.3:8000"}, {{"team", "ai"}}});
  auto discovered = StaticTargetProvider().Discover(config);
  ASSERT_TRUE(discovered.ok());
  auto target = PopulateTarget(config, {}, discovered->at(0));
  ASSERT_TRUE(target.ok() && target->has_value());
  RelabelConfig drop;
  drop.action = "drop";
  drop.source_labels = {"__name__"};
  drop.regex = "dropped_.*";
  RelabelConfig labeldrop;
  labeldrop.action = "labeldrop";
  labeldrop.regex = "pod";
  auto rules = CompileRelabelRules({drop, labeldrop}, "metric_relabel_configs");
  ASSERT_TRUE(rules.ok()) << rules.status().ToString();

  FakeClock clock(kNowNanos);
  RecordingConsumer recorded, without;
  CloningConsumer cloned;
  auto recycler = std::make_shared<pdata::Recycler<pdata::Metrics>>(1);
  auto make = [&](component::Consumer* sink, bool cache) {
    ScrapeLoopOptions o;
    if (recycle && cache) o.recycler = recycler;
    o.config = config;
    o.target = **target;
    o.metric_relabel = *rules;
    o.external_labels = {{"region", "eu"}};
    o.next = sink;
    o.clock = &clock;
    o.scrape_cache = cache;
    return std::make_unique<ScrapeLoop>(std::move(o));
  };
  auto cached = make(recycle ? static_cast<component::Consumer*>(&cloned) : &recorded, true);
  auto uncached = make(&without, false);

  const std::string a =
      "# TYPE reqs counter\n"
      "reqs_total{model=\"m1\",pod=\"p1\"} 1\n"
      "reqs_total{model=\"m2\",pod=\"p1\"} 2\n"
      "reqs_total{model=\"m1\",pod=\"p2\"} 3\n"  // the same series as the first after labeldrop
      "# TYPE lat histogram\n"
      "lat_bucket{le=\"0.5\"} 1\nlat_bucket{le=\"+Inf\"} 2\nlat_sum 0.7\nlat_count 2\n"
      "# TYPE temp gauge\n"
      "temp{job=\"inner\",esc=\"a\\\"b\"} 20\n"
      "dropped_total 5\n"
      "target_info{version=\"1.2\"} 1\n"
      "ts_gauge 7 1700000000000\n";
  const std::string b =  // m2 gone, m3 new, temp's value changes, a duplicate line
      "# TYPE reqs counter\n"
      "reqs_total{model=\"m1\",pod=\"p1\"} 4\n"
      "reqs_total{model=\"m3\",pod=\"p1\"} 1\n"
      "reqs_total{model=\"m3\",pod=\"p1\"} 2\n"
      "# TYPE lat histogram\n"
      "lat_bucket{le=\"0.5\"} 2\nlat_bucket{le=\"+Inf\"} 4\nlat_sum 1.7\nlat_count 4\n"
      "# TYPE temp gauge\n"
      "temp{job=\"inner\",esc=\"a\\\"b\"} 21\n"
      "dropped_total 6\n"
      "target_info{version=\"1.3\"} 1\n"
      "ts_gauge 8 1700000001000\n";
  const std::string c =  // temp's TYPE changes, reqs loses its TYPE
      "reqs_total{model=\"m1\",pod=\"p1\"} 5\n"
      "# TYPE lat histogram\n"
      "lat_bucket{le=\"0.5\"} 3\nlat_bucket{le=\"+Inf\"} 5\nlat_sum 2.7\nlat_count 5\n"
      "# TYPE temp counter\n"
      "temp{job=\"inner\",esc=\"a\\\"b\"} 22\n";
  const std::string garbage = "{{{ not a body\n";
  // Series churn: enough series that leave for the cache and the builder to be compacted.
  auto churn = [](int from) {
    std::string s = "# TYPE many gauge\n";
    for (int i = from; i < from + 1500; ++i) {
      s += "many{i=\"" + std::to_string(i) + "\"} " + std::to_string(i) + "\n";
    }
    return s;
  };
  const std::vector<std::string> bodies = {
      a, a,        b,        b,           a,           c,           c, garbage, a,
      a, churn(0), churn(0), churn(1500), churn(3000), churn(4500), a, a};

  for (size_t i = 0; i < bodies.size(); ++i) {
    net::HttpResponse response;
    response.status = 200;
    response.headers.Set("Content-Type", "text/plain; version=0.0.4");
    response.body = bodies[i];
    clock.Advance(std::chrono::seconds(10));
    ScrapeResult r1 = cached->ScrapeResponse(response);
    ScrapeResult r2 = uncached->ScrapeResponse(response);
    EXPECT_EQ(r1.status.ToString(), r2.status.ToString()) << "scrape " << i;
    EXPECT_EQ(r1.samples_scraped, r2.samples_scraped) << "scrape " << i;
    EXPECT_EQ(r1.samples_post_relabel, r2.samples_post_relabel) << "scrape " << i;
    EXPECT_EQ(r1.series_added, r2.series_added) << "scrape " << i;
    EXPECT_EQ(r1.stale_markers, r2.stale_markers) << "scrape " << i;
    EXPECT_EQ(r1.points_pushed, r2.points_pushed) << "scrape " << i;
  }
  auto got = recycle ? cloned.batches() : recorded.batches();
  if (recycle) {
    EXPECT_EQ(recycler->pooled(), 1u);
  }
  auto want = without.batches();
  ASSERT_EQ(got.size(), want.size());
  // scrape_duration_seconds is measured: zero it in both.
  auto zero_duration = [](pdata::Metrics& m) {
    for (auto& rm : m.resource_metrics) {
      for (auto& sm : rm.scope_metrics) {
        for (auto& metric : sm.metrics) {
          if (metric.name != "scrape_duration_seconds") continue;
          for (auto& p : std::get<pdata::Gauge>(metric.data).data_points) p.value = 0.0;
        }
      }
    }
  };
  for (size_t i = 0; i < got.size(); ++i) {
    pdata::Metrics g = got[i].get().Clone();
    pdata::Metrics w = want[i].get().Clone();
    zero_duration(g);
    zero_duration(w);
    EXPECT_TRUE(g == w) << "scrape " << i;
  }
  // The stale markers and the escapes made it (a sanity check on the reference itself).
  EXPECT_GT(got[2].get().DataPointCount(), 0u);
}

TEST(ScrapeCache, SameOutputAsWithoutTheCache) { SameOutputAsWithoutTheCache(false); }

TEST(ScrapeCache, SameOutputIntoRecycledBatches) { SameOutputAsWithoutTheCache(true); }

TEST(ScrapeLoopStatic, NextScrapeDelaySpreadsTargets) {
  const Duration iv = std::chrono::seconds(10);
  const int64_t base = 1'700'000'000'000'000'000;  // a multiple of 10 s
  EXPECT_EQ(ScrapeLoop::NextScrapeDelay(3'000'000'000, iv, base), std::chrono::seconds(3));
  EXPECT_EQ(ScrapeLoop::NextScrapeDelay(3'000'000'000, iv, base + 4'000'000'000),
            std::chrono::seconds(9));
  EXPECT_EQ(ScrapeLoop::NextScrapeDelay(3'000'000'000, iv, base + 3'000'000'000), Duration(0));
  EXPECT_EQ(ScrapeLoop::NextScrapeDelay(13'000'000'000, iv, base), std::chrono::seconds(3));
}

TEST(ScrapeLoopStatic, AcceptHeaderSkipsProtobuf) {
  EXPECT_EQ(ScrapeLoop::AcceptHeader({"PrometheusProto", "PrometheusText0.0.4"}),
            "text/plain;version=0.0.4;q=0.6,*/*;q=0.5");
}

}  // namespace
}  // namespace astrolabe::receiver::prometheus
