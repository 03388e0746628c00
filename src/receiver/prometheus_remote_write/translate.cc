#include "receiver/prometheus_remote_write/translate.h"

#include <array>
#include <cmath>

namespace astrolabe::receiver::prometheus_remote_write {

namespace prw = wire::prw;
using prw::MetricType;

namespace {

constexpr std::string_view kFamilySuffixes[] = {"_total", "_bucket", "_sum", "_count", "_created"};

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

uint64_t MsToNs(int64_t ms) {
  // Timestamps before 1970 or past 2262 do not fit OTLP's unsigned nanoseconds: clamp.
  if (ms <= 0) return 0;
  if (ms > static_cast<int64_t>(UINT64_MAX / 1'000'000)) return UINT64_MAX;
  return static_cast<uint64_t>(ms) * 1'000'000;
}

// Parses hex into an id of N bytes; false when it is not exactly 2N hex digits.
template <size_t N>
bool ParseHexId(std::string_view hex, std::array<uint8_t, N>* out) {
  if (hex.size() != 2 * N) return false;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < N; ++i) {
    int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    (*out)[i] = static_cast<uint8_t>(hi * 16 + lo);
  }
  return true;
}

pdata::Exemplar ToExemplar(const prw::Exemplar& e) {
  pdata::Exemplar out;
  out.value = e.value;
  out.time_unix_nano = MsToNs(e.timestamp_ms);
  for (const prw::Label& l : e.labels) {
    if (l.name == "trace_id" && ParseHexId(l.value, &out.trace_id.bytes)) continue;
    if (l.name == "span_id" && ParseHexId(l.value, &out.span_id.bytes)) continue;
    out.filtered_attributes.push_back({std::string(l.name), pdata::AnyValue(l.value)});
  }
  return out;
}

// Dense OTLP buckets from Prometheus spans. Prometheus index i → OTLP index i - 1.
// `deltas` (integer histograms) are running differences; `counts` (float) are absolute.
// Returns false when the spans claim more buckets than there are counts, or when a span
// after the first has a negative offset (Prometheus refuses those too: the indices must
// increase; they went backwards past the dense buckets' ends, a heap overflow the
// remote_write_receiver fuzzer found).
bool ExpandBuckets(const std::vector<prw::BucketSpan>& spans, const std::vector<int64_t>& deltas,
                   const std::vector<double>& counts, bool float_counts,
                   pdata::ExponentialHistogramDataPoint::Buckets* out) {
  size_t total = 0;
  for (size_t i = 0; i < spans.size(); ++i) {
    if (i > 0 && spans[i].offset < 0) return false;
    total += spans[i].length;
  }
  if (total == 0) return true;
  if (total != (float_counts ? counts.size() : deltas.size())) return false;
  if (total > (1u << 20)) return false;  // bound the dense expansion
  // Absolute index of every bucket.
  std::vector<int64_t> index;
  index.reserve(total);
  int64_t at = 0;
  for (size_t i = 0; i < spans.size(); ++i) {
    at += spans[i].offset;
    for (uint32_t j = 0; j < spans[i].length; ++j) index.push_back(at++);
  }
  const int64_t first = index.front();
  const int64_t width = index.back() - first + 1;
  if (width <= 0 || width > (1 << 20)) return false;
  out->offset = static_cast<int32_t>(first - 1);
  out->bucket_counts.assign(static_cast<size_t>(width), 0);
  int64_t running = 0;
  for (size_t k = 0; k < total; ++k) {
    double c;
    if (float_counts) {
      c = counts[k];
    } else {
      running += deltas[k];
      c = static_cast<double>(running);
    }
    out->bucket_counts[static_cast<size_t>(index[k] - first)] =
        c > 0 && std::isfinite(c) ? static_cast<uint64_t>(std::llround(c)) : 0;
  }
  return true;
}

// A native histogram as an OTLP metric point; false (and *why) when it is malformed.
bool AddNativeHistogram(const prw::Histogram& h, const pdata::Attributes& attrs,
                        pdata::Metric* metric, std::string* why) {
  const bool stale = prw::IsStaleNaN(h.sum);
  const double count = h.float_counts ? h.count_float : static_cast<double>(h.count_int);
  const uint64_t count_u =
      count > 0 && std::isfinite(count) ? static_cast<uint64_t>(std::llround(count)) : 0;
  if (h.schema == -53) {
    if (!std::holds_alternative<pdata::Histogram>(metric->data)) {
      if (metric->type() != pdata::MetricType::kEmpty) {
        *why = "native histograms of mixed schemas under one name";
        return false;
      }
      metric->data = pdata::Histogram{{}, pdata::AggregationTemporality::kCumulative};
    }
    pdata::HistogramDataPoint p;
    p.attributes = attrs;
    p.time_unix_nano = MsToNs(h.timestamp_ms);
    p.count = count_u;
    p.sum = h.sum;
    p.explicit_bounds = h.custom_values;
    p.bucket_counts.assign(h.custom_values.size() + 1, 0);
    pdata::ExponentialHistogramDataPoint::Buckets dense;
    if (!ExpandBuckets(h.positive_spans, h.positive_deltas, h.positive_counts, h.float_counts,
                       &dense)) {
      *why = "native histogram spans do not match its bucket counts (or a span after the first has a negative offset)";
      return false;
    }
    for (size_t k = 0; k < dense.bucket_counts.size(); ++k) {
      int64_t idx = int64_t(dense.offset) + 1 + int64_t(k);  // back to the custom_values index
      if (idx < 0 || idx > int64_t(h.custom_values.size())) {
        if (dense.bucket_counts[k] == 0) continue;
        *why = "native histogram bucket index past its custom_values";
        return false;
      }
      p.bucket_counts[size_t(idx)] += dense.bucket_counts[k];
    }
    if (stale) p.flags = pdata::kDataPointFlagNoRecordedValue;
    std::get<pdata::Histogram>(metric->data).data_points.push_back(std::move(p));
    return true;
  }
  if (h.schema < -4 || h.schema > 8) {
    *why = "native histogram schema " + std::to_string(h.schema) + " is not supported";
    return false;
  }
  if (!std::holds_alternative<pdata::ExponentialHistogram>(metric->data)) {
    if (metric->type() != pdata::MetricType::kEmpty) {
      *why = "native histograms of mixed schemas under one name";
      return false;
    }
    metric->data = pdata::ExponentialHistogram{{}, pdata::AggregationTemporality::kCumulative};
  }
  pdata::ExponentialHistogramDataPoint p;
  p.attributes = attrs;
  p.time_unix_nano = MsToNs(h.timestamp_ms);
  p.count = count_u;
  p.sum = h.sum;
  p.scale = h.schema;
  p.zero_threshold = h.zero_threshold;
  double zc = h.float_counts ? h.zero_count_float : static_cast<double>(h.zero_count_int);
  p.zero_count = zc > 0 && std::isfinite(zc) ? static_cast<uint64_t>(std::llround(zc)) : 0;
  if (!ExpandBuckets(h.positive_spans, h.positive_deltas, h.positive_counts, h.float_counts,
                     &p.positive) ||
      !ExpandBuckets(h.negative_spans, h.negative_deltas, h.negative_counts, h.float_counts,
                     &p.negative)) {
    *why = "native histogram spans do not match its bucket counts (or a span after the first has a negative offset)";
    return false;
  }
  if (stale) p.flags = pdata::kDataPointFlagNoRecordedValue;
  std::get<pdata::ExponentialHistogram>(metric->data).data_points.push_back(std::move(p));
  return true;
}

}  // namespace

