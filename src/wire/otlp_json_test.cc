// OTLP/JSON codec: round trips (pdata -> JSON -> pdata, JSON -> pdata -> JSON, protobuf ->
// pdata -> JSON -> pdata), golden documents in the shapes the OTLP specification documents
// (written here from those shapes), the protojson leniencies the decoder accepts, and the
// errors it gives, each naming the JSON path.

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <string>

#include "pdata/logs.h"
#include "pdata/metrics.h"
#include "pdata/traces.h"
#include "wire/otlp_json.h"
#include "wire/otlp_proto.h"
#include "wire/otlp_testdata.h"

#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace astrolabe::wire {
namespace {

using namespace pdata;

Metrics OneMetric(Metric m) {
  Metrics metrics;
  metrics.resource_metrics.emplace_back();
  metrics.resource_metrics[0].scope_metrics.emplace_back();
  metrics.resource_metrics[0].scope_metrics[0].metrics.push_back(std::move(m));
  return metrics;
}

// ---- round trips

TEST(OtlpJsonRoundTrip, RichMetrics) {
  Metrics original = testdata::RichMetrics();
  std::string json = EncodeMetricsJson(original);
  auto decoded = DecodeMetricsJson(json);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_TRUE(*decoded == original);
  EXPECT_EQ(EncodeMetricsJson(*decoded), json);
}

TEST(OtlpJsonRoundTrip, RichTraces) {
  Traces original = testdata::RichTraces();
  std::string json = EncodeTracesJson(original);
  auto decoded = DecodeTracesJson(json);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_TRUE(*decoded == original);
  EXPECT_EQ(EncodeTracesJson(*decoded), json);
}

TEST(OtlpJsonRoundTrip, RichLogs) {
  Logs original = testdata::RichLogs();
  std::string json = EncodeLogsJson(original);
  auto decoded = DecodeLogsJson(json);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_TRUE(*decoded == original);
  EXPECT_EQ(EncodeLogsJson(*decoded), json);
}

TEST(OtlpJsonRoundTrip, ProtoToPdataToJsonToPdata) {
  std::string proto = EncodeMetricsRequest(testdata::NimMetrics(2000));
  auto from_proto = DecodeMetricsRequest(proto);
  ASSERT_TRUE(from_proto.ok());
  auto from_json = DecodeMetricsJson(EncodeMetricsJson(*from_proto));
  ASSERT_TRUE(from_json.ok()) << from_json.status().ToString();
  EXPECT_TRUE(*from_json == *from_proto);
  EXPECT_EQ(EncodeMetricsRequest(*from_json), proto);

  std::string tproto = EncodeTracesRequest(testdata::RichTraces());
  auto traces = DecodeTracesRequest(tproto);
  ASSERT_TRUE(traces.ok());
  auto traces_json = DecodeTracesJson(EncodeTracesJson(*traces));
  ASSERT_TRUE(traces_json.ok());
  EXPECT_EQ(EncodeTracesRequest(*traces_json), tproto);

  std::string lproto = EncodeLogsRequest(testdata::RichLogs());
  auto logs = DecodeLogsRequest(lproto);
  ASSERT_TRUE(logs.ok());
  auto logs_json = DecodeLogsJson(EncodeLogsJson(*logs));
  ASSERT_TRUE(logs_json.ok());
  EXPECT_EQ(EncodeLogsRequest(*logs_json), lproto);
}

TEST(OtlpJsonRoundTrip, SpecialDoublesKeepTheirValue) {
  const double kValues[] = {std::numeric_limits<double>::quiet_NaN(),
                            std::numeric_limits<double>::infinity(),
                            -std::numeric_limits<double>::infinity(),
                            -0.0,
                            0.0,
                            std::numeric_limits<double>::denorm_min(),
                            std::numeric_limits<double>::max(),
                            std::numeric_limits<double>::lowest(),
                            1e20,
                            -1e20,
                            123456789012345678.0,
                            0.1,
                            5.0};
  Gauge g;
  for (double v : kValues) g.data_points.push_back(NumberDataPoint{.value = v});
  HistogramDataPoint h{.sum = -0.0, .explicit_bounds = {kValues[1], kValues[2], 0.1}};
  h.min = std::numeric_limits<double>::quiet_NaN();
  Metric m{.name = "x", .data = g};
  Metrics metrics = OneMetric(m);
  metrics.resource_metrics[0].scope_metrics[0].metrics.push_back(
      Metric{.name = "h", .data = Histogram{.data_points = {h}}});
  std::string json = EncodeMetricsJson(metrics);
  auto decoded = DecodeMetricsJson(json);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString() << "\n" << json;
  const auto& points =
      std::get<Gauge>(decoded->resource_metrics[0].scope_metrics[0].metrics[0].data).data_points;
  ASSERT_EQ(points.size(), std::size(kValues));
  for (size_t i = 0; i < points.size(); ++i) {
    ASSERT_TRUE(std::holds_alternative<double>(points[i].value)) << i;
    double got = std::get<double>(points[i].value);
    if (std::isnan(kValues[i])) {
      EXPECT_TRUE(std::isnan(got));
    } else {
      EXPECT_EQ(std::bit_cast<uint64_t>(got), std::bit_cast<uint64_t>(kValues[i])) << i;
    }
  }
  const auto& hp = std::get<Histogram>(decoded->resource_metrics[0].scope_metrics[0].metrics[1].data)
                       .data_points[0];
  EXPECT_TRUE(std::signbit(*hp.sum));
  EXPECT_TRUE(std::isnan(*hp.min));
  EXPECT_EQ(EncodeMetricsJson(*decoded), json);
}

TEST(OtlpJsonRoundTrip, ExtremeIntegers) {
  ExponentialHistogramDataPoint p;
  p.scale = std::numeric_limits<int32_t>::min();
  p.positive.offset = std::numeric_limits<int32_t>::max();
  p.negative.offset = std::numeric_limits<int32_t>::min();
  p.positive.bucket_counts = {std::numeric_limits<uint64_t>::max(), 0, 1};
  p.count = std::numeric_limits<uint64_t>::max();
  p.flags = std::numeric_limits<uint32_t>::max();
  Metrics metrics = OneMetric(Metric{
      .name = "x",
      .data = ExponentialHistogram{.data_points = {p},
                                   .aggregation_temporality = static_cast<AggregationTemporality>(
                                       -5)}});
  metrics.resource_metrics[0].scope_metrics[0].metrics.push_back(Metric{
      .name = "g",
      .data = Gauge{{NumberDataPoint{.value = std::numeric_limits<int64_t>::min()},
                     NumberDataPoint{.value = std::numeric_limits<int64_t>::max()},
                     NumberDataPoint{.value = int64_t{0}}}}});
  metrics.resource_metrics[0].resource.attributes = {
      {"min", AnyValue(std::numeric_limits<int64_t>::min())}};
  auto decoded = DecodeMetricsJson(EncodeMetricsJson(metrics));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_TRUE(*decoded == metrics);
}

TEST(OtlpJsonRoundTrip, ResponsesAndStatus) {
  for (OtlpSignal signal : {OtlpSignal::kMetrics, OtlpSignal::kTraces, OtlpSignal::kLogs}) {
    for (const ExportResponse& r :
         {ExportResponse{}, ExportResponse{ExportPartialSuccess{}},
          ExportResponse{ExportPartialSuccess{-3, "warn"}},
          ExportResponse{ExportPartialSuccess{std::numeric_limits<int64_t>::max(), ""}}}) {
      auto decoded = DecodeExportResponseJson(EncodeExportResponseJson(r, signal));
      ASSERT_TRUE(decoded.ok());
      EXPECT_EQ(*decoded, r);
    }
  }
  RpcStatus st{.code = -2, .message = "m\n\"x\"", .details = {{"type.googleapis.com/x", ""}}};
  auto decoded = DecodeRpcStatusJson(EncodeRpcStatusJson(st));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, st);
}

