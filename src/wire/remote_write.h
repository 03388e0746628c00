#pragma once
// Prometheus remote-write codec: the protobuf messages a remote-write sender POSTs (after
// snappy block decompression), decoded with our own wire reader, no generated code.
//
//   1.0  prometheus.WriteRequest          (Prometheus ≤ 2.x, vmagent, Grafana Agent, ...)
//        https://prometheus.io/docs/specs/prw/remote_write_spec/
//   2.0  io.prometheus.write.v2.Request   (symbols table; per-series metadata)
//        https://prometheus.io/docs/specs/prw/remote_write_spec_2_0/
//
// Both decode into one model, WriteRequest: a 2.0 request's label and metadata references
// are resolved against its symbols table, so consumers never see the version. Strings are
// string_views into the decoded buffer: a WriteRequest is valid only while the bytes it
// was decoded from live (and are not modified). Nothing is copied but the vectors.
//
// Decoding rejects, with kInvalidArgument and a message naming the field path and the byte
// offset of the offending field's tag,
//   "timeseries[3].labels[1]: truncated length-delimited field at offset 1234"
// malformed wire data, a known field with the wrong wire type, and (2.0) a reference past
// the end of the symbols table or an odd number of label references. Unknown fields are
// skipped, as protobuf requires. Repeated scalars are accepted packed and unpacked.
// Semantic checks (a __name__ label, sorted or duplicate labels, label counts) are the
// caller's: the receiver applies its own limits. No input causes undefined behaviour.
//
// Encoding is libprotobuf's canonical serialization (fields in number order, packed
// repeated scalars, proto3 defaults omitted). AppendWriteRequestV2 builds the symbols table
// ("" first, then each string in order of first use).
//
// Thread-safe (no shared state).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace astrolabe::wire::prw {

// MetricMetadata.MetricType (1.0) and Metadata.MetricType (2.0) share their numbers.
enum class MetricType : int32_t {
  kUnknown = 0,  // 2.0: METRIC_TYPE_UNSPECIFIED
  kCounter = 1,
  kGauge = 2,
  kHistogram = 3,
  kGaugeHistogram = 4,
  kSummary = 5,
  kInfo = 6,
  kStateSet = 7,
};
// "unknown", "counter", "gauge", "histogram", "gaugehistogram", "summary", "info",
// "stateset"; "unknown" for a number outside the enum.
std::string_view MetricTypeName(MetricType type);

struct Label {
  std::string_view name;
  std::string_view value;
  friend bool operator==(const Label&, const Label&) = default;
};

struct Sample {
  double value = 0;
  int64_t timestamp_ms = 0;
};

struct Exemplar {
  std::vector<Label> labels;
  double value = 0;
  int64_t timestamp_ms = 0;
};

struct BucketSpan {
  int32_t offset = 0;
  uint32_t length = 0;
  friend bool operator==(const BucketSpan&, const BucketSpan&) = default;
};

// A native histogram sample (integer or float counts). Schema -4..8 is exponential
// (base 2^(2^-schema)); -53 means custom bounds in custom_values.
struct Histogram {
  enum class ResetHint : int32_t { kUnknown = 0, kYes = 1, kNo = 2, kGauge = 3 };
  // Which oneof member carried count (and zero_count): false = *_int, true = *_float.
  bool float_counts = false;
  uint64_t count_int = 0;
  double count_float = 0;
  double sum = 0;
  int32_t schema = 0;
  double zero_threshold = 0;
  uint64_t zero_count_int = 0;
  double zero_count_float = 0;
  std::vector<BucketSpan> negative_spans;
  std::vector<int64_t> negative_deltas;  // integer histograms: delta to the previous bucket
  std::vector<double> negative_counts;   // float histograms: absolute counts
  std::vector<BucketSpan> positive_spans;
  std::vector<int64_t> positive_deltas;
  std::vector<double> positive_counts;
  ResetHint reset_hint = ResetHint::kUnknown;
  int64_t timestamp_ms = 0;
  std::vector<double> custom_values;
};

// 2.0's per-series metadata; in 1.0 requests it stays default (see WriteRequest::metadata).
struct SeriesMetadata {
  MetricType type = MetricType::kUnknown;
  std::string_view help;
  std::string_view unit;
};

struct TimeSeries {
  std::vector<Label> labels;  // as sent: order and duplicates are the sender's
  std::vector<Sample> samples;
  std::vector<Exemplar> exemplars;
  std::vector<Histogram> histograms;
  SeriesMetadata metadata;           // 2.0 only
  int64_t created_timestamp_ms = 0;  // 2.0 only; 0 = unset

  // The value of the label `name`, or "" when absent.
  std::string_view LabelValue(std::string_view name) const;
};

// 1.0's metadata, sent per metric family (Prometheus sends it in separate requests).
struct MetricMetadata {
  MetricType type = MetricType::kUnknown;
  std::string_view metric_family_name;
  std::string_view help;
  std::string_view unit;
};

struct WriteRequest {
  std::vector<TimeSeries> timeseries;
  std::vector<MetricMetadata> metadata;  // 1.0 only

  size_t SampleCount() const;
  size_t HistogramCount() const;
  size_t ExemplarCount() const;
};

enum class Version { k1, k2 };

// Decodes a prometheus.WriteRequest (1.0). See the header comment for errors.
Result<WriteRequest> DecodeWriteRequest(std::string_view bytes);
// Decodes an io.prometheus.write.v2.Request (2.0), resolving symbol references.
Result<WriteRequest> DecodeWriteRequestV2(std::string_view bytes);
inline Result<WriteRequest> Decode(Version v, std::string_view bytes) {
  return v == Version::k1 ? DecodeWriteRequest(bytes) : DecodeWriteRequestV2(bytes);
}

// Appends the 1.0 encoding of `request` (per-series metadata and created timestamps are
// not part of 1.0 and are dropped).
void AppendWriteRequest(const WriteRequest& request, std::string* out);
// Appends the 2.0 encoding of `request` (WriteRequest::metadata is not part of 2.0 and is
// dropped; put it in each series' metadata).
void AppendWriteRequestV2(const WriteRequest& request, std::string* out);

// Prometheus' staleness marker: a NaN with this exact bit pattern (value.StaleNaN).
inline constexpr uint64_t kStaleNaNBits = 0x7ff0000000000002ull;
bool IsStaleNaN(double v);

}  // namespace astrolabe::wire::prw
