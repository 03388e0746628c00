#include "pipeline/service.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "component/handoff.h"
#include "component/host.h"
#include "component/testing/test_components.h"
#include "pipeline/counting.h"
#include "pipeline/fanout.h"
#include "pipeline/test_util.h"

namespace astrolabe::pipeline {
namespace {

using component::Kind;
using component::MetricsBatch;
using component::test::Ledger;
using component::test::TestConfig;
using ::testing::HasSubstr;
using testutil::GraphConfig;

using namespace std::chrono_literals;

component::Deadline In(std::chrono::milliseconds d) { return std::chrono::steady_clock::now() + d; }

class ServiceTest : public ::testing::Test {
 protected:
  ServiceTest() {
    registry_.Add(std::make_unique<component::test::TestReceiverFactory>(ledger_, "rcv"));
    registry_.Add(std::make_unique<component::test::TestProcessorFactory>(ledger_, "proc"));
    registry_.Add(std::make_unique<component::test::SinkExporterFactory>(ledger_, "sink"));
    registry_.Add(std::make_unique<component::test::TestExtensionFactory>(ledger_, "ext"));
    // Supports metrics only.
    registry_.Add(std::make_unique<component::test::SinkExporterFactory>(
        ledger_, "metricsonly", std::vector<component::Signal>{component::Signal::kMetrics}));
    settings_.telemetry = &telemetry_;
    settings_.on_fatal_error = [this](const config::ComponentId& id, const Status& s) {
      fatal_calls_.fetch_add(1);
      fatal_id_ = id.ToString();
    };
  }

  std::unique_ptr<Service> MustBuild(const GraphConfig& g) {
    auto built = Service::Build(g.resolved(), settings_);
    EXPECT_TRUE(built.ok()) << built.status().ToString();
    if (!built.ok()) return nullptr;
    return std::move(built).value();
  }

  std::unique_ptr<Service> MustStart(const GraphConfig& g) {
    auto service = MustBuild(g);
    if (service == nullptr) return nullptr;
    Status s = service->Start();
    EXPECT_TRUE(s.ok()) << s.ToString();
    return service;
  }

  double CounterValue(const std::string& name, const component::Labels& labels) {
    return telemetry_.GetCounter(name, "", labels)->value();
  }