// ---- golden documents

TEST(OtlpJsonGolden, EncodeSmallMetricsRequest) {
  Metrics metrics = OneMetric(Metric{
      .name = "requests",
      .unit = "1",
      .data = Sum{.data_points = {NumberDataPoint{.attributes = {{"code", 200}},
                                                  .start_time_unix_nano = 1000,
                                                  .time_unix_nano = 2000,
                                                  .value = int64_t{7}}},
                  .aggregation_temporality = AggregationTemporality::kDelta,
                  .is_monotonic = true}});
  metrics.resource_metrics[0].resource.attributes = {{"service.name", "svc"}};
  metrics.resource_metrics[0].scope_metrics[0].scope.name = "lib";
  EXPECT_EQ(EncodeMetricsJson(metrics),
            R"({"resourceMetrics":[{"resource":{"attributes":[{"key":"service.name","value":)"
            R"({"stringValue":"svc"}}]},"scopeMetrics":[{"scope":{"name":"lib"},"metrics":[)"
            R"({"name":"requests","unit":"1","sum":{"dataPoints":[{"startTimeUnixNano":"1000",)"
            R"("timeUnixNano":"2000","asInt":"7","attributes":[{"key":"code","value":)"
            R"({"intValue":"200"}}]}],"aggregationTemporality":1,"isMonotonic":true}}]}]}]})");
}

