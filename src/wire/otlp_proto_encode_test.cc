// Golden bytes for small messages. Every expected string below was derived by hand from the
// protobuf encoding rules and the field numbers of opentelemetry-proto; the comments show the
// derivation so that a reader can check it.

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

#include "pdata/logs.h"
#include "pdata/metrics.h"
#include "pdata/traces.h"
#include "wire/otlp_proto.h"
#include "wire/test_util.h"

#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace astrolabe::wire {
namespace {

using namespace pdata;
using test::Hex;

Metrics OneMetric(Metric m) {
  ScopeMetrics sm;
  sm.metrics.push_back(std::move(m));
  ResourceMetrics rm;
  rm.scope_metrics.push_back(std::move(sm));
  Metrics out;
  out.resource_metrics.push_back(std::move(rm));
  return out;
}

// Wraps a Metric's bytes (length `n`) in ScopeMetrics/ResourceMetrics/request framing.
std::string Frame(const std::string& metric_hex, int n) {
  char buf[64];
  // request: 0a <n+4> ; resource_metrics: 12 <n+2> ; scope_metrics: 12 <n>
  std::snprintf(buf, sizeof buf, "0a %02x 12 %02x 12 %02x ", n + 4, n + 2, n);
  return buf + metric_hex;
}

TEST(EncodeMetricsTest, EmptyRequestIsEmpty) {
  EXPECT_EQ(EncodeMetricsRequest(Metrics{}), "");
  Metrics m;
  m.resource_metrics.emplace_back();
  EXPECT_EQ(Hex(EncodeMetricsRequest(m)), "0a 00");  // empty resource: not written
}

TEST(EncodeMetricsTest, GaugeDoublePoint) {
  Metric m{.name = "m"};
  m.data = Gauge{{NumberDataPoint{.time_unix_nano = 1, .value = 1.0}}};
  // point:  19 <fixed64 1>  21 <double 1.0>                          = 18 bytes
  // gauge:  0a 12 <point>                                            = 20 bytes
  // metric: 0a 01 6d  2a 14 <gauge>                                  = 25 bytes
  std::string metric = "0a 01 6d 2a 14 0a 12 19 01 00 00 00 00 00 00 00 21 00 00 00 00 00 00 f0 3f";
  EXPECT_EQ(Hex(EncodeMetricsRequest(OneMetric(std::move(m)))), Frame(metric, 25));
}

TEST(EncodeMetricsTest, SumIntPointZeroValueAndFlags) {
  Metric m{.name = "c"};
  m.data = Sum{.data_points = {NumberDataPoint{.value = int64_t{-1}, .flags = 1},
                               NumberDataPoint{.value = 0.0}},
               .aggregation_temporality = AggregationTemporality::kCumulative,
               .is_monotonic = true};
  // point 1: 31 <sfixed64 -1> 40 01                                  = 11 bytes
  // point 2: 21 <double 0> (a set oneof member is written even when 0) = 9 bytes
  // sum: 0a 0b <p1> 0a 09 <p2> 10 02 18 01                           = 28 bytes
  // metric: 0a 01 63 3a 1c <sum>                                     = 33 bytes
  std::string metric =
      "0a 01 63 3a 1c 0a 0b 31 ff ff ff ff ff ff ff ff 40 01 0a 09 21 00 00 00 00 00 00 00 00 "
      "10 02 18 01";
  EXPECT_EQ(Hex(EncodeMetricsRequest(OneMetric(std::move(m)))), Frame(metric, 33));
}

TEST(EncodeMetricsTest, HistogramPackedAndOptionalFields) {
  Metric m{.name = "h"};
  m.data = Histogram{
      .data_points = {HistogramDataPoint{
          .count = 3, .sum = 0.0, .bucket_counts = {1, 2}, .explicit_bounds = {1.0}, .max = -0.0}},
      .aggregation_temporality = AggregationTemporality::kDelta};
  // point: 21 <fixed64 3>  29 <double 0 (optional: written)>  32 10 <1><2>  3a 08 <1.0>
  //        61 <double -0.0>                                        = 9+9+18+10+9 = 55 bytes
  // histogram: 0a 37 <point> 10 01                                 = 59 bytes
  // metric: 0a 01 68 4a 3b <histogram>                             = 64 bytes
  std::string metric =
      "0a 01 68 4a 3b 0a 37 21 03 00 00 00 00 00 00 00 29 00 00 00 00 00 00 00 00 "
      "32 10 01 00 00 00 00 00 00 00 02 00 00 00 00 00 00 00 3a 08 00 00 00 00 00 00 f0 3f "
      "61 00 00 00 00 00 00 00 80 10 01";
  EXPECT_EQ(Hex(EncodeMetricsRequest(OneMetric(std::move(m)))), Frame(metric, 64));
}

TEST(EncodeMetricsTest, ExponentialHistogramZigZagAndPackedVarints) {
  Metric m{.name = "e"};
  ExponentialHistogramDataPoint p;
  p.scale = -3;                                            // zigzag 5
  p.positive = {.offset = -2, .bucket_counts = {1, 300}};  // zigzag 3; varints 01, ac 02
  p.zero_threshold = 0.0;                                  // default: omitted
  m.data = ExponentialHistogram{.data_points = {p},
                                .aggregation_temporality = AggregationTemporality::kCumulative};
  // buckets: 08 03 12 03 01 ac 02                                   = 7 bytes
  // point: 30 05 42 07 <buckets>                                    = 11 bytes
  // exp: 0a 0b <point> 10 02                                        = 15 bytes
  // metric: 0a 01 65 52 0f <exp>                                    = 20 bytes
  std::string metric = "0a 01 65 52 0f 0a 0b 30 05 42 07 08 03 12 03 01 ac 02 10 02";
  EXPECT_EQ(Hex(EncodeMetricsRequest(OneMetric(std::move(m)))), Frame(metric, 20));
}

TEST(EncodeMetricsTest, SummaryNegativeZeroAndMetadata) {
  Metric m{.name = "s"};
  m.data = Summary{{SummaryDataPoint{.sum = -0.0, .quantile_values = {{0.0, 2.0}}}}};
  m.metadata = {{"k", AnyValue()}};  // empty AnyValue: value not written
  // quantile: 11 <double 2.0>                                       = 9 bytes
  // point: 29 <double -0.0> 32 09 <quantile>                        = 20 bytes
  // summary: 0a 14 <point>                                          = 22 bytes
  // metric: 0a 01 73 5a 16 <summary> 62 03 0a 01 6b                 = 3+2+22+5 = 32 bytes
  std::string metric =
      "0a 01 73 5a 16 0a 14 29 00 00 00 00 00 00 00 80 32 09 11 00 00 00 00 00 00 00 40 "
      "62 03 0a 01 6b";
  EXPECT_EQ(Hex(EncodeMetricsRequest(OneMetric(std::move(m)))), Frame(metric, 32));
}

TEST(EncodeMetricsTest, EmptyGaugeIsWrittenNoDataIsNot) {
  Metric gauge{.name = "g"};
  gauge.data = Gauge{};
  EXPECT_EQ(Hex(EncodeMetricsRequest(OneMetric(std::move(gauge)))), Frame("0a 01 67 2a 00", 5));
  Metric none{.name = "n"};
  EXPECT_EQ(Hex(EncodeMetricsRequest(OneMetric(std::move(none)))), Frame("0a 01 6e", 3));
}

TEST(EncodeMetricsTest, ResourceScopeAndAnyValues) {
  Metrics m;
  ResourceMetrics rm;
  rm.resource.attributes = {{"a", AnyValue(ArrayValue{AnyValue(), AnyValue(true)})},
                            {"i", AnyValue(int64_t{-1})}};
  rm.schema_url = "u";
  ScopeMetrics sm;
  sm.scope.name = "n";
  sm.scope.dropped_attributes_count = 2;
  rm.scope_metrics.push_back(std::move(sm));
  m.resource_metrics.push_back(std::move(rm));
  // kv a: 0a 01 61 12 08 2a 06 0a 00 0a 02 10 01                    = 13 bytes
  // kv i: 0a 01 69 12 0b 18 ff ff ff ff ff ff ff ff ff 01           = 16 bytes
  // resource: 0a 0d <kv a> 0a 10 <kv i>                             = 33 bytes
  // scope: 0a 01 6e 20 02                                           = 5 bytes
  // scope_metrics: 0a 05 <scope>                                    = 7 bytes
  // resource_metrics: 0a 21 <resource> 12 07 <sm> 1a 01 75          = 35+9+3 = 47 bytes
  EXPECT_EQ(Hex(EncodeMetricsRequest(m)),
            "0a 2f 0a 21 0a 0d 0a 01 61 12 08 2a 06 0a 00 0a 02 10 01 0a 10 0a 01 69 12 0b 18 ff "
            "ff ff ff ff ff ff ff ff 01 12 07 0a 05 0a 01 6e 20 02 1a 01 75");
}

TEST(EncodeTracesTest, SpanFieldOrderAndFixed32Flags) {
  Span s;
  s.name = "s";
  s.kind = SpanKind::kServer;
  s.flags = 1;
  s.status.code = SpanStatus::Code::kError;
  ScopeSpans ss;
  ss.spans.push_back(s);
  ResourceSpans rs;
  rs.scope_spans.push_back(std::move(ss));
  Traces t;
  t.resource_spans.push_back(std::move(rs));
  // span: 2a 01 73  30 02  7a 02 18 02  85 01 01 00 00 00 (flags = field 16, after status)
  EXPECT_EQ(Hex(EncodeTracesRequest(t)),
            "0a 13 12 11 12 0f 2a 01 73 30 02 7a 02 18 02 85 01 01 00 00 00");
}

TEST(EncodeTracesTest, IdsAreWrittenOnlyWhenSet) {
  Span s;
  s.trace_id.bytes[15] = 1;
  s.span_id.bytes[0] = 0xab;
  ScopeSpans ss;
  ss.spans.push_back(s);
  ResourceSpans rs;
  rs.scope_spans.push_back(std::move(ss));
  Traces t;
  t.resource_spans.push_back(std::move(rs));
  // span: 0a 10 <16 bytes> 12 08 <8 bytes>                          = 28 bytes
  EXPECT_EQ(Hex(EncodeTracesRequest(t)),
            "0a 20 12 1e 12 1c 0a 10 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 01 12 08 ab 00 "
            "00 00 00 00 00 00");
}

TEST(EncodeLogsTest, NegativeEnumBodyAndEventName) {
  LogRecord r;
  r.severity_number = static_cast<SeverityNumber>(-1);
  r.body = AnyValue("hi");
  r.event_name = "e";
  ScopeLogs sl;
  sl.log_records.push_back(r);
  ResourceLogs rl;
  rl.scope_logs.push_back(std::move(sl));
  Logs l;
  l.resource_logs.push_back(std::move(rl));
  // record: 10 <-1 as 10-byte varint>  2a 04 0a 02 68 69  62 01 65   = 20 bytes
  EXPECT_EQ(Hex(EncodeLogsRequest(l)),
            "0a 18 12 16 12 14 10 ff ff ff ff ff ff ff ff ff 01 2a 04 0a 02 68 69 62 01 65");
}

TEST(EncodeResponseTest, PartialSuccess) {
  EXPECT_EQ(EncodeExportResponse(ExportResponse{}), "");
  EXPECT_EQ(Hex(EncodeExportResponse(ExportResponse{ExportPartialSuccess{}})), "0a 00");
  EXPECT_EQ(Hex(EncodeExportResponse(ExportResponse{ExportPartialSuccess{5, "bad"}})),
            "0a 07 08 05 12 03 62 61 64");
}

TEST(EncodeRpcStatusTest, CodeMessageDetails) {
  RpcStatus st{.code = 3, .message = "bad", .details = {{"t", std::string("\x01", 1)}}};
  EXPECT_EQ(Hex(EncodeRpcStatus(st)), "08 03 12 03 62 61 64 1a 06 0a 01 74 12 01 01");
  EXPECT_EQ(EncodeRpcStatus(RpcStatus{}), "");
}

TEST(EncodeTest, AppendKeepsExistingBytes) {
  std::string out = "prefix";
  Metrics m;
  m.resource_metrics.emplace_back();
  AppendMetricsRequest(m, &out);
  EXPECT_EQ(out, std::string("prefix\x0a\x00", 8));
}

}  // namespace
}  // namespace astrolabe::wire
