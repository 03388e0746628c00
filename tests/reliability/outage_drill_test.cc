// Outage drills (DESIGN.md §8, issue 4): the real `astrolabe collector` scrapes a loopback
// target whose gauge `drill_sequence` counts its scrapes (0, 1, 2, ...), and ships it
// through otlp_http to a loopback OTLP sink the test controls. Each scrape is one batch and
// carries one distinct value, so "nothing lost" means: the sink received every value the
// target served, and "not retried" means: no value reached a sink path twice.
//
//   ServerErrorsForAMinute       the sink answers 503 for 60 s, then 200: every value
//                                scraped meanwhile arrives, none is counted failed.
//   KillDashNineWithPersistentQueue  the sink is down; the collector, with a file_storage
//                                persistent queue, is killed with SIGKILL, restarted and
//                                reloaded (SIGHUP); when the sink comes up every value
//                                arrives.
//   KillDashNineUnderLoad        a client sends OTLP gauges (value = batch number) to the
//                                collector's otlp receiver while the sink flaps between 200
//                                and 503; the collector (persistent queue) is SIGKILLed at
//                                random moments and restarted, several rounds: every batch
//                                the collector acknowledged reaches the sink.
//   PermanentErrorsAreNotRetried  sinks answering 400, 401, 413 get exactly one request
//                                per batch, and the collector's /metrics counts the points
//                                as send_failed (and none as sent).
//
// Slow by design (the first takes over a minute): ctest label `drill`.

#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "drill.h"
#include "net/http_client.h"
#include "net/http_server.h"
#include "pdata/metrics.h"
#include "process.h"
#include "wire/gzip.h"
#include "wire/otlp_proto.h"

namespace astrolabe::e2e {
namespace {

using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;
using ::testing::HasSubstr;
using ::testing::Not;

// The scrape target: `drill_sequence` is the number of scrapes served before this one.
// Frozen, it answers 503 (the scrape fails and carries no drill_sequence).
class Target {
 public:
  Target() {
    net::HttpServerOptions o;
    o.listen_address = "127.0.0.1:0";
    server_ = std::make_unique<net::HttpServer>(o);
    server_->Handle("GET", "/metrics", [this](net::ServerRequest&, net::ServerResponse& r) {
      std::lock_guard<std::mutex> l(mu_);
      if (frozen_) {
        r.Set(503, "text/plain", "frozen");
        return;
      }
      r.Set(200, "text/plain; version=0.0.4",
            "# TYPE drill_sequence gauge\ndrill_sequence " + std::to_string(served_++) + "\n");
    });
    EXPECT_TRUE(server_->Start().ok());
  }
  ~Target() { server_->Shutdown(Steady::now() + 2s); }
  int port() const { return server_->port(); }
  int served() {
    std::lock_guard<std::mutex> l(mu_);
    return served_;
  }
  // Stops serving values; returns how many were served.
  int Freeze() {
    std::lock_guard<std::mutex> l(mu_);
    frozen_ = true;
    return served_;
  }
  void Thaw() {
    std::lock_guard<std::mutex> l(mu_);
    frozen_ = false;
  }

 private:
  std::unique_ptr<net::HttpServer> server_;
  std::mutex mu_;
  int served_ = 0;       // GUARDED_BY(mu_)
  bool frozen_ = false;  // GUARDED_BY(mu_)
};

// The OTLP sink: any POST path; answers `status` (per path, else the default); records per
// path the requests, data points and drill_sequence values of every request it received.
class Sink {
 public:
  explicit Sink(int port = 0) { port_ = port; }
  ~Sink() { Stop(); }

  void Start() {
    net::HttpServerOptions o;
    o.listen_address = "127.0.0.1:" + std::to_string(port_);
    server_ = std::make_unique<net::HttpServer>(o);
    server_->Handle("POST", "/*",
                    [this](net::ServerRequest& req, net::ServerResponse& r) { Serve(req, r); });
    Status s = server_->Start();
    ASSERT_TRUE(s.ok()) << s.ToString();
    port_ = server_->port();
  }
  void Stop() {
    if (server_) server_->Shutdown(Steady::now() + 2s);
    server_.reset();
  }
  int port() const { return port_; }
  void SetStatus(int status) {
    std::lock_guard<std::mutex> l(mu_);
    default_status_ = status;
  }
  void SetStatus(const std::string& path, int status) {
    std::lock_guard<std::mutex> l(mu_);
    path_status_[path] = status;
  }

