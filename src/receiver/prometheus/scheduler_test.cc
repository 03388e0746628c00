#include "receiver/prometheus/scheduler.h"

#include <gtest/gtest.h>

#include <dirent.h>

#include <map>
#include <thread>

#include "component/testing/test_components.h"
#include "receiver/prometheus/prometheus_receiver.h"
#include "receiver/prometheus/test_util.h"

namespace astrolabe::receiver::prometheus {
namespace {

using test::FakeTarget;
using test::RecordingConsumer;

template <typename P>
bool WaitFor(P pred, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

size_t ThreadCount() {
  size_t n = 0;
  if (DIR* d = ::opendir("/proc/self/task")) {
    while (dirent* e = ::readdir(d)) n += e->d_name[0] != '.';
    ::closedir(d);
  }
  return n;
}

std::string ResourceAttr(const pdata::ResourceMetrics& rm, const char* key) {
  const auto* v = pdata::FindAttribute(rm.resource.attributes, key);
  return v ? v->string_value() : "";
}

// Scrapes per value of the `i` target label, from `up` points.
std::map<std::string, int> ScrapesPerTarget(const RecordingConsumer& sink) {
  std::map<std::string, int> out;
  for (const auto& batch : sink.batches()) {
    const pdata::Metric* up = test::FindMetric(batch.get(), "up");
    for (const auto& p : *test::NumberPoints(up)) {
      if (const auto* i = pdata::FindAttribute(p.attributes, "i")) ++out[i->string_value()];
    }
  }
  return out;
}

// 200 targets at 200 ms cost a handful of threads, and every one of them is scraped.
TEST(ScrapeScheduler, HundredsOfTargetsShareAFewThreads) {
  FakeTarget target;
  ASSERT_TRUE(target.ok());
  target.Serve("requests_total{model=\"llama\"} 7\n");
  Config cfg;
  ScrapeConfig sc;
  sc.job_name = "many";
  sc.scrape_interval = std::chrono::milliseconds(200);
  constexpr int kTargets = 200;
  for (int i = 0; i < kTargets; ++i) {
    sc.static_configs.push_back({{target.address()}, {{"i", std::to_string(i)}}});
  }
  cfg.prom.scrape_configs = {sc};
  ASSERT_TRUE(cfg.Validate().ok());
  RecordingConsumer sink;
  component::test::TestHost host;
  PrometheusReceiver r({config::ComponentId{"prometheus", "many"}, nullptr}, cfg, &sink);
  r.set_workers(2);
  const size_t threads_before = ThreadCount();
  ASSERT_TRUE(r.Start(host).ok());
  EXPECT_EQ(r.targets().size(), size_t{kTargets});
  ASSERT_NE(r.scheduler(), nullptr);
  EXPECT_EQ(r.scheduler()->workers(), 2u);
  EXPECT_TRUE(WaitFor([&] {
    auto per = ScrapesPerTarget(sink);
    if (per.size() < kTargets) return false;
    for (const auto& [i, n] : per) {
      if (n < 3) return false;
    }
    return true;
  })) << ScrapesPerTarget(sink).size()
      << " targets scraped";
  // Timer + 2 workers + the job's HttpClient thread (+ slack for curl's resolver).
  EXPECT_LE(ThreadCount(), threads_before + 6);
  ASSERT_TRUE(r.Shutdown(std::chrono::steady_clock::now() + std::chrono::seconds(5)).ok());
  size_t after = sink.size();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(sink.size(), after);
}

// A target that answers after its timeout holds no thread: the fast target of the same
// receiver, on a one-worker pool, keeps its schedule.
TEST(ScrapeScheduler, ASlowTargetDelaysNoOther) {
  FakeTarget slow, fast;
  ASSERT_TRUE(slow.ok() && fast.ok());
  slow.Serve("x 1\n");
  slow.SetDelay(std::chrono::milliseconds(1200));
  fast.Serve("x 2\n");
  Config cfg;
  ScrapeConfig a;
  a.job_name = "slow";
  a.scrape_interval = std::chrono::milliseconds(400);
  a.scrape_timeout = std::chrono::milliseconds(300);
  a.static_configs.push_back({{slow.address()}, {}});
  ScrapeConfig b;
  b.job_name = "fast";
  b.scrape_interval = std::chrono::milliseconds(100);
  b.static_configs.push_back({{fast.address()}, {}});
  cfg.prom.scrape_configs = {a, b};
  ASSERT_TRUE(cfg.Validate().ok());
  RecordingConsumer sink;
  component::test::TestHost host;
  PrometheusReceiver r({config::ComponentId{"prometheus", "slow"}, nullptr}, cfg, &sink);
  r.set_workers(1);
  ASSERT_TRUE(r.Start(host).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  int fast_requests = fast.requests();
  ASSERT_TRUE(r.Shutdown(std::chrono::steady_clock::now() + std::chrono::seconds(5)).ok());
  EXPECT_GE(fast_requests, 10);  // ~15 instants in 1.5 s
  int slow_down = 0;
  for (const auto& batch : sink.batches()) {
    const auto& rm = batch.get().resource_metrics.at(0);
    if (ResourceAttr(rm, "service.name") == "slow" && test::GaugeValue(batch.get(), "up") == 0) {
      ++slow_down;
    }
  }
  EXPECT_GE(slow_down, 2);  // timed out at 300 ms, not after the server's 1.2 s
  std::string telemetry = host.telemetry().RenderText();
  EXPECT_EQ(
      telemetry.find("astrolabe_receiver_prometheus_scrapes_failed_total{receiver=\"prometheus/"
                     "slow\",reason=\"timeout\"} 0"),
      std::string::npos)
      << telemetry;
}

// The points of one batch that are NO_RECORDED_VALUE, by metric name.
std::map<std::string, int> StalePoints(const pdata::Metrics& m, int* fresh) {
  std::map<std::string, int> out;
  for (const auto& rm : m.resource_metrics) {
    for (const auto& sm : rm.scope_metrics) {
      for (const auto& metric : sm.metrics) {
        if (const auto* points = test::NumberPoints(&metric)) {
          for (const auto& p : *points) {
            if (p.no_recorded_value()) {
              ++out[metric.name];
            } else {
              ++*fresh;
            }
          }
        } else if (const auto* h = std::get_if<pdata::Histogram>(&metric.data)) {
          for (const auto& p : h->data_points) {
            if (p.no_recorded_value()) {
              ++out[metric.name];
            } else {
              ++*fresh;
            }
          }
        }
      }
    }
  }
  return out;
}

// Remove(): no more scrapes; at the next instant every series of the last scrape, and the
// synthetic ones, get one stale marker; then nothing.
TEST(ScrapeScheduler, RemovedLoopMarksItsSeriesStaleOnce) {
  FakeTarget target;
  ASSERT_TRUE(target.ok());
  target.Serve(
      "# TYPE requests_total counter\nrequests_total{model=\"a\"} 1\nrequests_total{model=\"b\"} "
      "2\n# TYPE latency_seconds histogram\nlatency_seconds_bucket{le=\"1\"} 1\n"
      "latency_seconds_bucket{le=\"+Inf\"} 2\nlatency_seconds_sum 3\nlatency_seconds_count 2\n");
  ScrapeConfig sc;
  sc.job_name = "gone";
  sc.scrape_interval = std::chrono::milliseconds(100);
  sc.scrape_timeout = std::chrono::milliseconds(100);
  sc.scrape_protocols = DefaultScrapeProtocols();
  sc.fallback_scrape_protocol = "PrometheusText0.0.4";
  sc.static_configs.push_back({{target.address()}, {}});
  auto discovered = StaticTargetProvider().Discover(sc);
  auto t = PopulateTarget(sc, {}, discovered->at(0));
  ASSERT_TRUE(t.ok() && t->has_value());
  net::HttpClient client;
  RecordingConsumer sink;
  ScrapeLoopOptions o;
  o.config = sc;
  o.target = std::move(**t);
  o.client = &client;
  o.next = &sink;
  ScrapeScheduler scheduler(ScrapeSchedulerOptions{.workers = 1});
  auto id = scheduler.Add(std::make_unique<ScrapeLoop>(std::move(o)));
  scheduler.Start();
  ASSERT_TRUE(WaitFor([&] { return sink.size() >= 2; }));
  scheduler.Remove(id);
  EXPECT_EQ(scheduler.size(), 0u);
  const size_t at_remove = sink.size();
  // The end-of-run batch comes at the next instant (≤ 100 ms, plus a scrape in flight).
  ASSERT_TRUE(WaitFor([&] {
    for (size_t i = at_remove; i < sink.size(); ++i) {
      int fresh = 0;
      if (!StalePoints(sink.batches()[i].get(), &fresh).empty()) return true;
    }
    return false;
  }));
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  const int requests = target.requests();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(target.requests(), requests);  // no more scrapes
  int stale_batches = 0;
  auto batches = sink.batches();
  for (size_t i = at_remove; i < batches.size(); ++i) {
    int fresh = 0;
    auto stale = StalePoints(batches[i].get(), &fresh);
    if (stale.empty()) continue;  // a scrape that was in flight at Remove
    ++stale_batches;
    EXPECT_EQ(fresh, 0);
    EXPECT_EQ(stale["requests_total"], 2);
    EXPECT_EQ(stale["latency_seconds"], 1);
    EXPECT_EQ(stale["up"], 1);
    EXPECT_EQ(stale["scrape_duration_seconds"], 1);
    EXPECT_EQ(stale["scrape_series_added"], 1);
  }
  EXPECT_EQ(stale_batches, 1);
  scheduler.RequestStop();
  client.Shutdown();
  scheduler.Stop();
}

// Stop() with a fetch hanging: the client's shutdown cancels it and nothing is pushed after.
TEST(ScrapeScheduler, StopCancelsAFetchInFlight) {
  FakeTarget target;
  ASSERT_TRUE(target.ok());
  target.Serve("x 1\n");
  target.SetDelay(std::chrono::milliseconds(1800));
  ScrapeConfig sc;
  sc.job_name = "hang";
  sc.scrape_interval = std::chrono::seconds(2);
  sc.scrape_timeout = std::chrono::seconds(2);
  sc.static_configs.push_back({{target.address()}, {}});
  auto discovered = StaticTargetProvider().Discover(sc);
  auto t = PopulateTarget(sc, {}, discovered->at(0));
  ASSERT_TRUE(t.ok() && t->has_value());
  net::HttpClient client;
  RecordingConsumer sink;
  ScrapeLoopOptions o;
  o.config = sc;
  o.target = std::move(**t);
  o.client = &client;
  o.next = &sink;
  ScrapeScheduler scheduler;
  scheduler.Add(std::make_unique<ScrapeLoop>(std::move(o)));
  scheduler.Start();
  ASSERT_TRUE(WaitFor([&] { return target.requests() >= 1; }, std::chrono::seconds(3)));
  auto started = std::chrono::steady_clock::now();
  scheduler.RequestStop();
  client.Shutdown();
  scheduler.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(1000));
  EXPECT_EQ(sink.size(), 0u);
}

}  // namespace
}  // namespace astrolabe::receiver::prometheus
