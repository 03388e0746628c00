// Real remote-write senders against `astrolabe collector`:
//   vmagent 1.79 / Prometheus 2.42 scrape a static test target (and node_exporter)
//     → remote write → prometheus_remote_write receiver (sharing its port with the otlp
//       receiver) → otlp_http exporter → a loopback sink that decodes every export.
// The sink's series (name + labels) and values must be exactly the target's, plus the
// job/instance labels the sender adds. Prometheus also sends metric metadata, after which
// its counters arrive as monotonic cumulative Sums.

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

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

// What the static target serves (Prometheus text 0.0.4). Values never change, so the sink
// must see exactly these.
constexpr std::string_view kExposition = R"(# HELP llm_requests_total Requests served.
# TYPE llm_requests_total counter
llm_requests_total{model="gpt-4o",status="ok"} 42
llm_requests_total{model="gpt-4o",status="error"} 3
# HELP gpu_utilization_ratio GPU busy fraction.
# TYPE gpu_utilization_ratio gauge
gpu_utilization_ratio{gpu="0"} 0.75
gpu_utilization_ratio{gpu="1"} 0
# HELP llm_latency_seconds Latency.
# TYPE llm_latency_seconds histogram
llm_latency_seconds_bucket{le="0.1"} 1
llm_latency_seconds_bucket{le="1"} 4
llm_latency_seconds_bucket{le="+Inf"} 5
llm_latency_seconds_sum 2.5
llm_latency_seconds_count 5
# HELP rpc_seconds Summary.
# TYPE rpc_seconds summary
rpc_seconds{quantile="0.5"} 0.2
rpc_seconds{quantile="0.99"} 1.5
rpc_seconds_sum 10
rpc_seconds_count 50
# TYPE escapes gauge
escapes{path="a\"b\\c\nd"} -1.5e-3
)";

// name{k="v",...} sorted by key, as a map key.
using SeriesKey = std::string;
SeriesKey Key(std::string name, std::map<std::string, std::string> labels) {
  std::string k = std::move(name) + "{";
  for (const auto& [n, v] : labels) k += n + "=" + v + ",";
  return k + "}";
}

// The series of kExposition with the labels the sender adds.
std::map<SeriesKey, double> Expected(const std::string& job, const std::string& instance) {
  auto L = [&](std::map<std::string, std::string> l) {
    l["job"] = job;
    l["instance"] = instance;
    return l;
  };
  return {
      {Key("llm_requests_total", L({{"model", "gpt-4o"}, {"status", "ok"}})), 42},
      {Key("llm_requests_total", L({{"model", "gpt-4o"}, {"status", "error"}})), 3},
      {Key("gpu_utilization_ratio", L({{"gpu", "0"}})), 0.75},
      {Key("gpu_utilization_ratio", L({{"gpu", "1"}})), 0},
      {Key("llm_latency_seconds_bucket", L({{"le", "0.1"}})), 1},
      {Key("llm_latency_seconds_bucket", L({{"le", "1"}})), 4},
      {Key("llm_latency_seconds_bucket", L({{"le", "+Inf"}})), 5},
      {Key("llm_latency_seconds_sum", L({})), 2.5},
      {Key("llm_latency_seconds_count", L({})), 5},
      {Key("rpc_seconds", L({{"quantile", "0.5"}})), 0.2},
      {Key("rpc_seconds", L({{"quantile", "0.99"}})), 1.5},
      {Key("rpc_seconds_sum", L({})), 10},
      {Key("rpc_seconds_count", L({})), 50},
      {Key("escapes", L({{"path", "a\"b\\c\nd"}})), -1.5e-3},
      {Key("up", L({})), 1},
  };
}

class Target {
 public:
  Target() {
    net::HttpServerOptions o;
    o.listen_address = "127.0.0.1:0";
    server_ = std::make_unique<net::HttpServer>(o);
    server_->Handle("GET", "/metrics", [](net::ServerRequest&, net::ServerResponse& r) {
      r.Set(200, "text/plain; version=0.0.4", std::string(kExposition));
    });
  }
  bool Start() { return server_->Start().ok(); }
  ~Target() { server_->Shutdown(std::chrono::steady_clock::now() + 2s); }
  int port() const { return server_->port(); }

