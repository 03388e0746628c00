#include "wire/otlp_testdata.h"

#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

// Payloads are built with designated initializers that name only the fields they set; g++ 12
// warns about the rest under -Wextra.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace astrolabe::wire::testdata {
namespace {

using namespace pdata;

TraceId MakeTraceId(uint8_t seed) {
  TraceId id;
  for (size_t i = 0; i < id.bytes.size(); ++i) id.bytes[i] = static_cast<uint8_t>(seed + i);
  return id;
}

SpanId MakeSpanId(uint8_t seed) {
  SpanId id;
  for (size_t i = 0; i < id.bytes.size(); ++i) id.bytes[i] = static_cast<uint8_t>(seed * 3 + i);
  return id;
}

// Attributes exercising every AnyValue kind, nesting included.
Attributes RichAttributes() {
  Attributes a;
  a.push_back({"str", AnyValue("value")});
  a.push_back({"empty_str", AnyValue("")});
  a.push_back({"bool", AnyValue(true)});
  a.push_back({"false", AnyValue(false)});
  a.push_back({"int", AnyValue(int64_t{-42})});
  a.push_back({"zero_int", AnyValue(int64_t{0})});
  a.push_back({"big", AnyValue(std::numeric_limits<int64_t>::max())});
  a.push_back({"double", AnyValue(2.5)});
  a.push_back({"zero_double", AnyValue(0.0)});
  a.push_back({"bytes", AnyValue(Bytes{std::string("\x00\x01\xff", 3)})});
  a.push_back({"empty", AnyValue()});
  a.push_back({"array", AnyValue(ArrayValue{AnyValue("a"), AnyValue(int64_t{1}), AnyValue(),
                                            AnyValue(ArrayValue{AnyValue(1.5)})})});
  a.push_back({"kvlist", AnyValue(KeyValueList{{"k1", AnyValue("v1")},
                                               {"k2", AnyValue(KeyValueList{{"deep", true}})},
                                               {"", AnyValue(int64_t{7})}})});
  a.push_back({"unicode", AnyValue("h\xc3\xa9llo \xe2\x9c\x93")});
  return a;
}

Resource MakeResource(const std::string& service) {
  return Resource{.attributes = {{"service.name", AnyValue(service)},
                                 {"service.instance.id", AnyValue("host-1:8000")},
                                 {"host.name", AnyValue("gpu-node-7")}},
                  .dropped_attributes_count = 3};
}

InstrumentationScope MakeScope() {
  return InstrumentationScope{.name = "github.com/astrolabe/receiver/prometheus",
                              .version = "0.1.0",
                              .attributes = {{"scope.attr", AnyValue(int64_t{1})}},
                              .dropped_attributes_count = 1};
}

Exemplar MakeExemplar(bool as_int) {
  Exemplar e;
  e.filtered_attributes = {{"user", AnyValue("alice")}};
  e.time_unix_nano = 1700000000123456789ULL;
  if (as_int) {
    e.value = int64_t{-17};
  } else {
    e.value = 0.25;
  }
  e.span_id = MakeSpanId(9);
  e.trace_id = MakeTraceId(1);
  return e;
}

}  // namespace