bool CheckSeries(const prw::TimeSeries& ts, const TranslateLimits& limits,
                 std::string_view* name, std::string* why, const char** limit) {
  *name = {};
  auto over = [&](const char* which, std::string text) {
    if (limit != nullptr) *limit = which;
    *why = std::move(text);
    return false;
  };
  if (limits.max_labels_per_series > 0 && ts.labels.size() > limits.max_labels_per_series) {
    return over("labels_per_series",
                std::to_string(ts.labels.size()) + " labels, more than max_labels_per_series (" +
                    std::to_string(limits.max_labels_per_series) + ")");
  }
  for (size_t j = 0; j < ts.labels.size(); ++j) {
    const prw::Label& l = ts.labels[j];
    if (limits.max_label_name_length > 0 && l.name.size() > limits.max_label_name_length) {
      return over("label_name_length", "label name of " + std::to_string(l.name.size()) +
                                           " bytes, longer than max_label_name_length (" +
                                           std::to_string(limits.max_label_name_length) + ")");
    }
    if (limits.max_label_value_length > 0 && l.value.size() > limits.max_label_value_length) {
      return over("label_value_length",
                  "label \"" + std::string(l.name) + "\" value of " +
                      std::to_string(l.value.size()) + " bytes, longer than max_label_value_length (" +
                      std::to_string(limits.max_label_value_length) + ")");
    }
    if (l.name.empty()) {
      *why = "empty label name";
      return false;
    }
    for (size_t k = 0; k < j; ++k) {
      if (ts.labels[k].name == l.name) {
        *why = "duplicate label \"" + std::string(l.name) + "\"";
        return false;
      }
    }
    if (l.name == "__name__") *name = l.value;
  }
  if (name->empty()) {
    *why = "missing metric name (the __name__ label)";
    return false;
  }
  if (!ts.samples.empty() && !ts.histograms.empty()) {
    *why = "series \"" + std::string(*name) + "\" has both samples and histograms";
    return false;
  }
  return true;
}