 private:
  std::unique_ptr<net::HttpServer> server_;
};

// The platform behind the collector: keeps the last value and kind of every series.
class Sink {
 public:
  struct Point {
    double value = 0;
    pdata::MetricType type = pdata::MetricType::kEmpty;
    bool monotonic = false;
  };
  Sink() {
    net::HttpServerOptions o;
    o.listen_address = "127.0.0.1:0";
    server_ = std::make_unique<net::HttpServer>(o);
    server_->Handle("POST", "/v1/metrics", [this](net::ServerRequest& req, net::ServerResponse& r) {
      std::string body(req.body());
      if (req.header("Content-Encoding").value_or("") == "gzip") {
        auto plain = wire::GzipDecompress(body, 64 << 20);
        body = plain.ok() ? *plain : "";
      }
      auto metrics = wire::DecodeMetricsRequest(body);
      std::lock_guard lock(mu_);
      if (!metrics.ok()) {
        errors_.push_back(metrics.status().ToString());
      } else {
        Add(*metrics);
      }
      r.Set(200, "application/x-protobuf", "");
    });
  }
  bool Start() { return server_->Start().ok(); }
  ~Sink() { server_->Shutdown(std::chrono::steady_clock::now() + 2s); }
  int port() const { return server_->port(); }
  std::map<SeriesKey, Point> series() const {
    std::lock_guard lock(mu_);
    return series_;
  }
  std::vector<std::string> errors() const {
    std::lock_guard lock(mu_);
    return errors_;
  }
  size_t exports() const {
    std::lock_guard lock(mu_);
    return exports_;
  }

 private:
  void Add(const pdata::Metrics& metrics) {
    ++exports_;
    for (const auto& rm : metrics.resource_metrics)
      for (const auto& sm : rm.scope_metrics)
        for (const auto& m : sm.metrics) {
          const std::vector<pdata::NumberDataPoint>* points = nullptr;
          bool monotonic = false;
          if (const auto* g = std::get_if<pdata::Gauge>(&m.data)) points = &g->data_points;
          if (const auto* s = std::get_if<pdata::Sum>(&m.data)) {
            points = &s->data_points;
            monotonic = s->is_monotonic;
          }
          if (points == nullptr) continue;
          for (const auto& p : *points) {
            std::map<std::string, std::string> labels;
            for (const auto& kv : p.attributes) labels[kv.key] = pdata::AnyValueToString(kv.value);
            series_[Key(m.name, labels)] = {p.AsDouble(), m.type(), monotonic};
          }
        }
  }

  std::unique_ptr<net::HttpServer> server_;
  mutable std::mutex mu_;
  std::map<SeriesKey, Point> series_;
  std::vector<std::string> errors_;
  size_t exports_ = 0;
};

// otlp and prometheus_remote_write on one port → otlp_http → sink.
std::string CollectorConfig(int port, int sink) {
  return R"(receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:)" +
         std::to_string(port) + R"(
  prometheus_remote_write:
    endpoint: 127.0.0.1:)" +
         std::to_string(port) + R"(
exporters:
  otlp_http:
    endpoint: http://127.0.0.1:)" +
         std::to_string(sink) + R"(
service:
  telemetry:
    metrics:
      address: 127.0.0.1:)" +
         std::to_string(FreePort()) + R"(
  pipelines:
    metrics:
      receivers: [otlp, prometheus_remote_write]
      exporters: [otlp_http]
)";
}

bool Installed(const std::string& path) { return std::filesystem::exists(path); }

// Waits until `done()` or 40 s.
template <typename F>
void WaitFor(F done, Subprocess& a, Subprocess& b) {
  auto deadline = std::chrono::steady_clock::now() + 40s;
  while (!done() && std::chrono::steady_clock::now() < deadline && a.running() && b.running()) {
    std::this_thread::sleep_for(200ms);
  }
}

// Every expected series arrived with its exact value; returns what is missing or wrong.
std::string Diff(const std::map<SeriesKey, double>& want,
                 const std::map<SeriesKey, Sink::Point>& got) {
  std::string out;
  for (const auto& [k, v] : want) {
    auto it = got.find(k);
    if (it == got.end()) {
      out += "missing " + k + "\n";
    } else if (it->second.value != v) {
      out += k + " = " + std::to_string(it->second.value) + ", want " + std::to_string(v) + "\n";
    }
  }
  return out;
}

