#include "exporter/store/translate.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <map>
#include <string_view>
#include <type_traits>
#include <utility>

#include "exporter/store/naming.h"

namespace astrolabe::exporter::store {

double StaleNaN() { return std::bit_cast<double>(kStaleNaNBits); }
bool IsStaleNaN(double v) { return std::bit_cast<uint64_t>(v) == kStaleNaNBits; }

namespace {

using pdata::AggregationTemporality;
using LabelMap = std::map<std::string, std::string>;

constexpr std::string_view kServiceName = "service.name";
constexpr std::string_view kServiceNamespace = "service.namespace";
constexpr std::string_view kServiceInstanceId = "service.instance.id";
// More buckets than this in one exponential histogram point (both signs) is refused: each
// becomes a series.
constexpr size_t kMaxExponentialBuckets = 1000;
// target_info samples per resource and batch at most (one hour at the default step of 150 s).
constexpr uint64_t kMaxTargetInfoSamples = 24;

int64_t Millis(uint64_t unix_nano) { return static_cast<int64_t>(unix_nano) / 1000000; }

storage::MetricType PromType(const pdata::Metric& m) {
  switch (m.type()) {
    case pdata::MetricType::kGauge:
      return storage::MetricType::kGauge;
    case pdata::MetricType::kSum:
      return std::get<pdata::Sum>(m.data).is_monotonic ? storage::MetricType::kCounter
                                                       : storage::MetricType::kGauge;
    case pdata::MetricType::kHistogram:
    case pdata::MetricType::kExponentialHistogram:
      return storage::MetricType::kHistogram;
    case pdata::MetricType::kSummary:
      return storage::MetricType::kSummary;
    case pdata::MetricType::kEmpty:
      break;
  }
  return storage::MetricType::kUnknown;
}

NameKind KindOf(const pdata::Metric& m) {
  switch (m.type()) {
    case pdata::MetricType::kSum:
      return std::get<pdata::Sum>(m.data).is_monotonic ? NameKind::kMonotonicCounter
                                                       : NameKind::kNonMonotonicCounter;
    case pdata::MetricType::kHistogram:
      return NameKind::kHistogram;
    case pdata::MetricType::kExponentialHistogram:
      return NameKind::kExponentialHistogram;
    case pdata::MetricType::kSummary:
      return NameKind::kSummary;
    default:
      return NameKind::kGauge;
  }
}

class Converter {
 public:
  Converter(const TranslateOptions& options, Translation* out) : options_(options), out_(out) {}

  void Run(const pdata::Metrics& metrics) {
    for (const pdata::ResourceMetrics& rm : metrics.resource_metrics) {
      uint64_t earliest = std::numeric_limits<uint64_t>::max(), latest = 0;
      for (const pdata::ScopeMetrics& sm : rm.scope_metrics) {
        for (const pdata::Metric& m : sm.metrics) {
          TimeRange(m, &earliest, &latest);
          ConvertMetric(rm.resource, sm, m);
        }
      }
      if (earliest != std::numeric_limits<uint64_t>::max()) {
        TargetInfo(rm.resource, earliest, latest);
      }
    }
  }

 private:
  template <typename Points>
  static void Range(const Points& points, uint64_t* earliest, uint64_t* latest) {
    for (const auto& p : points) {
      *earliest = std::min(*earliest, p.time_unix_nano);
      *latest = std::max(*latest, p.time_unix_nano);
    }
  }
  static void TimeRange(const pdata::Metric& m, uint64_t* earliest, uint64_t* latest) {
    std::visit(
        [&](const auto& d) {
          if constexpr (!std::is_same_v<std::decay_t<decltype(d)>, std::monostate>) {
            Range(d.data_points, earliest, latest);
          }
        },
        m.data);
  }

  void Reject(uint64_t points, const Status& why) {
    out_->rejected += points;
    if (out_->first_error.empty()) out_->first_error = why.message();
  }

