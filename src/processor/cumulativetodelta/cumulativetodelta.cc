#include "processor/cumulativetodelta/cumulativetodelta.h"

#include <cctype>
#include <climits>
#include <cmath>
#include <cstdint>
#include <utility>

#include "common/strings.h"

namespace astrolabe::processor::cumulativetodelta {

namespace {

using pdata::AggregationTemporality;
using pdata::MetricType;

// a + b, clamped to int64's range (a huge max_staleness must not overflow).
int64_t SaturatingAdd(int64_t a, int64_t b) {
  int64_t out;
  if (__builtin_add_overflow(a, b, &out)) return b > 0 ? INT64_MAX : INT64_MIN;
  return out;
}

}  // namespace

MetricFilter::MetricFilter(const MatchMetrics& m) {
  if (m.match_type == "regexp") {
    for (const std::string& pattern : m.metrics) {
      // Validate() compiled every pattern already, so this does not throw.
      regexps_.emplace_back(pattern, std::regex::ECMAScript | std::regex::optimize);
    }
  } else {
    strict_ = m.metrics;
  }
  for (const std::string& t : m.metric_types) {
    std::string lower = AsciiLower(t);
    if (lower == "sum") types_.push_back(MetricType::kSum);
    if (lower == "histogram") types_.push_back(MetricType::kHistogram);
    if (lower == "exponentialhistogram") types_.push_back(MetricType::kExponentialHistogram);
  }
}

bool MetricFilter::MatchesName(const std::string& name) const {
  for (const std::string& s : strict_) {
    if (s == name) return true;
  }
  if (name.size() > kMaxRegexpInput) return false;
  for (const std::regex& re : regexps_) {
    // std::regex reports runaway backtracking as an exception; a name the engine cannot
    // decide does not match (and is therefore converted or not as if unlisted).
    try {
      if (std::regex_search(name, re)) return true;
    } catch (const std::regex_error&) {
    }
  }
  return false;
}

bool MetricFilter::MatchesType(pdata::MetricType type) const {
  for (MetricType t : types_) {
    if (t == type) return true;
  }
  return false;
}

CumulativeToDeltaProcessor::CumulativeToDeltaProcessor(const Config& config, const Clock& clock,
                                                       component::Consumer& next)
    : max_staleness_(config.max_staleness),
      include_(config.include),
      exclude_(config.exclude),
      clock_(clock),
      next_(next),
      tracker_(TrackerOptions{
          .initial_value = config.initial_value,
          .created_unix_nano = static_cast<uint64_t>(std::max<int64_t>(clock.NowUnixNanos(), 0)),
      }),
      next_sweep_ns_(SaturatingAdd(clock.NowUnixNanos(), config.max_staleness.count())) {}

size_t CumulativeToDeltaProcessor::TrackedStreams() const {
  std::lock_guard<std::mutex> lock(mu_);
  return tracker_.StreamCount();
}

bool CumulativeToDeltaProcessor::ShouldConvert(const pdata::Metric& metric) {
  if (!include_.HasNames() && !include_.HasTypes() && !exclude_.HasNames() &&
      !exclude_.HasTypes()) {
    return true;
  }
  std::string key = metric.name;
  key.push_back('\0');
  key.push_back(static_cast<char>('0' + static_cast<int>(metric.type())));
  if (auto it = decisions_.find(key); it != decisions_.end()) return it->second;
  const bool convert = (!include_.HasNames() || include_.MatchesName(metric.name)) &&
                       (!include_.HasTypes() || include_.MatchesType(metric.type())) &&
                       (!exclude_.HasNames() || !exclude_.MatchesName(metric.name)) &&
                       (!exclude_.HasTypes() || !exclude_.MatchesType(metric.type()));
  if (decisions_.size() >= kMaxCachedDecisions) decisions_.clear();
  decisions_.emplace(std::move(key), convert);
  return convert;
}

void CumulativeToDeltaProcessor::SweepIfDue() {
  if (max_staleness_ <= Duration::zero()) return;
  const int64_t now = clock_.NowUnixNanos();
  if (now < next_sweep_ns_) return;
  const int64_t period = max_staleness_.count();
  // The last tick at or before now; sweeping once for it removes everything the
  // intermediate ticks would have, since no points arrived in between.
  const int64_t tick = next_sweep_ns_ + (now - next_sweep_ns_) / period * period;
  const int64_t stale_before = tick - period;
  tracker_.Sweep(stale_before > 0 ? static_cast<uint64_t>(stale_before) : 0);
  next_sweep_ns_ = SaturatingAdd(tick, period);
}

namespace {

// The Convert* functions below take the metric's key and set its per-point fields
// (attributes, start time, int-ness) point by point, so the metric's strings are not
// copied per point; the tracker copies the key only when it creates a stream.

StreamKey BaseKey(const pdata::InstrumentationScope& scope, uint64_t resource_hash,
                  const pdata::Metric& metric) {
  StreamKey key;
  key.type = metric.type();
  key.resource_hash = resource_hash;
  key.scope_name = scope.name;
  key.scope_version = scope.version;
  key.name = metric.name;
  key.unit = metric.unit;
  return key;
}

// Converts the points of a cumulative monotonic sum; removes those that yield nothing.
void ConvertSum(Tracker& tracker, StreamKey& key, pdata::Sum& sum) {
  const uint64_t metric = tracker.Intern(key);
  std::erase_if(sum.data_points, [&](pdata::NumberDataPoint& dp) {
    if (dp.no_recorded_value()) return true;
    // NaN cannot be subtracted; upstream leaves the point as it came, and so do we.
    if (!dp.is_int() && std::isnan(std::get<double>(dp.value))) return false;
    key.is_int = dp.is_int();
    key.attributes_hash = pdata::HashAttributes(dp.attributes);
    key.start_time_unix_nano = dp.start_time_unix_nano;
    PointValue value = dp.is_int() ? PointValue(std::get<int64_t>(dp.value))
                                   : PointValue(std::get<double>(dp.value));
    std::optional<DeltaPoint> delta = tracker.Convert(metric, key, {dp.time_unix_nano, value});
    if (!delta) return true;
    dp.start_time_unix_nano = delta->start_time_unix_nano;
    if (dp.is_int()) {
      dp.value = std::get<int64_t>(delta->value);
    } else {
      dp.value = std::get<double>(delta->value);
    }
    return false;
  });
}

void ConvertHistogram(Tracker& tracker, StreamKey& key, pdata::Histogram& histogram) {
  const uint64_t metric = tracker.Intern(key);
  std::erase_if(histogram.data_points, [&](pdata::HistogramDataPoint& dp) {
    if (dp.no_recorded_value()) return true;
    key.attributes_hash = pdata::HashAttributes(dp.attributes);
    key.start_time_unix_nano = dp.start_time_unix_nano;
    HistogramValue value{dp.count, dp.sum.value_or(0), dp.bucket_counts, dp.explicit_bounds};
    std::optional<DeltaPoint> delta =
        tracker.Convert(metric, key, {dp.time_unix_nano, std::move(value)});
    if (!delta) return true;
    auto& d = std::get<HistogramValue>(delta->value);
    dp.start_time_unix_nano = delta->start_time_unix_nano;
    dp.count = d.count;
    // An absent sum stays absent and a NaN sum stays NaN.
    if (dp.sum && !std::isnan(*dp.sum)) dp.sum = d.sum;
    dp.bucket_counts = std::move(d.bucket_counts);
    dp.min.reset();
    dp.max.reset();
    return false;
  });
}

void ConvertExponentialHistogram(Tracker& tracker, StreamKey& key,
                                 pdata::ExponentialHistogram& histogram) {
  const uint64_t metric = tracker.Intern(key);
  std::erase_if(histogram.data_points, [&](pdata::ExponentialHistogramDataPoint& dp) {
    if (dp.no_recorded_value()) return true;
    key.attributes_hash = pdata::HashAttributes(dp.attributes);
    key.start_time_unix_nano = dp.start_time_unix_nano;
    ExponentialHistogramValue value{dp.count,      dp.sum.value_or(0), dp.scale,
                                    dp.zero_count, dp.zero_threshold,  dp.positive,
                                    dp.negative};
    std::optional<DeltaPoint> delta =
        tracker.Convert(metric, key, {dp.time_unix_nano, std::move(value)});
    if (!delta) return true;
    auto& d = std::get<ExponentialHistogramValue>(delta->value);
    dp.start_time_unix_nano = delta->start_time_unix_nano;
    dp.count = d.count;
    if (dp.sum && !std::isnan(*dp.sum)) dp.sum = d.sum;
    dp.zero_count = d.zero_count;
    dp.positive = std::move(d.positive);
    dp.negative = std::move(d.negative);
    dp.min.reset();
    dp.max.reset();
    return false;
  });
}

}  // namespace

bool CumulativeToDeltaProcessor::ConvertMetric(const pdata::InstrumentationScope& scope,
                                               uint64_t resource_hash, pdata::Metric& metric) {
  if (!ShouldConvert(metric)) return false;
  StreamKey base = BaseKey(scope, resource_hash, metric);
  if (auto* sum = std::get_if<pdata::Sum>(&metric.data)) {
    if (sum->aggregation_temporality != AggregationTemporality::kCumulative || !sum->is_monotonic) {
      return false;
    }
    base.is_monotonic = true;
    ConvertSum(tracker_, base, *sum);
    sum->aggregation_temporality = AggregationTemporality::kDelta;
    return sum->data_points.empty();
  }
  if (auto* histogram = std::get_if<pdata::Histogram>(&metric.data)) {
    if (histogram->aggregation_temporality != AggregationTemporality::kCumulative) return false;
    ConvertHistogram(tracker_, base, *histogram);
    histogram->aggregation_temporality = AggregationTemporality::kDelta;
    return histogram->data_points.empty();
  }
  if (auto* histogram = std::get_if<pdata::ExponentialHistogram>(&metric.data)) {
    if (histogram->aggregation_temporality != AggregationTemporality::kCumulative) return false;
    ConvertExponentialHistogram(tracker_, base, *histogram);
    histogram->aggregation_temporality = AggregationTemporality::kDelta;
    return histogram->data_points.empty();
  }
  return false;  // gauges, summaries, empty metrics
}

Status CumulativeToDeltaProcessor::ConsumeMetrics(component::MetricsBatch batch) {
  {
    pdata::Metrics& md = batch.Mutable();
    std::lock_guard<std::mutex> lock(mu_);
    SweepIfDue();
    std::erase_if(md.resource_metrics, [&](pdata::ResourceMetrics& rm) {
      const uint64_t resource_hash = pdata::HashAttributes(rm.resource.attributes);
      std::erase_if(rm.scope_metrics, [&](pdata::ScopeMetrics& sm) {
        std::erase_if(sm.metrics, [&](pdata::Metric& metric) {
          return ConvertMetric(sm.scope, resource_hash, metric);
        });
        return sm.metrics.empty();
      });
      return rm.scope_metrics.empty();
    });
  }
  return next_.ConsumeMetrics(std::move(batch));
}

}  // namespace astrolabe::processor::cumulativetodelta