  struct PathStats {
    int requests = 0;
    int refused = 0;            // answered with a non-2xx status
    double points = 0;          // data points in all requests
    double max_points = 0;      // in one request
    std::map<int, int> values;  // drill_sequence value -> times received
    std::vector<std::string> errors;
  };
  PathStats Stats(const std::string& path) {
    std::lock_guard<std::mutex> l(mu_);
    return stats_[path];
  }
  // Values received in requests answered 200.
  std::set<int> Accepted(const std::string& path) {
    std::lock_guard<std::mutex> l(mu_);
    return accepted_[path];
  }

 private:
  void Serve(net::ServerRequest& req, net::ServerResponse& r) {
    const std::string path(req.path());
    auto raw = wire::GzipDecompress(req.body(), 64 << 20);
    auto metrics =
        raw.ok() ? wire::DecodeMetricsRequest(*raw) : Result<pdata::Metrics>(raw.status());
    std::lock_guard<std::mutex> l(mu_);
    const int status = path_status_.count(path) ? path_status_[path] : default_status_;
    PathStats& st = stats_[path];
    ++st.requests;
    if (status != 200) ++st.refused;
    if (!metrics.ok()) {
      st.errors.push_back(metrics.status().ToString());
    } else {
      const auto n = static_cast<double>(metrics->DataPointCount());
      st.points += n;
      st.max_points = std::max(st.max_points, n);
      for (const auto& rm : metrics->resource_metrics)
        for (const auto& sm : rm.scope_metrics)
          for (const auto& m : sm.metrics) {
            if (m.name != "drill_sequence") continue;
            for (const auto& p : std::get<pdata::Gauge>(m.data).data_points) {
              const int v = static_cast<int>(p.AsDouble());
              ++st.values[v];
              if (status == 200) accepted_[path].insert(v);
            }
          }
    }
    r.Set(status, "text/plain", status == 200 ? "" : "drill says " + std::to_string(status));
  }

  int port_ = 0;
  std::unique_ptr<net::HttpServer> server_;
  std::mutex mu_;
  int default_status_ = 200;                       // GUARDED_BY(mu_)
  std::map<std::string, int> path_status_;         // GUARDED_BY(mu_)
  std::map<std::string, PathStats> stats_;         // GUARDED_BY(mu_)
  std::map<std::string, std::set<int>> accepted_;  // GUARDED_BY(mu_)
};

// The value of the series whose line starts with `prefix` and contains `labels`; -1 if absent.
double SeriesValue(const std::string& text, const std::string& prefix, const std::string& labels) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(prefix, 0) == 0 && line.find(labels) != std::string::npos) {
      return std::stod(line.substr(line.rfind(' ') + 1));
    }
  }
  return -1;
}

// Values in [0, n) missing from `got`, as text ("3 4 17").
std::string Missing(const std::set<int>& got, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) {
    if (!got.count(i)) out += std::to_string(i) + " ";
  }
  return out;
}

struct Ports {
  int health = FreePort();
  int telemetry = FreePort();
};

std::string Head(const Target& target, const Ports& ports) {
  return "receivers:\n"
         "  prometheus:\n"
         "    config:\n"
         "      scrape_configs:\n"
         "        - job_name: drill\n"
         "          scrape_interval: 1s\n"
         "          static_configs:\n"
         "            - targets: [\"127.0.0.1:" +
         std::to_string(target.port()) +
         "\"]\n"
         "service:\n"
         "  telemetry:\n"
         "    metrics:\n"
         "      address: 127.0.0.1:" +
         std::to_string(ports.telemetry) + "\n";
}

class OutageDrill : public ::testing::Test {
 protected:
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  std::string TempDir() {
    char tmpl[] = "/tmp/astrolabe_drill_XXXXXX";
    dir_ = mkdtemp(tmpl);
    return dir_;
  }
  std::string dir_;
};

