// Encoding of pdata into OTLP protobuf messages (see otlp_proto.h for the contract and
// docs/design/wire.md for the design).
//
// A length-delimited sub-message needs its length before its bytes, and the canonical form
// writes that length as the shortest varint, so the encoder makes two passes over the same
// templated traversal: SizePass computes every sub-message's length (in pre-order, into a
// vector), then WritePass writes tags, lengths and values into a buffer sized exactly once.
// Both passes visit the same sub-messages in the same order, so the n-th Message() call of
// WritePass uses the n-th length SizePass recorded. Field emission order in every Enc*
// function is field-number order, which is what libprotobuf writes.

#include <bit>
#include <cassert>
#include <cstring>
#include <string>
#include <variant>
#include <vector>

#include "pdata/logs.h"
#include "pdata/metrics.h"
#include "pdata/traces.h"
#include "wire/otlp_proto.h"
#include "wire/proto_wire.h"

namespace astrolabe::wire {
namespace {

using pdata::AnyValue;
using std::string_view;

constexpr size_t TagSize(uint32_t field) { return VarintSize(MakeTag(field, WireType::kVarint)); }

// An attribute whose value is empty or one scalar field (string, bool, int, double): most of
// them. Its lengths are simple arithmetic, so both passes compute them on the spot
// (SizedMessage): the size pass records none and does not walk the attribute, and the write
// pass looks none up.
[[gnu::always_inline]] inline bool IsPlain(const AnyValue& v) {
  switch (v.type()) {
    case AnyValue::Type::kEmpty:
    case AnyValue::Type::kString:
    case AnyValue::Type::kBool:
    case AnyValue::Type::kInt:
    case AnyValue::Type::kDouble:
      return true;
    default:
      return false;
  }
}
// The length of a plain value's AnyValue message (0 for an empty value, which is not written).
[[gnu::always_inline]] inline size_t PlainValueSize(const AnyValue& v) {
  switch (v.type()) {
    case AnyValue::Type::kString:
      return 1 + VarintSize(v.string_value().size()) + v.string_value().size();
    case AnyValue::Type::kBool:
      return 2;
    case AnyValue::Type::kInt:
      return 1 + VarintSize(static_cast<uint64_t>(v.int_value()));
    case AnyValue::Type::kDouble:
      return 9;
    default:
      return 0;
  }
}
// The length of a plain attribute's KeyValue message.
[[gnu::always_inline]] inline size_t PlainKeyValueSize(const pdata::KeyValue& kv) {
  const size_t value_size = PlainValueSize(kv.value);
  size_t n = kv.key.empty() ? 0 : 1 + VarintSize(kv.key.size()) + kv.key.size();
  if (!kv.value.empty()) n += 1 + VarintSize(value_size) + value_size;
  return n;
}

class SizePass {
 public:
  explicit SizePass(std::vector<size_t>* sizes) : sizes_(sizes) {}

  size_t size() const { return n_; }

  void Varint(uint32_t field, uint64_t v) { n_ += TagSize(field) + VarintSize(v); }
  void Fixed64(uint32_t field, uint64_t) { n_ += TagSize(field) + 8; }
  void Fixed32(uint32_t field, uint32_t) { n_ += TagSize(field) + 4; }
  void Double(uint32_t field, double) { n_ += TagSize(field) + 8; }
  void Bytes(uint32_t field, string_view s) {
    n_ += TagSize(field) + VarintSize(s.size()) + s.size();
  }
  template <typename T>  // uint64_t or double
  void PackedFixed64(uint32_t field, const std::vector<T>& v) {
    size_t len = 8 * v.size();
    n_ += TagSize(field) + VarintSize(len) + len;
  }
  void PackedVarint(uint32_t field, const std::vector<uint64_t>& v) {
    size_t len = 0;
    for (uint64_t x : v) len += VarintSize(x);
    sizes_->push_back(len);
    n_ += TagSize(field) + VarintSize(len) + len;
  }
  // A sub-message whose length the caller computed: the body is not run.
  template <typename F>
  void SizedMessage(uint32_t field, size_t len, F&&) {
    n_ += TagSize(field) + VarintSize(len) + len;
  }
  template <typename F>
  void Message(uint32_t field, F&& body) {
    size_t slot = sizes_->size();
    sizes_->push_back(0);
    size_t outer = n_;
    n_ = 0;
    body();
    size_t len = n_;
    (*sizes_)[slot] = len;
    n_ = outer + TagSize(field) + VarintSize(len) + len;
  }

