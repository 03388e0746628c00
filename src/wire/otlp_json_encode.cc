// Encoding of pdata into OTLP/JSON (see otlp_json.h for the contract and docs/design/wire.md
// for the mapping).
//
// One pass, appending to the output string: no DOM, no intermediate buffers. Keys are
// string literals with their quotes and colon; commas are placed by a one-bit "first member"
// state that Open() sets and Key()/Elem() clear, which needs no stack because every nested
// value is preceded by the Key()/Elem() that already cleared it. Fields are written in
// field-number order, the order protojson uses.

#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <string>
#include <variant>

#include "common/base64.h"
#include "pdata/logs.h"
#include "pdata/metrics.h"
#include "pdata/traces.h"
#include "wire/otlp_json.h"

namespace astrolabe::wire {
namespace {

using pdata::AnyValue;
using std::string_view;

// The byte length of the well-formed UTF-8 sequence starting at p (n bytes available), or 0
// when it is not well-formed (RFC 3629: no overlongs, no surrogates, nothing past U+10FFFF).
size_t Utf8SequenceLength(const unsigned char* p, size_t n) {
  unsigned char c = p[0];
  auto cont = [&](size_t i) { return i < n && (p[i] & 0xC0) == 0x80; };
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (n < 3 || !cont(1) || !cont(2)) return 0;
    if (c == 0xE0 && p[1] < 0xA0) return 0;
    if (c == 0xED && p[1] > 0x9F) return 0;
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (n < 4 || !cont(1) || !cont(2) || !cont(3)) return 0;
    if (c == 0xF0 && p[1] < 0x90) return 0;
    if (c == 0xF4 && p[1] > 0x8F) return 0;
    return 4;
  }
  return 0;
}

class Writer {
 public:
  explicit Writer(std::string* out) : out_(out) {}

  // A key of the current object. `quoted_key` is the key with its quotes and colon:
  // "\"name\":".
  void Key(string_view quoted_key) {
    if (!first_) out_->push_back(',');
    first_ = false;
    out_->append(quoted_key);
  }
  // An element of the current array.
  void Elem() {
    if (!first_) out_->push_back(',');
    first_ = false;
  }
  void Open(char c) {
    out_->push_back(c);
    first_ = true;
  }
  void Close(char c) {
    out_->push_back(c);
    first_ = false;
  }

  void String(string_view s) {
    out_->push_back('"');
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    size_t n = s.size();
    size_t start = 0;
    size_t i = 0;
    while (i < n) {
      unsigned char c = p[i];
      if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
        ++i;
        continue;
      }
      out_->append(s.data() + start, i - start);
      if (c < 0x80) {
        Escape(c);
        ++i;
      } else if (size_t len = Utf8SequenceLength(p + i, n - i); len != 0) {
        out_->append(s.data() + i, len);
        i += len;
      } else {
        out_->append("\xEF\xBF\xBD");  // U+FFFD for each byte that is not UTF-8
        ++i;
      }
      start = i;
    }
    out_->append(s.data() + start, n - start);
    out_->push_back('"');
  }

  // 64-bit integers are strings in protojson.
  void QuotedU64(uint64_t v) {
    char buf[24];
    buf[0] = '"';
    char* end = std::to_chars(buf + 1, buf + sizeof(buf) - 1, v).ptr;
    *end++ = '"';
    out_->append(buf, end - buf);
  }
  void QuotedI64(int64_t v) {
    char buf[24];
    buf[0] = '"';
    char* end = std::to_chars(buf + 1, buf + sizeof(buf) - 1, v).ptr;
    *end++ = '"';
    out_->append(buf, end - buf);
  }
  // 32-bit integers are numbers.
  void Int(int64_t v) {
    char buf[24];
    char* end = std::to_chars(buf, buf + sizeof(buf), v).ptr;
    out_->append(buf, end - buf);
  }

