#include "pdata/metrics.h"

namespace astrolabe::pdata {

std::string_view AggregationTemporalityName(AggregationTemporality t) {
  switch (t) {
    case AggregationTemporality::kUnspecified:
      return "Unspecified";
    case AggregationTemporality::kDelta:
      return "Delta";
    case AggregationTemporality::kCumulative:
      return "Cumulative";
  }
  return "";
}

std::string_view MetricTypeName(MetricType type) {
  switch (type) {
    case MetricType::kEmpty:
      return "Empty";
    case MetricType::kGauge:
      return "Gauge";
    case MetricType::kSum:
      return "Sum";
    case MetricType::kHistogram:
      return "Histogram";
    case MetricType::kExponentialHistogram:
      return "ExponentialHistogram";
    case MetricType::kSummary:
      return "Summary";
  }
  return "";
}

size_t Metric::DataPointCount() const {
  return std::visit(
      [](const auto& d) -> size_t {
        if constexpr (std::is_same_v<std::decay_t<decltype(d)>, std::monostate>) {
          return 0;
        } else {
          return d.data_points.size();
        }
      },
      data);
}

Metrics Metrics::Clone() const { return Metrics(resource_metrics); }

size_t Metrics::DataPointCount() const {
  size_t n = 0;
  for (const ResourceMetrics& rm : resource_metrics) {
    for (const ScopeMetrics& sm : rm.scope_metrics) {
      for (const Metric& m : sm.metrics) n += m.DataPointCount();
    }
  }
  return n;
}

size_t Metrics::MetricCount() const {
  size_t n = 0;
  for (const ResourceMetrics& rm : resource_metrics) {
    for (const ScopeMetrics& sm : rm.scope_metrics) n += sm.metrics.size();
  }
  return n;
}

}  // namespace astrolabe::pdata
