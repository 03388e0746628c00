// The collector with the recommended processor chain, run as a user runs it:
//   prometheus → memory_limiter → cumulativetodelta → batch → otlp_http
// into a loopback sink. The target serves 10 counters growing by 30 per scrape; the sink
// checks that deltas arrive in batches of exactly send_batch_size points (only the shutdown
// flush may be smaller). A second run sets a memory limit the process is already over and
// checks that scrapes are refused, counted and kept out of the sink, and that the otlp receiver
// answers what it is sent then with 503 and Retry-After.

#include <chrono>
#include <mutex>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "net/http_client.h"
#include "net/http_server.h"
#include "pdata/metrics.h"
#include "process.h"
#include "wire/gzip.h"
#include "wire/otlp_proto.h"
#include "wire/otlp_testdata.h"

namespace astrolabe::e2e {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

constexpr int kCounters = 10;
constexpr int kBatchSize = 8;

// A target whose counters c_total{i="0".."9"} grow by 30 per scrape.
class Target {
 public:
  Target() {
    net::HttpServerOptions o;
    o.listen_address = "127.0.0.1:0";
    server_ = std::make_unique<net::HttpServer>(o);
    server_->Handle("GET", "/metrics", [this](net::ServerRequest&, net::ServerResponse& r) {
      int n = scrapes_++;
      std::string body = "# TYPE c_total counter\n";
      for (int i = 0; i < kCounters; ++i) {
        body += "c_total{i=\"" + std::to_string(i) + "\"} " + std::to_string(100 + 30 * n) + "\n";
      }
      r.Set(200, "text/plain; version=0.0.4", body);
    });
  }
  bool Start() { return server_->Start().ok(); }
  void Stop() { server_->Shutdown(std::chrono::steady_clock::now() + 2s); }
  int port() const { return server_->port(); }
  int scrapes() const { return scrapes_.load(); }

 private:
  std::unique_ptr<net::HttpServer> server_;
  std::atomic<int> scrapes_{0};
};

// The platform: decodes every export.
class Sink {
 public:
  Sink() {
    net::HttpServerOptions o;
    o.listen_address = "127.0.0.1:0";
    server_ = std::make_unique<net::HttpServer>(o);
    server_->Handle("POST", "/v1/metrics", [this](net::ServerRequest& req, net::ServerResponse& r) {
      auto body = wire::GzipDecompress(req.body(), 64 << 20);
      auto metrics =
          body.ok() ? wire::DecodeMetricsRequest(*body) : Result<pdata::Metrics>(body.status());
      std::lock_guard lock(mu_);
      if (metrics.ok()) {
        exports_.push_back(std::move(*metrics));
      } else {
        errors_.push_back(metrics.status().ToString());
      }
      r.Set(200, "application/x-protobuf", "");
    });
  }
  bool Start() { return server_->Start().ok(); }
  void Stop() { server_->Shutdown(std::chrono::steady_clock::now() + 2s); }
  int port() const { return server_->port(); }
  size_t size() const {
    std::lock_guard lock(mu_);
    return exports_.size();
  }
  std::vector<pdata::Metrics> TakeExports() {
    std::lock_guard lock(mu_);
    return std::move(exports_);
  }
  std::vector<std::string> errors() const {
    std::lock_guard lock(mu_);
    return errors_;
  }