  void Double(double v) {
    if (std::isnan(v)) {
      out_->append("\"NaN\"");
      return;
    }
    if (std::isinf(v)) {
      out_->append(v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
      return;
    }
    if (v == 0 && std::signbit(v)) {
      out_->append("-0.0");  // "-0" would read back as the integer 0
      return;
    }
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof(buf), v);
    // Shortest round-trip form. A long run of digits without '.' or 'e' (1e20 prints as
    // 100000000000000000000) would read back as an integer that may not fit 64 bits:
    // write those in scientific form.
    if (r.ptr - buf > 15 && std::memchr(buf, '.', r.ptr - buf) == nullptr &&
        std::memchr(buf, 'e', r.ptr - buf) == nullptr) {
      r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
    }
    out_->append(buf, r.ptr - buf);
  }

  void Bool(bool v) { out_->append(v ? "true" : "false"); }

  template <size_t N>
  void Hex(const std::array<uint8_t, N>& id) {
    static constexpr char kDigits[] = "0123456789abcdef";
    char buf[2 * N + 2];
    buf[0] = '"';
    for (size_t i = 0; i < N; ++i) {
      buf[1 + 2 * i] = kDigits[id[i] >> 4];
      buf[2 + 2 * i] = kDigits[id[i] & 15];
    }
    buf[2 * N + 1] = '"';
    out_->append(buf, sizeof(buf));
  }

  void Base64(string_view data) {
    out_->push_back('"');
    AppendBase64(*out_, data);
    out_->push_back('"');
  }

 private:
  void Escape(unsigned char c) {
    switch (c) {
      case '"':
        out_->append("\\\"");
        return;
      case '\\':
        out_->append("\\\\");
        return;
      case '\n':
        out_->append("\\n");
        return;
      case '\r':
        out_->append("\\r");
        return;
      case '\t':
        out_->append("\\t");
        return;
      case '\b':
        out_->append("\\b");
        return;
      case '\f':
        out_->append("\\f");
        return;
      default: {
        static constexpr char kDigits[] = "0123456789abcdef";
        char buf[6] = {'\\', 'u', '0', '0', kDigits[c >> 4], kDigits[c & 15]};
        out_->append(buf, 6);
      }
    }
  }

  std::string* out_;
  bool first_ = true;
};

// ---- fields with implicit presence: written only when not the default.

#define K(name) "\"" name "\":"

void StringField(Writer& w, string_view key, const std::string& v) {
  if (v.empty()) return;
  w.Key(key);
  w.String(v);
}
void U64Field(Writer& w, string_view key, uint64_t v) {
  if (v == 0) return;
  w.Key(key);
  w.QuotedU64(v);
}
void IntField(Writer& w, string_view key, int64_t v) {
  if (v == 0) return;
  w.Key(key);
  w.Int(v);
}
// protojson omits a double when it is +0.0 (it compares bits, as the proto encoder does).
void DoubleField(Writer& w, string_view key, double v) {
  if (std::bit_cast<uint64_t>(v) == 0) return;
  w.Key(key);
  w.Double(v);
}
void OptionalDouble(Writer& w, string_view key, const std::optional<double>& v) {
  if (!v) return;
  w.Key(key);
  w.Double(*v);
}
template <size_t N>
void IdField(Writer& w, string_view key, const std::array<uint8_t, N>& id) {
  for (uint8_t b : id) {
    if (b != 0) {
      w.Key(key);
      w.Hex(id);
      return;
    }
  }
}

// ---- common/v1, resource/v1

void EncKeyValue(Writer& w, const pdata::KeyValue& kv);

void EncAnyValue(Writer& w, const AnyValue& v) {
  w.Open('{');
  switch (v.type()) {
    case AnyValue::Type::kEmpty:
      break;
    case AnyValue::Type::kString:
      w.Key(K("stringValue"));
      w.String(v.string_value());
      break;
    case AnyValue::Type::kBool:
      w.Key(K("boolValue"));
      w.Bool(v.bool_value());
      break;
    case AnyValue::Type::kInt:
      w.Key(K("intValue"));
      w.QuotedI64(v.int_value());
      break;
    case AnyValue::Type::kDouble:
      w.Key(K("doubleValue"));
      w.Double(v.double_value());
      break;
    case AnyValue::Type::kArray:
      w.Key(K("arrayValue"));
      w.Open('{');
      if (!v.array_value().empty()) {
        w.Key(K("values"));
        w.Open('[');
        for (const AnyValue& e : v.array_value()) {
          w.Elem();
          EncAnyValue(w, e);
        }
        w.Close(']');
      }
      w.Close('}');
      break;
    case AnyValue::Type::kKvList:
      w.Key(K("kvlistValue"));
      w.Open('{');
      if (!v.kvlist_value().empty()) {
        w.Key(K("values"));
        w.Open('[');
        for (const pdata::KeyValue& kv : v.kvlist_value()) {
          w.Elem();
          EncKeyValue(w, kv);
        }
        w.Close(']');
      }
      w.Close('}');
      break;
    case AnyValue::Type::kBytes:
      w.Key(K("bytesValue"));
      w.Base64(v.bytes_value().data);
      break;
  }
  w.Close('}');
}