pdata::Metrics RichMetrics() {
  constexpr uint64_t kStart = 1700000000000000000ULL;
  constexpr uint64_t kTime = 1700000010000000000ULL;

  Metric gauge{.name = "gpu_cache_usage_perc", .description = "GPU KV-cache usage", .unit = "1"};
  {
    Gauge g;
    NumberDataPoint p1;
    p1.attributes = RichAttributes();
    p1.time_unix_nano = kTime;
    p1.value = 0.75;
    NumberDataPoint p2;
    p2.start_time_unix_nano = kStart;
    p2.time_unix_nano = kTime;
    p2.value = int64_t{-5};
    p2.flags = kDataPointFlagNoRecordedValue;
    NumberDataPoint p3;  // all defaults: value double 0
    g.data_points = {p1, p2, p3};
    gauge.data = std::move(g);
  }
  gauge.metadata = {{"prometheus.type", AnyValue("gauge")}};

  Metric sum{.name = "prompt_tokens_total", .description = "", .unit = "{token}"};
  {
    Sum s;
    s.aggregation_temporality = AggregationTemporality::kCumulative;
    s.is_monotonic = true;
    NumberDataPoint p;
    p.attributes = {{"model_name", AnyValue("meta/llama-3.1-8b-instruct")}};
    p.start_time_unix_nano = kStart;
    p.time_unix_nano = kTime;
    p.value = int64_t{123456789};
    p.exemplars = {MakeExemplar(true), MakeExemplar(false), Exemplar{}};
    s.data_points = {p};
    sum.data = std::move(s);
  }

  Metric hist{.name = "time_to_first_token_seconds", .description = "TTFT", .unit = "s"};
  {
    Histogram h;
    h.aggregation_temporality = AggregationTemporality::kDelta;
    HistogramDataPoint p;
    p.attributes = {{"model_name", AnyValue("m")}};
    p.start_time_unix_nano = kStart;
    p.time_unix_nano = kTime;
    p.count = 10;
    p.sum = 3.5;
    p.bucket_counts = {1, 2, 3, 4, 0};
    p.explicit_bounds = {0.01, 0.1, 1, 10};
    p.exemplars = {MakeExemplar(false)};
    p.flags = 0;
    p.min = 0.0;  // optional: written even though 0
    p.max = 9.5;
    HistogramDataPoint empty;  // no sum, no buckets
    empty.count = 0;
    h.data_points = {p, empty};
    hist.data = std::move(h);
  }

  Metric exp{.name = "request_latency", .description = "exp", .unit = "ms"};
  {
    ExponentialHistogram eh;
    eh.aggregation_temporality = AggregationTemporality::kCumulative;
    ExponentialHistogramDataPoint p;
    p.attributes = {{"a", AnyValue("b")}};
    p.start_time_unix_nano = kStart;
    p.time_unix_nano = kTime;
    p.count = 17;
    p.sum = -2.25;
    p.scale = -3;
    p.zero_count = 2;
    p.positive = {.offset = -2, .bucket_counts = {1, 0, 300, 1ULL << 40}};
    p.negative = {.offset = 5, .bucket_counts = {4}};
    p.flags = 1;
    p.exemplars = {MakeExemplar(true)};
    p.min = -10;
    p.max = 1000;
    p.zero_threshold = 1e-9;
    ExponentialHistogramDataPoint q;
    q.scale = 20;
    q.positive = {.offset = 7, .bucket_counts = {}};  // offset only
    eh.data_points = {p, q};
    exp.data = std::move(eh);
  }

  Metric summary{.name = "rpc_duration", .description = "summary", .unit = "s"};
  {
    Summary s;
    SummaryDataPoint p;
    p.attributes = {{"method", AnyValue("GET")}};
    p.start_time_unix_nano = kStart;
    p.time_unix_nano = kTime;
    p.count = 4;
    p.sum = 12.5;
    p.quantile_values = {{0, 0.5}, {0.5, 2}, {0.99, 7.25}, {1, 0}};
    p.flags = 0;
    s.data_points = {p, SummaryDataPoint{}};
    summary.data = std::move(s);
  }

  Metric empty_gauge{.name = "no_points"};
  empty_gauge.data = Gauge{};
  Metric no_data{.name = "no_data", .description = "data oneof unset"};
  Metric updown{.name = "num_requests_running"};
  updown.data = Sum{.data_points = {NumberDataPoint{.time_unix_nano = kTime, .value = 3.0}},
                    .aggregation_temporality = AggregationTemporality::kDelta,
                    .is_monotonic = false};

  ScopeMetrics sm1{
      .scope = MakeScope(), .metrics = {}, .schema_url = "https://opentelemetry.io/schemas/1.26.0"};
  sm1.metrics.push_back(std::move(gauge));
  sm1.metrics.push_back(std::move(sum));
  sm1.metrics.push_back(std::move(hist));
  sm1.metrics.push_back(std::move(exp));
  sm1.metrics.push_back(std::move(summary));
  ScopeMetrics sm2;  // empty scope
  sm2.metrics.push_back(std::move(empty_gauge));
  sm2.metrics.push_back(std::move(no_data));
  sm2.metrics.push_back(std::move(updown));

  ResourceMetrics rm1{.resource = MakeResource("nim"), .scope_metrics = {}, .schema_url = "s1"};
  rm1.scope_metrics.push_back(std::move(sm1));
  rm1.scope_metrics.push_back(std::move(sm2));
  ResourceMetrics rm2;  // empty resource, no scopes

  Metrics m;
  m.resource_metrics.push_back(std::move(rm1));
  m.resource_metrics.push_back(std::move(rm2));
  return m;
}