 private:
  std::unique_ptr<net::HttpServer> server_;
  mutable std::mutex mu_;
  std::vector<pdata::Metrics> exports_;
  std::vector<std::string> errors_;
};

std::string Config(int target, int sink, int health, int telemetry, const std::string& limits) {
  return "receivers:\n"
         "  prometheus:\n"
         "    config:\n"
         "      scrape_configs:\n"
         "        - job_name: app\n"
         "          scrape_interval: 1s\n"
         "          static_configs:\n"
         "            - targets: [\"127.0.0.1:" +
         std::to_string(target) +
         "\"]\n"
         "processors:\n"
         "  memory_limiter:\n"
         "    check_interval: 100ms\n" +
         limits +
         "  cumulativetodelta:\n"
         "  batch:\n"
         "    send_batch_size: " +
         std::to_string(kBatchSize) +
         "\n"
         "    send_batch_max_size: " +
         std::to_string(kBatchSize) +
         "\n"
         "    timeout: 1m\n"
         "exporters:\n"
         "  otlp_http:\n"
         "    endpoint: http://127.0.0.1:" +
         std::to_string(sink) +
         "\n"
         "extensions:\n"
         "  health_check:\n"
         "    endpoint: 127.0.0.1:" +
         std::to_string(health) +
         "\n"
         "service:\n"
         "  extensions: [health_check]\n"
         "  telemetry:\n"
         "    metrics:\n"
         "      address: 127.0.0.1:" +
         std::to_string(telemetry) +
         "\n"
         "  pipelines:\n"
         "    metrics:\n"
         "      receivers: [prometheus]\n"
         "      processors: [memory_limiter, cumulativetodelta, batch]\n"
         "      exporters: [otlp_http]\n";
}

// The value of the first series of `name` in Prometheus text, or -1.
double Scalar(const std::string& text, const std::string& name) {
  size_t pos = 0;
  while ((pos = text.find(name, pos)) != std::string::npos) {
    bool line_start = pos == 0 || text[pos - 1] == '\n';
    size_t after = pos + name.size();
    if (line_start && after < text.size() && (text[after] == '{' || text[after] == ' ')) {
      size_t space = text.find(
          ' ', text.find('}', after) == std::string::npos ? after : text.find('}', after));
      return std::stod(text.substr(space + 1, text.find('\n', space) - space - 1));
    }
    pos = after;
  }
  return -1;
}

TEST(ProcessorChain, DeltasArriveInBatchesOfSendBatchSize) {
  Target target;
  Sink sink;
  ASSERT_TRUE(target.Start());
  ASSERT_TRUE(sink.Start());
  int telemetry = FreePort();
  std::string config = WriteTempFile("chain.yaml", Config(target.port(), sink.port(), FreePort(),
                                                          telemetry, "    limit_mib: 4000\n"));
  Subprocess collector;
  ASSERT_TRUE(collector.Start({AstrolabeBinary(), "collector", "--config", config}));

  // Every scrape after the first yields 10 deltas + 5 synthetic gauges = 15 points; the
  // first only the 5 gauges. Wait for 6 batches (48 points: scrape 4 or so).
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (sink.size() < 6 && std::chrono::steady_clock::now() < deadline && collector.running()) {
    std::this_thread::sleep_for(50ms);
  }
  HttpResult own = HttpGet(telemetry, "/metrics");
  collector.Signal(SIGTERM);
  std::optional<int> code = collector.Wait(30s);
  target.Stop();
  sink.Stop();
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0) << collector.Stderr();
  EXPECT_TRUE(sink.errors().empty());

  std::vector<pdata::Metrics> exports = sink.TakeExports();
  ASSERT_GE(exports.size(), 6u) << collector.Stderr();
  int smaller = 0;
  int deltas = 0;
  for (const pdata::Metrics& e : exports) {
    size_t points = e.DataPointCount();
    EXPECT_LE(points, static_cast<size_t>(kBatchSize));
    if (points < static_cast<size_t>(kBatchSize)) ++smaller;  // the shutdown flush only
    for (const auto& rm : e.resource_metrics)
      for (const auto& sm : rm.scope_metrics)
        for (const auto& m : sm.metrics) {
          if (m.name != "c_total") continue;
          const auto* sum = std::get_if<pdata::Sum>(&m.data);
          ASSERT_NE(sum, nullptr);
          EXPECT_EQ(sum->aggregation_temporality, pdata::AggregationTemporality::kDelta);
          for (const auto& p : sum->data_points) {
            EXPECT_EQ(p.AsDouble(), 30);
            ++deltas;
          }
        }
  }
  EXPECT_LE(smaller, 1) << "only the flush at shutdown may be short";
  EXPECT_GE(deltas, kCounters) << "at least one scrape's deltas";
  // The batch processor's own telemetry, under upstream's names.
  EXPECT_EQ(own.status, 200);
  EXPECT_GE(Scalar(own.body, "otelcol_processor_batch_batch_size_trigger_send_total"), 6);
  EXPECT_THAT(own.body, HasSubstr("otelcol_processor_batch_batch_send_size_bucket{processor="
                                  "\"batch\",le=\"10\"}"));
  EXPECT_EQ(Scalar(own.body, "otelcol_processor_memory_limiter_refused_metric_points_total"), 0);
  EXPECT_GT(Scalar(own.body, "otelcol_processor_memory_limiter_accepted_metric_points_total"), 0);
}

