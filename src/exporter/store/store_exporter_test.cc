#include "exporter/store/store_exporter.h"

#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/testing/temp_dir.h"
#include "component/partial.h"
#include "component/testing/decode_testdata.h"
#include "component/testing/lifecycle.h"
#include "component/testing/test_components.h"
#include "exporter/store/factory.h"
#include "extension/store/store_extension.h"
#include "spanstore/span_store.h"
#include "storage/storage.h"

namespace astrolabe::exporter::store {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

using astrolabe::test::TempDir;

std::unique_ptr<extension::store::StoreExtension> StartedStore(
    const std::string& dir, component::Host& host, uint64_t max_row_bytes = 1u << 20) {
  extension::store::Config c;
  c.directory = dir;
  c.metrics.retention_time = {};  // keep all: the tests write at fixed early timestamps
  c.spans.max_row_bytes = max_row_bytes;
  component::CreateSettings s;
  s.id = {"store", ""};
  auto ext = std::make_unique<extension::store::StoreExtension>(s, c);
  EXPECT_TRUE(ext->Start(host).ok());
  return ext;
}

component::CreateSettings ExporterSettings(component::test::TestHost& host) {
  component::CreateSettings s;
  s.id = {"store", ""};
  s.telemetry = &host.telemetry();
  return s;
}

TEST(StoreExporterFactory, Lifecycle) {
  TempDir dir;
  std::unique_ptr<extension::store::StoreExtension> ext;
  auto factory = NewFactory();
  component::test::RunLifecycleTests(*factory, nullptr, [&](component::test::TestHost& host) {
    ext = StartedStore(dir.path(), host);
    host.AddExtension({"store", ""}, ext.get());
  });
  EXPECT_TRUE(ext->Shutdown(std::chrono::steady_clock::now() + 1s).ok());
}

TEST(StoreExporterFactory, AllSignals) {
  auto factory = NewFactory();
  EXPECT_TRUE(factory->Supports(component::Signal::kMetrics));
  EXPECT_TRUE(factory->Supports(component::Signal::kTraces));
  EXPECT_TRUE(factory->Supports(component::Signal::kLogs));
}

TEST(StoreExporterConfig, FullConfigDecodes) {
  config::Diagnostics diag;
  Config c;
  component::test::DecodeTestdata("config_full.yaml", "exporters", "store", &c, diag);
  ASSERT_FALSE(diag.has_errors()) << diag.ToStatus().message();
  EXPECT_EQ(c.store, "store/main");
  EXPECT_EQ(c.StoreId(), (config::ComponentId{"store", "main"}));
  EXPECT_TRUE(c.promote_scope_metadata);
  EXPECT_EQ(c.promote_resource_attributes,
            (std::vector<std::string>{"k8s.namespace.name", "k8s.pod.name"}));
  EXPECT_TRUE(c.keep_identifying_resource_attributes);
  EXPECT_TRUE(c.disable_target_info);
  EXPECT_TRUE(c.Validate().ok());
}

TEST(StoreExporterConfig, TypoNamesKeyPositionAndSuggestion) {
  config::Diagnostics diag;
  Config c;
  component::test::DecodeTestdata("config_typo.yaml", "exporters", "store", &c, diag);
  ASSERT_EQ(diag.errors().size(), 1u);
  EXPECT_EQ(diag.errors()[0].ToString(),
            "config_typo.yaml:4:5: exporters.store.promote_scope_metdata: unknown key (did you "
            "mean promote_scope_metadata?)");
}

TEST(StoreExporterConfig, Validation) {
  Config c;
  EXPECT_TRUE(c.Validate().ok());
  EXPECT_EQ(c.StoreId().type, "");
  c.store = "bad id";
  EXPECT_THAT(c.Validate().message(), HasSubstr("store: "));
  c = Config();
  c.promote_resource_attributes = {"a", "a"};
  EXPECT_EQ(c.Validate().message(), "promote_resource_attributes: duplicate \"a\"");
  c.promote_resource_attributes = {""};
  EXPECT_EQ(c.Validate().message(), "promote_resource_attributes: empty attribute name");
}

TEST(StoreExporter, StartWithoutAStoreSaysWhatIsMissing) {
  component::test::TestHost host;
  component::CreateSettings s;
  s.id = {"store", ""};
  Config c;
  c.store = "store/main";
  StoreExporter named(s, c);
  EXPECT_EQ(named.Start(host).message(),
            "store extension \"store/main\" not found (it must be configured under extensions: "
            "and listed in service::extensions)");
  StoreExporter any(s, Config());
  EXPECT_THAT(any.Start(host).message(), HasSubstr("no store extension is running"));
  // Not started: refuses data as retryable.
  EXPECT_EQ(any.ConsumeMetrics(component::MetricsBatch()).code(), StatusCode::kUnavailable);
}

TEST(StoreExporter, WritesThroughTheExtensionAndCounts) {
  TempDir dir;
  component::test::TestHost host;
  auto ext = StartedStore(dir.path(), host);
  host.AddExtension({"store", ""}, ext.get());
  StoreExporter exporter(ExporterSettings(host), Config());
  ASSERT_TRUE(exporter.Start(host).ok());

  pdata::Metric m;
  m.name = "up";
  pdata::NumberDataPoint p;
  p.time_unix_nano = 5000ull * 1000000;
  p.value = 1.0;
  pdata::NumberDataPoint bad = p;
  bad.attributes = {{"", "x"}};
  m.data = pdata::Gauge{{p, bad}};
  pdata::ScopeMetrics sm;
  sm.metrics.push_back(std::move(m));
  pdata::ResourceMetrics rm;
  rm.resource.attributes = {{"service.name", "nim"}};
  rm.scope_metrics.push_back(std::move(sm));
  pdata::Metrics metrics;
  metrics.resource_metrics.push_back(std::move(rm));

  Status st = exporter.ConsumeMetrics(component::MetricsBatch(std::move(metrics)));
  auto counts = component::RejectedPoints(st);
  ASSERT_TRUE(counts.has_value()) << st.ToString();
  EXPECT_EQ(counts->rejected, 1u);
  EXPECT_EQ(counts->total, 2u);
  EXPECT_THAT(counts->reason, HasSubstr("label name is empty"));

  auto q = ext->metrics().NewQuerier();
  auto set = q->Select({}, storage::kMinTime, storage::kMaxTime);
  ASSERT_TRUE(set.ok());
  auto all = storage::Materialize(**set);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].labels.ToString(), "up{job=\"nim\"}");
  EXPECT_EQ((*all)[0].samples.size(), 1u);

  EXPECT_TRUE(exporter.Shutdown(std::chrono::steady_clock::now() + 1s).ok());
  EXPECT_EQ(exporter.ConsumeMetrics(component::MetricsBatch()).code(), StatusCode::kUnavailable);
  EXPECT_TRUE(ext->Shutdown(std::chrono::steady_clock::now() + 1s).ok());
}

