#include "exporter/debug/marshal.h"

#include <gtest/gtest.h>

#include "exporter/debug/test_util.h"

namespace astrolabe::exporter::debug {
namespace {

using namespace pdata;
using testutil::ExpectGolden;

Metrics OneMetric(Metric m) {
  ResourceMetrics rm;
  rm.scope_metrics.push_back(ScopeMetrics{.metrics = {std::move(m)}});
  return Metrics({rm});
}

TEST(MarshalTest, EmptyDataPrintsNothing) {
  EXPECT_EQ(MarshalNormal(Metrics()), "");
  EXPECT_EQ(MarshalNormal(Traces()), "");
  EXPECT_EQ(MarshalNormal(Logs()), "");
  EXPECT_EQ(MarshalDetailed(Metrics()), "");
  EXPECT_EQ(MarshalDetailed(Traces()), "");
  EXPECT_EQ(MarshalDetailed(Logs()), "");
}

// The cases below restate upstream's normal-verbosity unit tests
// (exporter/debugexporter/internal/normal/*_test.go).
TEST(MarshalNormalTest, ResourceAndScopeDetails) {
  Metric m{.name = "system.cpu.time"};
  m.data = Sum{.data_points = {NumberDataPoint{.attributes = {{"state", "user"}, {"cpu", "0"}},
                                               .value = 123.456}}};
  ResourceMetrics rm;
  rm.schema_url = "https://opentelemetry.io/resource-schema-url";
  rm.resource.attributes = {{"resourceKey1", "resourceValue1"}, {"resourceKey2", false}};
  rm.scope_metrics.push_back(
      ScopeMetrics{.scope = {.name = "scope-name",
                             .version = "1.2.3",
                             .attributes = {{"scopeKey1", "scopeValue1"}, {"scopeKey2", true}}},
                   .metrics = {m},
                   .schema_url = "http://opentelemetry.io/scope-schema-url"});
  rm.scope_metrics.push_back(ScopeMetrics{.scope = {.version = "2"}});
  EXPECT_EQ(MarshalNormal(Metrics({rm})),
            "ResourceMetrics #0 [https://opentelemetry.io/resource-schema-url] "
            "resourceKey1=resourceValue1 resourceKey2=false\n"
            "ScopeMetrics #0 scope-name@1.2.3 [http://opentelemetry.io/scope-schema-url] "
            "scopeKey1=scopeValue1 scopeKey2=true\n"
            "system.cpu.time{state=user,cpu=0} 123.456\n"
            "ScopeMetrics #1 @2\n");
}

TEST(MarshalNormalTest, Histogram) {
  Metric m{.name = "http.server.request.duration"};
  m.data = Histogram{
      .data_points = {HistogramDataPoint{
          .attributes = {{"http.response.status_code", 200}, {"http.request.method", "GET"}},
          .count = 1340,
          .sum = 99.573,
          .bucket_counts = {1324, 13, 0, 2, 1},
          .explicit_bounds = {0.125, 0.5, 1, 3},
          .min = 0.017,
          .max = 8.13}}};
  EXPECT_EQ(MarshalNormal(OneMetric(m)),
            "ResourceMetrics #0\nScopeMetrics #0\n"
            "http.server.request.duration{http.response.status_code=200,http.request.method=GET} "
            "count=1340 sum=99.573 min=0.017 max=8.13 le0.125=1324 le0.5=13 le1=0 le3=2 1\n");
}

TEST(MarshalNormalTest, ExponentialHistogramAndSummary) {
  Metric e{.name = "e"};
  ExponentialHistogramDataPoint p;
  p.count = 4;
  p.scale = 0;
  p.zero_count = 1;
  p.negative = {.offset = 0, .bucket_counts = {1}};
  p.positive = {.offset = 1, .bucket_counts = {1, 1}};
  e.data = ExponentialHistogram{.data_points = {p}};
  EXPECT_EQ(MarshalNormal(OneMetric(e)),
            // exp((index + 1) * ln2) is inexact, in upstream's formula as here.
            "ResourceMetrics #0\nScopeMetrics #0\n"
            "e{} count=4 le-1=1 zero=1 le4=1 le7.999999999999998=1\n");

  Metric s{.name = "s"};
  s.data = Summary{{SummaryDataPoint{.count = 3, .sum = 1.5, .quantile_values = {{0.5, 2}}}}};
  EXPECT_EQ(MarshalNormal(OneMetric(s)),
            "ResourceMetrics #0\nScopeMetrics #0\ns{} count=3 sum=1.500000 q0.5=2\n");
}

TEST(MarshalNormalTest, LogsKeepUpstreamsSpaceBeforeAttributes) {
  ResourceLogs rl;
  rl.scope_logs.push_back(
      ScopeLogs{.log_records = {LogRecord{.body = "Single line log message",
                                          .attributes = {{"key1", "value1"}, {"key2", "value2"}}},
                                LogRecord{.body = KeyValueList{{"b", 1}, {"a", "x"}}}}});
  EXPECT_EQ(MarshalNormal(Logs({rl})),
            "ResourceLog #0\nScopeLog #0\n"
            "Single line log message key1=value1 key2=value2\n"
            "{\"a\":\"x\",\"b\":1} \n");
}

TEST(MarshalNormalTest, Spans) {
  ResourceSpans rs;
  Span s{.trace_id = testutil::Tid("0102030405060708090a0b0c0d0e0f10"),
         .span_id = testutil::Sid("1112131415161718"),
         .name = "span-name",
         .attributes = {{"key1", "value1"}, {"key2", "value2"}}};
  rs.scope_spans.push_back(ScopeSpans{.spans = {s, Span{.name = "bare"}}});
  EXPECT_EQ(MarshalNormal(Traces({rs})),
            "ResourceTraces #0\nScopeTraces #0\n"
            "span-name 0102030405060708090a0b0c0d0e0f10 1112131415161718 key1=value1 key2=value2\n"
            "bare  \n");
}

TEST(MarshalDetailedTest, AttributeIndentFollowsArrowHeaders) {
  Metric m{.name = "m", .metadata = {{"prometheus.type", "counter"}}};
  EXPECT_EQ(MarshalDetailed(OneMetric(m)),
            "ResourceMetrics #0\n"
            "Resource SchemaURL: \n"
            "ScopeMetrics #0\n"
            "ScopeMetrics SchemaURL: \n"
            "InstrumentationScope  \n"
            "Metric #0\n"
            "Descriptor:\n"
            "     -> Name: m\n"
            "     -> Description: \n"
            "     -> Unit: \n"
            "     -> DataType: Empty\n"
            "     -> Metadata:\n"
            "          -> prometheus.type: Str(counter)\n");
}

TEST(MarshalGoldenTest, Metrics) {
  Metrics md = testutil::SampleMetrics();
  ExpectGolden("metrics_normal.out", MarshalNormal(md));
  ExpectGolden("metrics_detailed.out", MarshalDetailed(md));
}

TEST(MarshalGoldenTest, Traces) {
  Traces td = testutil::SampleTraces();
  ExpectGolden("traces_normal.out", MarshalNormal(td));
  ExpectGolden("traces_detailed.out", MarshalDetailed(td));
}

TEST(MarshalGoldenTest, Logs) {
  Logs ld = testutil::SampleLogs();
  ExpectGolden("logs_normal.out", MarshalNormal(ld));
  ExpectGolden("logs_detailed.out", MarshalDetailed(ld));
}

}  // namespace
}  // namespace astrolabe::exporter::debug