TEST(RemoteWriteE2E, VmagentScrapesTargetsAndRemoteWritesToTheCollector) {
  ASSERT_TRUE(Installed("/usr/bin/vmagent"))
      << "vmagent missing: scripts/setup installs victoria-metrics";
  ASSERT_TRUE(Installed("/usr/bin/prometheus-node-exporter"))
      << "prometheus-node-exporter missing: scripts/setup installs it";
  Target target;
  Sink sink;
  ASSERT_TRUE(target.Start());
  ASSERT_TRUE(sink.Start());
  const int port = FreePort();
  Subprocess collector;
  ASSERT_TRUE(collector.Start({AstrolabeBinary(), "collector", "--config",
                               WriteTempFile("rw.yaml", CollectorConfig(port, sink.port()))}));

  const int node_port = FreePort();
  Subprocess node;
  ASSERT_TRUE(
      node.Start({"/usr/bin/prometheus-node-exporter",
                  "--web.listen-address=127.0.0.1:" + std::to_string(node_port),
                  "--collector.disable-defaults", "--collector.loadavg", "--collector.meminfo"}));
  const std::string instance = "127.0.0.1:" + std::to_string(target.port());
  const std::string node_instance = "127.0.0.1:" + std::to_string(node_port);
  std::string scrape =
      "global: {scrape_interval: 1s}\nscrape_configs:\n"
      "  - job_name: static\n    static_configs: [{targets: ['" +
      instance +
      "']}]\n"
      "  - job_name: node\n    static_configs: [{targets: ['" +
      node_instance + "']}]\n";
  Subprocess vmagent;
  ASSERT_TRUE(
      vmagent.Start({"/usr/bin/vmagent", "-httpListenAddr=127.0.0.1:" + std::to_string(FreePort()),
                     "-promscrape.config=" + WriteTempFile("scrape.yml", scrape),
                     "-remoteWrite.url=http://127.0.0.1:" + std::to_string(port) + "/api/v1/write",
                     "-remoteWrite.tmpDataPath=" + TempDir(), "-remoteWrite.flushInterval=1s"}));

  const auto want = Expected("static", instance);
  // node_exporter's own series names, scraped directly (values move; names must all arrive).
  std::vector<std::string> node_names;
  net::HttpClient scraper;
  net::HttpResponse direct;
  for (int i = 0; i < 50 && direct.status != 200; ++i) {
    net::HttpRequest get;
    get.url = "http://" + node_instance + "/metrics";
    auto r = scraper.Send(std::move(get)).get();
    if (r.ok()) direct = *r;
    if (direct.status != 200) std::this_thread::sleep_for(100ms);
  }
  ASSERT_EQ(direct.status, 200);
  for (size_t pos = 0; pos < direct.body.size();) {
    size_t end = direct.body.find('\n', pos);
    if (end == std::string::npos) end = direct.body.size();
    std::string line = direct.body.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty() || line[0] == '#') continue;
    node_names.push_back(line.substr(0, line.find_first_of("{ ")));
  }
  ASSERT_GT(node_names.size(), 10u);
  auto node_missing = [&](const std::map<SeriesKey, Sink::Point>& got) {
    std::string out;
    for (const std::string& n : node_names) {
      bool found = false;
      for (const auto& [k, p] : got) {
        if (k.starts_with(n + "{") && k.find("job=node,") != std::string::npos) found = true;
      }
      if (!found) out += n + " ";
    }
    return out;
  };
  WaitFor(
      [&] {
        auto got = sink.series();
        return Diff(want, got).empty() && node_missing(got).empty();
      },
      collector, vmagent);

  // The otlp receiver answers on the same port (shared listener).
  net::HttpClient client;
  net::HttpRequest otlp;
  otlp.method = "POST";
  otlp.url = "http://127.0.0.1:" + std::to_string(port) + "/v1/metrics";
  otlp.headers.Set("Content-Type", "application/x-protobuf");
  otlp.body = wire::EncodeMetricsRequest(wire::testdata::RichMetrics());
  auto otlp_response = client.Send(std::move(otlp)).get();

  vmagent.Signal(SIGTERM);
  EXPECT_TRUE(vmagent.Wait(20s).has_value());
  node.Signal(SIGTERM);
  (void)node.Wait(10s);
  collector.Signal(SIGTERM);
  std::optional<int> code = collector.Wait(30s);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0) << collector.Stderr();

  const auto got = sink.series();
  EXPECT_EQ(Diff(want, got), "") << collector.Stderr() << vmagent.Stderr();
  EXPECT_EQ(node_missing(got), "");
  EXPECT_TRUE(sink.errors().empty());
  ASSERT_TRUE(otlp_response.ok()) << otlp_response.status().ToString();
  EXPECT_EQ(otlp_response->status, 200);
  // vmagent sends no metadata: everything is a gauge, names unchanged.
  auto it = got.find(
      Key("llm_requests_total",
          {{"model", "gpt-4o"}, {"status", "ok"}, {"job", "static"}, {"instance", instance}}));
  ASSERT_NE(it, got.end());
  EXPECT_EQ(it->second.type, pdata::MetricType::kGauge);
}