TEST(OtlpJsonGolden, EncodeSpanAndLog) {
  Span span{.name = "op", .kind = SpanKind::kServer, .start_time_unix_nano = 5};
  ASSERT_TRUE(TraceId::FromHex("5B8EFFF798038103D269B633813FC60C", &span.trace_id));
  ASSERT_TRUE(SpanId::FromHex("EEE19B7EC3C1B174", &span.span_id));
  span.status.code = SpanStatus::Code::kError;
  span.events.push_back(SpanEvent{.time_unix_nano = 6, .name = "e"});
  Traces traces;
  traces.resource_spans.emplace_back();
  traces.resource_spans[0].scope_spans.emplace_back();
  traces.resource_spans[0].scope_spans[0].spans.push_back(span);
  EXPECT_EQ(EncodeTracesJson(traces),
            R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":)"
            R"("5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"op",)"
            R"("kind":2,"startTimeUnixNano":"5","events":[{"timeUnixNano":"6","name":"e"}],)"
            R"("status":{"code":2}}]}]}]})");

  LogRecord r{.severity_number = SeverityNumber::kInfo,
              .body = AnyValue(Bytes{"\x00\xff\x10"}),
              .event_name = "ev"};
  r.body = AnyValue(Bytes{std::string("\x00\xff\x10\x20", 4)});
  Logs logs;
  logs.resource_logs.emplace_back();
  logs.resource_logs[0].scope_logs.emplace_back();
  logs.resource_logs[0].scope_logs[0].log_records.push_back(r);
  EXPECT_EQ(EncodeLogsJson(logs),
            R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"severityNumber":9,)"
            R"("body":{"bytesValue":"AP8QIA=="},"eventName":"ev"}]}]}]})");
}

TEST(OtlpJsonGolden, EncodeEmptyAndResponses) {
  EXPECT_EQ(EncodeMetricsJson(Metrics{}), "{}");
  EXPECT_EQ(EncodeExportResponseJson({}, OtlpSignal::kMetrics), "{}");
  EXPECT_EQ(EncodeExportResponseJson(ExportResponse{ExportPartialSuccess{}}, OtlpSignal::kLogs),
            R"({"partialSuccess":{}})");
  EXPECT_EQ(EncodeExportResponseJson(ExportResponse{ExportPartialSuccess{2, "x"}},
                                     OtlpSignal::kTraces),
            R"({"partialSuccess":{"rejectedSpans":"2","errorMessage":"x"}})");
  EXPECT_EQ(EncodeRpcStatusJson({.code = 3, .message = "bad", .details = {{"t", "v"}}}),
            R"({"code":3,"message":"bad","details":[{"@type":"t"}]})");
}

