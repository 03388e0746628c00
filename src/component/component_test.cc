#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "component/factory.h"
#include "component/telemetry.h"

namespace astrolabe::component {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class FakeExporterFactory final : public ExporterFactory {
 public:
  explicit FakeExporterFactory(std::string type) : type_(std::move(type)) {}
  std::string_view type() const override { return type_; }
  std::unique_ptr<ComponentConfig> CreateDefaultConfig() const override { return nullptr; }
  Result<std::unique_ptr<Exporter>> CreateExporter(const CreateSettings&,
                                                   const ComponentConfig&) const override {
    return Unimplemented("fake");
  }

 private:
  std::string type_;
};

TEST(RegistryTest, FindsTypesAndAliases) {
  Registry registry;
  registry.Add(std::make_unique<FakeExporterFactory>("otlp_http"));
  registry.Add(std::make_unique<FakeExporterFactory>("debug"));
  registry.AddAlias(Kind::kExporter, "otlphttp", "otlp_http");
  registry.AddAlias(Kind::kExporter, "otlp", "otlp_grpc");  // target not built in

  bool alias = true;
  ASSERT_NE(registry.Find(Kind::kExporter, "debug", &alias), nullptr);
  EXPECT_FALSE(alias);
  const Factory* f = registry.Find(Kind::kExporter, "otlphttp", &alias);
  ASSERT_NE(f, nullptr);
  EXPECT_TRUE(alias);
  EXPECT_EQ(f->type(), "otlp_http");
  EXPECT_EQ(registry.Find(Kind::kExporter, "otlp"), nullptr);
  EXPECT_EQ(registry.Find(Kind::kReceiver, "debug"), nullptr);
  // An alias of a type this build lacks is not offered as a valid value.
  EXPECT_THAT(registry.Types(Kind::kExporter), ElementsAre("debug", "otlp_http", "otlphttp"));
}

TEST(TelemetryTest, RendersPrometheusTextSortedWithEscaping) {
  Telemetry t;
  auto r = ReceiverInstruments::Create(t, "prometheus/nim", "metrics", "http");
  r.accepted->Add(42);
  r.refused->Add(1);
  auto e = ExporterInstruments::Create(t, "otlp_http", "traces");
  e.sent->Add(3);
  t.GetGauge("otelcol_exporter_queue_size", "Current size of the retry queue.",
             {{"exporter", "weird\"name\\"}})
      ->Set(7);
  t.AddCallbackGauge("otelcol_process_uptime_seconds", "Uptime.", {}, [] { return 0.04; });

  EXPECT_EQ(t.RenderText(),
            "# HELP otelcol_exporter_queue_size Current size of the retry queue.\n"
            "# TYPE otelcol_exporter_queue_size gauge\n"
            "otelcol_exporter_queue_size{exporter=\"weird\\\"name\\\\\"} 7\n"
            "# HELP otelcol_exporter_send_failed_spans_total Number of items in failed attempts "
            "to send to destination.\n"
            "# TYPE otelcol_exporter_send_failed_spans_total counter\n"
            "otelcol_exporter_send_failed_spans_total{exporter=\"otlp_http\"} 0\n"
            "# HELP otelcol_exporter_sent_spans_total Number of items successfully sent to "
            "destination.\n"
            "# TYPE otelcol_exporter_sent_spans_total counter\n"
            "otelcol_exporter_sent_spans_total{exporter=\"otlp_http\"} 3\n"
            "# HELP otelcol_process_uptime_seconds Uptime.\n"
            "# TYPE otelcol_process_uptime_seconds gauge\n"
            "otelcol_process_uptime_seconds 0.04\n"
            "# HELP otelcol_receiver_accepted_metric_points_total Number of items successfully "
            "pushed into the pipeline.\n"
            "# TYPE otelcol_receiver_accepted_metric_points_total counter\n"
            "otelcol_receiver_accepted_metric_points_total{receiver=\"prometheus/nim\","
            "transport=\"http\"} 42\n"
            "# HELP otelcol_receiver_refused_metric_points_total Number of items that could not "
            "be pushed into the pipeline.\n"
            "# TYPE otelcol_receiver_refused_metric_points_total counter\n"
            "otelcol_receiver_refused_metric_points_total{receiver=\"prometheus/nim\","
            "transport=\"http\"} 1\n");
}

TEST(TelemetryTest, SameLabelsReturnSameInstrumentAndCallbacksCanBeRemoved) {
  Telemetry t;
  Counter* a = t.GetCounter("x_total", "x", {{"k", "v"}});
  EXPECT_EQ(a, t.GetCounter("x_total", "x", {{"k", "v"}}));
  EXPECT_NE(a, t.GetCounter("x_total", "x", {{"k", "w"}}));
  t.AddCallbackGauge("q", "q", {{"exporter", "e"}}, [] { return 2.0; });
  EXPECT_THAT(t.RenderText(), HasSubstr("q{exporter=\"e\"} 2\n"));
  t.RemoveCallbacks({{"exporter", "e"}});
  EXPECT_THAT(t.RenderText(), ::testing::Not(HasSubstr("q{")));
}

TEST(TelemetryTest, HistogramRendersCumulativeBucketsSumAndCount) {
  Telemetry t;
  Histogram* h = t.GetHistogram("h", "Sizes.", {{"processor", "batch"}}, {10, 100});
  EXPECT_EQ(t.GetHistogram("h", "Sizes.", {{"processor", "batch"}}, {1}), h);
  h->Observe(10);   // le=10 (upper bounds are inclusive)
  h->Observe(11);   // le=100
  h->Observe(500);  // +Inf
  EXPECT_EQ(h->count(), 3u);
  EXPECT_EQ(t.RenderText(),
            "# HELP h Sizes.\n"
            "# TYPE h histogram\n"
            "h_bucket{processor=\"batch\",le=\"10\"} 1\n"
            "h_bucket{processor=\"batch\",le=\"100\"} 2\n"
            "h_bucket{processor=\"batch\",le=\"+Inf\"} 3\n"
            "h_sum{processor=\"batch\"} 521\n"
            "h_count{processor=\"batch\"} 3\n");
}

TEST(TelemetryTest, ProcessMetricsReadProc) {
  Telemetry t;
  RegisterProcessMetrics(t, 0);
  std::string text = t.RenderText();
  EXPECT_THAT(text, HasSubstr("otelcol_process_memory_rss_bytes "));
  EXPECT_THAT(text, HasSubstr("otelcol_process_cpu_seconds "));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("otelcol_process_memory_rss_bytes 0\n")));
}

}  // namespace
}  // namespace astrolabe::component