TEST(ProcessorChain, OverTheMemoryLimitScrapesAreRefusedAndCounted) {
  Target target;
  Sink sink;
  ASSERT_TRUE(target.Start());
  ASSERT_TRUE(sink.Start());
  int telemetry = FreePort();
  // A 2 MiB limit (soft 1 MiB): any process is over it from the first check on.
  std::string config =
      WriteTempFile("chain.yaml", Config(target.port(), sink.port(), FreePort(), telemetry,
                                         "    limit_mib: 2\n    spike_limit_mib: 1\n"));
  Subprocess collector;
  ASSERT_TRUE(collector.Start({AstrolabeBinary(), "collector", "--config", config}));

  double refused_scrapes = 0;
  std::string body;
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (refused_scrapes < 2 && std::chrono::steady_clock::now() < deadline &&
         collector.running()) {
    std::this_thread::sleep_for(100ms);
    HttpResult own = HttpGet(telemetry, "/metrics");
    if (own.status != 200) continue;
    body = own.body;
    refused_scrapes = Scalar(body, "astrolabe_receiver_prometheus_scrapes_refused_total");
  }
  collector.Signal(SIGTERM);
  std::optional<int> code = collector.Wait(30s);
  target.Stop();
  sink.Stop();
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0) << collector.Stderr();
  EXPECT_GE(refused_scrapes, 2) << body;
  // 15 points per refused scrape (after the first, which has 5 gauges... or 15 with the
  // counters, which cumulativetodelta never sees when refused).
  EXPECT_GE(Scalar(body, "otelcol_processor_memory_limiter_refused_metric_points_total"), 30);
  EXPECT_GE(Scalar(body, "otelcol_receiver_refused_metric_points_total"), 30);
  std::string err = collector.Stderr();
  EXPECT_THAT(err, HasSubstr("Memory usage is above soft limit. Refusing data."));
  EXPECT_THAT(err, HasSubstr("Scrape commit failed"));
  EXPECT_THAT(err, HasSubstr("data refused due to high memory usage"));
  // Logged at most once per 1 s scrape interval, however many scrapes were refused.
  size_t logged = 0;
  for (size_t p = err.find("Scrape commit failed"); p != std::string::npos;
       p = err.find("Scrape commit failed", p + 1)) {
    ++logged;
  }
  EXPECT_LE(logged, static_cast<size_t>(refused_scrapes));
}

// The same refusal seen by an OTLP client: otlp receiver → memory_limiter → debug. Over the
// limit the receiver must answer 503 with Retry-After and the limiter's reason, so the client
// retries later (OTLP/HTTP: 503 is retryable).
TEST(ProcessorChain, OverTheMemoryLimitOtlpIsAnswered503) {
  const int http = FreePort();
  std::string config = WriteTempFile("otlp_limit.yaml", R"(receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:)" + std::to_string(http) + R"(
processors:
  memory_limiter:
    check_interval: 100ms
    limit_mib: 2
    spike_limit_mib: 1
exporters:
  debug:
    verbosity: basic
service:
  telemetry:
    metrics:
      address: 127.0.0.1:)" + std::to_string(FreePort()) + R"(
  pipelines:
    metrics:
      receivers: [otlp]
      processors: [memory_limiter]
      exporters: [debug]
)");
  Subprocess collector;
  ASSERT_TRUE(collector.Start({AstrolabeBinary(), "collector", "--config", config}));
  net::HttpClient client;
  net::HttpResponse last;
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (last.status != 503 && std::chrono::steady_clock::now() < deadline && collector.running()) {
    std::this_thread::sleep_for(100ms);
    net::HttpRequest request;
    request.method = "POST";
    request.url = "http://127.0.0.1:" + std::to_string(http) + "/v1/metrics";
    request.headers.Set("Content-Type", "application/x-protobuf");
    request.body = wire::EncodeMetricsRequest(wire::testdata::NimMetrics(50));
    auto response = client.Send(std::move(request)).get();
    if (response.ok()) last = *response;
  }
  collector.Signal(SIGTERM);
  ASSERT_TRUE(collector.Wait(30s).has_value());
  ASSERT_EQ(last.status, 503) << collector.Stderr();
  EXPECT_EQ(last.headers.Get("Retry-After").value_or(""), "1");
  auto status = wire::DecodeRpcStatus(last.body);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->code, 14);  // UNAVAILABLE
  EXPECT_THAT(status->message, HasSubstr("data refused due to high memory usage"));
}

}  // namespace
}  // namespace astrolabe::e2e
