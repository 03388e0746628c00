#pragma once
// Translation of a decoded remote-write request into pdata metrics, chosen so that the
// store exporter's OTLP → Prometheus naming (DESIGN.md §4) gives back exactly the series
// the sender had: same name, same labels, same values. docs/design/remote-write.md has the
// table and the reasons.
//
//   request                    → one ResourceMetrics (no resource attributes)
//                                  → one ScopeMetrics (empty scope)
//                                    → one Metric per series name (__name__), in first-seen order
//   labels (all but __name__)  → data-point attributes (strings), job and instance included;
//                                 labels with an empty value are dropped (Prometheus: absent)
//   sample                     → NumberDataPoint (double, time = ms × 10^6)
//   type: counter and the name ends in "_total" → Sum, monotonic, cumulative
//         anything else (gauge, unknown, _bucket/_sum/_count of histograms and summaries,
//         counters without "_total") → Gauge, so the name is never re-suffixed
//   the type comes from 2.0 per-series metadata, else from 1.0 metadata remembered by
//   MetadataCache (Prometheus sends it in separate requests)
//   help → description; the Prometheus type → metric metadata "prometheus.type"; unit is not
//         set (the store would append it to the name)
//   stale marker (value.StaleNaN) → flags = NoRecordedValue
//   exemplars → on the point with the same timestamp, else the series' last point;
//         trace_id / span_id labels become the exemplar's ids
//   2.0 created_timestamp → start time of Sum points
//   native histograms: exponential schemas (-4..8) → ExponentialHistogram (cumulative;
//         bucket index shifted by one: Prometheus' bucket i is (b^(i-1), b^i], OTLP's is
//         (b^i, b^(i+1)]); custom buckets (-53) → Histogram with explicit bounds
//
// Invalid series (no __name__, a duplicate label name, over a limit) are skipped and
// reported in TranslateResult::invalid; the rest is still translated (remote-write 2.0's
// partial-write rule). Thread-safe apart from the MetadataCache, which locks itself.

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/status.h"
#include <map>

#include "pdata/metrics.h"
#include "wire/remote_write.h"

namespace astrolabe::receiver::prometheus_remote_write {

struct TranslateLimits {
  size_t max_labels_per_series = 0;  // 0: unlimited
  size_t max_label_name_length = 0;
  size_t max_label_value_length = 0;
};

// The checks a series passes before either path writes it (translation to pdata here, or
// the direct path into the store, direct_write.h): the label limits, no empty or duplicate
// label name, a non-empty __name__, not both samples and histograms. On success *name is
// the __name__ value; otherwise *why says what is wrong (without the "timeseries[i]: "), and
// when a limit refused it, *limit (if given) names it: "labels_per_series",
// "label_name_length" or "label_value_length" (the counters' reason label).
bool CheckSeries(const wire::prw::TimeSeries& ts, const TranslateLimits& limits,
                 std::string_view* name, std::string* why, const char** limit = nullptr);

// Metric family types learned from 1.0 metadata, keyed by family name. Bounded: once full,
// new families are not remembered (they stay gauges, which keeps their names).
class MetadataCache {
 public:
  explicit MetadataCache(size_t max_entries = 100'000) : max_entries_(max_entries) {}
  void Learn(const wire::prw::WriteRequest& request);
  // The type of the series name `name`: its own entry, or, for names ending in _total,
  // _bucket, _sum, _count or _created, the entry of the family name without the suffix.
  wire::prw::MetricType Lookup(std::string_view name) const;
  size_t size() const;

 private:
  const size_t max_entries_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, wire::prw::MetricType> types_;  // GUARDED_BY(mu_)
};

struct TranslateResult {
  pdata::Metrics metrics;
  size_t samples = 0;       // number points written (stale markers included)
  size_t histograms = 0;    // native histogram points written
  size_t exemplars = 0;     // exemplars attached
  size_t invalid = 0;       // series skipped
  std::string first_error;  // why the first skipped series was skipped
  // Samples and histograms of series skipped for a limit, by limit: "labels_per_series",
  // "label_name_length", "label_value_length".
  std::map<std::string, size_t> limited;
};

// Translates `request` (see the header comment). `cache` may be null.
TranslateResult Translate(const wire::prw::WriteRequest& request, const MetadataCache* cache,
                          const TranslateLimits& limits);

}  // namespace astrolabe::receiver::prometheus_remote_write
