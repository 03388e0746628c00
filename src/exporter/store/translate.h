#pragma once
// OTLP metrics → Prometheus series, as Prometheus 3 translates them on OTLP ingest
// (storage/remote/otlptranslator/prometheusremotewrite, default settings), with two
// additions of ours: delta sums and histograms are kept (marked `delta`, to be accumulated
// into cumulative series by the DeltaAccumulator) instead of refused, and exponential
// histograms become classic `_bucket{le}` series instead of native histograms.
// docs/design/otlp-to-series.md has every rule with worked examples.
//
//   Translation t = Translate(metrics, options);
//   for (const SeriesSample& s : t.samples) ...   // labels, t (ms), v, delta, point index
//   for (const storage::FamilyMetadata& m : t.metadata) ...
//
// Pure; thread-safe.

#include <cstdint>
#include <string>
#include <vector>

#include "pdata/metrics.h"
#include "storage/labels.h"
#include "storage/storage.h"

namespace astrolabe::exporter::store {

// Prometheus' stale marker (value.StaleNaN), written for points flagged no-recorded-value.
inline constexpr uint64_t kStaleNaNBits = 0x7ff0000000000002ull;
double StaleNaN();
bool IsStaleNaN(double v);

struct TranslateOptions {
  // Prometheus `otlp.promote_scope_metadata` (default false): otel_scope_name,
  // otel_scope_version, otel_scope_schema_url and otel_scope_<attr> labels.
  bool promote_scope_metadata = false;
  // Prometheus `otlp.promote_resource_attributes`: resource attributes copied onto every
  // series of the resource (point attributes win).
  std::vector<std::string> promote_resource_attributes;
  // Prometheus `otlp.keep_identifying_resource_attributes`: keep service.name,
  // service.namespace and service.instance.id on target_info too.
  bool keep_identifying_resource_attributes = false;
  // No target_info series.
  bool disable_target_info = false;
  // target_info gets a sample every lookback_delta / 2 between the resource's earliest and
  // latest point, and one at the latest (Prometheus' default lookback: 5 minutes).
  int64_t lookback_delta_ms = 5 * 60 * 1000;
};

struct SeriesSample {
  storage::Labels labels;
  int64_t t = 0;  // milliseconds (the point's time_unix_nano / 1e6, truncated)
  double v = 0;   // StaleNaN for a no-recorded-value point
  // v is the increment since the stream's previous point (a delta sum or histogram), to be
  // added to the series' running total; a stale delta marks the series stale.
  bool delta = false;
  uint32_t point = 0;  // index of the data point it came from, in batch order; kNoPoint
                       // for target_info (derived from the resource, not from one point)
};
inline constexpr uint32_t kNoPoint = 0xffffffffu;

struct Translation {
  std::vector<SeriesSample> samples;
  std::vector<storage::FamilyMetadata> metadata;  // one per translated metric
  uint64_t points = 0;                            // data points in the batch
  uint64_t rejected = 0;                          // data points that gave no series (see errors)
  std::string first_error;
};

Translation Translate(const pdata::Metrics& metrics, const TranslateOptions& options = {});

}  // namespace astrolabe::exporter::store
