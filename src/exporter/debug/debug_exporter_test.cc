#include "exporter/debug/debug_exporter.h"

#include <gtest/gtest.h>

#include "component/testing/lifecycle.h"
#include "component/testing/test_components.h"

#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "component/host.h"
#include "component/telemetry.h"
#include "exporter/debug/factory.h"
#include "exporter/debug/marshal.h"
#include "exporter/debug/test_util.h"

namespace astrolabe::exporter::debug {
namespace {

using component::LogsBatch;
using component::MetricsBatch;
using component::TracesBatch;

// 2026-11-22T16:00:00.250Z
constexpr int64_t kNow = 1795363200'250'000'000;

using FakeHost = component::test::TestHost;

std::vector<std::string> Lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

class DebugExporterTest : public ::testing::Test {
 protected:
  std::unique_ptr<DebugExporter> Make(Config cfg, std::string name = "") {
    component::CreateSettings settings;
    settings.id = {"debug", std::move(name)};
    settings.telemetry = &telemetry_;
    auto exp = std::make_unique<DebugExporter>(
        settings, cfg, DebugExporterOptions{.out = &out_, .clock = &clock_});
    EXPECT_TRUE(exp->Start(host_).ok());
    return exp;
  }
  static Config WithVerbosity(Verbosity v) {
    Config c;
    c.verbosity = v;
    return c;
  }