TEST_F(OutageDrill, ServerErrorsForAMinute) {
  Target target;
  Sink sink;
  sink.SetStatus(503);
  sink.Start();
  Ports ports;
  const std::string config = WriteTempFile("drill.yaml", Head(target, ports) +
                                                             "  pipelines:\n"
                                                             "    metrics:\n"
                                                             "      receivers: [prometheus]\n"
                                                             "      exporters: [otlp_http]\n"
                                                             "exporters:\n"
                                                             "  otlp_http:\n"
                                                             "    endpoint: http://127.0.0.1:" +
                                                             std::to_string(sink.port()) +
                                                             "\n"
                                                             "    retry_on_failure:\n"
                                                             "      initial_interval: 1s\n"
                                                             "      max_interval: 5s\n");
  Subprocess collector;
  ASSERT_TRUE(collector.Start({AstrolabeBinary(), "collector", "--config", config}));
  const auto outage_end = Steady::now() + 60s;
  while (Steady::now() < outage_end && collector.running()) std::this_thread::sleep_for(200ms);
  ASSERT_TRUE(collector.running()) << collector.Stderr();
  const int during = target.served();
  const Sink::PathStats outage = sink.Stats("/v1/metrics");
  sink.SetStatus(200);
  ASSERT_GE(during, 50) << "about one scrape a second for a minute";
  EXPECT_GE(outage.refused, 10) << "the exporter kept trying during the outage";
  EXPECT_TRUE(sink.Accepted("/v1/metrics").empty());

  // Everything scraped during the outage arrives once the sink recovers.
  const bool all =
      Eventually([&] { return Missing(sink.Accepted("/v1/metrics"), during).empty(); }, 60s);
  const std::string metrics = HttpGet(ports.telemetry, "/metrics").body;
  collector.Signal(SIGTERM);
  auto code = collector.Wait(30s);
  EXPECT_TRUE(all) << "missing: " << Missing(sink.Accepted("/v1/metrics"), during) << "\n"
                   << collector.Stderr();
  EXPECT_EQ(SeriesValue(metrics, "otelcol_exporter_send_failed_metric_points_total",
                        "exporter=\"otlp_http\""),
            0)
      << metrics;
  EXPECT_GT(
      SeriesValue(metrics, "otelcol_exporter_sent_metric_points_total", "exporter=\"otlp_http\""),
      0);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0);
  EXPECT_THAT(collector.Stderr(), HasSubstr("HTTP Status Code 503"));
  std::cout << "drill: " << during << " values scraped during the 60 s outage, " << outage.refused
            << " requests answered 503, " << sink.Accepted("/v1/metrics").size()
            << " distinct values delivered\n";
  EXPECT_TRUE(sink.Stats("/v1/metrics").errors.empty());
}

