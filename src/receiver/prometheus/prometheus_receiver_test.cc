#include "receiver/prometheus/prometheus_receiver.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "component/handoff.h"
#include "component/resolve.h"
#include "component/testing/lifecycle.h"
#include "component/testing/test_components.h"
#include "config/loader.h"
#include "receiver/prometheus/factory.h"
#include "receiver/prometheus/test_util.h"

namespace astrolabe::receiver::prometheus {
namespace {

using test::FakeTarget;
using test::GaugeValue;
using test::RecordingConsumer;

TEST(PrometheusReceiverFactory, Lifecycle) {
  auto factory = NewFactory();
  component::test::RunLifecycleTests(*factory);
  // Again with a scrape loop running against a port nothing listens on.
  component::test::RunLifecycleTests(*factory, [](component::ComponentConfig& c) {
    auto& cfg = static_cast<Config&>(c);
    ScrapeConfig sc;
    sc.job_name = "unreachable";
    sc.scrape_interval = std::chrono::milliseconds(50);
    sc.static_configs.push_back({{"127.0.0.1:1"}, {}});
    cfg.prom.scrape_configs.push_back(sc);
  });
}

TEST(PrometheusReceiverFactory, TypeAndSignals) {
  auto factory = NewFactory();
  EXPECT_EQ(factory->type(), "prometheus");
  EXPECT_TRUE(factory->Supports(component::Signal::kMetrics));
  EXPECT_FALSE(factory->Supports(component::Signal::kTraces));
  EXPECT_FALSE(factory->Supports(component::Signal::kLogs));
  component::test::TestConfig wrong;
  auto r = factory->CreateReceiver({}, wrong, {});
  EXPECT_FALSE(r.ok());
}

// Waits until `pred` holds, up to 5 s.
template <typename P>
bool WaitFor(P pred) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

TEST(PrometheusReceiver, ScrapesEveryTargetOnItsScheduleAndStops) {
  FakeTarget nim, kong;
  ASSERT_TRUE(nim.ok() && kong.ok());
  nim.Serve(test::ReadTestdata("nim.txt"));
  kong.Serve(test::ReadTestdata("kong.txt"));

  Config cfg;
  ScrapeConfig a;
  a.job_name = "nim";
  a.scrape_interval = std::chrono::milliseconds(100);
  a.static_configs.push_back({{nim.address()}, {}});
  ScrapeConfig b = a;
  b.job_name = "kong";
  b.static_configs = {{{kong.address()}, {}}};
  cfg.prom.scrape_configs = {a, b};
  ASSERT_TRUE(cfg.Validate().ok());

  RecordingConsumer sink;
  component::test::TestHost host;
  auto factory = NewFactory();
  auto receiver = factory->CreateReceiver({config::ComponentId{"prometheus", "ai"}, nullptr}, cfg,
                                          {&sink, nullptr, nullptr});
  ASSERT_TRUE(receiver.ok()) << receiver.status().ToString();
  ASSERT_TRUE((*receiver)->Start(host).ok());
  EXPECT_TRUE(WaitFor([&] { return nim.requests() >= 2 && kong.requests() >= 2; }));
  ASSERT_TRUE(
      (*receiver)->Shutdown(std::chrono::steady_clock::now() + std::chrono::seconds(5)).ok());
  size_t after_shutdown = sink.size();
  std::this_thread::sleep_for(std::chrono::milliseconds(250));
  EXPECT_EQ(sink.size(), after_shutdown);  // nothing is pushed after Shutdown

  std::set<std::string> jobs;
  for (const auto& batch : sink.batches()) {
    const pdata::Metrics& m = batch.get();
    ASSERT_EQ(m.resource_metrics.size(), 1u);
    jobs.insert(pdata::FindAttribute(m.resource_metrics[0].resource.attributes, "service.name")
                    ->string_value());
    EXPECT_EQ(GaugeValue(m, "up"), 1);
  }
  EXPECT_EQ(jobs, (std::set<std::string>{"kong", "nim"}));
  std::string telemetry = host.telemetry().RenderText();
  EXPECT_NE(telemetry.find("otelcol_receiver_accepted_metric_points"), std::string::npos)
      << telemetry;
  EXPECT_NE(telemetry.find("receiver=\"prometheus/ai\""), std::string::npos) << telemetry;
}

// A Host under a Supervisor: it has a Handoff that outlives the receivers (a reload).
class ReloadingHost : public component::test::TestHost {
 public:
  component::Handoff* handoff() override { return &handoff_; }