  std::ostringstream out_;
  FakeClock clock_{kNow};
  FakeHost host_;
  component::Telemetry telemetry_;
};

TEST_F(DebugExporterTest, BasicWritesOneSummaryLinePerBatch) {
  auto exp = Make(Config{});
  ASSERT_TRUE(exp->ConsumeMetrics(MetricsBatch(testutil::SampleMetrics())).ok());
  ASSERT_TRUE(exp->ConsumeTraces(TracesBatch(testutil::SampleTraces())).ok());
  ASSERT_TRUE(exp->ConsumeLogs(LogsBatch(testutil::SampleLogs())).ok());
  EXPECT_EQ(out_.str(),
            "2026-11-22T16:00:00.250Z\tinfo\tMetrics\t{\"otelcol.component.id\": \"debug\", "
            "\"otelcol.component.kind\": \"exporter\", \"otelcol.signal\": \"metrics\", "
            "\"resource metrics\": 2, \"metrics\": 7, \"data points\": 8}\n"
            "2026-11-22T16:00:00.250Z\tinfo\tTraces\t{\"otelcol.component.id\": \"debug\", "
            "\"otelcol.component.kind\": \"exporter\", \"otelcol.signal\": \"traces\", "
            "\"resource spans\": 1, \"spans\": 2}\n"
            "2026-11-22T16:00:00.250Z\tinfo\tLogs\t{\"otelcol.component.id\": \"debug\", "
            "\"otelcol.component.kind\": \"exporter\", \"otelcol.signal\": \"logs\", "
            "\"resource logs\": 1, \"log records\": 2}\n");
}

TEST_F(DebugExporterTest, NamedIdAppearsInFields) {
  auto exp = Make(Config{}, "nim");
  ASSERT_TRUE(exp->ConsumeTraces(TracesBatch()).ok());
  EXPECT_NE(out_.str().find("{\"otelcol.component.id\": \"debug/nim\""), std::string::npos)
      << out_.str();
  EXPECT_NE(out_.str().find("\"resource spans\": 0, \"spans\": 0}"), std::string::npos);
}

TEST_F(DebugExporterTest, NormalAddsOneLinePerItem) {
  auto exp = Make(WithVerbosity(Verbosity::kNormal));
  ASSERT_TRUE(exp->ConsumeTraces(TracesBatch(testutil::SampleTraces())).ok());
  std::vector<std::string> lines = Lines(out_.str());
  ASSERT_EQ(lines.size(), 6u) << out_.str();
  EXPECT_EQ(lines[1], "2026-11-22T16:00:00.250Z\tinfo\tResourceTraces #0 service.name=chatbot");
  EXPECT_EQ(lines[2], "ScopeTraces #0 opentelemetry.instrumentation.openai@0.30.0");
  EXPECT_EQ(lines[3].rfind("chat gpt-4o 0102030405060708090a0b0c0d0e0f10 1112131415161718 "
                           "gen_ai.request.model=gpt-4o",
                           0),
            0u)
      << lines[3];
  EXPECT_EQ(lines[4], "bare  ");
  EXPECT_EQ(lines[5],
            "\t{\"otelcol.component.id\": \"debug\", \"otelcol.component.kind\": \"exporter\", "
            "\"otelcol.signal\": \"traces\"}");
}

TEST_F(DebugExporterTest, DetailedWritesTheFullDump) {
  auto exp = Make(WithVerbosity(Verbosity::kDetailed));
  pdata::Metrics md = testutil::SampleMetrics();
  std::string dump = MarshalDetailed(md);
  ASSERT_TRUE(exp->ConsumeMetrics(MetricsBatch(std::move(md))).ok());
  std::string s = out_.str();
  std::string second = "2026-11-22T16:00:00.250Z\tinfo\t" + dump +
                       "\t{\"otelcol.component.id\": \"debug\", \"otelcol.component.kind\": "
                       "\"exporter\", \"otelcol.signal\": \"metrics\"}\n";
  ASSERT_GE(s.size(), second.size());
  EXPECT_EQ(s.substr(s.size() - second.size()), second);
  EXPECT_NE(s.find("Descriptor:\n     -> Name: num_requests_running\n"), std::string::npos);
  EXPECT_NE(s.find("NumberDataPoints #0\nData point attributes:\n     -> model_name: Str(llama3)\n"
                   "StartTimestamp: 2020-02-11 20:26:12.000000321 +0000 UTC\n"
                   "Timestamp: 2020-02-11 20:26:13.000000789 +0000 UTC\nValue: 3\n"),
            std::string::npos);
}

TEST_F(DebugExporterTest, DetailedLogsAndTraces) {
  auto exp = Make(WithVerbosity(Verbosity::kDetailed));
  ASSERT_TRUE(exp->ConsumeLogs(LogsBatch(testutil::SampleLogs())).ok());
  ASSERT_TRUE(exp->ConsumeTraces(TracesBatch(testutil::SampleTraces())).ok());
  std::string s = out_.str();
  EXPECT_NE(s.find("LogRecord #0\nObservedTimestamp: 2020-02-11 20:26:13.000001789 +0000 UTC\n"
                   "Timestamp: 2020-02-11 20:26:13.000000789 +0000 UTC\nSeverityText: INFO\n"
                   "SeverityNumber: Info(9)\nEventName: gen_ai.user.message\n"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("    Trace ID       : 0102030405060708090a0b0c0d0e0f10\n"
                   "    Parent ID      : 2122232425262728\n"),
            std::string::npos);
}

TEST_F(DebugExporterTest, CustomLoggerWritesBareEntries) {
  Config cfg = WithVerbosity(Verbosity::kNormal);
  cfg.use_internal_logger = false;
  auto exp = Make(cfg);
  ASSERT_TRUE(exp->ConsumeLogs(LogsBatch(testutil::SampleLogs())).ok());
  EXPECT_EQ(out_.str(),
            "Logs\t{\"resource logs\": 1, \"log records\": 2}\n"
            "ResourceLog #0 [https://opentelemetry.io/schemas/1.25.0] service.name=chatbot\n"
            "ScopeLog #0 chatbot.logger\n"
            "{\"content\":\"hi\",\"n\":1.5,\"role\":\"user\"} app=server instance_num=1 raw=AQI=\n"
            "first line\n  second line \n"
            "\n");
}

TEST_F(DebugExporterTest, SamplesLikeZap) {
  Config cfg;
  cfg.sampling_initial = 2;
  cfg.sampling_thereafter = 3;
  auto exp = Make(cfg);
  // Within one second: entries 1, 2, then every third (5, 8).
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(exp->ConsumeTraces(TracesBatch()).ok());
  EXPECT_EQ(Lines(out_.str()).size(), 4u);
  // Metrics are another message and are counted apart.
  ASSERT_TRUE(exp->ConsumeMetrics(MetricsBatch()).ok());
  EXPECT_EQ(Lines(out_.str()).size(), 5u);
  // A new second starts a new count.
  clock_.Advance(std::chrono::seconds(1));
  ASSERT_TRUE(exp->ConsumeTraces(TracesBatch()).ok());
  EXPECT_EQ(Lines(out_.str()).size(), 6u);
}

TEST_F(DebugExporterTest, ThereafterZeroDropsEverythingAfterInitial) {
  Config cfg;
  cfg.sampling_initial = 1;
  cfg.sampling_thereafter = 0;
  auto exp = Make(cfg);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(exp->ConsumeLogs(LogsBatch()).ok());
  EXPECT_EQ(Lines(out_.str()).size(), 1u);
}

TEST_F(DebugExporterTest, DefaultsDoNotSample) {
  auto exp = Make(Config{});
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(exp->ConsumeLogs(LogsBatch()).ok());
  EXPECT_EQ(Lines(out_.str()).size(), 50u);
}

TEST_F(DebugExporterTest, CountsSentItemsPerSignal) {
  auto exp = Make(Config{});
  ASSERT_TRUE(exp->ConsumeMetrics(MetricsBatch(testutil::SampleMetrics())).ok());
  ASSERT_TRUE(exp->ConsumeMetrics(MetricsBatch(testutil::SampleMetrics())).ok());
  ASSERT_TRUE(exp->ConsumeTraces(TracesBatch(testutil::SampleTraces())).ok());
  component::Labels labels = {{"exporter", "debug"}};
  EXPECT_EQ(telemetry_.GetCounter("otelcol_exporter_sent_metric_points_total", "", labels)->value(),
            16);
  EXPECT_EQ(telemetry_.GetCounter("otelcol_exporter_sent_spans_total", "", labels)->value(), 2);
  // No logs were consumed, so no log instrument was registered.
  EXPECT_EQ(telemetry_.RenderText().find("log_records"), std::string::npos);
}

TEST_F(DebugExporterTest, ReadsWithoutMutating) {
  auto exp = Make(WithVerbosity(Verbosity::kDetailed));
  EXPECT_FALSE(exp->MutatesData());
  MetricsBatch batch(testutil::SampleMetrics());
  const pdata::Metrics* before = &batch.get();
  ASSERT_TRUE(exp->ConsumeMetrics(batch).ok());
  EXPECT_EQ(&batch.get(), before);
  EXPECT_EQ(batch.get(), testutil::SampleMetrics());
}

TEST_F(DebugExporterTest, ConcurrentEntriesAreWrittenWhole) {
  auto exp = Make(WithVerbosity(Verbosity::kNormal));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i)
        ASSERT_TRUE(exp->ConsumeLogs(LogsBatch(testutil::SampleLogs())).ok());
    });
  }
  for (auto& t : threads) t.join();
  std::string expected_dump = "2026-11-22T16:00:00.250Z\tinfo\t" +
                              MarshalNormal(testutil::SampleLogs()) +
                              "\t{\"otelcol.component.id\": \"debug\", \"otelcol.component.kind\": "
                              "\"exporter\", \"otelcol.signal\": \"logs\"}\n";
  std::string s = out_.str();
  size_t count = 0;
  for (size_t pos = s.find(expected_dump); pos != std::string::npos;
       pos = s.find(expected_dump, pos + 1)) {
    ++count;
  }
  EXPECT_EQ(count, 100u);
}

