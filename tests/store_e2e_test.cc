// The store exporter through the real binary, and THE test of "one identity for a series,
// whatever the path" (DESIGN.md §4, issue 6):
//
//   NIM target ─► prometheus ─┬──────────────────────────────────────────► store/direct
//   (values grow every scrape) ├─ cumulativetodelta (auto) ─► otlp_http ─► otlp ─► store/auto
//                              └─ cumulativetodelta (keep) ─► otlp_http ─► otlp ─► store/keep
//
// One `astrolabe collector` runs all five pipelines; one prometheus receiver feeds three of
// them, so every path sees the very same scrapes. After SIGTERM the three stores are opened
// with tsdb::Db and read through storage::Querier.
//
// What must hold (docs/design/otlp-to-series.md, "Scraped or delta OTLP: the same series"):
//   - keep: the same series (names and label sets), the same values at the same timestamps
//     as direct, and the same metadata.
//   - auto: the same series and metadata. Gauges are identical. For counters and histogram
//     series the first scrape is missing and every value is lower by the first scrape's
//     value: cumulativetodelta drops the first point of a stream whose start time is unknown
//     (the prometheus receiver sets none), so the accumulated total starts from zero one
//     scrape later. That is inherent in initial_value: auto, and is asserted exactly.
//   - The delta paths may miss the last scrapes (the otlp receivers stop before the
//     otlp_http exporters drain at shutdown; at most two under load), never an earlier one.
// Stale markers are compared apart: none may be in a delta store where direct has none.

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "net/http_client.h"
#include "net/http_server.h"
#include "pdata/metrics.h"
#include "process.h"
#include "storage/storage.h"
#include "tsdb/db.h"
#include "wire/otlp_proto.h"