 private:
  component::Handoff handoff_;
};

// The stale `up` of `job` in `sink`'s batches, if any was pushed.
bool HasStaleUp(const RecordingConsumer& sink, const std::string& job) {
  for (const auto& batch : sink.batches()) {
    const pdata::Metrics& m = batch.get();
    for (const auto& rm : m.resource_metrics) {
      const auto* name = pdata::FindAttribute(rm.resource.attributes, "service.name");
      if (name == nullptr || name->string_value() != job) continue;
      pdata::Metrics one;
      one.resource_metrics.push_back(rm);
      const auto* points = test::NumberPoints(test::FindMetric(one, "up"));
      if (points != nullptr && points->size() == 1 && (*points)[0].no_recorded_value()) {
        return true;
      }
    }
  }
  return false;
}

// Issue 3: a SIGHUP reload that drops a job writes stale markers for its series, once,
// through the new pipeline; the job that stays gets none.
TEST(PrometheusReceiver, AReloadThatRemovesAJobMarksItsSeriesStale) {
  FakeTarget nim, kong;
  ASSERT_TRUE(nim.ok() && kong.ok());
  nim.Serve(test::ReadTestdata("nim.txt"));
  kong.Serve(test::ReadTestdata("kong.txt"));
  ScrapeConfig a;
  a.job_name = "nim";
  a.scrape_interval = std::chrono::milliseconds(100);
  a.static_configs.push_back({{nim.address()}, {}});
  ScrapeConfig b = a;
  b.job_name = "kong";
  b.static_configs = {{{kong.address()}, {}}};
  Config before, after;
  before.prom.scrape_configs = {a, b};
  after.prom.scrape_configs = {a};
  ASSERT_TRUE(before.Validate().ok() && after.Validate().ok());

  auto factory = NewFactory();
  const component::CreateSettings settings{config::ComponentId{"prometheus", "ai"}, nullptr};
  for (bool reloading : {true, false}) {
    SCOPED_TRACE(reloading ? "under a supervisor" : "no handoff");
    std::unique_ptr<component::test::TestHost> host =
        reloading ? std::make_unique<ReloadingHost>()
                  : std::make_unique<component::test::TestHost>();
    RecordingConsumer old_sink, new_sink;
    auto first = factory->CreateReceiver(settings, before, {&old_sink, nullptr, nullptr});
    ASSERT_TRUE(first.ok());
    ASSERT_TRUE((*first)->Start(*host).ok());
    const int kong_seen = kong.requests();
    EXPECT_TRUE(WaitFor([&] { return kong.requests() >= kong_seen + 2; }));
    ASSERT_TRUE(
        (*first)->Shutdown(std::chrono::steady_clock::now() + std::chrono::seconds(5)).ok());
    EXPECT_FALSE(HasStaleUp(old_sink, "kong"));  // stopping alone marks nothing

    auto second = factory->CreateReceiver(settings, after, {&new_sink, nullptr, nullptr});
    ASSERT_TRUE(second.ok());
    ASSERT_TRUE((*second)->Start(*host).ok());
    // The markers are pushed during Start, before any scrape of the new instance.
    EXPECT_EQ(HasStaleUp(new_sink, "kong"), reloading);
    EXPECT_FALSE(HasStaleUp(new_sink, "nim"));
    if (reloading) {
      // Every kong series of the last scrape got one (kong.txt's series plus the synthetic).
      size_t stale = 0;
      for (const auto& batch : new_sink.batches()) {
        for (const auto& rm : batch.get().resource_metrics) {
          for (const auto& sm : rm.scope_metrics) {
            for (const auto& metric : sm.metrics) {
              if (const auto* g = std::get_if<pdata::Gauge>(&metric.data)) {
                for (const auto& p : g->data_points) stale += p.no_recorded_value();
              }
              if (const auto* sum = std::get_if<pdata::Sum>(&metric.data)) {
                for (const auto& p : sum->data_points) stale += p.no_recorded_value();
              }
            }
          }
        }
      }
      EXPECT_GT(stale, 5u);
    }
    ASSERT_TRUE(
        (*second)->Shutdown(std::chrono::steady_clock::now() + std::chrono::seconds(5)).ok());
    // A third start with the same config finds no job gone: nothing more.
    RecordingConsumer third_sink;
    auto third = factory->CreateReceiver(settings, after, {&third_sink, nullptr, nullptr});
    ASSERT_TRUE(third.ok());
    ASSERT_TRUE((*third)->Start(*host).ok());
    EXPECT_FALSE(HasStaleUp(third_sink, "kong"));
    EXPECT_FALSE(HasStaleUp(third_sink, "nim"));
    ASSERT_TRUE(
        (*third)->Shutdown(std::chrono::steady_clock::now() + std::chrono::seconds(5)).ok());
  }
}

TEST(PrometheusReceiver, RelabeledAwayTargetsAreNotScraped) {
  FakeTarget t;
  ASSERT_TRUE(t.ok());
  t.Serve("x 1\n");
  Config cfg;
  ScrapeConfig a;
  a.job_name = "j";
  a.scrape_interval = std::chrono::milliseconds(50);
  a.static_configs.push_back({{t.address()}, {}});
  RelabelConfig drop;
  drop.action = "drop";
  drop.source_labels = {"job"};
  drop.regex = "j";
  a.relabel_configs.push_back(drop);
  cfg.prom.scrape_configs = {a};
  RecordingConsumer sink;
  PrometheusReceiver r({config::ComponentId{"prometheus", ""}, nullptr}, cfg, &sink);
  component::test::TestHost host;
  ASSERT_TRUE(r.Start(host).ok());
  EXPECT_TRUE(r.targets().empty());
  EXPECT_TRUE(r.Shutdown(std::chrono::steady_clock::now()).ok());
  EXPECT_TRUE(r.Shutdown(std::chrono::steady_clock::now()).ok());
}

}  // namespace
}  // namespace astrolabe::receiver::prometheus

