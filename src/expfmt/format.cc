#include "expfmt/format.h"

#include <cctype>

#include "expfmt/chars.h"

namespace astrolabe::expfmt {

using internal::Is;

namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

Format ParseFormat(std::string_view content_type) {
  size_t semi = content_type.find(';');
  std::string_view media = content_type.substr(0, semi);
  while (!media.empty() && (media.front() == ' ' || media.front() == '\t')) media.remove_prefix(1);
  while (!media.empty() && (media.back() == ' ' || media.back() == '\t')) media.remove_suffix(1);
  if (EqualsIgnoreCase(media, "application/openmetrics-text")) return Format::kOpenMetrics;
  return Format::kText;
}

std::string_view FormatName(Format format) {
  return format == Format::kOpenMetrics ? "openmetrics" : "text";
}

std::string_view ContentType(Format format) {
  return format == Format::kOpenMetrics
             ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
             : "text/plain; version=0.0.4; charset=utf-8";
}

std::string_view MetricTypeName(MetricType type, Format format) {
  bool om = format == Format::kOpenMetrics;
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
    case MetricType::kSummary:
      return "summary";
    case MetricType::kGaugeHistogram:
      return om ? "gaugehistogram" : "untyped";
    case MetricType::kInfo:
      return om ? "info" : "untyped";
    case MetricType::kStateSet:
      return om ? "stateset" : "untyped";
    case MetricType::kUnknown:
      break;
  }
  return om ? "unknown" : "untyped";
}

std::optional<MetricType> ParseMetricType(std::string_view k, Format format) {
  if (k == "counter") return MetricType::kCounter;
  if (k == "gauge") return MetricType::kGauge;
  if (k == "histogram") return MetricType::kHistogram;
  if (k == "summary") return MetricType::kSummary;
  if (format == Format::kText) {
    if (k == "untyped") return MetricType::kUnknown;
    return std::nullopt;
  }
  if (k == "unknown") return MetricType::kUnknown;
  if (k == "gaugehistogram") return MetricType::kGaugeHistogram;
  if (k == "info") return MetricType::kInfo;
  if (k == "stateset") return MetricType::kStateSet;
  return std::nullopt;
}

std::string_view SuffixString(Suffix suffix) {
  switch (suffix) {
    case Suffix::kNone:
      return "";
    case Suffix::kTotal:
      return "_total";
    case Suffix::kCreated:
      return "_created";
    case Suffix::kBucket:
      return "_bucket";
    case Suffix::kCount:
      return "_count";
    case Suffix::kSum:
      return "_sum";
    case Suffix::kGCount:
      return "_gcount";
    case Suffix::kGSum:
      return "_gsum";
    case Suffix::kInfo:
      return "_info";
  }
  return "";
}

bool IsLegacyMetricName(std::string_view name) {
  if (name.empty() || !Is(name[0], internal::kMetricStart)) return false;
  for (size_t i = 1; i < name.size(); ++i) {
    if (!Is(name[i], internal::kMetricRest)) return false;
  }
  return true;
}

bool IsLegacyLabelName(std::string_view name) {
  if (name.empty() || !Is(name[0], internal::kLabelStart)) return false;
  for (size_t i = 1; i < name.size(); ++i) {
    if (!Is(name[i], internal::kLabelRest)) return false;
  }
  return true;
}

}  // namespace astrolabe::expfmt