void EncKeyValue(Writer& w, const pdata::KeyValue& kv) {
  w.Open('{');
  StringField(w, K("key"), kv.key);
  if (!kv.value.empty()) {
    w.Key(K("value"));
    EncAnyValue(w, kv.value);
  }
  w.Close('}');
}

void EncAttributes(Writer& w, string_view key, const pdata::Attributes& attributes) {
  if (attributes.empty()) return;
  w.Key(key);
  w.Open('[');
  for (const pdata::KeyValue& kv : attributes) {
    w.Elem();
    EncKeyValue(w, kv);
  }
  w.Close(']');
}

void EncResource(Writer& w, const pdata::Resource& r) {
  if (r.attributes.empty() && r.dropped_attributes_count == 0) return;
  w.Key(K("resource"));
  w.Open('{');
  EncAttributes(w, K("attributes"), r.attributes);
  IntField(w, K("droppedAttributesCount"), r.dropped_attributes_count);
  w.Close('}');
}

void EncScope(Writer& w, const pdata::InstrumentationScope& sc) {
  if (sc.name.empty() && sc.version.empty() && sc.attributes.empty() &&
      sc.dropped_attributes_count == 0) {
    return;
  }
  w.Key(K("scope"));
  w.Open('{');
  StringField(w, K("name"), sc.name);
  StringField(w, K("version"), sc.version);
  EncAttributes(w, K("attributes"), sc.attributes);
  IntField(w, K("droppedAttributesCount"), sc.dropped_attributes_count);
  w.Close('}');
}

// Writes `key: [ enc(e) for e in v ]` when v is not empty; enc writes one element.
template <typename T, typename F>
void Repeated(Writer& w, string_view key, const std::vector<T>& v, F&& enc) {
  if (v.empty()) return;
  w.Key(key);
  w.Open('[');
  for (const T& e : v) {
    w.Elem();
    enc(e);
  }
  w.Close(']');
}

// ---- metrics/v1

void EncExemplar(Writer& w, const pdata::Exemplar& e) {
  w.Open('{');
  U64Field(w, K("timeUnixNano"), e.time_unix_nano);
  if (const double* d = std::get_if<double>(&e.value)) {
    w.Key(K("asDouble"));
    w.Double(*d);
  }
  IdField(w, K("spanId"), e.span_id.bytes);
  IdField(w, K("traceId"), e.trace_id.bytes);
  if (const int64_t* i = std::get_if<int64_t>(&e.value)) {
    w.Key(K("asInt"));
    w.QuotedI64(*i);
  }
  EncAttributes(w, K("filteredAttributes"), e.filtered_attributes);
  w.Close('}');
}

void EncExemplars(Writer& w, const std::vector<pdata::Exemplar>& exemplars) {
  Repeated(w, K("exemplars"), exemplars, [&](const pdata::Exemplar& e) { EncExemplar(w, e); });
}

void EncNumberPoint(Writer& w, const pdata::NumberDataPoint& p) {
  w.Open('{');
  U64Field(w, K("startTimeUnixNano"), p.start_time_unix_nano);
  U64Field(w, K("timeUnixNano"), p.time_unix_nano);
  if (const double* d = std::get_if<double>(&p.value)) {
    w.Key(K("asDouble"));
    w.Double(*d);
  }
  EncExemplars(w, p.exemplars);
  if (const int64_t* i = std::get_if<int64_t>(&p.value)) {
    w.Key(K("asInt"));
    w.QuotedI64(*i);
  }
  EncAttributes(w, K("attributes"), p.attributes);
  IntField(w, K("flags"), p.flags);
  w.Close('}');
}