  // The labels of a point before __name__ and le/quantile (Prometheus createAttributes).
  Result<LabelMap> BaseLabels(const pdata::Resource& resource, const pdata::Attributes& attrs,
                              const pdata::ScopeMetrics* scope,
                              const std::vector<std::string_view>& ignore) {
    std::vector<const pdata::KeyValue*> sorted;
    sorted.reserve(attrs.size());
    for (const pdata::KeyValue& kv : attrs) {
      if (std::find(ignore.begin(), ignore.end(), kv.key) == ignore.end()) sorted.push_back(&kv);
    }
    std::stable_sort(
        sorted.begin(), sorted.end(),
        [](const pdata::KeyValue* a, const pdata::KeyValue* b) { return a->key < b->key; });
    LabelMap l;
    for (const pdata::KeyValue* kv : sorted) {
      ASSIGN_OR_RETURN(std::string name, LabelName(kv->key));
      std::string value = pdata::AnyValueToString(kv->value);
      auto [it, inserted] = l.try_emplace(std::move(name), value);
      // Keys that collide once sanitized are joined, in key order.
      if (!inserted) it->second += ";" + value;
    }
    const pdata::Attributes& res = resource.attributes;
    for (const std::string& key : options_.promote_resource_attributes) {
      if (const pdata::AnyValue* v = pdata::FindAttribute(res, key)) {
        ASSIGN_OR_RETURN(std::string name, LabelName(key));
        l.try_emplace(std::move(name), pdata::AnyValueToString(*v));
      }
    }
    if (scope != nullptr && options_.promote_scope_metadata && !scope->scope.name.empty()) {
      l["otel_scope_name"] = scope->scope.name;
      l["otel_scope_version"] = scope->scope.version;
      l["otel_scope_schema_url"] = scope->schema_url;
      for (const pdata::KeyValue& kv : scope->scope.attributes) {
        ASSIGN_OR_RETURN(std::string name, LabelName("otel_scope_" + kv.key));
        l[std::move(name)] = pdata::AnyValueToString(kv.value);
      }
    }
    if (const pdata::AnyValue* name = pdata::FindAttribute(res, kServiceName)) {
      std::string job = pdata::AnyValueToString(*name);
      if (const pdata::AnyValue* ns = pdata::FindAttribute(res, kServiceNamespace)) {
        job = pdata::AnyValueToString(*ns) + "/" + job;
      }
      l["job"] = std::move(job);
    }
    if (const pdata::AnyValue* id = pdata::FindAttribute(res, kServiceInstanceId)) {
      l["instance"] = pdata::AnyValueToString(*id);
    }
    return l;
  }

  // Builds the series labels in name order without sorting: `base` is sorted (a std::map),
  // `extra_name` (le/quantile) and __name__ are merged in at their place and win over a base
  // label of the same name; empty values are left out (an empty value means "absent").
  void Emit(const LabelMap& base, const std::string& name, std::string_view extra_name,
            std::string_view extra_value, int64_t t, double v, bool delta, uint32_t point) {
    std::pair<std::string_view, std::string_view> extras[2] = {{storage::kMetricName, name},
                                                               {extra_name, extra_value}};
    const size_t n_extras = extra_name.empty() ? 1 : 2;
    if (n_extras == 2 && extras[1].first < extras[0].first) std::swap(extras[0], extras[1]);
    labels_.clear();
    size_t e = 0;
    auto push_extra = [&] {
      if (!extras[e].second.empty()) labels_.push_back({extras[e].first, extras[e].second});
      ++e;
    };
    for (const auto& [k, val] : base) {
      const std::string_view key(k);
      while (e < n_extras && extras[e].first < key) push_extra();
      if (e < n_extras && extras[e].first == key) {
        push_extra();  // overrides the base label of the same name
        continue;
      }
      if (!val.empty()) labels_.push_back({key, val});
    }
    while (e < n_extras) push_extra();
    out_->samples.push_back(SeriesSample{storage::Labels::FromSorted(labels_), t, v, delta, point});
  }

