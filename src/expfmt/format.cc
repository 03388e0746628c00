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

bool IsValidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    size_t n;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (static_cast<size_t>(end - p) <= n) return false;
    for (size_t i = 1; i <= n; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    static constexpr uint32_t kMin[4] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    p += n + 1;
  }
  return true;
}

}  // namespace astrolabe::expfmt
