#pragma once
// Prometheus names for OTLP metrics, as Prometheus 3 names them on OTLP ingest with its
// default translation strategy `UnderscoreEscapingWithSuffixes` (prometheus/otlptranslator
// MetricNamer / LabelNamer / UnitNamer, the library Prometheus 3 uses; restated, not copied).
// docs/design/otlp-to-series.md has the rules with worked examples.
//
// Pure functions; thread-safe.

#include <string>
#include <string_view>

#include "common/status.h"

namespace astrolabe::exporter::store {

// The OTLP metric kinds the namer tells apart.
enum class NameKind {
  kGauge,
  kMonotonicCounter,     // a monotonic Sum: `_total`
  kNonMonotonicCounter,  // a non-monotonic Sum
  kHistogram,
  kExponentialHistogram,
  kSummary,
};

// The metric family name: the name split into tokens at every character outside
// [a-zA-Z0-9:] (so `_` runs collapse), the unit's suffixes appended unless already a token
// ("s" → seconds, "By" → bytes, "{…}" dropped, "a/b" → a_per_b with b as second, minute,
// …), `_total` moved to the end for monotonic counters, `_ratio` for gauges of unit "1",
// "_" prefixed when it starts with a digit. InvalidArgument when nothing is left (or only
// underscores).
Result<std::string> MetricName(std::string_view name, std::string_view unit, NameKind kind);

// A label name from an attribute key: every run of characters outside [a-zA-Z0-9] becomes
// one `_` (a `__x__` key keeps its double underscores around the sanitized middle), and a
// leading digit gets the prefix `key_`. InvalidArgument for an empty key or one that ends
// up as underscores only.
Result<std::string> LabelName(std::string_view key);

// The unit as Prometheus writes it in metadata: "s" → "seconds", "By/s" → "bytes_per_second",
// annotations in braces dropped.
std::string UnitName(std::string_view unit);

// A float as Go's strconv.FormatFloat(v, 'f', -1, 64): the shortest decimal that reads back
// as v, never in exponent form; "+Inf", "-Inf", "NaN". The `le` and `quantile` values.
std::string FormatFloat(double v);

}  // namespace astrolabe::exporter::store