pdata::Traces RichTraces() {
  Span root;
  root.trace_id = MakeTraceId(0x10);
  root.span_id = MakeSpanId(1);
  root.trace_state = "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7";
  root.flags = 0x301;
  root.name = "POST /v1/chat/completions";
  root.kind = SpanKind::kServer;
  root.start_time_unix_nano = 1700000000000000000ULL;
  root.end_time_unix_nano = 1700000001500000000ULL;
  root.attributes = RichAttributes();
  root.dropped_attributes_count = 2;
  root.events = {SpanEvent{.time_unix_nano = 1700000000100000000ULL,
                           .name = "gen_ai.content.prompt",
                           .attributes = {{"gen_ai.prompt", AnyValue("hello")}},
                           .dropped_attributes_count = 1},
                 SpanEvent{}};
  root.dropped_events_count = 4;
  root.links = {SpanLink{.trace_id = MakeTraceId(0x20),
                         .span_id = MakeSpanId(2),
                         .trace_state = "k=v",
                         .attributes = {{"link.kind", AnyValue("follows")}},
                         .dropped_attributes_count = 5,
                         .flags = 0x101},
                SpanLink{}};
  root.dropped_links_count = 6;
  root.status = SpanStatus{.message = "upstream timeout", .code = SpanStatus::Code::kError};

  Span child;
  child.trace_id = root.trace_id;
  child.span_id = MakeSpanId(3);
  child.parent_span_id = root.span_id;
  child.name = "chat llama";
  child.kind = SpanKind::kClient;
  child.start_time_unix_nano = 1700000000200000000ULL;
  child.end_time_unix_nano = 1700000001400000000ULL;
  child.attributes = {{"gen_ai.system", AnyValue("openai")},
                      {"gen_ai.usage.input_tokens", AnyValue(int64_t{12})}};
  child.status.code = SpanStatus::Code::kOk;

  std::vector<Span> spans = {root, child};
  for (int k = 0; k <= 5; ++k) {
    Span s;
    s.trace_id = MakeTraceId(static_cast<uint8_t>(0x30 + k));
    s.span_id = MakeSpanId(static_cast<uint8_t>(10 + k));
    s.kind = static_cast<SpanKind>(k);
    s.name = "kind";
    spans.push_back(s);
  }
  Span odd;  // out-of-range enums survive
  odd.kind = static_cast<SpanKind>(42);
  odd.status.code = static_cast<SpanStatus::Code>(-1);
  spans.push_back(odd);

  ScopeSpans ss{.scope = MakeScope(), .spans = std::move(spans), .schema_url = "scope-schema"};
  ResourceSpans rs{.resource = MakeResource("gateway"), .scope_spans = {}, .schema_url = "res"};
  rs.scope_spans.push_back(std::move(ss));
  rs.scope_spans.push_back(ScopeSpans{});
  Traces t;
  t.resource_spans.push_back(std::move(rs));
  t.resource_spans.push_back(ResourceSpans{});
  return t;
}

pdata::Logs RichLogs() {
  LogRecord full;
  full.time_unix_nano = 1700000000000000001ULL;
  full.observed_time_unix_nano = 1700000000000000002ULL;
  full.severity_number = SeverityNumber::kWarn3;
  full.severity_text = "WARN";
  full.body =
      AnyValue(KeyValueList{{"msg", AnyValue("disk almost full")}, {"pct", AnyValue(97.5)}});
  full.attributes = RichAttributes();
  full.dropped_attributes_count = 8;
  full.flags = 1;
  full.trace_id = MakeTraceId(0x40);
  full.span_id = MakeSpanId(0x41);
  full.event_name = "device.disk.full";

  LogRecord text;
  text.severity_number = SeverityNumber::kInfo;
  text.body = AnyValue("plain line");
  LogRecord bytes_body;
  bytes_body.body = AnyValue(Bytes{std::string("\x80\x81", 2)});
  LogRecord odd;
  odd.severity_number = static_cast<SeverityNumber>(99);
  LogRecord empty;

  ScopeLogs sl{.scope = MakeScope(),
               .log_records = {full, text, bytes_body, odd, empty},
               .schema_url = "logs-schema"};
  ResourceLogs rl{.resource = MakeResource("logger"), .scope_logs = {}, .schema_url = "rs"};
  rl.scope_logs.push_back(std::move(sl));
  Logs l;
  l.resource_logs.push_back(std::move(rl));
  l.resource_logs.push_back(ResourceLogs{});
  return l;
}

