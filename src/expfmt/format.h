#pragma once
// Vocabulary shared by the exposition-format parser and writer: which format a body is in, the
// metric types and sample-name suffixes of Prometheus text 0.0.4 and OpenMetrics 1.0, label
// pairs, and the name rules. Everything here is a plain value type; thread-safe.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/utf8.h"

namespace astrolabe::expfmt {

enum class Format : uint8_t {
  kText,         // Prometheus text exposition 0.0.4 ("text/plain; version=0.0.4").
  kOpenMetrics,  // OpenMetrics 1.0 ("application/openmetrics-text; version=1.0.0").
};

// Picks the format from an HTTP Content-Type header value. The media type is compared
// case-insensitively and parameters are ignored: "application/openmetrics-text" (any version)
// is OpenMetrics; everything else, including an empty or unknown value, is text 0.0.4 -- the
// fallback the Prometheus receiver configures (fallback_scrape_protocol PrometheusText0.0.4).
Format ParseFormat(std::string_view content_type);

// "text" or "openmetrics", for messages.
std::string_view FormatName(Format format);

// The Content-Type a writer of `format` should send.
std::string_view ContentType(Format format);

enum class MetricType : uint8_t {
  kUnknown,  // OpenMetrics "unknown", text "untyped", or no TYPE line at all.
  kCounter,
  kGauge,
  kHistogram,
  kGaugeHistogram,  // OpenMetrics only.
  kSummary,
  kInfo,      // OpenMetrics only.
  kStateSet,  // OpenMetrics only.
};

// The TYPE keyword for `type` in `format`. Text has no info/stateset/gaugehistogram; those are
// written as "untyped" there.
std::string_view MetricTypeName(MetricType type, Format format);

// Parses a TYPE keyword of `format` ("untyped" only in text, "unknown" and the OpenMetrics-only
// types only in OpenMetrics). nullopt when the keyword is not a type of that format.
std::optional<MetricType> ParseMetricType(std::string_view keyword, Format format);

// Which part of a metric family a sample is: the family name plus one of these suffixes.
enum class Suffix : uint8_t {
  kNone,     // the bare family name: gauge, unknown, stateset, summary quantile, text counter
  kTotal,    // counter value
  kCreated,  // counter/histogram/summary creation time, seconds since the epoch
  kBucket,   // (gauge)histogram bucket, with an "le" label
  kCount,    // histogram/summary count
  kSum,      // histogram/summary sum
  kGCount,   // gaugehistogram count
  kGSum,     // gaugehistogram sum
  kInfo,     // info value (always 1)
};

// "_total", "_bucket", ... ; "" for kNone.
std::string_view SuffixString(Suffix suffix);

// One label pair. The views point into the parsed body or a parser's scratch buffer (see
// parser.h for how long they stay valid), or into the caller's strings when writing.
struct Label {
  std::string_view name;
  std::string_view value;
};

// An exemplar attached to a sample (OpenMetrics only).
struct Exemplar {
  std::span<const Label> labels;
  double value = 0;
  std::optional<int64_t> timestamp_ms;  // OpenMetrics seconds, converted to milliseconds.
};

// A metric family's metadata.
struct FamilyInfo {
  std::string_view name;  // family name: "http_requests" for OpenMetrics "http_requests_total"
  MetricType type = MetricType::kUnknown;
  std::string_view help;  // unescaped; empty when absent
  std::string_view unit;  // OpenMetrics UNIT; empty when absent (and always in text)
};

// The legacy character sets. Names outside them must be written quoted:
// {"my.metric", "label.name"="v"} (Prometheus 3 UTF-8 syntax).
//   metric name: [a-zA-Z_:][a-zA-Z0-9_:]*     label name: [a-zA-Z_][a-zA-Z0-9_]*
bool IsLegacyMetricName(std::string_view name);
bool IsLegacyLabelName(std::string_view name);

using ::astrolabe::IsValidUtf8;  // common/utf8.h

}  // namespace astrolabe::expfmt