TEST_F(OutageDrill, KillDashNineWithPersistentQueue) {
  Target target;
  Sink sink(FreePort());  // not listening yet: the platform is down
  Ports ports;
  const std::string dir = TempDir();
  const std::string config = WriteTempFile("drill.yaml", Head(target, ports) +
                                                             "  extensions: [file_storage]\n"
                                                             "  pipelines:\n"
                                                             "    metrics:\n"
                                                             "      receivers: [prometheus]\n"
                                                             "      exporters: [otlp_http]\n"
                                                             "extensions:\n"
                                                             "  file_storage:\n"
                                                             "    directory: " +
                                                             dir +
                                                             "\n"
                                                             "exporters:\n"
                                                             "  otlp_http:\n"
                                                             "    endpoint: http://127.0.0.1:" +
                                                             std::to_string(sink.port()) +
                                                             "\n"
                                                             "    retry_on_failure:\n"
                                                             "      initial_interval: 500ms\n"
                                                             "      max_interval: 1s\n"
                                                             "    sending_queue:\n"
                                                             "      storage: file_storage\n");
  int served = 0;
  {
    Subprocess collector;
    ASSERT_TRUE(collector.Start({AstrolabeBinary(), "collector", "--config", config}));
    ASSERT_TRUE(Eventually([&] { return target.served() >= 12 || !collector.running(); }, 30s));
    ASSERT_TRUE(collector.running()) << collector.Stderr();
    served = target.Freeze();
    // The last value served goes through the pipeline into storage within the scrape.
    std::this_thread::sleep_for(1500ms);
    collector.Signal(SIGKILL);
    auto code = collector.Wait(10s);
    ASSERT_TRUE(code.has_value());
    EXPECT_EQ(*code, 128 + SIGKILL);
    EXPECT_TRUE(std::filesystem::exists(dir + "/exporter_otlp_http__metrics"));
  }
  target.Thaw();
  Subprocess collector;
  ASSERT_TRUE(collector.Start({AstrolabeBinary(), "collector", "--config", config}));
  std::this_thread::sleep_for(2s);  // restarted while the platform is still down
  // Under load (ASan, a busy machine) the start can take longer than that: a SIGHUP before
  // the collector handles signals would end it.
  ASSERT_TRUE(Eventually(
      [&] { return collector.Stderr().find("Everything is ready") != std::string::npos; }, 60s))
      << collector.Stderr();
  // A reload (SIGHUP) hands the stored queue from the old exporter instance to the new one:
  // the old one closes its files, the new one opens and loads them.
  collector.Signal(SIGHUP);
  ASSERT_TRUE(Eventually(
      [&] { return collector.Stderr().find("configuration generation 2") != std::string::npos; },
      20s))
      << collector.Stderr();
  sink.Start();
  const bool all = Eventually(
      [&] {
        std::set<int> got = sink.Accepted("/v1/metrics");
        return Missing(got, served).empty() && !got.empty() && *got.rbegin() >= served;
      },
      30s);
  collector.Signal(SIGTERM);
  auto code = collector.Wait(30s);
  const std::set<int> got = sink.Accepted("/v1/metrics");
  EXPECT_TRUE(all) << "served before the kill: " << served << "; missing: " << Missing(got, served)
                   << "\n"
                   << collector.Stderr();
  EXPECT_THAT(collector.Stderr(), HasSubstr("from the persistent sending queue"));
  std::cout << "drill: " << served << " values served before SIGKILL, " << got.size()
            << " distinct values delivered after the restart\n";
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0);
}

// A client batch: one gauge point `drill_sequence` = batch.
std::string SequenceBatch(int batch) {
  pdata::Metric m;
  m.name = "drill_sequence";
  pdata::Gauge g;
  pdata::NumberDataPoint p;
  p.time_unix_nano = uint64_t(e2e::WallMs()) * 1'000'000;
  p.value = batch;
  g.data_points.push_back(std::move(p));
  m.data = std::move(g);
  pdata::ScopeMetrics sm;
  sm.metrics.push_back(std::move(m));
  pdata::ResourceMetrics rm;
  pdata::PutAttribute(rm.resource.attributes, "service.name", "collector-kill-drill");
  rm.scope_metrics.push_back(std::move(sm));
  pdata::Metrics metrics;
  metrics.resource_metrics.push_back(std::move(rm));
  return wire::EncodeMetricsRequest(metrics);
}