TEST(OtlpJsonGolden, EscapesAndInvalidUtf8) {
  Logs logs;
  logs.resource_logs.emplace_back();
  logs.resource_logs[0].scope_logs.emplace_back();
  logs.resource_logs[0].scope_logs[0].log_records.push_back(
      LogRecord{.severity_text = std::string("a\"\\\n\t\x01\xc3\xa9\xff\xe2\x82", 11)});
  std::string json = EncodeLogsJson(logs);
  EXPECT_EQ(json,
            "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"severityText\":"
            "\"a\\\"\\\\\\n\\t\\u0001\xc3\xa9\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"}]}]}]}");
  auto decoded = DecodeLogsJson(json);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->resource_logs[0].scope_logs[0].log_records[0].severity_text,
            "a\"\\\n\t\x01\xc3\xa9\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
}

// A metrics document in the shape of opentelemetry-proto's examples/metrics.json, with the
// leniencies a receiver meets in practice: 64-bit integers as numbers and as strings, enum
// names, snake_case keys, upper-case hex ids, unknown keys, nulls and whitespace.
TEST(OtlpJsonGolden, DecodeSpecShapedMetrics) {
  const char* kDoc = R"({
    "resourceMetrics": [{
      "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "my.service"}}],
                   "entityRefs": [{"type": "service"}]},
      "scopeMetrics": [{
        "scope": {"name": "my.library", "version": "1.0.0",
                  "attributes": [{"key": "my.scope.attribute", "value": {"stringValue": "x"}}]},
        "metrics": [
          {"name": "my.counter", "unit": "1", "description": "I am a Counter",
           "sum": {"aggregationTemporality": 1, "isMonotonic": true,
                   "dataPoints": [{"asDouble": 5, "startTimeUnixNano": "1544712660300000000",
                                   "timeUnixNano": 1544712660300000000,
                                   "attributes": [{"key": "my.counter.attr",
                                                   "value": {"boolValue": true}}]}]}},
          {"name": "my.gauge", "gauge": {"dataPoints": [{"asDouble": "NaN", "time_unix_nano": "7",
                                                        "exemplars": [{"asInt": 3,
                                                          "spanId": "EEE19B7EC3C1B174",
                                                          "traceId": "5B8EFFF798038103D269B633813FC60C"}]}]}},
          {"name": "my.histogram", "unknownField": {"deep": [1, 2, {"x": null}]},
           "histogram": {"aggregation_temporality": "AGGREGATION_TEMPORALITY_CUMULATIVE",
                         "dataPoints": [{"count": 2, "sum": 2.5, "bucketCounts": ["1", 1],
                                         "explicitBounds": [1], "min": 0, "max": "2",
                                         "flags": null}]}},
          {"name": "my.exp", "exponentialHistogram": {"aggregationTemporality": 2,
             "dataPoints": [{"scale": -1, "zeroCount": "1", "zeroThreshold": 0.5,
                             "positive": {"offset": -2, "bucketCounts": [1, "2"]},
                             "negative": {}}]}},
          {"name": "my.summary", "summary": {"dataPoints": [{"count": "1", "sum": 1,
             "quantileValues": [{"quantile": 0.5, "value": 1}, {"value": 2}]}]}}
        ]
      }]
    }]
  })";
  auto m = DecodeMetricsJson(kDoc);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  ASSERT_EQ(m->resource_metrics.size(), 1u);
  const ResourceMetrics& rm = m->resource_metrics[0];
  ASSERT_EQ(rm.resource.attributes.size(), 1u);
  EXPECT_EQ(rm.resource.attributes[0].value.string_value(), "my.service");
  const ScopeMetrics& sm = rm.scope_metrics[0];
  EXPECT_EQ(sm.scope.name, "my.library");
  EXPECT_EQ(sm.scope.version, "1.0.0");
  ASSERT_EQ(sm.metrics.size(), 5u);

  const Sum& sum = std::get<Sum>(sm.metrics[0].data);
  EXPECT_EQ(sm.metrics[0].description, "I am a Counter");
  EXPECT_EQ(sum.aggregation_temporality, AggregationTemporality::kDelta);
  EXPECT_TRUE(sum.is_monotonic);
  EXPECT_EQ(sum.data_points[0].start_time_unix_nano, 1544712660300000000u);
  EXPECT_EQ(sum.data_points[0].time_unix_nano, 1544712660300000000u);
  EXPECT_EQ(std::get<double>(sum.data_points[0].value), 5.0);
  EXPECT_TRUE(sum.data_points[0].attributes[0].value.bool_value());

  const Gauge& gauge = std::get<Gauge>(sm.metrics[1].data);
  EXPECT_TRUE(std::isnan(std::get<double>(gauge.data_points[0].value)));
  EXPECT_EQ(gauge.data_points[0].time_unix_nano, 7u);
  const Exemplar& ex = gauge.data_points[0].exemplars[0];
  EXPECT_EQ(std::get<int64_t>(ex.value), 3);
  EXPECT_EQ(ex.span_id.ToHex(), "eee19b7ec3c1b174");
  EXPECT_EQ(ex.trace_id.ToHex(), "5b8efff798038103d269b633813fc60c");

  const Histogram& h = std::get<Histogram>(sm.metrics[2].data);
  EXPECT_EQ(h.aggregation_temporality, AggregationTemporality::kCumulative);
  EXPECT_EQ(h.data_points[0].count, 2u);
  EXPECT_EQ(h.data_points[0].sum, 2.5);
  EXPECT_EQ(h.data_points[0].bucket_counts, (std::vector<uint64_t>{1, 1}));
  EXPECT_EQ(h.data_points[0].explicit_bounds, (std::vector<double>{1}));
  EXPECT_EQ(h.data_points[0].min, 0.0);
  EXPECT_EQ(h.data_points[0].max, 2.0);

  const auto& e = std::get<ExponentialHistogram>(sm.metrics[3].data).data_points[0];
  EXPECT_EQ(e.scale, -1);
  EXPECT_EQ(e.zero_count, 1u);
  EXPECT_EQ(e.zero_threshold, 0.5);
  EXPECT_EQ(e.positive.offset, -2);
  EXPECT_EQ(e.positive.bucket_counts, (std::vector<uint64_t>{1, 2}));

  const auto& s = std::get<Summary>(sm.metrics[4].data).data_points[0];
  ASSERT_EQ(s.quantile_values.size(), 2u);
  EXPECT_EQ(s.quantile_values[1].quantile, 0.0);
  EXPECT_EQ(s.quantile_values[1].value, 2.0);
}