 private:
  std::vector<size_t>* sizes_;
  size_t n_ = 0;
};

class WritePass {
 public:
  WritePass(char* p, const std::vector<size_t>& sizes) : p_(p), sizes_(sizes) {}

  char* end() const { return p_; }

  void Varint(uint32_t field, uint64_t v) {
    Tag(field, WireType::kVarint);
    p_ = WriteVarint(p_, v);
  }
  void Fixed64(uint32_t field, uint64_t v) {
    Tag(field, WireType::kFixed64);
    p_ = WriteFixed64(p_, v);
  }
  void Fixed32(uint32_t field, uint32_t v) {
    Tag(field, WireType::kFixed32);
    p_ = WriteFixed32(p_, v);
  }
  void Double(uint32_t field, double v) { Fixed64(field, std::bit_cast<uint64_t>(v)); }
  void Bytes(uint32_t field, string_view s) {
    Tag(field, WireType::kLengthDelimited);
    p_ = WriteVarint(p_, s.size());
    if (!s.empty()) std::memcpy(p_, s.data(), s.size());
    p_ += s.size();
  }
  template <typename T>
  void PackedFixed64(uint32_t field, const std::vector<T>& v) {
    static_assert(sizeof(T) == 8);
    Tag(field, WireType::kLengthDelimited);
    p_ = WriteVarint(p_, 8 * v.size());
    if constexpr (std::endian::native == std::endian::little) {
      std::memcpy(p_, v.data(), 8 * v.size());
      p_ += 8 * v.size();
    } else {
      for (T x : v) p_ = WriteFixed64(p_, std::bit_cast<uint64_t>(x));
    }
  }
  void PackedVarint(uint32_t field, const std::vector<uint64_t>& v) {
    Tag(field, WireType::kLengthDelimited);
    p_ = WriteVarint(p_, sizes_[next_++]);
    for (uint64_t x : v) p_ = WriteVarint(p_, x);
  }
  template <typename F>
  void SizedMessage(uint32_t field, size_t len, F&& body) {
    Tag(field, WireType::kLengthDelimited);
    p_ = WriteVarint(p_, len);
    body();
  }
  template <typename F>
  void Message(uint32_t field, F&& body) {
    Tag(field, WireType::kLengthDelimited);
    p_ = WriteVarint(p_, sizes_[next_++]);
    body();
  }

 private:
  void Tag(uint32_t field, WireType type) { p_ = WriteVarint(p_, MakeTag(field, type)); }