  void ConvertMetric(const pdata::Resource& resource, const pdata::ScopeMetrics& scope,
                     const pdata::Metric& m) {
    const uint64_t n = m.DataPointCount();
    const uint32_t first_point = static_cast<uint32_t>(out_->points);
    out_->points += n;
    if (m.type() == pdata::MetricType::kEmpty || n == 0) return;
    Result<std::string> name = MetricName(m.name, m.unit, KindOf(m));
    if (!name.ok()) {
      Reject(n, name.status());
      return;
    }
    AggregationTemporality temporality = AggregationTemporality::kCumulative;
    if (const auto* s = std::get_if<pdata::Sum>(&m.data)) temporality = s->aggregation_temporality;
    if (const auto* h = std::get_if<pdata::Histogram>(&m.data)) {
      temporality = h->aggregation_temporality;
    }
    if (const auto* e = std::get_if<pdata::ExponentialHistogram>(&m.data)) {
      temporality = e->aggregation_temporality;
    }
    if (temporality != AggregationTemporality::kCumulative &&
        temporality != AggregationTemporality::kDelta) {
      Reject(n, InvalidArgument("invalid temporality and type combination for metric \"" + m.name +
                                "\""));
      return;
    }
    const bool delta = temporality == AggregationTemporality::kDelta;
    out_->metadata.push_back(
        storage::FamilyMetadata{*name, {PromType(m), UnitName(m.unit), m.description}});

    uint32_t point = first_point;
    auto base_of = [&](const pdata::Attributes& attrs) -> Result<LabelMap> {
      Result<LabelMap> base = BaseLabels(resource, attrs, &scope, {});
      if (!base.ok()) {
        Reject(1, base.status().Annotate("metric \"" + m.name + "\""));
      }
      return base;
    };
    switch (m.type()) {
      case pdata::MetricType::kGauge:
      case pdata::MetricType::kSum: {
        const auto& points = m.type() == pdata::MetricType::kGauge
                                 ? std::get<pdata::Gauge>(m.data).data_points
                                 : std::get<pdata::Sum>(m.data).data_points;
        for (const pdata::NumberDataPoint& p : points) {
          Result<LabelMap> base = base_of(p.attributes);
          if (base.ok()) {
            Emit(*base, *name, {}, {}, Millis(p.time_unix_nano),
                 p.no_recorded_value() ? StaleNaN() : p.AsDouble(), delta, point);
          }
          ++point;
        }
        break;
      }
      case pdata::MetricType::kHistogram:
        for (const pdata::HistogramDataPoint& p : std::get<pdata::Histogram>(m.data).data_points) {
          Result<LabelMap> base = base_of(p.attributes);
          if (base.ok()) Histogram(*base, *name, p, delta, point);
          ++point;
        }
        break;
      case pdata::MetricType::kExponentialHistogram:
        for (const pdata::ExponentialHistogramDataPoint& p :
             std::get<pdata::ExponentialHistogram>(m.data).data_points) {
          Result<LabelMap> base = base_of(p.attributes);
          if (base.ok()) ExponentialHistogram(*base, *name, p, delta, point);
          ++point;
        }
        break;
      case pdata::MetricType::kSummary:
        for (const pdata::SummaryDataPoint& p : std::get<pdata::Summary>(m.data).data_points) {
          Result<LabelMap> base = base_of(p.attributes);
          if (base.ok()) Summary(*base, *name, p, point);
          ++point;
        }
        break;
      case pdata::MetricType::kEmpty:
        break;
    }
  }

  void Histogram(const LabelMap& base, const std::string& name, const pdata::HistogramDataPoint& p,
                 bool delta, uint32_t point) {
    const int64_t t = Millis(p.time_unix_nano);
    const bool stale = p.no_recorded_value();
    auto value = [&](double v) { return stale ? StaleNaN() : v; };
    if (p.sum) Emit(base, name + "_sum", {}, {}, t, value(*p.sum), delta, point);
    Emit(base, name + "_count", {}, {}, t, value(double(p.count)), delta, point);
    uint64_t cumulative = 0;
    const std::string bucket = name + "_bucket";
    for (size_t i = 0; i < p.explicit_bounds.size() && i < p.bucket_counts.size(); ++i) {
      cumulative += p.bucket_counts[i];
      Emit(base, bucket, "le", FormatFloat(p.explicit_bounds[i]), t, value(double(cumulative)),
           delta, point);
    }
    Emit(base, bucket, "le", "+Inf", t, value(double(p.count)), delta, point);
  }

  // Classic buckets from exponential ones: one `le` per bucket of the point, at its upper
  // boundary (negative buckets: -base^index; the zero bucket: zero_threshold; positive
  // buckets: base^(index+1)), counts cumulated upwards, then +Inf = count.
  void ExponentialHistogram(const LabelMap& base, const std::string& name,
                            const pdata::ExponentialHistogramDataPoint& p, bool delta,
                            uint32_t point) {
    if (p.positive.bucket_counts.size() + p.negative.bucket_counts.size() >
        kMaxExponentialBuckets) {
      Reject(1, InvalidArgument("exponential histogram \"" + name + "\" has more than " +
                                std::to_string(kMaxExponentialBuckets) + " buckets"));
      return;
    }
    if (p.scale < -10 || p.scale > 20) {
      Reject(1, InvalidArgument("exponential histogram \"" + name + "\" has scale " +
                                std::to_string(p.scale) + " (outside -10..20)"));
      return;
    }
    const int64_t t = Millis(p.time_unix_nano);
    const bool stale = p.no_recorded_value();
    auto value = [&](double v) { return stale ? StaleNaN() : v; };
    // base^index = 2^(index * 2^-scale)
    auto power = [&](int64_t index) { return std::exp2(std::ldexp(double(index), -p.scale)); };
    if (p.sum) Emit(base, name + "_sum", {}, {}, t, value(*p.sum), delta, point);
    Emit(base, name + "_count", {}, {}, t, value(double(p.count)), delta, point);
    const std::string bucket = name + "_bucket";
    uint64_t cumulative = 0;
    const auto& neg = p.negative;
    for (size_t k = neg.bucket_counts.size(); k-- > 0;) {
      cumulative += neg.bucket_counts[k];
      double le = -power(int64_t(neg.offset) + int64_t(k));
      if (std::isinf(le)) continue;  // beyond double range: counted in the next bucket
      Emit(base, bucket, "le", FormatFloat(le), t, value(double(cumulative)), delta, point);
    }
    cumulative += p.zero_count;
    Emit(base, bucket, "le", FormatFloat(p.zero_threshold), t, value(double(cumulative)), delta,
         point);
    const auto& pos = p.positive;
    for (size_t k = 0; k < pos.bucket_counts.size(); ++k) {
      cumulative += pos.bucket_counts[k];
      double le = power(int64_t(pos.offset) + int64_t(k) + 1);
      if (std::isinf(le) || le <= p.zero_threshold) continue;
      Emit(base, bucket, "le", FormatFloat(le), t, value(double(cumulative)), delta, point);
    }
    Emit(base, bucket, "le", "+Inf", t, value(double(p.count)), delta, point);
  }