void EncHistogramPoint(Writer& w, const pdata::HistogramDataPoint& p) {
  w.Open('{');
  U64Field(w, K("startTimeUnixNano"), p.start_time_unix_nano);
  U64Field(w, K("timeUnixNano"), p.time_unix_nano);
  U64Field(w, K("count"), p.count);
  OptionalDouble(w, K("sum"), p.sum);
  Repeated(w, K("bucketCounts"), p.bucket_counts, [&](uint64_t c) { w.QuotedU64(c); });
  Repeated(w, K("explicitBounds"), p.explicit_bounds, [&](double b) { w.Double(b); });
  EncExemplars(w, p.exemplars);
  EncAttributes(w, K("attributes"), p.attributes);
  IntField(w, K("flags"), p.flags);
  OptionalDouble(w, K("min"), p.min);
  OptionalDouble(w, K("max"), p.max);
  w.Close('}');
}

void EncBuckets(Writer& w, string_view key,
                const pdata::ExponentialHistogramDataPoint::Buckets& b) {
  if (b.offset == 0 && b.bucket_counts.empty()) return;
  w.Key(key);
  w.Open('{');
  IntField(w, K("offset"), b.offset);
  Repeated(w, K("bucketCounts"), b.bucket_counts, [&](uint64_t c) { w.QuotedU64(c); });
  w.Close('}');
}

void EncExpHistogramPoint(Writer& w, const pdata::ExponentialHistogramDataPoint& p) {
  w.Open('{');
  EncAttributes(w, K("attributes"), p.attributes);
  U64Field(w, K("startTimeUnixNano"), p.start_time_unix_nano);
  U64Field(w, K("timeUnixNano"), p.time_unix_nano);
  U64Field(w, K("count"), p.count);
  OptionalDouble(w, K("sum"), p.sum);
  IntField(w, K("scale"), p.scale);
  U64Field(w, K("zeroCount"), p.zero_count);
  EncBuckets(w, K("positive"), p.positive);
  EncBuckets(w, K("negative"), p.negative);
  IntField(w, K("flags"), p.flags);
  EncExemplars(w, p.exemplars);
  OptionalDouble(w, K("min"), p.min);
  OptionalDouble(w, K("max"), p.max);
  DoubleField(w, K("zeroThreshold"), p.zero_threshold);
  w.Close('}');
}

void EncSummaryPoint(Writer& w, const pdata::SummaryDataPoint& p) {
  w.Open('{');
  U64Field(w, K("startTimeUnixNano"), p.start_time_unix_nano);
  U64Field(w, K("timeUnixNano"), p.time_unix_nano);
  U64Field(w, K("count"), p.count);
  DoubleField(w, K("sum"), p.sum);
  Repeated(w, K("quantileValues"), p.quantile_values,
           [&](const pdata::SummaryDataPoint::ValueAtQuantile& q) {
             w.Open('{');
             DoubleField(w, K("quantile"), q.quantile);
             DoubleField(w, K("value"), q.value);
             w.Close('}');
           });
  EncAttributes(w, K("attributes"), p.attributes);
  IntField(w, K("flags"), p.flags);
  w.Close('}');
}

template <typename P, typename F>
void EncPoints(Writer& w, const std::vector<P>& points, F enc_point) {
  Repeated(w, K("dataPoints"), points, [&](const P& p) { enc_point(w, p); });
}