void MetadataCache::Learn(const prw::WriteRequest& request) {
  if (request.metadata.empty()) return;
  std::lock_guard lock(mu_);
  for (const prw::MetricMetadata& m : request.metadata) {
    if (m.metric_family_name.empty()) continue;
    auto it = types_.find(std::string(m.metric_family_name));
    if (it != types_.end()) {
      it->second = m.type;
    } else if (types_.size() < max_entries_) {
      types_.emplace(std::string(m.metric_family_name), m.type);
    }
  }
}

MetricType MetadataCache::Lookup(std::string_view name) const {
  std::lock_guard lock(mu_);
  if (types_.empty()) return MetricType::kUnknown;
  std::string key(name);
  auto it = types_.find(key);
  if (it != types_.end()) return it->second;
  for (std::string_view suffix : kFamilySuffixes) {
    if (EndsWith(name, suffix)) {
      key.resize(name.size() - suffix.size());
      it = types_.find(key);
      if (it != types_.end()) return it->second;
    }
  }
  return MetricType::kUnknown;
}

size_t MetadataCache::size() const {
  std::lock_guard lock(mu_);
  return types_.size();
}

TranslateResult Translate(const prw::WriteRequest& request, const MetadataCache* cache,
                          const TranslateLimits& limits) {
  TranslateResult result;
  pdata::ScopeMetrics scope;
  // Metric index by series name; the views point into the request's buffer.
  std::unordered_map<std::string_view, size_t> by_name;

  auto invalid = [&](size_t i, std::string why) {
    if (result.invalid++ == 0) {
      result.first_error = "timeseries[" + std::to_string(i) + "]: " + std::move(why);
    }
  };

  auto limited = [&](size_t i, const char* limit, std::string why) {
    const prw::TimeSeries& ts = request.timeseries[i];
    result.limited[limit] += ts.samples.size() + ts.histograms.size();
    invalid(i, std::move(why));
  };

  pdata::Attributes attrs;
  for (size_t i = 0; i < request.timeseries.size(); ++i) {
    const prw::TimeSeries& ts = request.timeseries[i];
    std::string_view name;
    std::string why;
    const char* limit = nullptr;
    if (!CheckSeries(ts, limits, &name, &why, &limit)) {
      if (limit != nullptr) {
        limited(i, limit, std::move(why));
      } else {
        invalid(i, std::move(why));
      }
      continue;
    }
    if (ts.samples.empty() && ts.histograms.empty()) continue;  // nothing to write
    attrs.clear();
    attrs.reserve(ts.labels.size());
    for (const prw::Label& l : ts.labels) {
      if (l.name != "__name__" && !l.value.empty()) {
        attrs.push_back({std::string(l.name), pdata::AnyValue(l.value)});
      }
    }

    auto [it, inserted] = by_name.try_emplace(name, scope.metrics.size());
    if (inserted) {
      // The kind is decided once per name (the first series of it), so the metadata cache
      // is consulted once per metric, not per series.
      MetricType type = ts.metadata.type;
      if (type == MetricType::kUnknown && cache != nullptr) type = cache->Lookup(name);
      pdata::Metric m;
      m.name = std::string(name);
      m.description = std::string(ts.metadata.help);
      if (type != MetricType::kUnknown) {
        m.metadata.push_back({"prometheus.type", pdata::AnyValue(prw::MetricTypeName(type))});
      }
      if (ts.histograms.empty()) {
        if (type == MetricType::kCounter && EndsWith(name, "_total")) {
          m.data = pdata::Sum{{}, pdata::AggregationTemporality::kCumulative, true};
        } else {
          m.data = pdata::Gauge{};
        }
      }
      scope.metrics.push_back(std::move(m));
    }
    pdata::Metric& metric = scope.metrics[it->second];

    if (!ts.histograms.empty()) {
      std::string why;
      size_t added = 0;
      for (const prw::Histogram& h : ts.histograms) {
        if (!AddNativeHistogram(h, attrs, &metric, &why)) break;
        ++added;
      }
      result.histograms += added;
      if (added != ts.histograms.size()) invalid(i, why);
      continue;
    }

    std::vector<pdata::NumberDataPoint>* points;
    uint64_t start = 0;
    if (auto* sum = std::get_if<pdata::Sum>(&metric.data)) {
      points = &sum->data_points;
      start = MsToNs(ts.created_timestamp_ms);
    } else if (auto* gauge = std::get_if<pdata::Gauge>(&metric.data)) {
      points = &gauge->data_points;
    } else {
      invalid(i, "series \"" + std::string(name) +
                     "\" has samples, but earlier series of that name had histograms");
      continue;
    }
    const size_t first_point = points->size();
    points->reserve(points->size() + ts.samples.size());
    for (size_t s = 0; s < ts.samples.size(); ++s) {
      const prw::Sample& sample = ts.samples[s];
      pdata::NumberDataPoint p;
      // The last sample takes the attributes; earlier ones copy them.
      p.attributes = s + 1 == ts.samples.size() ? std::move(attrs) : attrs;
      p.start_time_unix_nano = start;
      p.time_unix_nano = MsToNs(sample.timestamp_ms);
      p.value = sample.value;
      if (prw::IsStaleNaN(sample.value)) p.flags = pdata::kDataPointFlagNoRecordedValue;
      points->push_back(std::move(p));
    }
    result.samples += ts.samples.size();
    for (const prw::Exemplar& e : ts.exemplars) {
      pdata::NumberDataPoint* target = &points->back();
      for (size_t k = first_point; k < points->size(); ++k) {
        if ((*points)[k].time_unix_nano == MsToNs(e.timestamp_ms)) target = &(*points)[k];
      }
      target->exemplars.push_back(ToExemplar(e));
      ++result.exemplars;
    }
    attrs = pdata::Attributes();  // moved from above
  }
  // A metric whose every series turned out invalid has no points: drop it.
  std::erase_if(scope.metrics, [](const pdata::Metric& m) { return m.DataPointCount() == 0; });
  if (!scope.metrics.empty()) {
    pdata::ResourceMetrics rm;
    rm.scope_metrics.push_back(std::move(scope));
    result.metrics.resource_metrics.push_back(std::move(rm));
  }
  return result;
}

}  // namespace astrolabe::receiver::prometheus_remote_write