TEST(OtlpJsonGolden, DecodeSpecShapedTracesAndLogs) {
  const char* kTraces = R"({"resource_spans": [{"scope_spans": [{"spans": [{
      "traceId": "5B8EFFF798038103D269B633813FC60C", "spanId": "EEE19B7EC3C1B174",
      "parentSpanId": "EEE19B7EC3C1B173", "name": "I'm a server span",
      "startTimeUnixNano": "1544712660000000000", "endTimeUnixNano": "1544712661000000000",
      "kind": "SPAN_KIND_SERVER", "flags": 257, "traceState": "a=b",
      "attributes": [{"key": "my.span.attr", "value": {"stringValue": "some value"}}],
      "droppedAttributesCount": 1, "droppedEventsCount": 2, "droppedLinksCount": 3,
      "events": [{"timeUnixNano": "1544712660500000000", "name": "ev", "droppedAttributesCount": 4}],
      "links": [{"traceId": "5b8efff798038103d269b633813fc60c", "spanId": "eee19b7ec3c1b175",
                 "flags": 1, "traceState": "c=d"}],
      "status": {"code": "STATUS_CODE_ERROR", "message": "boom"}}]}]}]})";
  auto t = DecodeTracesJson(kTraces);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  const Span& span = t->resource_spans[0].scope_spans[0].spans[0];
  EXPECT_EQ(span.parent_span_id.ToHex(), "eee19b7ec3c1b173");
  EXPECT_EQ(span.kind, SpanKind::kServer);
  EXPECT_EQ(span.flags, 257u);
  EXPECT_EQ(span.trace_state, "a=b");
  EXPECT_EQ(span.end_time_unix_nano, 1544712661000000000u);
  EXPECT_EQ(span.dropped_attributes_count, 1u);
  EXPECT_EQ(span.dropped_events_count, 2u);
  EXPECT_EQ(span.dropped_links_count, 3u);
  EXPECT_EQ(span.events[0].dropped_attributes_count, 4u);
  EXPECT_EQ(span.links[0].span_id.ToHex(), "eee19b7ec3c1b175");
  EXPECT_EQ(span.links[0].flags, 1u);
  EXPECT_EQ(span.status.code, SpanStatus::Code::kError);
  EXPECT_EQ(span.status.message, "boom");

  const char* kLogs = R"({"resourceLogs": [{"schemaUrl": "s1", "scopeLogs": [{"schemaUrl": "s2",
      "logRecords": [{"timeUnixNano": "1544712660300000000", "observedTimeUnixNano": 1,
        "severityNumber": "SEVERITY_NUMBER_WARN", "severityText": "Information",
        "traceId": "", "spanId": "eee19b7ec3c1b174", "flags": 1, "eventName": "x",
        "body": {"kvlistValue": {"values": [{"key": "a", "value": {"arrayValue": {"values": [
            {"intValue": -1}, {"doubleValue": "-Infinity"}, {"bytesValue": "_-8"}, {}]}}}]}}}]}]}]})";
  auto l = DecodeLogsJson(kLogs);
  ASSERT_TRUE(l.ok()) << l.status().ToString();
  EXPECT_EQ(l->resource_logs[0].schema_url, "s1");
  EXPECT_EQ(l->resource_logs[0].scope_logs[0].schema_url, "s2");
  const LogRecord& r = l->resource_logs[0].scope_logs[0].log_records[0];
  EXPECT_EQ(r.severity_number, SeverityNumber::kWarn);
  EXPECT_TRUE(r.trace_id.empty());
  EXPECT_EQ(r.observed_time_unix_nano, 1u);
  const ArrayValue& arr = r.body.kvlist_value()[0].value.array_value();
  ASSERT_EQ(arr.size(), 4u);
  EXPECT_EQ(arr[0].int_value(), -1);
  EXPECT_EQ(arr[1].double_value(), -std::numeric_limits<double>::infinity());
  EXPECT_EQ(arr[2].bytes_value().data, "\xff\xef");
  EXPECT_TRUE(arr[3].empty());
}