TEST(RemoteWriteE2E, Prometheus242RemoteWritesWithMetadata) {
  ASSERT_TRUE(Installed("/usr/bin/prometheus")) << "prometheus missing: scripts/setup installs it";
  Target target;
  Sink sink;
  ASSERT_TRUE(target.Start());
  ASSERT_TRUE(sink.Start());
  const int port = FreePort();
  Subprocess collector;
  ASSERT_TRUE(collector.Start({AstrolabeBinary(), "collector", "--config",
                               WriteTempFile("rw.yaml", CollectorConfig(port, sink.port()))}));
  const std::string instance = "127.0.0.1:" + std::to_string(target.port());
  std::string prom_config =
      "global: {scrape_interval: 1s}\nscrape_configs:\n"
      "  - job_name: static\n    static_configs: [{targets: ['" +
      instance +
      "']}]\n"
      "remote_write:\n  - url: http://127.0.0.1:" +
      std::to_string(port) +
      "/api/v1/write\n"
      "    metadata_config: {send_interval: 1s}\n"
      "    queue_config: {batch_send_deadline: 1s}\n";
  Subprocess prometheus;
  ASSERT_TRUE(prometheus.Start({"/usr/bin/prometheus",
                                "--config.file=" + WriteTempFile("prometheus.yml", prom_config),
                                "--storage.tsdb.path=" + TempDir(),
                                "--web.listen-address=127.0.0.1:" + std::to_string(FreePort())}));
  const auto want = Expected("static", instance);
  const SeriesKey counter =
      Key("llm_requests_total",
          {{"model", "gpt-4o"}, {"status", "ok"}, {"job", "static"}, {"instance", instance}});
  WaitFor(
      [&] {
        auto got = sink.series();
        auto it = got.find(counter);
        return Diff(want, got).empty() && it != got.end() &&
               it->second.type == pdata::MetricType::kSum;
      },
      collector, prometheus);
  prometheus.Signal(SIGTERM);
  EXPECT_TRUE(prometheus.Wait(20s).has_value());
  collector.Signal(SIGTERM);
  std::optional<int> code = collector.Wait(30s);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0) << collector.Stderr();

  const auto got = sink.series();
  EXPECT_EQ(Diff(want, got), "") << collector.Stderr() << prometheus.Stderr();
  // Once Prometheus' metadata has arrived, counters are monotonic cumulative Sums (the store
  // keeps the name: it ends in _total); histogram and summary parts stay gauges.
  auto c = got.find(counter);
  ASSERT_NE(c, got.end());
  EXPECT_EQ(c->second.type, pdata::MetricType::kSum);
  EXPECT_TRUE(c->second.monotonic);
  auto b = got.find(
      Key("llm_latency_seconds_bucket", {{"le", "1"}, {"job", "static"}, {"instance", instance}}));
  ASSERT_NE(b, got.end());
  EXPECT_EQ(b->second.type, pdata::MetricType::kGauge);
  EXPECT_TRUE(sink.errors().empty());
}

}  // namespace
}  // namespace astrolabe::e2e