namespace astrolabe::e2e {
namespace {

using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;
using ::testing::HasSubstr;

constexpr uint64_t kStaleNaN = 0x7ff0000000000002ull;
bool IsStale(double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  return bits == kStaleNaN;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Serves the NIM payload with every sample value multiplied by (scrape number + 1), so
// counters and histograms grow (monotonically, bucket order kept) and gauges change.
class NimTarget {
 public:
  explicit NimTarget(std::string payload) : payload_(std::move(payload)) {
    net::HttpServerOptions o;
    o.listen_address = "127.0.0.1:0";
    server_ = std::make_unique<net::HttpServer>(o);
    server_->Handle("GET", "/metrics", [this](net::ServerRequest&, net::ServerResponse& r) {
      int k;
      {
        std::lock_guard<std::mutex> l(mu_);
        k = served_++;
      }
      r.Set(200, "text/plain; version=0.0.4", Scaled(k + 1));
    });
    EXPECT_TRUE(server_->Start().ok());
  }
  ~NimTarget() { server_->Shutdown(Steady::now() + 2s); }
  int port() const { return server_->port(); }
  int served() {
    std::lock_guard<std::mutex> l(mu_);
    return served_;
  }

 private:
  std::string Scaled(int factor) const {
    std::istringstream lines(payload_);
    std::string line, out;
    while (std::getline(lines, line)) {
      if (!line.empty() && line[0] != '#') {
        size_t sp = line.rfind(' ');
        double v = std::stod(line.substr(sp + 1));
        std::ostringstream num;
        num.precision(17);
        num << v * factor;
        line = line.substr(0, sp + 1) + num.str();
      }
      out += line + "\n";
    }
    return out;
  }

  const std::string payload_;
  std::unique_ptr<net::HttpServer> server_;
  std::mutex mu_;
  int served_ = 0;  // GUARDED_BY(mu_)
};

struct Stored {
  std::map<std::string, std::vector<storage::Sample>> series;  // labels text → samples
  std::vector<storage::FamilyMetadata> metadata;
};

Stored ReadStore(const std::string& dir) {
  Stored out;
  auto db = tsdb::Db::Open(dir + "/tsdb");
  EXPECT_TRUE(db.ok()) << dir << ": " << db.status().ToString();
  if (!db.ok()) return out;
  auto q = (*db)->NewQuerier();
  auto set = q->Select({}, storage::kMinTime, storage::kMaxTime);
  EXPECT_TRUE(set.ok());
  auto all = storage::Materialize(**set);
  EXPECT_TRUE(all.ok());
  for (auto& s : *all) out.series[s.labels.ToString()] = std::move(s.samples);
  out.metadata = q->Metadata("");
  return out;
}

std::string Config(const std::string& dir, int target, int telemetry, int auto_port,
                   int keep_port) {
  const std::string t = std::to_string(target);
  const std::string a = std::to_string(auto_port), k = std::to_string(keep_port);
  return "extensions:\n"
         "  store/direct: {directory: " +
         dir +
         "/direct}\n"
         "  store/auto: {directory: " +
         dir +
         "/auto}\n"
         "  store/keep: {directory: " +
         dir +
         "/keep}\n"
         "receivers:\n"
         "  prometheus:\n"
         "    config:\n"
         "      scrape_configs:\n"
         "        - job_name: nim\n"
         "          scrape_interval: 1s\n"
         "          static_configs:\n"
         "            - targets: [\"127.0.0.1:" +
         t +
         "\"]\n"
         "  otlp/auto:\n"
         "    protocols: {http: {endpoint: \"127.0.0.1:" +
         a +
         "\"}}\n"
         "  otlp/keep:\n"
         "    protocols: {http: {endpoint: \"127.0.0.1:" +
         k +
         "\"}}\n"
         "processors:\n"
         "  cumulativetodelta/auto: {}\n"
         "  cumulativetodelta/keep: {initial_value: keep}\n"
         "exporters:\n"
         "  store/direct: {store: store/direct}\n"
         "  store/auto: {store: store/auto}\n"
         "  store/keep: {store: store/keep}\n"
         // One sender per exporter: deltas of a series must arrive in order.
         "  otlp_http/auto:\n"
         "    endpoint: http://127.0.0.1:" +
         a +
         "\n"
         "    sending_queue: {num_consumers: 1}\n"
         "  otlp_http/keep:\n"
         "    endpoint: http://127.0.0.1:" +
         k +
         "\n"
         "    sending_queue: {num_consumers: 1}\n"
         "service:\n"
         "  extensions: [store/direct, store/auto, store/keep]\n"
         "  telemetry:\n"
         "    metrics:\n"
         "      address: 127.0.0.1:" +
         std::to_string(telemetry) +
         "\n"
         "  pipelines:\n"
         "    metrics/direct: {receivers: [prometheus], exporters: [store/direct]}\n"
         "    metrics/auto: {receivers: [prometheus], processors: [cumulativetodelta/auto], "
         "exporters: [otlp_http/auto]}\n"
         "    metrics/keep: {receivers: [prometheus], processors: [cumulativetodelta/keep], "
         "exporters: [otlp_http/keep]}\n"
         "    metrics/auto_in: {receivers: [otlp/auto], exporters: [store/auto]}\n"
         "    metrics/keep_in: {receivers: [otlp/keep], exporters: [store/keep]}\n";
}

// Counters and histogram series: what cumulativetodelta converts.
bool IsCumulative(const std::string& series, const std::set<std::string>& counter_families) {
  std::string name = series.substr(0, series.find('{'));
  for (const char* suffix : {"_bucket", "_count", "_sum"}) {
    std::string s(suffix);
    if (name.size() > s.size() && name.ends_with(s)) {
      if (counter_families.contains(name.substr(0, name.size() - s.size()))) return true;
    }
  }
  return counter_families.contains(name);
}

std::vector<storage::Sample> WithoutStale(const std::vector<storage::Sample>& in) {
  std::vector<storage::Sample> out;
  for (const auto& s : in) {
    if (!IsStale(s.v)) out.push_back(s);
  }
  return out;
}

void ExpectSameValue(double want, double got, const std::string& where) {
  // Deltas of float values re-added are exact up to rounding: allow 1e-9 relative.
  EXPECT_NEAR(got, want, 1e-9 * std::max(1.0, std::fabs(want))) << where;
}

class StoreE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/astrolabe_store_e2e_XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(StoreE2E, ScrapedAndDeltaOtlpGiveTheSameSeries) {
  const std::string payload =
      ReadFile(std::string(ASTROLABE_SOURCE_DIR) + "/src/receiver/prometheus/testdata/nim.txt");
  ASSERT_FALSE(payload.empty());
  NimTarget target(payload);
  const std::string config =
      WriteTempFile("store.yaml", Config(dir_, target.port(), FreePort(), FreePort(), FreePort()));
  Subprocess collector;
  ASSERT_TRUE(collector.Start({AstrolabeBinary(), "collector", "--config", config}));
  // Six scrapes at 1 s.
  const auto deadline = Steady::now() + 30s;
  while (target.served() < 6 && Steady::now() < deadline && collector.running()) {
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_GE(target.served(), 6) << collector.Stderr();
  std::this_thread::sleep_for(300ms);  // let the last scrape travel the delta paths
  collector.Signal(SIGTERM);
  std::optional<int> code = collector.Wait(30s);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0) << collector.Stderr();

  Stored direct = ReadStore(dir_ + "/direct");
  Stored keep = ReadStore(dir_ + "/keep");
  Stored autos = ReadStore(dir_ + "/auto");

  // The direct store holds the NIM families as Prometheus names them, with job/instance.
  const std::string inst = "127.0.0.1:" + std::to_string(target.port());
  const std::string ttft_inf =
      "time_to_first_token_seconds_bucket{instance=\"" + inst +
      "\", job=\"nim\", le=\"+Inf\", model_name=\"meta/llama-3.1-8b-instruct\"}";
  const std::string prompt = "prompt_tokens_total{instance=\"" + inst +
                             "\", job=\"nim\", model_name=\"meta/llama-3.1-8b-instruct\"}";
  ASSERT_TRUE(direct.series.contains(ttft_inf)) << direct.series.size() << " series";
  ASSERT_TRUE(direct.series.contains(prompt));
  ASSERT_TRUE(direct.series.contains("up{instance=\"" + inst + "\", job=\"nim\"}"));
  bool has_target_info = false;
  for (const auto& [k, v] : direct.series) has_target_info |= k.starts_with("target_info{");
  EXPECT_TRUE(has_target_info);
  // Values grow with every scrape: 18540, 2×18540, ...
  auto prompt_samples = WithoutStale(direct.series[prompt]);
  ASSERT_GE(prompt_samples.size(), 5u);
  for (size_t i = 0; i < prompt_samples.size(); ++i) {
    EXPECT_EQ(prompt_samples[i].v, 18540.0 * double(i + 1)) << i;
  }

  std::set<std::string> counter_families;
  for (const auto& m : direct.metadata) {
    if (m.metadata.type == storage::MetricType::kCounter ||
        m.metadata.type == storage::MetricType::kHistogram) {
      counter_families.insert(m.family);
    }
  }
  EXPECT_TRUE(counter_families.contains("prompt_tokens_total"));
  EXPECT_TRUE(counter_families.contains("time_to_first_token_seconds"));

  // Same series and metadata on every path.
  auto names = [](const Stored& s) {
    std::set<std::string> out;
    for (const auto& [k, v] : s.series) out.insert(k);
    return out;
  };
  EXPECT_EQ(names(keep), names(direct));
  EXPECT_EQ(names(autos), names(direct));
  auto metadata_text = [](const Stored& s) {
    std::vector<std::string> out;
    for (const auto& m : s.metadata) {
      out.push_back(m.family + " " + std::string(storage::MetricTypeString(m.metadata.type)) + " " +
                    m.metadata.unit + " " + m.metadata.help);
    }
    return out;
  };
  EXPECT_EQ(metadata_text(keep), metadata_text(direct));
  EXPECT_EQ(metadata_text(autos), metadata_text(direct));

  size_t compared = 0;
  for (const auto& [name, raw] : direct.series) {
    const std::vector<storage::Sample> want = WithoutStale(raw);
    const bool cumulative = IsCumulative(name, counter_families);
    for (const auto* other : {&keep, &autos}) {
      const bool is_auto = other == &autos;
      auto it = other->series.find(name);
      if (it == other->series.end()) continue;  // reported by the name comparison
      const std::vector<storage::Sample> got = WithoutStale(it->second);
      if (WithoutStale(raw).size() == raw.size()) {
        EXPECT_EQ(got.size(), it->second.size()) << name << ": stale markers only on a delta path";
      }
      // Which of direct's samples the delta path must hold: all (auto: all but the first for
      // converted series), except possibly the last scrape.
      size_t first = (is_auto && cumulative) ? 1 : 0;
      ASSERT_GE(want.size(), first + 1) << name;
      std::vector<storage::Sample> expected(want.begin() + first, want.end());
      // Under load the otlp_http queue may still hold the last two scrapes at shutdown.
      ASSERT_TRUE(got.size() <= expected.size() && got.size() + 2 >= expected.size() &&
                  got.size() >= 3)
          << name << (is_auto ? " auto" : " keep") << ": " << got.size() << " samples, direct "
          << expected.size();
      for (size_t i = 0; i < got.size(); ++i) {
        const std::string where = name + (is_auto ? " auto" : " keep") + " #" + std::to_string(i);
        EXPECT_EQ(got[i].t, expected[i].t) << where;
        double want_v = expected[i].v;
        if (is_auto && cumulative) want_v -= want[0].v;
        ExpectSameValue(want_v, got[i].v, where);
        ++compared;
      }
    }
  }
  EXPECT_GT(compared, 500u);
}

// OTLP over HTTP into `astrolabe collector` (otlp → store), killed with SIGKILL after the
// acknowledged requests, restarted, and sent more: the delta totals continue from what the
// store held, every acknowledged point is there, the kinds are named as Prometheus names them.
pdata::Metrics OtlpBatch(uint64_t t_ms, double delta_tokens, uint64_t hist_delta_count) {
  pdata::Metrics out;
  pdata::ResourceMetrics rm;
  rm.resource.attributes = {{"service.name", "chat-app"},
                            {"service.instance.id", "pod-1"},
                            {"deployment.environment", "prod"}};
  pdata::ScopeMetrics sm;
  sm.scope.name = "openllmetry";
  const uint64_t t = t_ms * 1000000;
  {
    pdata::NumberDataPoint p;
    p.time_unix_nano = t;
    p.value = delta_tokens;
    p.attributes = {{"gen_ai.request.model", "gpt-4o"}};
    pdata::Metric m;
    m.name = "gen_ai.client.token.usage";
    m.unit = "{token}";
    m.description = "Tokens used.";
    m.data = pdata::Sum{{p}, pdata::AggregationTemporality::kDelta, true};
    sm.metrics.push_back(std::move(m));
  }
  {
    pdata::HistogramDataPoint p;
    p.time_unix_nano = t;
    p.explicit_bounds = {0.5, 1};
    p.bucket_counts = {hist_delta_count, 0, 0};
    p.count = hist_delta_count;
    p.sum = 0.25 * double(hist_delta_count);
    pdata::Metric m;
    m.name = "gen_ai.client.operation.duration";
    m.unit = "s";
    m.data = pdata::Histogram{{p}, pdata::AggregationTemporality::kDelta};
    sm.metrics.push_back(std::move(m));
  }
  {
    pdata::NumberDataPoint p;
    p.time_unix_nano = t;
    p.value = int64_t{3};
    pdata::Metric m;
    m.name = "queue.depth";
    m.data = pdata::Gauge{{p}};
    sm.metrics.push_back(std::move(m));
  }
  rm.scope_metrics.push_back(std::move(sm));
  out.resource_metrics.push_back(std::move(rm));
  return out;
}

int Post(int port, const pdata::Metrics& metrics) {
  net::HttpClient client;
  net::HttpRequest request;
  request.method = "POST";
  request.url = "http://127.0.0.1:" + std::to_string(port) + "/v1/metrics";
  request.headers.Set("Content-Type", "application/x-protobuf");
  wire::AppendMetricsRequest(metrics, &request.body);
  auto response = client.Send(std::move(request)).get();
  return response.ok() ? response->status : 0;
}

std::string OtlpConfig(const std::string& dir, int otlp, int telemetry) {
  return "extensions:\n"
         // Timestamps from 1970 (OtlpBatch): no retention window, or they are refused as too old.
         "  store: {directory: " +
         dir +
         ", metrics: {retention_time: 0s}}\n"
         "receivers:\n"
         "  otlp:\n"
         "    protocols: {http: {endpoint: \"127.0.0.1:" +
         std::to_string(otlp) +
         "\"}}\n"
         "exporters:\n"
         "  store: {}\n"
         "service:\n"
         "  extensions: [store]\n"
         "  telemetry:\n"
         "    metrics:\n"
         "      address: 127.0.0.1:" +
         std::to_string(telemetry) +
         "\n"
         "  pipelines:\n"
         "    metrics: {receivers: [otlp], exporters: [store]}\n";
}

int PostWhenUp(Subprocess& collector, int port, const pdata::Metrics& metrics) {
  int status = 0;
  const auto deadline = Steady::now() + 30s;
  while (status == 0 && Steady::now() < deadline && collector.running()) {
    status = Post(port, metrics);
    if (status == 0) std::this_thread::sleep_for(50ms);
  }
  return status;
}

TEST_F(StoreE2E, OtlpIntoTheStoreSurvivesKillAndContinuesDeltaTotals) {
  const int otlp = FreePort();
  const std::string config = WriteTempFile("otlp.yaml", OtlpConfig(dir_, otlp, FreePort()));
  {
    Subprocess collector;
    ASSERT_TRUE(collector.Start({AstrolabeBinary(), "collector", "--config", config}));
    ASSERT_EQ(PostWhenUp(collector, otlp, OtlpBatch(1000, 100, 2)), 200) << collector.Stderr();
    ASSERT_EQ(Post(otlp, OtlpBatch(2000, 50, 1)), 200);
    // The same request again: its deltas are not newer than what is stored, so they are
    // refused (permanent: the sender must not retry), not added twice; its target_info point
    // is kept, so the otlp receiver answers 200 with partial_success (rejected_data_points 2).
    EXPECT_EQ(Post(otlp, OtlpBatch(2000, 50, 1)), 200);
    collector.Signal(SIGKILL);
    ASSERT_TRUE(collector.Wait(10s).has_value());
  }
  {
    Subprocess collector;
    ASSERT_TRUE(collector.Start({AstrolabeBinary(), "collector", "--config", config}));
    ASSERT_EQ(PostWhenUp(collector, otlp, OtlpBatch(3000, 25, 4)), 200) << collector.Stderr();
    collector.Signal(SIGTERM);
    ASSERT_TRUE(collector.Wait(30s).has_value());
  }
  Stored s = ReadStore(dir_);
  auto values = [&](const std::string& name) {
    std::vector<double> out;
    auto it = s.series.find(name);
    if (it == s.series.end()) {
      ADD_FAILURE() << name << " missing; have " << s.series.size() << " series";
      return out;
    }
    for (const auto& sample : it->second) out.push_back(sample.v);
    return out;
  };
  const std::string id = "instance=\"pod-1\", job=\"chat-app\"";
  EXPECT_EQ(values("gen_ai_client_token_usage_total{gen_ai_request_model=\"gpt-4o\", " + id + "}"),
            (std::vector<double>{100, 150, 175}));
  EXPECT_EQ(values("gen_ai_client_operation_duration_seconds_count{" + id + "}"),
            (std::vector<double>{2, 3, 7}));
  EXPECT_EQ(values("gen_ai_client_operation_duration_seconds_bucket{" + id + ", le=\"0.5\"}"),
            (std::vector<double>{2, 3, 7}));
  EXPECT_EQ(values("gen_ai_client_operation_duration_seconds_bucket{" + id + ", le=\"+Inf\"}"),
            (std::vector<double>{2, 3, 7}));
  EXPECT_EQ(values("gen_ai_client_operation_duration_seconds_sum{" + id + "}"),
            (std::vector<double>{0.5, 0.75, 1.75}));
  EXPECT_EQ(values("queue_depth{" + id + "}"), (std::vector<double>{3, 3, 3}));
  EXPECT_EQ(values("target_info{deployment_environment=\"prod\", " + id + "}"),
            (std::vector<double>{1, 1, 1}));
  bool counter_metadata = false;
  for (const auto& m : s.metadata) {
    if (m.family == "gen_ai_client_token_usage_total") {
      counter_metadata =
          m.metadata.type == storage::MetricType::kCounter && m.metadata.help == "Tokens used.";
    }
  }
  EXPECT_TRUE(counter_metadata);
}

}  // namespace
}  // namespace astrolabe::e2e