TEST(OtlpJsonGolden, DecodeResponses) {
  auto empty = DecodeExportResponseJson("");
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE(empty->partial_success);
  auto r = DecodeExportResponseJson(
      R"({"partial_success":{"rejected_log_records":"5","error_message":"too old"}})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->partial_success->rejected, 5);
  EXPECT_EQ(r->partial_success->error_message, "too old");
  auto st = DecodeRpcStatusJson(
      R"({"code":3,"message":"bad","details":[{"@type":"type.googleapis.com/google.rpc.BadRequest","fieldViolations":[]}]})");
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->code, 3);
  EXPECT_EQ(st->details[0].type_url, "type.googleapis.com/google.rpc.BadRequest");
}

// ---- errors

std::string MetricsError(const std::string& json) {
  auto r = DecodeMetricsJson(json);
  if (r.ok()) return "ok";
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  return r.status().message();
}

TEST(OtlpJsonErrors, NameThePath) {
  EXPECT_EQ(
      MetricsError(R"({"resourceMetrics":[{"scopeMetrics":[{},{"metrics":[{},{},{},{"sum":)"
                   R"({"dataPoints":[{},{},{"asInt":true}]}}]}]}]})"),
      "resourceMetrics[0].scopeMetrics[1].metrics[3].sum.dataPoints[2].asInt: expected an "
      "integer");
  EXPECT_EQ(MetricsError(R"({"resourceMetrics":{}})"), "resourceMetrics: expected an array");
  EXPECT_EQ(MetricsError(R"({"resourceMetrics":[1]})"), "resourceMetrics[0]: expected an object");
  EXPECT_EQ(MetricsError(R"({"resourceMetrics":[{"resource":{"attributes":[{"key":1}]}}]})"),
            "resourceMetrics[0].resource.attributes[0].key: expected a string");
  EXPECT_EQ(MetricsError(R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"histogram":)"
                         R"({"dataPoints":[{"bucketCounts":[1,"x"]}]}}]}]}]})"),
            "resourceMetrics[0].scopeMetrics[0].metrics[0].histogram.dataPoints[0]."
            "bucketCounts[1]: expected an integer");
  EXPECT_EQ(MetricsError(R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"gauge":)"
                         R"({"dataPoints":[{"timeUnixNano":"-1"}]}}]}]}]})"),
            "resourceMetrics[0].scopeMetrics[0].metrics[0].gauge.dataPoints[0].timeUnixNano: "
            "integer out of range for uint64");
  EXPECT_EQ(MetricsError(R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"gauge":)"
                         R"({"dataPoints":[{"timeUnixNano":"18446744073709551616"}]}}]}]}]})"),
            "resourceMetrics[0].scopeMetrics[0].metrics[0].gauge.dataPoints[0].timeUnixNano: "
            "integer out of range");
  EXPECT_EQ(MetricsError(R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"gauge":)"
                         R"({"dataPoints":[{"flags":4294967296}]}}]}]}]})"),
            "resourceMetrics[0].scopeMetrics[0].metrics[0].gauge.dataPoints[0].flags: "
            "integer out of range for uint32");
  EXPECT_EQ(MetricsError(R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"gauge":)"
                         R"({"dataPoints":[{"asDouble":"1.5x"}]}}]}]}]})"),
            "resourceMetrics[0].scopeMetrics[0].metrics[0].gauge.dataPoints[0].asDouble: "
            "expected a number");
  EXPECT_EQ(MetricsError(R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"sum":)"
                         R"({"aggregationTemporality":"DELTA"}}]}]}]})"),
            "resourceMetrics[0].scopeMetrics[0].metrics[0].sum.aggregationTemporality: unknown "
            "enum value \"DELTA\"");
  EXPECT_EQ(MetricsError(R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"sum":)"
                         R"({"isMonotonic":1}}]}]}]})"),
            "resourceMetrics[0].scopeMetrics[0].metrics[0].sum.isMonotonic: expected a boolean");
  EXPECT_EQ(MetricsError(R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"gauge":)"
                         R"({"dataPoints":[{"exemplars":[{"spanId":"abc"}]}]}}]}]}]})"),
            "resourceMetrics[0].scopeMetrics[0].metrics[0].gauge.dataPoints[0].exemplars[0]."
            "spanId: expected 16 hex digits, got 3 characters");
  EXPECT_EQ(MetricsError(R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"gauge":)"
                         R"({"dataPoints":[{"exemplars":[{"traceId":)"
                         R"("5b8efff798038103d269b633813fc6zz"}]}]}}]}]}]})"),
            "resourceMetrics[0].scopeMetrics[0].metrics[0].gauge.dataPoints[0].exemplars[0]."
            "traceId: invalid hex digit");
  EXPECT_EQ(MetricsError(R"({"resourceMetrics":[{"resource":{"attributes":[{"key":"k",)"
                         R"("value":{"bytesValue":"a"}}]}}]})"),
            "resourceMetrics[0].resource.attributes[0].value.bytesValue: invalid base64");
  EXPECT_EQ(MetricsError(R"({"resourceMetrics":[{"resource":{"attributes":[{"key":"k",)"
                         R"("value":{"arrayValue":{"values":[{"intValue":1.5}]}}}]}}]})"),
            "resourceMetrics[0].resource.attributes[0].value.arrayValue.values[0].intValue: "
            "expected an integer");
}