  std::shared_ptr<Ledger> ledger_ = std::make_shared<Ledger>();
  component::Registry registry_;
  component::Telemetry telemetry_;
  ServiceSettings settings_;
  std::atomic<int> fatal_calls_{0};
  std::string fatal_id_;
};

TEST_F(ServiceTest, FanInTwoReceiversIntoOnePipeline) {
  GraphConfig g(registry_);
  g.Receiver("rcv/a").Receiver("rcv/b").Exporter("sink").Pipeline("metrics", {"rcv/a", "rcv/b"}, {},
                                                                  {"sink"});
  auto service = MustStart(g);
  ASSERT_NE(service, nullptr);
  ASSERT_TRUE(ledger_->Receiver("rcv/a")->EmitMetrics(MetricsBatch()).ok());
  ASSERT_TRUE(ledger_->Receiver("rcv/b")->EmitMetrics(MetricsBatch()).ok());
  EXPECT_EQ(ledger_->Exporter("sink")->metrics().size(), 2u);
  // Both receivers feed the same exporter instance directly (no fan-out needed).
  EXPECT_EQ(ledger_->Receiver("rcv/a")->next().metrics, ledger_->Receiver("rcv/b")->next().metrics);
  EXPECT_TRUE(service->Shutdown(In(5s)).ok());
}

TEST_F(ServiceTest, FanOutSharesDataWithReadOnlyExportersAndClonesForAMutatingOne) {
  GraphConfig g(registry_);
  g.Receiver("rcv")
      .Exporter("sink/a")
      .Exporter("sink/mut", [](TestConfig& c) { c.mutate = true; })
      .Exporter("sink/b")
      .Pipeline("metrics", {"rcv"}, {}, {"sink/a", "sink/mut", "sink/b"});
  auto service = MustStart(g);
  ASSERT_NE(service, nullptr);
  MetricsBatch batch = testutil::MetricsWithPoints(3);
  const pdata::Metrics* original = &batch.get();
  ASSERT_TRUE(ledger_->Receiver("rcv")->EmitMetrics(batch).ok());
  auto a = ledger_->Exporter("sink/a")->metrics();
  auto b = ledger_->Exporter("sink/b")->metrics();
  auto mut = ledger_->Exporter("sink/mut")->metrics();
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  ASSERT_EQ(mut.size(), 1u);
  EXPECT_EQ(&a[0].get(), original);
  EXPECT_EQ(&b[0].get(), original);
  EXPECT_NE(&mut[0].get(), original);
  EXPECT_EQ(mut[0]->DataPointCount(), 3u);  // a deep copy, not an empty one
}

TEST_F(ServiceTest, ReceiverInSeveralPipelinesIsOneInstance) {
  GraphConfig g(registry_);
  g.Receiver("rcv")
      .Exporter("sink/m1")
      .Exporter("sink/m2")
      .Exporter("sink/t")
      .Pipeline("metrics", {"rcv"}, {}, {"sink/m1"})
      .Pipeline("metrics/two", {"rcv"}, {}, {"sink/m2"})
      .Pipeline("traces", {"rcv"}, {}, {"sink/t"});
  auto service = MustStart(g);
  ASSERT_NE(service, nullptr);
  EXPECT_EQ(ledger_->Created(Kind::kReceiver, "rcv"), 1);
  auto* rcv = ledger_->Receiver("rcv");
  EXPECT_NE(dynamic_cast<FanOutConsumer*>(rcv->next().metrics), nullptr);
  EXPECT_NE(rcv->next().traces, nullptr);
  EXPECT_EQ(rcv->next().logs, nullptr);
  ASSERT_TRUE(rcv->EmitMetrics(MetricsBatch()).ok());
  ASSERT_TRUE(rcv->EmitTraces(component::TracesBatch()).ok());
  EXPECT_EQ(ledger_->Exporter("sink/m1")->metrics().size(), 1u);
  EXPECT_EQ(ledger_->Exporter("sink/m2")->metrics().size(), 1u);
  EXPECT_EQ(ledger_->Exporter("sink/t")->traces().size(), 1u);
  EXPECT_EQ(rcv->EmitLogs(component::LogsBatch()).code(), StatusCode::kFailedPrecondition);
}

TEST_F(ServiceTest, ExporterInSeveralPipelinesIsOneInstance) {
  GraphConfig g(registry_);
  g.Receiver("rcv/m")
      .Receiver("rcv/l")
      .Exporter("sink")
      .Pipeline("metrics", {"rcv/m"}, {}, {"sink"})
      .Pipeline("logs", {"rcv/l"}, {}, {"sink"});
  auto service = MustStart(g);
  ASSERT_NE(service, nullptr);
  EXPECT_EQ(ledger_->Created(Kind::kExporter, "sink"), 1);
  ASSERT_TRUE(ledger_->Receiver("rcv/m")->EmitMetrics(MetricsBatch()).ok());
  ASSERT_TRUE(ledger_->Receiver("rcv/l")->EmitLogs(component::LogsBatch()).ok());
  EXPECT_EQ(ledger_->Exporter("sink")->metrics().size(), 1u);
  EXPECT_EQ(ledger_->Exporter("sink")->logs().size(), 1u);
  EXPECT_EQ(ledger_->EventsWithPrefix("start exporter").size(), 1u);
}

TEST_F(ServiceTest, ProcessorsRunInOrderOneInstancePerPipeline) {
  GraphConfig g(registry_);
  g.Receiver("rcv")
      .Processor("proc/a")
      .Processor("proc/b")
      .Processor("proc/c")
      .Exporter("sink")
      .Pipeline("metrics", {"rcv"}, {"proc/c", "proc/a", "proc/b"}, {"sink"})
      .Pipeline("traces", {"rcv"}, {"proc/a"}, {"sink"});
  auto service = MustStart(g);
  ASSERT_NE(service, nullptr);
  ledger_->Clear();
  ASSERT_TRUE(ledger_->Receiver("rcv")->EmitMetrics(MetricsBatch()).ok());
  EXPECT_EQ(ledger_->events(),
            (std::vector<std::string>{"consume processor proc/c", "consume processor proc/a",
                                      "consume processor proc/b"}));
  EXPECT_EQ(ledger_->Created(Kind::kProcessor, "proc/a"), 2);
  auto instances = ledger_->Processors("proc/a");
  ASSERT_EQ(instances.size(), 2u);
  EXPECT_NE(instances[0]->signal(), instances[1]->signal());
}

TEST_F(ServiceTest, StartAndShutdownOrder) {
  GraphConfig g(registry_);
  g.Extension("ext/1")
      .Extension("ext/2")
      .Receiver("rcv")
      .Processor("proc/a")
      .Processor("proc/b")
      .Exporter("sink/x")
      .Exporter("sink/y")
      .Pipeline("metrics", {"rcv"}, {"proc/a", "proc/b"}, {"sink/x"})
      .Pipeline("logs", {"rcv"}, {}, {"sink/y"});
  auto service = MustStart(g);
  ASSERT_NE(service, nullptr);
  EXPECT_EQ(service->state(), Service::State::kRunning);
  EXPECT_TRUE(service->Shutdown(In(5s)).ok());
  EXPECT_EQ(service->state(), Service::State::kStopped);
  std::vector<std::string> lifecycle;
  for (const auto& e : ledger_->events()) {
    if (e.rfind("shutdown-done", 0) != 0) lifecycle.push_back(e);
  }
  EXPECT_EQ(lifecycle, (std::vector<std::string>{
                           "start extension ext/1",
                           "start extension ext/2",
                           "start exporter sink/x",
                           "start exporter sink/y",
                           "start processor proc/b",  // closest to the exporters first
                           "start processor proc/a",
                           "start receiver rcv",
                           "ready extension ext/1",
                           "ready extension ext/2",
                           "notready extension ext/1",
                           "notready extension ext/2",
                           "shutdown receiver rcv",
                           "shutdown processor proc/a",
                           "shutdown processor proc/b",
                           "shutdown exporter sink/y",
                           "shutdown exporter sink/x",
                           "shutdown extension ext/2",
                           "shutdown extension ext/1",
                       }));
  // Idempotent.
  EXPECT_TRUE(service->Shutdown(In(5s)).ok());
  EXPECT_EQ(ledger_->EventsWithPrefix("shutdown receiver").size(), 1u);
}

TEST_F(ServiceTest, StartFailureShutsDownInReverseAndNamesTheComponent) {
  GraphConfig g(registry_);
  g.Extension("ext")
      .Receiver("rcv")
      .Processor("proc/ok")
      .Processor("proc/bad", [](TestConfig& c) { c.fail_start = true; })
      .Exporter("sink")
      .Pipeline("metrics", {"rcv"}, {"proc/ok", "proc/bad"}, {"sink"});
  auto service = MustBuild(g);
  ASSERT_NE(service, nullptr);
  Status s = service->Start();
  EXPECT_EQ(s.code(), StatusCode::kInternal);
  EXPECT_THAT(s.message(), HasSubstr("starting processor \"proc/bad\" in pipeline \"metrics\": "
                                     "processor proc/bad refused to start"));
  EXPECT_EQ(service->state(), Service::State::kStopped);
  // Never started, never ready; what started is shut down in reverse.
  EXPECT_TRUE(ledger_->EventsWithPrefix("start receiver").empty());
  EXPECT_TRUE(ledger_->EventsWithPrefix("ready").empty());
  EXPECT_EQ(ledger_->EventsWithPrefix("shutdown "),
            (std::vector<std::string>{"shutdown receiver rcv", "shutdown processor proc/ok",
                                      "shutdown processor proc/bad", "shutdown exporter sink",
                                      "shutdown extension ext"}));
  EXPECT_EQ(service->Start().code(), StatusCode::kFailedPrecondition);
}

TEST_F(ServiceTest, ExporterStartFailureMessage) {
  GraphConfig g(registry_);
  g.Receiver("rcv")
      .Exporter("sink/otlp_http", [](TestConfig& c) { c.fail_start = true; })
      .Pipeline("metrics", {"rcv"}, {}, {"sink/otlp_http"});
  auto service = MustBuild(g);
  ASSERT_NE(service, nullptr);
  Status s = service->Start();
  EXPECT_THAT(s.message(), HasSubstr("starting exporter \"sink/otlp_http\": "));
}

// Components reach the Supervisor's handoff (component/handoff.h) through their Host; a
// service built without one gives them none.
TEST_F(ServiceTest, HostOffersTheHandoffOfItsSettings) {
  GraphConfig g(registry_);
  g.Receiver("rcv").Exporter("sink").Pipeline("metrics", {"rcv"}, {}, {"sink"});
  auto plain = MustBuild(g);
  ASSERT_NE(plain, nullptr);
  EXPECT_EQ(plain->host().handoff(), nullptr);
  component::Handoff handoff;
  settings_.handoff = &handoff;
  auto supervised = MustBuild(g);
  ASSERT_NE(supervised, nullptr);
  EXPECT_EQ(supervised->host().handoff(), &handoff);
  handoff.Put("k", std::make_shared<int>(7));
  EXPECT_EQ(*std::static_pointer_cast<int>(supervised->host().handoff()->Take("k")), 7);
  EXPECT_EQ(handoff.Take("k"), nullptr);  // taken once
}

TEST_F(ServiceTest, BuildErrorsCreateNothingRunning) {
  {
    GraphConfig g(registry_);
    g.Receiver("rcv").Pipeline("metrics", {"rcv"}, {}, {"sink/missing"});
    auto built = Service::Build(g.resolved(), settings_);
    ASSERT_FALSE(built.ok());
    EXPECT_EQ(built.status().message(),
              "service::pipelines::metrics: references exporter \"sink/missing\" which is not "
              "configured");
  }
  {
    GraphConfig g(registry_);
    g.Receiver("rcv").Exporter("metricsonly").Pipeline("logs", {"rcv"}, {}, {"metricsonly"});
    auto built = Service::Build(g.resolved(), settings_);
    ASSERT_FALSE(built.ok());
    EXPECT_EQ(built.status().message(),
              "failed to create \"metricsonly\" exporter for data type \"logs\": telemetry type "
              "is not supported");
  }
  {
    GraphConfig g(registry_);
    g.Receiver("rcv")
        .Exporter("sink", [](TestConfig& c) { c.fail_validate = true; })
        .Pipeline("metrics", {"rcv"}, {}, {"sink"});
    auto built = Service::Build(g.resolved(), settings_);
    ASSERT_FALSE(built.ok());
    EXPECT_EQ(built.status().message(),
              "error reading configuration for \"sink\": fail_validate is set");
  }
  {
    GraphConfig g(registry_);
    g.Receiver("rcv").Exporter("sink").Pipeline("spans", {"rcv"}, {}, {"sink"});
    auto built = Service::Build(g.resolved(), settings_);
    ASSERT_FALSE(built.ok());
    EXPECT_THAT(built.status().message(), HasSubstr("unknown signal \"spans\""));
  }
  {
    GraphConfig g(registry_);
    g.Receiver("rcv").Processor("proc").Exporter("sink").Pipeline("metrics", {"rcv"},
                                                                  {"proc", "proc"}, {"sink"});
    auto built = Service::Build(g.resolved(), settings_);
    ASSERT_FALSE(built.ok());
    EXPECT_THAT(built.status().message(),
                HasSubstr("references processor \"proc\" multiple times"));
  }
  {
    GraphConfig g(registry_);
    auto built = Service::Build(g.resolved(), ServiceSettings{});
    EXPECT_FALSE(built.ok());
  }
  EXPECT_TRUE(ledger_->EventsWithPrefix("start ").empty());
}

TEST_F(ServiceTest, ShutdownDrainsWhatReceiversAccepted) {
  GraphConfig g(registry_);
  g.Receiver("rcv")
      .Processor("proc",
                 [](TestConfig& c) {
                   c.consume_delay = 200us;
                   c.record_consume = false;
                 })
      .Exporter("sink", [](TestConfig& c) { c.consume_delay = 100us; })
      .Pipeline("metrics", {"rcv"}, {"proc"}, {"sink"});
  auto service = MustStart(g);
  ASSERT_NE(service, nullptr);
  auto* rcv = ledger_->Receiver("rcv");
  auto* sink = ledger_->Exporter("sink");
  std::atomic<int64_t> accepted{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> pushers;
  for (int t = 0; t < 3; ++t) {
    pushers.emplace_back([&] {
      while (!stop.load()) {
        if (rcv->EmitMetrics(MetricsBatch()).ok()) accepted.fetch_add(1);
      }
    });
  }
  while (accepted.load() < 50) std::this_thread::sleep_for(1ms);
  EXPECT_TRUE(service->Shutdown(In(5s)).ok());
  // The receiver refuses from now on.
  EXPECT_EQ(rcv->EmitMetrics(MetricsBatch()).code(), StatusCode::kUnavailable);
  stop = true;
  for (auto& p : pushers) p.join();
  // Every batch a receiver had accepted reached the exporter before it shut down.
  EXPECT_EQ(static_cast<int64_t>(sink->metrics().size()), accepted.load());
  EXPECT_EQ(sink->after_shutdown(), 0);
}

TEST_F(ServiceTest, ComponentMissingItsShutdownDeadlineIsSkipped) {
  GraphConfig g(registry_);
  g.Extension("ext")
      .Receiver("rcv")
      .Exporter("sink/slow", [](TestConfig& c) { c.shutdown_delay = 1500ms; })
      .Pipeline("metrics", {"rcv"}, {}, {"sink/slow"});
  auto service = MustStart(g);
  ASSERT_NE(service, nullptr);
  auto begin = std::chrono::steady_clock::now();
  Status s = service->Shutdown(In(300ms));
  auto took = std::chrono::steady_clock::now() - begin;
  EXPECT_EQ(s.code(), StatusCode::kDeadlineExceeded);
  EXPECT_THAT(s.message(), HasSubstr("shutting down exporter \"sink/slow\""));
  EXPECT_LT(took, 1400ms);  // well before the slow exporter returns (1500 ms)
  // The extension after it was still shut down.
  EXPECT_TRUE(ledger_->WaitFor("shutdown-done extension ext", 1ms));
  service.reset();  // the graph stays alive until the slow exporter returns
  EXPECT_TRUE(ledger_->WaitFor("shutdown-done exporter sink/slow", 5s));
  // Let the detached shutdown thread release the graph.
  std::this_thread::sleep_for(50ms);
}

TEST_F(ServiceTest, TelemetryCountersMove) {
  GraphConfig g(registry_);
  g.Receiver("rcv")
      .Processor("proc")
      .Exporter("sink")
      .Exporter("sink/failing", [](TestConfig& c) { c.fail = "unavailable"; })
      .Pipeline("metrics", {"rcv"}, {"proc"}, {"sink", "sink/failing"});
  auto service = MustStart(g);
  ASSERT_NE(service, nullptr);
  auto* rcv = ledger_->Receiver("rcv");
  EXPECT_EQ(rcv->EmitMetrics(testutil::MetricsWithPoints(4)).code(), StatusCode::kUnavailable);
  EXPECT_FALSE(rcv->EmitMetrics(testutil::MetricsWithPoints(3)).ok());

  component::Labels proc = {{"processor", "proc"}, {"otel_signal", "metrics"}};
  EXPECT_EQ(CounterValue("otelcol_processor_incoming_items_total", proc), 7);
  EXPECT_EQ(CounterValue("otelcol_processor_outgoing_items_total", proc), 7);
  EXPECT_EQ(CounterValue("otelcol_exporter_sent_metric_points_total", {{"exporter", "sink"}}), 7);
  EXPECT_EQ(CounterValue("otelcol_exporter_send_failed_metric_points_total",
                         {{"exporter", "sink/failing"}}),
            7);
  EXPECT_EQ(CounterValue("otelcol_receiver_refused_metric_points_total",
                         {{"receiver", "rcv"}, {"transport", "test"}}),
            7);
  std::string text = telemetry_.RenderText();
  EXPECT_THAT(text,
              HasSubstr("otelcol_processor_incoming_items_total{processor=\"proc\",otel_signal="
                        "\"metrics\"} 7"));
}

TEST_F(ServiceTest, FatalErrorCallsTheCallbackOnce) {
  GraphConfig g(registry_);
  g.Receiver("rcv").Exporter("sink").Pipeline("metrics", {"rcv"}, {}, {"sink"});
  auto service = MustStart(g);
  ASSERT_NE(service, nullptr);
  ledger_->Receiver("rcv")->ReportFatal(Internal("port taken away"));
  ledger_->Receiver("rcv")->ReportFatal(Internal("again"));
  EXPECT_EQ(fatal_calls_.load(), 1);
  EXPECT_EQ(fatal_id_, "rcv");
}

TEST_F(ServiceTest, HostFindsStartedExtensions) {
  GraphConfig g(registry_);
  g.Extension("ext").Receiver("rcv").Exporter("sink").Pipeline("metrics", {"rcv"}, {}, {"sink"});
  auto service = MustBuild(g);
  ASSERT_NE(service, nullptr);
  EXPECT_EQ(service->host().GetExtension({"ext", ""}), nullptr);  // not started yet
  ASSERT_TRUE(service->Start().ok());
  EXPECT_EQ(service->host().GetExtension({"ext", ""}), ledger_->Extension("ext"));
  EXPECT_EQ(service->host().GetExtension({"ext", "other"}), nullptr);
  EXPECT_TRUE(ledger_->Extension("ext")->ready());
  EXPECT_TRUE(service->Shutdown(In(5s)).ok());
  EXPECT_FALSE(ledger_->Extension("ext")->ready());
  EXPECT_EQ(service->host().GetExtension({"ext", ""}), nullptr);
}

TEST_F(ServiceTest, DestructorShutsDownARunningService) {
  GraphConfig g(registry_);
  g.Receiver("rcv").Exporter("sink").Pipeline("metrics", {"rcv"}, {}, {"sink"});
  auto service = MustStart(g);
  service.reset();
  EXPECT_EQ(ledger_->EventsWithPrefix("shutdown-done ").size(), 2u);
}

TEST_F(ServiceTest, DescribeListsPipelines) {
  GraphConfig g(registry_);
  g.Receiver("rcv").Processor("proc").Exporter("sink").Pipeline("metrics", {"rcv"}, {"proc"},
                                                                {"sink"});
  auto service = MustBuild(g);
  ASSERT_NE(service, nullptr);
  EXPECT_EQ(service->Describe(),
            (std::vector<std::string>{"pipeline metrics: [rcv] → [proc] → [sink]"}));
}

}  // namespace
}  // namespace astrolabe::pipeline