void EncMetric(Writer& w, const pdata::Metric& m) {
  w.Open('{');
  StringField(w, K("name"), m.name);
  StringField(w, K("description"), m.description);
  StringField(w, K("unit"), m.unit);
  switch (m.type()) {
    case pdata::MetricType::kEmpty:
      break;
    case pdata::MetricType::kGauge:
      w.Key(K("gauge"));
      w.Open('{');
      EncPoints(w, std::get<pdata::Gauge>(m.data).data_points, EncNumberPoint);
      w.Close('}');
      break;
    case pdata::MetricType::kSum: {
      const auto& sum = std::get<pdata::Sum>(m.data);
      w.Key(K("sum"));
      w.Open('{');
      EncPoints(w, sum.data_points, EncNumberPoint);
      IntField(w, K("aggregationTemporality"), static_cast<int32_t>(sum.aggregation_temporality));
      if (sum.is_monotonic) {
        w.Key(K("isMonotonic"));
        w.Bool(true);
      }
      w.Close('}');
      break;
    }
    case pdata::MetricType::kHistogram: {
      const auto& h = std::get<pdata::Histogram>(m.data);
      w.Key(K("histogram"));
      w.Open('{');
      EncPoints(w, h.data_points, EncHistogramPoint);
      IntField(w, K("aggregationTemporality"), static_cast<int32_t>(h.aggregation_temporality));
      w.Close('}');
      break;
    }
    case pdata::MetricType::kExponentialHistogram: {
      const auto& h = std::get<pdata::ExponentialHistogram>(m.data);
      w.Key(K("exponentialHistogram"));
      w.Open('{');
      EncPoints(w, h.data_points, EncExpHistogramPoint);
      IntField(w, K("aggregationTemporality"), static_cast<int32_t>(h.aggregation_temporality));
      w.Close('}');
      break;
    }
    case pdata::MetricType::kSummary:
      w.Key(K("summary"));
      w.Open('{');
      EncPoints(w, std::get<pdata::Summary>(m.data).data_points, EncSummaryPoint);
      w.Close('}');
      break;
  }
  EncAttributes(w, K("metadata"), m.metadata);
  w.Close('}');
}

// The three requests share their envelope: resource → scopes → items.
template <typename R, typename S, typename I, typename EncItem>
void EncEnvelope(Writer& w, string_view resources_key, const std::vector<R>& resources,
                 string_view scopes_key, std::vector<S> R::*scopes, string_view items_key,
                 std::vector<I> S::*items, EncItem&& enc_item) {
  w.Open('{');
  Repeated(w, resources_key, resources, [&](const R& r) {
    w.Open('{');
    EncResource(w, r.resource);
    Repeated(w, scopes_key, r.*scopes, [&](const S& s) {
      w.Open('{');
      EncScope(w, s.scope);
      Repeated(w, items_key, s.*items, [&](const I& item) { enc_item(item); });
      StringField(w, K("schemaUrl"), s.schema_url);
      w.Close('}');
    });
    StringField(w, K("schemaUrl"), r.schema_url);
    w.Close('}');
  });
  w.Close('}');
}

// ---- trace/v1

void EncSpan(Writer& w, const pdata::Span& span) {
  w.Open('{');
  IdField(w, K("traceId"), span.trace_id.bytes);
  IdField(w, K("spanId"), span.span_id.bytes);
  StringField(w, K("traceState"), span.trace_state);
  IdField(w, K("parentSpanId"), span.parent_span_id.bytes);
  StringField(w, K("name"), span.name);
  IntField(w, K("kind"), static_cast<int32_t>(span.kind));
  U64Field(w, K("startTimeUnixNano"), span.start_time_unix_nano);
  U64Field(w, K("endTimeUnixNano"), span.end_time_unix_nano);
  EncAttributes(w, K("attributes"), span.attributes);
  IntField(w, K("droppedAttributesCount"), span.dropped_attributes_count);
  Repeated(w, K("events"), span.events, [&](const pdata::SpanEvent& e) {
    w.Open('{');
    U64Field(w, K("timeUnixNano"), e.time_unix_nano);
    StringField(w, K("name"), e.name);
    EncAttributes(w, K("attributes"), e.attributes);
    IntField(w, K("droppedAttributesCount"), e.dropped_attributes_count);
    w.Close('}');
  });
  IntField(w, K("droppedEventsCount"), span.dropped_events_count);
  Repeated(w, K("links"), span.links, [&](const pdata::SpanLink& l) {
    w.Open('{');
    IdField(w, K("traceId"), l.trace_id.bytes);
    IdField(w, K("spanId"), l.span_id.bytes);
    StringField(w, K("traceState"), l.trace_state);
    EncAttributes(w, K("attributes"), l.attributes);
    IntField(w, K("droppedAttributesCount"), l.dropped_attributes_count);
    IntField(w, K("flags"), l.flags);
    w.Close('}');
  });
  IntField(w, K("droppedLinksCount"), span.dropped_links_count);
  if (span.status.code != pdata::SpanStatus::Code::kUnset || !span.status.message.empty()) {
    w.Key(K("status"));
    w.Open('{');
    StringField(w, K("message"), span.status.message);
    IntField(w, K("code"), static_cast<int32_t>(span.status.code));
    w.Close('}');
  }
  IntField(w, K("flags"), span.flags);
  w.Close('}');
}