TEST(OtlpJsonErrors, MalformedJson) {
  for (const char* doc : {"", "{", "[]", "null", "{\"resourceMetrics\":[}", "{} x",
                          "{\"a\":\"\xff\"}", "{\"a\":1,}"}) {
    auto r = DecodeMetricsJson(doc);
    ASSERT_FALSE(r.ok()) << doc;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  }
  EXPECT_EQ(DecodeMetricsJson("[]").status().message(),
            "invalid OTLP/JSON: the top level must be an object");
  EXPECT_EQ(DecodeRpcStatusJson(R"({"code":"x"})").status().message(),
            "code: expected an integer");
  EXPECT_EQ(DecodeExportResponseJson(R"({"partialSuccess":{"rejectedSpans":true}})")
                .status()
                .message(),
            "partialSuccess.rejectedSpans: expected an integer");
}

TEST(OtlpJsonErrors, IntegerForms) {
  auto decode_int = [](const std::string& v) -> std::string {
    auto r = DecodeLogsJson(R"({"resourceLogs":[{"resource":{"attributes":[{"key":"k",)"
                            R"("value":{"intValue":)" +
                            v + "}}]}}]}");
    if (!r.ok()) return r.status().message();
    return std::to_string(r->resource_logs[0].resource.attributes[0].value.int_value());
  };
  EXPECT_EQ(decode_int("1"), "1");
  EXPECT_EQ(decode_int("\"-9223372036854775808\""), "-9223372036854775808");
  EXPECT_EQ(decode_int("-9223372036854775808"), "-9223372036854775808");
  EXPECT_EQ(decode_int("9223372036854775807"), "9223372036854775807");
  EXPECT_EQ(decode_int("1e3"), "1000");
  EXPECT_EQ(decode_int("2.0"), "2");
  EXPECT_NE(decode_int("9223372036854775808").find("out of range for int64"), std::string::npos);
  EXPECT_NE(decode_int("\"+1\"").find("expected an integer"), std::string::npos);
  EXPECT_NE(decode_int("\" 1\"").find("expected an integer"), std::string::npos);
  EXPECT_NE(decode_int("\"1.5\"").find("expected an integer"), std::string::npos);
  EXPECT_NE(decode_int("1e30").find("expected an integer"), std::string::npos);
}