TEST_F(OutageDrill, KillDashNineUnderLoad) {
  Sink sink;
  sink.Start();
  Ports ports;
  const int receiver = FreePort();
  const std::string dir = TempDir();
  const std::string config = WriteTempFile("drill.yaml",
                                           "receivers:\n"
                                           "  otlp:\n"
                                           "    protocols:\n"
                                           "      http:\n"
                                           "        endpoint: 127.0.0.1:" +
                                               std::to_string(receiver) +
                                               "\n"
                                               "extensions:\n"
                                               "  file_storage:\n"
                                               "    directory: " +
                                               dir +
                                               "\n"
                                               "exporters:\n"
                                               "  otlp_http:\n"
                                               "    endpoint: http://127.0.0.1:" +
                                               std::to_string(sink.port()) +
                                               "\n"
                                               "    retry_on_failure:\n"
                                               "      initial_interval: 100ms\n"
                                               "      max_interval: 500ms\n"
                                               "    sending_queue:\n"
                                               "      storage: file_storage\n"
                                               "service:\n"
                                               "  telemetry:\n"
                                               "    metrics:\n"
                                               "      address: 127.0.0.1:" +
                                               std::to_string(ports.telemetry) +
                                               "\n"
                                               "  extensions: [file_storage]\n"
                                               "  pipelines:\n"
                                               "    metrics:\n"
                                               "      receivers: [otlp]\n"
                                               "      exporters: [otlp_http]\n");
  const int rounds = e2e::DrillSize(4, 20);
  std::mutex mu;
  std::map<int, bool> acked;  // batch → 2xx
  int next = 0;
  std::mt19937 rng(std::random_device{}());
  for (int round = 0; round < rounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    Subprocess collector;
    ASSERT_TRUE(collector.Start({AstrolabeBinary(), "collector", "--config", config}));
    std::atomic<bool> stop{false};
    auto pump = [&] {
      net::HttpClient client;
      while (!stop.load()) {
        int batch;
        {
          std::lock_guard l(mu);
          batch = next++;
        }
        auto r = e2e::Post(client, receiver, "/v1/metrics", SequenceBatch(batch), false, 5s);
        {
          std::lock_guard l(mu);
          acked[batch] = r.status == 200;
        }
        if (r.status != 200) std::this_thread::sleep_for(20ms);
      }
    };
    auto acked_count = [&] {
      std::lock_guard l(mu);
      return std::count_if(acked.begin(), acked.end(), [](const auto& kv) { return kv.second; });
    };
    const auto before = acked_count();
    std::thread a(pump), b(pump);
    const bool flowing = Eventually([&] { return acked_count() >= before + 20; }, 60s);
    // The sink flaps: part of the batches wait in the persistent queue at the kill.
    sink.SetStatus(round % 2 == 0 ? 503 : 200);
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::uniform_int_distribution(100, 900)(rng)));
    collector.Signal(SIGKILL);
    const auto code = collector.Wait(10s);
    std::this_thread::sleep_for(200ms);
    stop = true;
    a.join();
    b.join();
    sink.SetStatus(200);
    ASSERT_TRUE(flowing) << collector.Stderr();
    ASSERT_TRUE(code.has_value());
    EXPECT_EQ(*code, 128 + SIGKILL);
  }
  // A last start delivers what the queue holds.
  Subprocess collector;
  ASSERT_TRUE(collector.Start({AstrolabeBinary(), "collector", "--config", config}));
  std::set<int> want;
  {
    std::lock_guard l(mu);
    for (auto [batch, ok] : acked)
      if (ok) want.insert(batch);
  }
  auto missing = [&] {
    const std::set<int> got = sink.Accepted("/v1/metrics");
    std::vector<int> out;
    for (int b : want)
      if (!got.count(b)) out.push_back(b);
    return out;
  };
  const bool all = Eventually([&] { return missing().empty(); }, 60s);
  collector.Signal(SIGTERM);
  const auto code = collector.Wait(30s);
  const std::vector<int> lost = missing();
  std::string lost_text;
  for (size_t i = 0; i < lost.size() && i < 20; ++i) lost_text += std::to_string(lost[i]) + " ";
  std::cout << "collector kill drill: " << rounds << " SIGKILLs, " << next << " batches sent, "
            << want.size() << " acknowledged, " << lost.size() << " of those missing at the sink, "
            << sink.Stats("/v1/metrics").requests << " requests at the sink\n";
  EXPECT_TRUE(all) << lost.size() << " acknowledged batches never arrived: " << lost_text << "\n"
                   << collector.Stderr();
  EXPECT_GT(want.size(), size_t(rounds) * 20);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0) << collector.Stderr();
}