// ---- logs/v1

void EncLogRecord(Writer& w, const pdata::LogRecord& r) {
  w.Open('{');
  U64Field(w, K("timeUnixNano"), r.time_unix_nano);
  IntField(w, K("severityNumber"), static_cast<int32_t>(r.severity_number));
  StringField(w, K("severityText"), r.severity_text);
  if (!r.body.empty()) {
    w.Key(K("body"));
    EncAnyValue(w, r.body);
  }
  EncAttributes(w, K("attributes"), r.attributes);
  IntField(w, K("droppedAttributesCount"), r.dropped_attributes_count);
  IntField(w, K("flags"), r.flags);
  IdField(w, K("traceId"), r.trace_id.bytes);
  IdField(w, K("spanId"), r.span_id.bytes);
  U64Field(w, K("observedTimeUnixNano"), r.observed_time_unix_nano);
  StringField(w, K("eventName"), r.event_name);
  w.Close('}');
}

}  // namespace

void AppendMetricsJson(const pdata::Metrics& metrics, std::string* out) {
  Writer w(out);
  EncEnvelope(w, K("resourceMetrics"), metrics.resource_metrics, K("scopeMetrics"),
              &pdata::ResourceMetrics::scope_metrics, K("metrics"), &pdata::ScopeMetrics::metrics,
              [&](const pdata::Metric& m) { EncMetric(w, m); });
}

void AppendTracesJson(const pdata::Traces& traces, std::string* out) {
  Writer w(out);
  EncEnvelope(w, K("resourceSpans"), traces.resource_spans, K("scopeSpans"),
              &pdata::ResourceSpans::scope_spans, K("spans"), &pdata::ScopeSpans::spans,
              [&](const pdata::Span& s) { EncSpan(w, s); });
}

void AppendLogsJson(const pdata::Logs& logs, std::string* out) {
  Writer w(out);
  EncEnvelope(w, K("resourceLogs"), logs.resource_logs, K("scopeLogs"),
              &pdata::ResourceLogs::scope_logs, K("logRecords"), &pdata::ScopeLogs::log_records,
              [&](const pdata::LogRecord& r) { EncLogRecord(w, r); });
}

std::string EncodeMetricsJson(const pdata::Metrics& metrics) {
  std::string out;
  AppendMetricsJson(metrics, &out);
  return out;
}
std::string EncodeTracesJson(const pdata::Traces& traces) {
  std::string out;
  AppendTracesJson(traces, &out);
  return out;
}
std::string EncodeLogsJson(const pdata::Logs& logs) {
  std::string out;
  AppendLogsJson(logs, &out);
  return out;
}

std::string EncodeExportResponseJson(const ExportResponse& response, OtlpSignal signal) {
  std::string out;
  Writer w(&out);
  w.Open('{');
  if (response.partial_success) {
    w.Key(K("partialSuccess"));
    w.Open('{');
    if (response.partial_success->rejected != 0) {
      switch (signal) {
        case OtlpSignal::kMetrics:
          w.Key(K("rejectedDataPoints"));
          break;
        case OtlpSignal::kTraces:
          w.Key(K("rejectedSpans"));
          break;
        case OtlpSignal::kLogs:
          w.Key(K("rejectedLogRecords"));
          break;
      }
      w.QuotedI64(response.partial_success->rejected);
    }
    StringField(w, K("errorMessage"), response.partial_success->error_message);
    w.Close('}');
  }
  w.Close('}');
  return out;
}

std::string EncodeRpcStatusJson(const RpcStatus& status) {
  std::string out;
  Writer w(&out);
  w.Open('{');
  IntField(w, K("code"), status.code);
  StringField(w, K("message"), status.message);
  Repeated(w, K("details"), status.details, [&](const RpcAny& d) {
    w.Open('{');
    w.Key(K("@type"));
    w.String(d.type_url);
    w.Close('}');
  });
  w.Close('}');
  return out;
}

}  // namespace astrolabe::wire