TEST(OtlpJsonErrors, DepthLimit) {
  // AnyValue arrays nested 60 deep: 120 message levels plus the envelope.
  std::string value = "{}";
  for (int i = 0; i < 60; ++i) value = R"({"arrayValue":{"values":[)" + value + "]}}";
  std::string doc = R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":)" + value +
                    "}]}]}]}";
  auto deep = DecodeLogsJson(doc);
  ASSERT_FALSE(deep.ok());
  EXPECT_NE(deep.status().message().find("messages nested deeper than 100"), std::string::npos)
      << deep.status().message();
  EXPECT_TRUE(DecodeLogsJson(doc, {.max_depth = 200}).ok());
  // Deep nesting in an ignored field is bounded by the parser's own depth limit.
  std::string junk(10000, '[');
  auto r = DecodeLogsJson("{\"x\":" + junk + std::string(10000, ']') + "}");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("invalid JSON"), std::string::npos);
}

TEST(OtlpJsonErrors, EveryTruncationFailsCleanly) {
  std::string json = EncodeMetricsJson(testdata::RichMetrics());
  for (size_t n = 0; n < json.size(); ++n) {
    std::string prefix = json.substr(0, n);
    EXPECT_FALSE(DecodeMetricsJson(prefix).ok()) << n;
  }
}

TEST(OtlpJsonErrors, ByteCorruptionsDecodeOrFailCleanly) {
  std::string json = EncodeTracesJson(testdata::RichTraces());
  size_t errors = 0;
  for (size_t i = 0; i < json.size(); ++i) {
    for (char c : {'"', '1', '{', 'x'}) {
      std::string corrupt = json;
      corrupt[i] = c;
      auto t = DecodeTracesJson(corrupt);
      if (!t.ok()) {
        ++errors;
        EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
      } else {
        auto again = DecodeTracesJson(EncodeTracesJson(*t));
        ASSERT_TRUE(again.ok());
        EXPECT_TRUE(*again == *t);
      }
    }
  }
  EXPECT_GT(errors, 0u);
}

}  // namespace
}  // namespace astrolabe::wire