// Spans and logs go to the span store; a record over max_row_bytes is a partial rejection
// with counts (the rest stored), and the counters say so.
TEST(StoreExporter, SpansAndLogsGoToTheSpanStore) {
  TempDir dir;
  component::test::TestHost host;
  auto ext = StartedStore(dir.path(), host, /*max_row_bytes=*/1024);
  host.AddExtension({"store", ""}, ext.get());
  StoreExporter exporter(ExporterSettings(host), Config());
  ASSERT_TRUE(exporter.Start(host).ok());

  pdata::TraceId trace_id;
  ASSERT_TRUE(pdata::TraceId::FromHex("4bf92f3577b34da6a3ce929d0e0e4736", &trace_id));
  pdata::Traces traces;
  auto& spans = traces.resource_spans.emplace_back().scope_spans.emplace_back().spans;
  for (int i = 0; i < 3; ++i) {
    pdata::Span& span = spans.emplace_back();
    span.trace_id = trace_id;
    span.span_id.bytes[7] = uint8_t(i + 1);
    span.name = i == 1 ? std::string(4096, 'x') : "span" + std::to_string(i);
    span.start_time_unix_nano = 1'700'000'000'000'000'000ull + uint64_t(i);
    span.end_time_unix_nano = span.start_time_unix_nano + 10;
  }
  Status st = exporter.ConsumeTraces(component::TracesBatch(std::move(traces)));
  auto counts = component::RejectedPoints(st);
  ASSERT_TRUE(counts.has_value()) << st.ToString();
  EXPECT_EQ(counts->rejected, 1u);
  EXPECT_EQ(counts->total, 3u);
  EXPECT_NE(st.message().find("1 of 3 spans"), std::string::npos) << st.message();

  pdata::Logs logs;
  pdata::LogRecord& record =
      logs.resource_logs.emplace_back().scope_logs.emplace_back().log_records.emplace_back();
  record.trace_id = trace_id;
  record.time_unix_nano = 1'700'000'000'000'000'005ull;
  record.body = pdata::AnyValue(std::string("hello"));
  ASSERT_TRUE(exporter.ConsumeLogs(component::LogsBatch(std::move(logs))).ok());

  auto trace = ext->spans().GetTrace(trace_id);
  ASSERT_TRUE(trace.ok()) << trace.status().ToString();
  ASSERT_EQ(trace->spans.size(), 2u);
  EXPECT_EQ(trace->spans[0].span.name, "span0");
  EXPECT_EQ(trace->spans[1].span.name, "span2");
  ASSERT_EQ(trace->logs.size(), 1u);
  const std::string metrics = host.telemetry().RenderText();
  EXPECT_THAT(metrics, HasSubstr("otelcol_exporter_sent_spans_total{exporter=\"store\"} 2"));
  EXPECT_THAT(metrics, HasSubstr("otelcol_exporter_send_failed_spans_total{exporter=\"store\"} 1"));
  EXPECT_THAT(metrics, HasSubstr("otelcol_exporter_sent_log_records_total{exporter=\"store\"} 1"));

  EXPECT_TRUE(exporter.Shutdown(std::chrono::steady_clock::now() + 1s).ok());
  EXPECT_EQ(exporter.ConsumeTraces(component::TracesBatch()).code(), StatusCode::kUnavailable);
  EXPECT_TRUE(ext->Shutdown(std::chrono::steady_clock::now() + 1s).ok());
}

}  // namespace
}  // namespace astrolabe::exporter::store