namespace astrolabe::receiver::prometheus {
namespace {

// The whole config path: loader (fixups, $ handling) → Resolve with this factory.
struct Loaded {
  config::Diagnostics diag;
  component::ResolvedConfig resolved;
};

std::unique_ptr<Loaded> LoadAndResolve(const std::string& yaml) {
  auto out = std::make_unique<Loaded>();
  config::LoadOptions opts;
  opts.sources.push_back(config::ConfigSource::Memory("nim.yaml", yaml));
  opts.env = [](std::string_view) -> std::optional<std::string> { return std::nullopt; };
  config::LoadResult loaded = config::Load(opts, out->diag);
  if (out->diag.has_errors()) return out;
  static component::Registry* registry = [] {
    auto* r = new component::Registry();
    r->Add(NewFactory());
    r->Add(std::make_unique<component::test::SinkExporterFactory>(
        std::make_shared<component::test::Ledger>()));
    return r;
  }();
  out->resolved = component::Resolve(loaded.config, *registry, out->diag);
  return out;
}

constexpr const char* kSeedLike =
    "receivers:\n"
    "  prometheus:\n"
    "    config:\n"
    "      scrape_configs:\n"
    "      - job_name: nim-metrics\n"
    "        scrape_interval: 10s\n"
    "        honor_labels: false\n"
    "        static_configs:\n"
    "          - targets:\n"
    "              - [\"nim:8000\"]\n"
    "        metric_relabel_configs:\n"
    "          - source_labels: [model_name]\n"
    "            target_label: model\n"
    "            replacement: \"$${1}\"\n"
    "exporters:\n"
    "  sink:\n"
    "service:\n"
    "  pipelines:\n"
    "    metrics:\n"
    "      receivers: [prometheus]\n"
    "      exporters: [sink]\n";

TEST(PrometheusReceiverConfigPath, SeedLikeConfigResolves) {
  auto l = LoadAndResolve(kSeedLike);
  ASSERT_FALSE(l->diag.has_errors()) << l->diag.ToStatus().ToString();
  ASSERT_EQ(l->resolved.receivers.size(), 1u);
  const auto& cfg = static_cast<const Config&>(*l->resolved.receivers[0].config);
  ASSERT_EQ(cfg.prom.scrape_configs.size(), 1u);
  const ScrapeConfig& sc = cfg.prom.scrape_configs[0];
  EXPECT_EQ(sc.static_configs.at(0).targets, std::vector<std::string>{"nim:8000"});
  EXPECT_EQ(sc.metric_relabel_configs.at(0).replacement, "${1}");  // $$ → $
  EXPECT_EQ(sc.scrape_interval, std::chrono::seconds(10));
}

TEST(PrometheusReceiverConfigPath, TypoIsReportedWithFileLineColumn) {
  std::string yaml = kSeedLike;
  yaml.replace(yaml.find("scrape_interval"), 15, "scrape_intervall");
  auto l = LoadAndResolve(yaml);
  ASSERT_TRUE(l->diag.has_errors());
  EXPECT_NE(l->diag.ToStatus().message().find(
                "nim.yaml:6:9: receivers.prometheus.config.scrape_configs[0].scrape_intervall: "
                "unknown key (did you mean scrape_interval?)"),
            std::string::npos)
      << l->diag.ToStatus().message();
}

TEST(PrometheusReceiverConfigPath, EmptyReceiverBodyIsAnError) {
  std::string yaml = kSeedLike;
  size_t from = yaml.find("    config:");
  yaml.erase(from, yaml.find("exporters:") - from);
  auto l = LoadAndResolve(yaml);
  ASSERT_TRUE(l->diag.has_errors());
  EXPECT_NE(
      l->diag.ToStatus().message().find("no Prometheus scrape_configs or target_allocator set"),
      std::string::npos)
      << l->diag.ToStatus().message();
}

}  // namespace
}  // namespace astrolabe::receiver::prometheus
