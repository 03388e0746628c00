// Worked examples of the naming rules (docs/design/otlp-to-series.md), each checked against
// what prometheus/otlptranslator's MetricNamer/LabelNamer/UnitNamer produce with
// UnderscoreEscapingWithSuffixes (their test tables list most of these cases).
#include "exporter/store/naming.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

namespace astrolabe::exporter::store {
namespace {

std::string Name(std::string_view name, std::string_view unit, NameKind kind) {
  Result<std::string> r = MetricName(name, unit, kind);
  return r.ok() ? *r : "ERROR: " + r.status().message();
}

TEST(MetricName, EscapesToPrometheusCharacters) {
  EXPECT_EQ(Name("http.server.duration", "", NameKind::kGauge), "http_server_duration");
  EXPECT_EQ(Name("system.cpu.utilization", "", NameKind::kGauge), "system_cpu_utilization");
  EXPECT_EQ(Name("foo--bar__baz", "", NameKind::kGauge), "foo_bar_baz");  // runs collapse
  EXPECT_EQ(Name("_leading_and_trailing_", "", NameKind::kGauge), "leading_and_trailing");
  EXPECT_EQ(Name("a:b.c", "", NameKind::kGauge), "a:b_c");  // ':' is kept
  EXPECT_EQ(Name("métrica", "", NameKind::kGauge), "m_trica");
  EXPECT_EQ(Name("2xx.responses", "", NameKind::kGauge), "_2xx_responses");
}

TEST(MetricName, UnitSuffixes) {
  EXPECT_EQ(Name("http.server.duration", "s", NameKind::kHistogram),
            "http_server_duration_seconds");
  EXPECT_EQ(Name("scrape_duration_seconds", "s", NameKind::kGauge), "scrape_duration_seconds");
  EXPECT_EQ(Name("system.memory.usage", "By", NameKind::kNonMonotonicCounter),
            "system_memory_usage_bytes");
  EXPECT_EQ(Name("latency", "ms", NameKind::kGauge), "latency_milliseconds");
  EXPECT_EQ(Name("temp", "Cel", NameKind::kGauge), "temp_celsius");
  EXPECT_EQ(Name("size", "MiBy", NameKind::kGauge), "size_mebibytes");
  // Unknown units are used as they are, escaped.
  EXPECT_EQ(Name("queue", "items", NameKind::kGauge), "queue_items");
  EXPECT_EQ(Name("x", "m.s", NameKind::kGauge), "x_m_s");
  // Annotations in braces are dropped.
  EXPECT_EQ(Name("http.requests", "{request}", NameKind::kMonotonicCounter), "http_requests_total");
  // Per-unit: a/b → a_per_b with b as a word.
  EXPECT_EQ(Name("io", "By/s", NameKind::kGauge), "io_bytes_per_second");
  EXPECT_EQ(Name("rate", "{request}/s", NameKind::kGauge), "rate_per_second");
  EXPECT_EQ(Name("throughput", "m/h", NameKind::kGauge), "throughput_meters_per_hour");
  EXPECT_EQ(Name("speed", "km/ms", NameKind::kGauge), "speed_km_per_ms");
  EXPECT_EQ(Name("odd", "By/", NameKind::kGauge), "odd_bytes");
  // Already present as a token: not added again.
  EXPECT_EQ(Name("request_bytes", "By", NameKind::kGauge), "request_bytes");
}

TEST(MetricName, TotalForMonotonicCountersOnly) {
  EXPECT_EQ(Name("prompt_tokens_total", "", NameKind::kMonotonicCounter), "prompt_tokens_total");
  EXPECT_EQ(Name("requests", "", NameKind::kMonotonicCounter), "requests_total");
  EXPECT_EQ(Name("total_requests", "", NameKind::kMonotonicCounter), "requests_total");
  EXPECT_EQ(Name("cpu.time", "s", NameKind::kMonotonicCounter), "cpu_time_seconds_total");
  EXPECT_EQ(Name("queue.size", "", NameKind::kNonMonotonicCounter), "queue_size");
  EXPECT_EQ(Name("requests_total", "", NameKind::kGauge), "requests_total");
}

TEST(MetricName, RatioForGaugesOfUnitOne) {
  EXPECT_EQ(Name("cpu.utilization", "1", NameKind::kGauge), "cpu_utilization_ratio");
  EXPECT_EQ(Name("hit_ratio", "1", NameKind::kGauge), "hit_ratio");
  EXPECT_EQ(Name("errors", "1", NameKind::kMonotonicCounter), "errors_total");  // not a gauge
  EXPECT_EQ(Name("usage", "%", NameKind::kGauge), "usage_percent");
}

TEST(MetricName, EmptyOrUnderscoreNamesAreErrors) {
  EXPECT_EQ(Name("", "", NameKind::kGauge),
            "ERROR: normalization for metric \"\" resulted in empty name");
  EXPECT_EQ(Name("...", "", NameKind::kGauge),
            "ERROR: normalization for metric \"...\" resulted in empty name");
  // A unit alone still makes a name.
  EXPECT_EQ(Name("...", "s", NameKind::kGauge), "seconds");
}

std::string Label(std::string_view key) {
  Result<std::string> r = LabelName(key);
  return r.ok() ? *r : "ERROR: " + r.status().message();
}

TEST(LabelName, Sanitizes) {
  EXPECT_EQ(Label("model_name"), "model_name");
  EXPECT_EQ(Label("http.method"), "http_method");
  EXPECT_EQ(Label("gen_ai.request.model"), "gen_ai_request_model");
  EXPECT_EQ(Label("a..b"), "a_b");
  EXPECT_EQ(Label("a__b"), "a_b");  // runs of '_' collapse too (the spec's rule)
  EXPECT_EQ(Label("_private"), "_private");
  EXPECT_EQ(Label("__name__"), "__name__");  // reserved form kept
  EXPECT_EQ(Label("__a.b__"), "__a_b__");
  EXPECT_EQ(Label("0day"), "key_0day");
  EXPECT_EQ(Label("host:port"), "host_port");  // ':' is not allowed in label names
  EXPECT_EQ(Label("ключ"),
            "ERROR: normalization for label name \"ключ\" resulted in invalid name \"_\"");
  EXPECT_EQ(Label(""), "ERROR: label name is empty");
  EXPECT_EQ(Label("..."),
            "ERROR: normalization for label name \"...\" resulted in invalid name \"_\"");
}

TEST(UnitName, AsMetadata) {
  EXPECT_EQ(UnitName("s"), "seconds");
  EXPECT_EQ(UnitName("By/s"), "bytes_per_second");
  EXPECT_EQ(UnitName("{request}"), "");
  EXPECT_EQ(UnitName("1"), "");
  EXPECT_EQ(UnitName(""), "");
  EXPECT_EQ(UnitName("{token}/s"), "per_second");
}

TEST(FormatFloat, AsGoFormatFloatF) {
  EXPECT_EQ(FormatFloat(1), "1");
  EXPECT_EQ(FormatFloat(0.5), "0.5");
  EXPECT_EQ(FormatFloat(0.001), "0.001");
  EXPECT_EQ(FormatFloat(2.5), "2.5");
  EXPECT_EQ(FormatFloat(1e21), "1000000000000000000000");
  EXPECT_EQ(FormatFloat(1e-7), "0.0000001");
  EXPECT_EQ(FormatFloat(0), "0");
  EXPECT_EQ(FormatFloat(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatFloat(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(FormatFloat(std::nan("")), "NaN");
}

}  // namespace
}  // namespace astrolabe::exporter::store