// The lifecycle every component passes (default config validates, Shutdown without
// Start, Start/Shutdown, Shutdown twice), plus the factory's properties.
TEST(DebugExporterLifecycleTest, FactoryAndLifecycle) {
  auto factory = NewFactory();
  EXPECT_EQ(factory->type(), "debug");
  EXPECT_EQ(factory->kind(), component::Kind::kExporter);
  EXPECT_TRUE(factory->Supports(component::Signal::kMetrics));
  EXPECT_TRUE(factory->Supports(component::Signal::kTraces));
  EXPECT_TRUE(factory->Supports(component::Signal::kLogs));
  EXPECT_EQ(factory->stability(), component::Stability::kAlpha);

  component::test::RunLifecycleTests(*factory);
}

TEST(DebugExporterLifecycleTest, FactoryRejectsBadConfigs) {
  auto factory = NewFactory();
  component::CreateSettings settings;
  settings.id = {"debug", ""};
  Config none;
  none.verbosity = Verbosity::kNone;
  auto exp = factory->CreateExporter(settings, none);
  ASSERT_FALSE(exp.ok());
  EXPECT_EQ(exp.status().message(), "verbosity level \"None\" is not supported");

  struct OtherConfig : component::ComponentConfig {
    void Visit(config::Visitor&) override {}
  } other;
  EXPECT_EQ(factory->CreateExporter(settings, other).status().code(), StatusCode::kInvalidArgument);
}

TEST(DebugExporterOutputPathsTest, WritesToFiles) {
  std::string path = ::testing::TempDir() + "debug_exporter_test_output.txt";
  std::remove(path.c_str());
  Config cfg;
  cfg.use_internal_logger = false;
  cfg.output_paths = {path};
  component::CreateSettings settings;
  settings.id = {"debug", ""};
  FakeHost host;
  DebugExporter exp(settings, cfg);
  ASSERT_TRUE(exp.Start(host).ok());
  ASSERT_TRUE(exp.ConsumeTraces(TracesBatch(testutil::SampleTraces())).ok());
  ASSERT_TRUE(exp.Shutdown(component::Deadline()).ok());
  std::ifstream in(path);
  std::stringstream got;
  got << in.rdbuf();
  EXPECT_EQ(got.str(), "Traces\t{\"resource spans\": 1, \"spans\": 2}\n");
  std::remove(path.c_str());
}

TEST(DebugExporterOutputPathsTest, UnopenablePathFailsStart) {
  Config cfg;
  cfg.use_internal_logger = false;
  cfg.output_paths = {"/nonexistent-dir/x/out.txt"};
  component::CreateSettings settings;
  settings.id = {"debug", ""};
  FakeHost host;
  DebugExporter exp(settings, cfg);
  Status s = exp.Start(host);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("/nonexistent-dir/x/out.txt"), std::string::npos);
  EXPECT_TRUE(exp.Shutdown(component::Deadline()).ok());
}

}  // namespace
}  // namespace astrolabe::exporter::debug