pdata::Metrics NimMetrics(size_t points) {
  constexpr uint64_t kStart = 1700000000000000000ULL;
  constexpr uint64_t kTime = 1700000010000000000ULL;
  static const std::vector<double> kLatencyBounds = {
      0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0};
  static const std::vector<double> kTokenBounds = {1,   2,   5,    10,   20,   50,   100,
                                                   200, 500, 1000, 2000, 5000, 10000};

  ResourceMetrics rm;
  rm.resource.attributes = {{"service.name", AnyValue("nim")},
                            {"service.instance.id", AnyValue("10.0.3.17:8000")},
                            {"server.address", AnyValue("10.0.3.17")},
                            {"server.port", AnyValue("8000")},
                            {"url.scheme", AnyValue("http")}};
  ScopeMetrics sm;
  sm.scope.name =
      "github.com/open-telemetry/opentelemetry-collector-contrib/receiver/prometheusreceiver";
  sm.scope.version = "0.142.0";

  // The helpers below return references into sm.metrics: reserve so that they stay valid.
  sm.metrics.reserve(16);
  auto gauge = [&](const char* name, const char* desc, const char* unit) -> Gauge& {
    Metric m{.name = name, .description = desc, .unit = unit};
    m.data = Gauge{};
    sm.metrics.push_back(std::move(m));
    return std::get<Gauge>(sm.metrics.back().data);
  };
  auto counter = [&](const char* name, const char* desc) -> Sum& {
    Metric m{.name = name, .description = desc, .unit = ""};
    m.data = Sum{.data_points = {},
                 .aggregation_temporality = AggregationTemporality::kDelta,
                 .is_monotonic = true};
    sm.metrics.push_back(std::move(m));
    return std::get<Sum>(sm.metrics.back().data);
  };
  auto histogram = [&](const char* name, const char* desc, const char* unit) -> Histogram& {
    Metric m{.name = name, .description = desc, .unit = unit};
    m.data =
        Histogram{.data_points = {}, .aggregation_temporality = AggregationTemporality::kDelta};
    sm.metrics.push_back(std::move(m));
    return std::get<Histogram>(sm.metrics.back().data);
  };

  Gauge& running =
      gauge("num_requests_running", "Number of requests currently running on GPU.", "");
  Gauge& waiting = gauge("num_requests_waiting", "Number of requests waiting to be processed.", "");
  Gauge& cache =
      gauge("gpu_cache_usage_perc", "GPU KV-cache usage. 1 means 100 percent usage.", "");
  Sum& prompt = counter("prompt_tokens_total", "Number of prefill tokens processed.");
  Sum& gen = counter("generation_tokens_total", "Number of generation tokens processed.");
  Sum& success = counter("request_success_total", "Count of successfully processed requests.");
  Histogram& ttft =
      histogram("time_to_first_token_seconds", "Histogram of time to first token in seconds.", "s");
  Histogram& tpot = histogram("time_per_output_token_seconds",
                              "Histogram of time per output token in seconds.", "s");
  Histogram& e2e = histogram("e2e_request_latency_seconds",
                             "Histogram of end to end request latency in seconds.", "s");
  Histogram& ptok = histogram("request_prompt_tokens", "Number of prefill tokens processed.", "");
  Histogram& gtok =
      histogram("request_generation_tokens", "Number of generation tokens processed.", "");

  size_t n = 0;
  for (uint64_t model = 0; n < points; ++model) {
    Attributes attrs = {
        {"model_name", AnyValue("meta/llama-3.1-8b-instruct-" + std::to_string(model))},
        {"engine", AnyValue("vllm")}};
    auto number = [&](double v) {
      return NumberDataPoint{
          .attributes = attrs, .start_time_unix_nano = kStart, .time_unix_nano = kTime, .value = v};
    };
    running.data_points.push_back(number(static_cast<double>(model % 7)));
    waiting.data_points.push_back(number(static_cast<double>(model % 3)));
    cache.data_points.push_back(number(0.01 * static_cast<double>(model % 100)));
    prompt.data_points.push_back(number(1000.0 + static_cast<double>(model)));
    gen.data_points.push_back(number(5000.0 + static_cast<double>(model)));
    for (const char* reason : {"stop", "length", "abort"}) {
      NumberDataPoint p = number(static_cast<double>(model + 1));
      p.attributes.push_back({"finished_reason", AnyValue(reason)});
      success.data_points.push_back(std::move(p));
    }
    n += 8;
    auto hist_point = [&](const std::vector<double>& bounds, uint64_t scale) {
      HistogramDataPoint p{
          .attributes = attrs, .start_time_unix_nano = kStart, .time_unix_nano = kTime};
      p.explicit_bounds = bounds;
      p.bucket_counts.resize(bounds.size() + 1);
      for (size_t i = 0; i < p.bucket_counts.size(); ++i) {
        p.bucket_counts[i] = (model + i) % 5 * scale;
        p.count += p.bucket_counts[i];
      }
      p.sum = static_cast<double>(p.count) * 0.37;
      return p;
    };
    ttft.data_points.push_back(hist_point(kLatencyBounds, 1));
    tpot.data_points.push_back(hist_point(kLatencyBounds, 3));
    e2e.data_points.push_back(hist_point(kLatencyBounds, 1));
    ptok.data_points.push_back(hist_point(kTokenBounds, 2));
    gtok.data_points.push_back(hist_point(kTokenBounds, 2));
    n += 5;
  }
  rm.scope_metrics.push_back(std::move(sm));
  Metrics out;
  out.resource_metrics.push_back(std::move(rm));
  return out;
}

}  // namespace astrolabe::wire::testdata
