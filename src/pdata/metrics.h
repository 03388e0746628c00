#pragma once
// Metrics in memory, mirroring opentelemetry-proto metrics/v1: Metrics (the content of
// an ExportMetricsServiceRequest) → ResourceMetrics → ScopeMetrics → Metric → points.
// Field names follow the proto's. Timestamps are Unix nanoseconds; 0 means unset.
//
// Metrics is move-only: a pipeline moves it into a MetricsBatch and shares it from
// there; Clone() makes the one deep copy a mutating processor may need.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "pdata/batch.h"
#include "pdata/common.h"

namespace astrolabe::pdata {

enum class AggregationTemporality : int32_t {
  kUnspecified = 0,
  kDelta = 1,
  kCumulative = 2,
};
// "Unspecified", "Delta", "Cumulative" (upstream pmetric names).
std::string_view AggregationTemporalityName(AggregationTemporality t);

// DataPointFlags: bit 0 marks a point with no recorded value (e.g. a Prometheus stale
// marker); its value fields are meaningless.
inline constexpr uint32_t kDataPointFlagNoRecordedValue = 1;

struct Exemplar {
  Attributes filtered_attributes;
  uint64_t time_unix_nano = 0;
  std::variant<double, int64_t> value = 0.0;  // as_double | as_int
  SpanId span_id;
  TraceId trace_id;
  friend bool operator==(const Exemplar&, const Exemplar&) = default;
};

struct NumberDataPoint {
  Attributes attributes;
  uint64_t start_time_unix_nano = 0;
  uint64_t time_unix_nano = 0;
  // as_double | as_int. An unset oneof on the wire decodes as double 0.
  std::variant<double, int64_t> value = 0.0;
  std::vector<Exemplar> exemplars;
  uint32_t flags = 0;

  bool is_int() const { return value.index() == 1; }
  // The value as a double, converting an int.
  double AsDouble() const {
    return is_int() ? static_cast<double>(std::get<int64_t>(value)) : std::get<double>(value);
  }
  bool no_recorded_value() const { return flags & kDataPointFlagNoRecordedValue; }
  friend bool operator==(const NumberDataPoint&, const NumberDataPoint&) = default;
};

struct HistogramDataPoint {
  Attributes attributes;
  uint64_t start_time_unix_nano = 0;
  uint64_t time_unix_nano = 0;
  uint64_t count = 0;
  std::optional<double> sum;
  // bucket_counts has explicit_bounds.size() + 1 entries when both are present; bucket i
  // counts values in (bounds[i-1], bounds[i]].
  std::vector<uint64_t> bucket_counts;
  std::vector<double> explicit_bounds;
  std::vector<Exemplar> exemplars;
  uint32_t flags = 0;
  std::optional<double> min;
  std::optional<double> max;

  bool no_recorded_value() const { return flags & kDataPointFlagNoRecordedValue; }
  friend bool operator==(const HistogramDataPoint&, const HistogramDataPoint&) = default;
};

struct ExponentialHistogramDataPoint {
  // Buckets at index i (from offset) count values in (base^i, base^(i+1)],
  // base = 2^(2^-scale).
  struct Buckets {
    int32_t offset = 0;
    std::vector<uint64_t> bucket_counts;
    friend bool operator==(const Buckets&, const Buckets&) = default;
  };

  Attributes attributes;
  uint64_t start_time_unix_nano = 0;
  uint64_t time_unix_nano = 0;
  uint64_t count = 0;
  std::optional<double> sum;
  int32_t scale = 0;
  uint64_t zero_count = 0;
  Buckets positive;
  Buckets negative;
  uint32_t flags = 0;
  std::vector<Exemplar> exemplars;
  std::optional<double> min;
  std::optional<double> max;
  double zero_threshold = 0;

  bool no_recorded_value() const { return flags & kDataPointFlagNoRecordedValue; }
  friend bool operator==(const ExponentialHistogramDataPoint&,
                         const ExponentialHistogramDataPoint&) = default;
};

struct SummaryDataPoint {
  struct ValueAtQuantile {
    double quantile = 0;
    double value = 0;
    friend bool operator==(const ValueAtQuantile&, const ValueAtQuantile&) = default;
  };

  Attributes attributes;
  uint64_t start_time_unix_nano = 0;
  uint64_t time_unix_nano = 0;
  uint64_t count = 0;
  double sum = 0;
  std::vector<ValueAtQuantile> quantile_values;
  uint32_t flags = 0;

  bool no_recorded_value() const { return flags & kDataPointFlagNoRecordedValue; }
  friend bool operator==(const SummaryDataPoint&, const SummaryDataPoint&) = default;
};

struct Gauge {
  std::vector<NumberDataPoint> data_points;
  friend bool operator==(const Gauge&, const Gauge&) = default;
};

struct Sum {
  std::vector<NumberDataPoint> data_points;
  AggregationTemporality aggregation_temporality = AggregationTemporality::kUnspecified;
  bool is_monotonic = false;
  friend bool operator==(const Sum&, const Sum&) = default;
};

struct Histogram {
  std::vector<HistogramDataPoint> data_points;
  AggregationTemporality aggregation_temporality = AggregationTemporality::kUnspecified;
  friend bool operator==(const Histogram&, const Histogram&) = default;
};

struct ExponentialHistogram {
  std::vector<ExponentialHistogramDataPoint> data_points;
  AggregationTemporality aggregation_temporality = AggregationTemporality::kUnspecified;
  friend bool operator==(const ExponentialHistogram&, const ExponentialHistogram&) = default;
};

struct Summary {
  std::vector<SummaryDataPoint> data_points;
  friend bool operator==(const Summary&, const Summary&) = default;
};

// The variant index order of Metric::data.
enum class MetricType { kEmpty, kGauge, kSum, kHistogram, kExponentialHistogram, kSummary };
// "Empty", "Gauge", "Sum", "Histogram", "ExponentialHistogram", "Summary".
std::string_view MetricTypeName(MetricType type);

struct Metric {
  std::string name;
  std::string description;
  std::string unit;
  // Empty (monostate) when the wire message set no data field.
  std::variant<std::monostate, Gauge, Sum, Histogram, ExponentialHistogram, Summary> data;
  Attributes metadata;

  MetricType type() const { return static_cast<MetricType>(data.index()); }
  // The number of points of whatever kind.
  size_t DataPointCount() const;
  friend bool operator==(const Metric&, const Metric&) = default;
};

struct ScopeMetrics {
  InstrumentationScope scope;
  std::vector<Metric> metrics;
  std::string schema_url;
  friend bool operator==(const ScopeMetrics&, const ScopeMetrics&) = default;
};

struct ResourceMetrics {
  Resource resource;
  std::vector<ScopeMetrics> scope_metrics;
  std::string schema_url;
  friend bool operator==(const ResourceMetrics&, const ResourceMetrics&) = default;
};

// The content of one ExportMetricsServiceRequest.
struct Metrics {
  std::vector<ResourceMetrics> resource_metrics;

  Metrics() = default;
  explicit Metrics(std::vector<ResourceMetrics> rm) : resource_metrics(std::move(rm)) {}
  Metrics(Metrics&&) = default;
  Metrics& operator=(Metrics&&) = default;
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // A deep copy.
  Metrics Clone() const;
  // Points of every metric (as upstream pmetric.Metrics.DataPointCount).
  size_t DataPointCount() const;
  size_t MetricCount() const;
  bool empty() const { return resource_metrics.empty(); }

  friend bool operator==(const Metrics&, const Metrics&) = default;
};

using MetricsBatch = Batch<Metrics>;

}  // namespace astrolabe::pdata