TEST_F(OutageDrill, PermanentErrorsAreNotRetried) {
  Target target;
  Sink sink;
  sink.SetStatus("/e400", 400);
  sink.SetStatus("/e401", 401);
  sink.SetStatus("/e413", 413);
  sink.Start();
  Ports ports;
  std::string exporters = "exporters:\n";
  for (const char* code : {"400", "401", "413"}) {
    exporters += std::string("  otlp_http/e") + code + ":\n" +
                 "    metrics_endpoint: http://127.0.0.1:" + std::to_string(sink.port()) + "/e" +
                 code + "\n" +
                 "    retry_on_failure:\n"
                 "      initial_interval: 100ms\n"
                 "      max_interval: 100ms\n";
  }
  const std::string config = WriteTempFile(
      "drill.yaml", Head(target, ports) +
                        "  pipelines:\n"
                        "    metrics:\n"
                        "      receivers: [prometheus]\n"
                        "      exporters: [otlp_http/e400, otlp_http/e401, otlp_http/e413]\n" +
                        exporters);
  Subprocess collector;
  ASSERT_TRUE(collector.Start({AstrolabeBinary(), "collector", "--config", config}));
  const std::vector<std::string> paths = {"/e400", "/e401", "/e413"};
  ASSERT_TRUE(Eventually(
      [&] {
        for (const auto& p : paths) {
          if (sink.Stats(p).values.size() < 4) return collector.running() ? false : true;
        }
        return true;
      },
      30s));
  ASSERT_TRUE(collector.running()) << collector.Stderr();
  std::map<std::string, Sink::PathStats> before, after;
  for (const auto& p : paths) before[p] = sink.Stats(p);
  const std::string metrics = HttpGet(ports.telemetry, "/metrics").body;
  std::this_thread::sleep_for(1s);  // a retry, if there were one, would come within 100 ms
  for (const auto& p : paths) after[p] = sink.Stats(p);
  collector.Signal(SIGTERM);
  auto code = collector.Wait(30s);

  for (const auto& p : paths) {
    const std::string label = "exporter=\"otlp_http" + p + "\"";
    SCOPED_TRACE(p);
    const Sink::PathStats& st = after[p];
    EXPECT_TRUE(st.errors.empty());
    // One request per batch: every scrape's value reached this path exactly once.
    int batches = 0;
    for (const auto& [value, times] : st.values) {
      EXPECT_EQ(times, 1) << "drill_sequence " << value << " was sent " << times << " times";
      ++batches;
    }
    EXPECT_EQ(st.requests, batches);
    const double failed =
        SeriesValue(metrics, "otelcol_exporter_send_failed_metric_points_total", label);
    EXPECT_GT(failed, 0) << metrics;
    // Counted once the answer arrives: at most the request in flight is not counted yet.
    EXPECT_GE(failed, before[p].points - before[p].max_points - 1e-9);
    EXPECT_LE(failed, after[p].points + 1e-9);
    EXPECT_EQ(SeriesValue(metrics, "otelcol_exporter_sent_metric_points_total", label), 0)
        << metrics;
  }
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0);
  const std::string err = collector.Stderr();
  for (const char* status : {"400", "401", "413"}) {
    EXPECT_THAT(err, HasSubstr(std::string("responded with HTTP Status Code ") + status));
  }
  EXPECT_THAT(err, HasSubstr("Exporting failed. Dropping data."));
  EXPECT_THAT(err, Not(HasSubstr("Will retry")));
}

}  // namespace
}  // namespace astrolabe::e2e

namespace astrolabe::e2e {
namespace {

// Not a drill, but the same setup: a queue naming a storage extension that does not run
// stops the collector at start, and the message names the id.
TEST(PersistentQueueConfig, AnUnknownStorageIdStopsTheStartNamingIt) {
  Target target;
  Ports ports;
  const std::string config =
      WriteTempFile("drill.yaml", Head(target, ports) +
                                      "  pipelines:\n"
                                      "    metrics:\n"
                                      "      receivers: [prometheus]\n"
                                      "      exporters: [otlp_http]\n"
                                      "exporters:\n"
                                      "  otlp_http:\n"
                                      "    endpoint: http://127.0.0.1:1\n"
                                      "    sending_queue:\n"
                                      "      storage: file_storage/missing\n");
  RunResult run = RunProcess({AstrolabeBinary(), "collector", "--config", config}, 30s);
  EXPECT_NE(run.exit_code, 0);
  EXPECT_THAT(run.err, HasSubstr("sending_queue: storage extension \"file_storage/missing\" "
                                 "not found"));
  // validate checks the config, not the running extensions: the id is well-formed.
  RunResult validate = RunProcess({AstrolabeBinary(), "validate", "--config", config}, 30s);
  EXPECT_EQ(validate.exit_code, 0) << validate.err;
}

}  // namespace
}  // namespace astrolabe::e2e