  void Summary(const LabelMap& base, const std::string& name, const pdata::SummaryDataPoint& p,
               uint32_t point) {
    const int64_t t = Millis(p.time_unix_nano);
    const bool stale = p.no_recorded_value();
    auto value = [&](double v) { return stale ? StaleNaN() : v; };
    Emit(base, name + "_sum", {}, {}, t, value(p.sum), false, point);
    Emit(base, name + "_count", {}, {}, t, value(double(p.count)), false, point);
    for (const auto& q : p.quantile_values) {
      Emit(base, name, "quantile", FormatFloat(q.quantile), t, value(q.value), false, point);
    }
  }

  // Prometheus addResourceTargetInfo: the resource's other attributes on `target_info`.
  void TargetInfo(const pdata::Resource& resource, uint64_t earliest, uint64_t latest) {
    if (options_.disable_target_info) return;
    const pdata::Attributes& attrs = resource.attributes;
    std::vector<std::string_view> identifying = {kServiceNamespace, kServiceName,
                                                 kServiceInstanceId};
    size_t non_identifying = attrs.size();
    for (std::string_view key : identifying) {
      if (pdata::FindAttribute(attrs, key) != nullptr) --non_identifying;
    }
    if (non_identifying == 0) return;
    if (options_.keep_identifying_resource_attributes) identifying.clear();
    Result<LabelMap> base = [&] {
      std::vector<std::string> promoted;
      std::swap(promoted, options_.promote_resource_attributes);
      Result<LabelMap> r = BaseLabels(resource, attrs, nullptr, identifying);
      std::swap(promoted, options_.promote_resource_attributes);
      return r;
    }();
    if (!base.ok()) {
      // Not a data point of the request: nothing to count, but say why target_info is absent.
      if (out_->first_error.empty()) out_->first_error = "target_info: " + base.status().message();
      return;
    }
    if (!base->contains("job") && !base->contains("instance")) return;
    const uint64_t interval =
        uint64_t(options_.lookback_delta_ms > 0 ? options_.lookback_delta_ms : 5 * 60 * 1000) *
        1000000 / 2;
    const std::string name = "target_info";
    // Prometheus fills the whole span; a batch whose points span years (a point with time 0)
    // would make millions of samples, so only the last kMaxTargetInfoSamples steps of the
    // same grid are written.
    uint64_t start = earliest;
    const uint64_t cap = interval * kMaxTargetInfoSamples;
    if (latest - earliest > cap) {
      start = earliest + ((latest - cap - earliest + interval - 1) / interval) * interval;
    }
    int64_t last = std::numeric_limits<int64_t>::min();
    for (uint64_t ts = start; ts < latest; ts += interval) {
      last = Millis(ts);
      Emit(*base, name, {}, {}, last, 1, false, kNoPoint);
      if (latest - ts < interval) break;
    }
    if (last < Millis(latest)) Emit(*base, name, {}, {}, Millis(latest), 1, false, kNoPoint);
  }

  TranslateOptions options_;
  Translation* out_;
  std::vector<storage::Label> labels_;  // Emit's scratch
};

}  // namespace

Translation Translate(const pdata::Metrics& metrics, const TranslateOptions& options) {
  Translation out;
  out.samples.reserve(metrics.DataPointCount() * 2);
  Converter(options, &out).Run(metrics);
  return out;
}

}  // namespace astrolabe::exporter::store