  char* p_;
  const std::vector<size_t>& sizes_;
  size_t next_ = 0;
};

// ---- proto3 implicit-presence helpers: write only non-default values.

template <typename S>
void StringField(S& s, uint32_t field, const std::string& v) {
  if (!v.empty()) s.Bytes(field, v);
}
template <typename S>
void VarintField(S& s, uint32_t field, uint64_t v) {
  if (v != 0) s.Varint(field, v);
}
// int32 and enums: negative values are sign-extended to 10 bytes, as protobuf does.
template <typename S>
void Int32Field(S& s, uint32_t field, int32_t v) {
  if (v != 0) s.Varint(field, static_cast<uint64_t>(static_cast<int64_t>(v)));
}
template <typename S>
void Fixed64Field(S& s, uint32_t field, uint64_t v) {
  if (v != 0) s.Fixed64(field, v);
}
template <typename S>
void Fixed32Field(S& s, uint32_t field, uint32_t v) {
  if (v != 0) s.Fixed32(field, v);
}
// libprotobuf compares the bits, so -0.0 is written and +0.0 is not.
template <typename S>
void DoubleField(S& s, uint32_t field, double v) {
  if (std::bit_cast<uint64_t>(v) != 0) s.Double(field, v);
}
template <typename S>
void OptionalDouble(S& s, uint32_t field, const std::optional<double>& v) {
  if (v) s.Double(field, *v);
}
template <typename S, size_t N>
void IdField(S& s, uint32_t field, const std::array<uint8_t, N>& id) {
  for (uint8_t b : id) {
    if (b != 0) {
      s.Bytes(field, string_view(reinterpret_cast<const char*>(id.data()), N));
      return;
    }
  }
}

// ---- common/v1, resource/v1

template <typename S>
void EncKeyValue(S& s, const pdata::KeyValue& kv);

template <typename S>
void EncAnyValue(S& s, const AnyValue& v) {
  switch (v.type()) {
    case AnyValue::Type::kEmpty:
      break;
    case AnyValue::Type::kString:
      s.Bytes(1, v.string_value());
      break;
    case AnyValue::Type::kBool:
      s.Varint(2, v.bool_value() ? 1 : 0);
      break;
    case AnyValue::Type::kInt:
      s.Varint(3, static_cast<uint64_t>(v.int_value()));
      break;
    case AnyValue::Type::kDouble:
      s.Double(4, v.double_value());
      break;
    case AnyValue::Type::kArray:
      s.Message(5, [&] {
        for (const AnyValue& e : v.array_value()) s.Message(1, [&] { EncAnyValue(s, e); });
      });
      break;
    case AnyValue::Type::kKvList:
      s.Message(6, [&] {
        for (const pdata::KeyValue& kv : v.kvlist_value()) {
          s.Message(1, [&] { EncKeyValue(s, kv); });
        }
      });
      break;
    case AnyValue::Type::kBytes:
      s.Bytes(7, v.bytes_value().data);
      break;
  }
}

template <typename S>
void EncKeyValue(S& s, const pdata::KeyValue& kv) {
  StringField(s, 1, kv.key);
  if (kv.value.empty()) return;
  if (IsPlain(kv.value)) {
    s.SizedMessage(2, PlainValueSize(kv.value), [&] { EncAnyValue(s, kv.value); });
  } else {
    s.Message(2, [&] { EncAnyValue(s, kv.value); });
  }
}

template <typename S>
void EncAttributes(S& s, uint32_t field, const pdata::Attributes& attributes) {
  for (const pdata::KeyValue& kv : attributes) {
    if (IsPlain(kv.value)) {
      s.SizedMessage(field, PlainKeyValueSize(kv), [&] { EncKeyValue(s, kv); });
    } else {
      s.Message(field, [&] { EncKeyValue(s, kv); });
    }
  }
}

template <typename S>
void EncResource(S& s, uint32_t field, const pdata::Resource& r) {
  if (r.attributes.empty() && r.dropped_attributes_count == 0) return;
  s.Message(field, [&] {
    EncAttributes(s, 1, r.attributes);
    VarintField(s, 2, r.dropped_attributes_count);
  });
}

template <typename S>
void EncScope(S& s, uint32_t field, const pdata::InstrumentationScope& sc) {
  if (sc.name.empty() && sc.version.empty() && sc.attributes.empty() &&
      sc.dropped_attributes_count == 0) {
    return;
  }
  s.Message(field, [&] {
    StringField(s, 1, sc.name);
    StringField(s, 2, sc.version);
    EncAttributes(s, 3, sc.attributes);
    VarintField(s, 4, sc.dropped_attributes_count);
  });
}

// ---- metrics/v1

template <typename S>
void EncExemplar(S& s, const pdata::Exemplar& e) {
  Fixed64Field(s, 2, e.time_unix_nano);
  if (const double* d = std::get_if<double>(&e.value)) s.Double(3, *d);
  IdField(s, 4, e.span_id.bytes);
  IdField(s, 5, e.trace_id.bytes);
  if (const int64_t* i = std::get_if<int64_t>(&e.value)) {
    s.Fixed64(6, static_cast<uint64_t>(*i));
  }
  EncAttributes(s, 7, e.filtered_attributes);
}

template <typename S>
void EncExemplars(S& s, uint32_t field, const std::vector<pdata::Exemplar>& exemplars) {
  for (const pdata::Exemplar& e : exemplars) s.Message(field, [&] { EncExemplar(s, e); });
}

template <typename S>
void EncNumberPoint(S& s, const pdata::NumberDataPoint& p) {
  Fixed64Field(s, 2, p.start_time_unix_nano);
  Fixed64Field(s, 3, p.time_unix_nano);
  if (const double* d = std::get_if<double>(&p.value)) s.Double(4, *d);
  EncExemplars(s, 5, p.exemplars);
  if (const int64_t* i = std::get_if<int64_t>(&p.value)) {
    s.Fixed64(6, static_cast<uint64_t>(*i));
  }
  EncAttributes(s, 7, p.attributes);
  VarintField(s, 8, p.flags);
}

template <typename S>
void EncHistogramPoint(S& s, const pdata::HistogramDataPoint& p) {
  Fixed64Field(s, 2, p.start_time_unix_nano);
  Fixed64Field(s, 3, p.time_unix_nano);
  Fixed64Field(s, 4, p.count);
  OptionalDouble(s, 5, p.sum);
  if (!p.bucket_counts.empty()) s.PackedFixed64(6, p.bucket_counts);
  if (!p.explicit_bounds.empty()) s.PackedFixed64(7, p.explicit_bounds);
  EncExemplars(s, 8, p.exemplars);
  EncAttributes(s, 9, p.attributes);
  VarintField(s, 10, p.flags);
  OptionalDouble(s, 11, p.min);
  OptionalDouble(s, 12, p.max);
}

template <typename S>
void EncBuckets(S& s, uint32_t field, const pdata::ExponentialHistogramDataPoint::Buckets& b) {
  if (b.offset == 0 && b.bucket_counts.empty()) return;
  s.Message(field, [&] {
    VarintField(s, 1, ZigZagEncode32(b.offset));
    if (!b.bucket_counts.empty()) s.PackedVarint(2, b.bucket_counts);
  });
}

template <typename S>
void EncExpHistogramPoint(S& s, const pdata::ExponentialHistogramDataPoint& p) {
  EncAttributes(s, 1, p.attributes);
  Fixed64Field(s, 2, p.start_time_unix_nano);
  Fixed64Field(s, 3, p.time_unix_nano);
  Fixed64Field(s, 4, p.count);
  OptionalDouble(s, 5, p.sum);
  VarintField(s, 6, ZigZagEncode32(p.scale));
  Fixed64Field(s, 7, p.zero_count);
  EncBuckets(s, 8, p.positive);
  EncBuckets(s, 9, p.negative);
  VarintField(s, 10, p.flags);
  EncExemplars(s, 11, p.exemplars);
  OptionalDouble(s, 12, p.min);
  OptionalDouble(s, 13, p.max);
  DoubleField(s, 14, p.zero_threshold);
}

template <typename S>
void EncSummaryPoint(S& s, const pdata::SummaryDataPoint& p) {
  Fixed64Field(s, 2, p.start_time_unix_nano);
  Fixed64Field(s, 3, p.time_unix_nano);
  Fixed64Field(s, 4, p.count);
  DoubleField(s, 5, p.sum);
  for (const auto& q : p.quantile_values) {
    s.Message(6, [&] {
      DoubleField(s, 1, q.quantile);
      DoubleField(s, 2, q.value);
    });
  }
  EncAttributes(s, 7, p.attributes);
  VarintField(s, 8, p.flags);
}

template <typename S, typename P, typename F>
void EncPoints(S& s, const std::vector<P>& points, F enc_point) {
  for (const P& p : points) s.Message(1, [&] { enc_point(s, p); });
}

template <typename S>
void EncMetric(S& s, const pdata::Metric& m) {
  StringField(s, 1, m.name);
  StringField(s, 2, m.description);
  StringField(s, 3, m.unit);
  switch (m.type()) {
    case pdata::MetricType::kEmpty:
      break;
    case pdata::MetricType::kGauge:
      s.Message(
          5, [&] { EncPoints(s, std::get<pdata::Gauge>(m.data).data_points, EncNumberPoint<S>); });
      break;
    case pdata::MetricType::kSum:
      s.Message(7, [&] {
        const auto& sum = std::get<pdata::Sum>(m.data);
        EncPoints(s, sum.data_points, EncNumberPoint<S>);
        Int32Field(s, 2, static_cast<int32_t>(sum.aggregation_temporality));
        VarintField(s, 3, sum.is_monotonic ? 1 : 0);
      });
      break;
    case pdata::MetricType::kHistogram:
      s.Message(9, [&] {
        const auto& h = std::get<pdata::Histogram>(m.data);
        EncPoints(s, h.data_points, EncHistogramPoint<S>);
        Int32Field(s, 2, static_cast<int32_t>(h.aggregation_temporality));
      });
      break;
    case pdata::MetricType::kExponentialHistogram:
      s.Message(10, [&] {
        const auto& h = std::get<pdata::ExponentialHistogram>(m.data);
        EncPoints(s, h.data_points, EncExpHistogramPoint<S>);
        Int32Field(s, 2, static_cast<int32_t>(h.aggregation_temporality));
      });
      break;
    case pdata::MetricType::kSummary:
      s.Message(11, [&] {
        EncPoints(s, std::get<pdata::Summary>(m.data).data_points, EncSummaryPoint<S>);
      });
      break;
  }
  EncAttributes(s, 12, m.metadata);
}

template <typename S>
void EncMetricsRequest(S& s, const pdata::Metrics& metrics) {
  for (const pdata::ResourceMetrics& rm : metrics.resource_metrics) {
    s.Message(1, [&] {
      EncResource(s, 1, rm.resource);
      for (const pdata::ScopeMetrics& sm : rm.scope_metrics) {
        s.Message(2, [&] {
          EncScope(s, 1, sm.scope);
          for (const pdata::Metric& m : sm.metrics) s.Message(2, [&] { EncMetric(s, m); });
          StringField(s, 3, sm.schema_url);
        });
      }
      StringField(s, 3, rm.schema_url);
    });
  }
}

// ---- trace/v1

// keys: whether the fields RecordEncoder::Fields::kWithoutKeys leaves out are written.
template <typename S>
void EncSpan(S& s, const pdata::Span& span, bool keys = true) {
  if (keys) {
    IdField(s, 1, span.trace_id.bytes);
    IdField(s, 2, span.span_id.bytes);
  }
  StringField(s, 3, span.trace_state);
  if (keys) {
    IdField(s, 4, span.parent_span_id.bytes);
    StringField(s, 5, span.name);
  }
  Int32Field(s, 6, static_cast<int32_t>(span.kind));
  if (keys) {
    Fixed64Field(s, 7, span.start_time_unix_nano);
    Fixed64Field(s, 8, span.end_time_unix_nano);
  }
  EncAttributes(s, 9, span.attributes);
  VarintField(s, 10, span.dropped_attributes_count);
  for (const pdata::SpanEvent& e : span.events) {
    s.Message(11, [&] {
      Fixed64Field(s, 1, e.time_unix_nano);
      StringField(s, 2, e.name);
      EncAttributes(s, 3, e.attributes);
      VarintField(s, 4, e.dropped_attributes_count);
    });
  }
  VarintField(s, 12, span.dropped_events_count);
  for (const pdata::SpanLink& l : span.links) {
    s.Message(13, [&] {
      IdField(s, 1, l.trace_id.bytes);
      IdField(s, 2, l.span_id.bytes);
      StringField(s, 3, l.trace_state);
      EncAttributes(s, 4, l.attributes);
      VarintField(s, 5, l.dropped_attributes_count);
      Fixed32Field(s, 6, l.flags);
    });
  }
  VarintField(s, 14, span.dropped_links_count);
  if (span.status.code != pdata::SpanStatus::Code::kUnset || !span.status.message.empty()) {
    s.Message(15, [&] {
      StringField(s, 2, span.status.message);
      Int32Field(s, 3, static_cast<int32_t>(span.status.code));
    });
  }
  Fixed32Field(s, 16, span.flags);
}

template <typename S>
void EncTracesRequest(S& s, const pdata::Traces& traces) {
  for (const pdata::ResourceSpans& rs : traces.resource_spans) {
    s.Message(1, [&] {
      EncResource(s, 1, rs.resource);
      for (const pdata::ScopeSpans& ss : rs.scope_spans) {
        s.Message(2, [&] {
          EncScope(s, 1, ss.scope);
          for (const pdata::Span& span : ss.spans) s.Message(2, [&] { EncSpan(s, span); });
          StringField(s, 3, ss.schema_url);
        });
      }
      StringField(s, 3, rs.schema_url);
    });
  }
}

// ---- logs/v1

template <typename S>
void EncLogRecord(S& s, const pdata::LogRecord& r, bool keys = true) {
  Fixed64Field(s, 1, r.time_unix_nano);
  Int32Field(s, 2, static_cast<int32_t>(r.severity_number));
  StringField(s, 3, r.severity_text);
  if (!r.body.empty()) s.Message(5, [&] { EncAnyValue(s, r.body); });
  EncAttributes(s, 6, r.attributes);
  VarintField(s, 7, r.dropped_attributes_count);
  Fixed32Field(s, 8, r.flags);
  if (keys) {
    IdField(s, 9, r.trace_id.bytes);
    IdField(s, 10, r.span_id.bytes);
  }
  Fixed64Field(s, 11, r.observed_time_unix_nano);
  if (keys) StringField(s, 12, r.event_name);
}

template <typename S>
void EncLogsRequest(S& s, const pdata::Logs& logs) {
  for (const pdata::ResourceLogs& rl : logs.resource_logs) {
    s.Message(1, [&] {
      EncResource(s, 1, rl.resource);
      for (const pdata::ScopeLogs& sl : rl.scope_logs) {
        s.Message(2, [&] {
          EncScope(s, 1, sl.scope);
          for (const pdata::LogRecord& r : sl.log_records) {
            s.Message(2, [&] { EncLogRecord(s, r); });
          }
          StringField(s, 3, sl.schema_url);
        });
      }
      StringField(s, 3, rl.schema_url);
    });
  }
}

// ---- responses, google.rpc

template <typename S>
void EncResponse(S& s, const ExportResponse& r) {
  if (!r.partial_success) return;
  s.Message(1, [&] {
    VarintField(s, 1, static_cast<uint64_t>(r.partial_success->rejected));
    StringField(s, 2, r.partial_success->error_message);
  });
}

template <typename S>
void EncRpcStatus(S& s, const RpcStatus& st) {
  Int32Field(s, 1, st.code);
  StringField(s, 2, st.message);
  for (const RpcAny& d : st.details) {
    s.Message(3, [&] {
      StringField(s, 1, d.type_url);
      StringField(s, 2, d.value);
    });
  }
}

// Runs `encode` (a generic callable taking a pass) twice: to size, then to write.
template <typename Encode>
void TwoPass(std::string* out, const Encode& encode) {
  // Reused per thread so that steady-state encoding allocates only the output.
  thread_local std::vector<size_t> sizes;
  sizes.clear();
  SizePass size_pass(&sizes);
  encode(size_pass);
  size_t old = out->size();
  out->resize(old + size_pass.size());
  WritePass write_pass(out->data() + old, sizes);
  encode(write_pass);
  assert(write_pass.end() == out->data() + out->size());
}

}  // namespace

void AppendMetricsRequest(const pdata::Metrics& metrics, std::string* out) {
  TwoPass(out, [&](auto& s) { EncMetricsRequest(s, metrics); });
}
void AppendTracesRequest(const pdata::Traces& traces, std::string* out) {
  TwoPass(out, [&](auto& s) { EncTracesRequest(s, traces); });
}
void AppendLogsRequest(const pdata::Logs& logs, std::string* out) {
  TwoPass(out, [&](auto& s) { EncLogsRequest(s, logs); });
}

size_t RecordEncoder::Size(const pdata::Span& span) {
  sizes_.clear();
  SizePass s(&sizes_);
  EncSpan(s, span, keys());
  return s.size();
}
size_t RecordEncoder::Size(const pdata::LogRecord& record) {
  sizes_.clear();
  SizePass s(&sizes_);
  EncLogRecord(s, record, keys());
  return s.size();
}
char* RecordEncoder::Write(const pdata::Span& span, char* p) const {
  WritePass w(p, sizes_);
  EncSpan(w, span, keys());
  return w.end();
}
char* RecordEncoder::Write(const pdata::LogRecord& record, char* p) const {
  WritePass w(p, sizes_);
  EncLogRecord(w, record, keys());
  return w.end();
}

std::string EncodeMetricsRequest(const pdata::Metrics& metrics) {
  std::string out;
  AppendMetricsRequest(metrics, &out);
  return out;
}
std::string EncodeTracesRequest(const pdata::Traces& traces) {
  std::string out;
  AppendTracesRequest(traces, &out);
  return out;
}
std::string EncodeLogsRequest(const pdata::Logs& logs) {
  std::string out;
  AppendLogsRequest(logs, &out);
  return out;
}

std::string EncodeExportResponse(const ExportResponse& response) {
  std::string out;
  TwoPass(&out, [&](auto& s) { EncResponse(s, response); });
  return out;
}

std::string EncodeRpcStatus(const RpcStatus& status) {
  std::string out;
  TwoPass(&out, [&](auto& s) { EncRpcStatus(s, status); });
  return out;
}

}  // namespace astrolabe::wire
