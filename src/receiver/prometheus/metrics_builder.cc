#include "receiver/prometheus/metrics_builder.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <unordered_map>
#include <variant>

#ifndef ASTROLABE_VERSION
#define ASTROLABE_VERSION "0.0.0"
#endif

namespace astrolabe::receiver::prometheus {

std::string_view ScopeVersion() { return ASTROLABE_VERSION; }

double StaleNaN() { return std::bit_cast<double>(kStaleNaNBits); }
bool IsStaleNaN(double v) { return std::bit_cast<uint64_t>(v) == kStaleNaNBits; }

std::string_view FamilyTypeName(FamilyType type) {
  switch (type) {
    case FamilyType::kUnknown:
      return "unknown";
    case FamilyType::kCounter:
      return "counter";
    case FamilyType::kGauge:
      return "gauge";
    case FamilyType::kHistogram:
      return "histogram";
    case FamilyType::kGaugeHistogram:
      return "gaugehistogram";
    case FamilyType::kSummary:
      return "summary";
    case FamilyType::kInfo:
      return "info";
    case FamilyType::kStateSet:
      return "stateset";
  }
  return "unknown";
}

std::string UnitToUcum(std::string_view unit) {
  static const std::pair<std::string_view, std::string_view> kUnits[] = {
      {"days", "d"},          {"hours", "h"},         {"minutes", "min"},    {"seconds", "s"},
      {"milliseconds", "ms"}, {"microseconds", "us"}, {"nanoseconds", "ns"}, {"bytes", "By"},
      {"kibibytes", "KiBy"},  {"mebibytes", "MiBy"},  {"gibibytes", "GiBy"}, {"tibibytes", "TiBy"},
      {"kilobytes", "KBy"},   {"megabytes", "MBy"},   {"gigabytes", "GBy"},  {"terabytes", "TBy"},
      {"meters", "m"},        {"volts", "V"},         {"amperes", "A"},      {"joules", "J"},
      {"watts", "W"},         {"grams", "g"},         {"celsius", "Cel"},    {"hertz", "Hz"},
      {"ratio", "1"},         {"percent", "%"},
  };
  for (const auto& [word, ucum] : kUnits) {
    if (unit == word) return std::string(ucum);
  }
  return std::string(unit);
}

void SplitHostPort(std::string_view address, std::string* host, std::string* port) {
  host->clear();
  port->clear();
  if (!address.empty() && address.front() == '[') {
    size_t close = address.find(']');
    if (close != std::string_view::npos) {
      *host = std::string(address.substr(1, close - 1));
      if (close + 1 < address.size() && address[close + 1] == ':') {
        *port = std::string(address.substr(close + 2));
      }
      return;
    }
  }
  size_t colon = address.rfind(':');
  if (colon != std::string_view::npos && address.find(':') == colon) {
    *host = std::string(address.substr(0, colon));
    *port = std::string(address.substr(colon + 1));
  } else {
    *host = std::string(address);
  }
}

namespace {

// server.address is set only when the host says something about the target (upstream:
// not localhost, not a loopback or unspecified address).
bool Discernible(const std::string& host) {
  if (host.empty() || host == "localhost" || host == "0.0.0.0" || host == "::" || host == "::1") {
    return false;
  }
  return host.rfind("127.", 0) != 0;
}

bool IsScopeLabel(std::string_view name) { return name.rfind("otel_scope_", 0) == 0; }

bool SuffixAllowed(FamilyType type, std::string_view suffix) {
  switch (type) {
    case FamilyType::kCounter:
      return suffix == "_total" || suffix == "_created";
    case FamilyType::kHistogram:
      return suffix == "_bucket" || suffix == "_count" || suffix == "_sum" || suffix == "_created";
    case FamilyType::kSummary:
      return suffix == "_count" || suffix == "_sum" || suffix == "_created";
    case FamilyType::kGaugeHistogram:
      return suffix == "_bucket" || suffix == "_gcount" || suffix == "_gsum";
    case FamilyType::kInfo:
      return suffix == "_info";
    default:
      return false;
  }
}

uint64_t ToNanos(int64_t ms) { return ms <= 0 ? 0 : static_cast<uint64_t>(ms) * 1'000'000ULL; }

uint64_t CreatedToNanos(double seconds) {
  if (!(seconds > 0) || std::isinf(seconds)) return 0;
  return static_cast<uint64_t>(std::llround(seconds * 1000.0)) * 1'000'000ULL;
}

double ParseBound(std::string_view text, bool* ok) {
  std::string s(text);
  if (s == "+Inf" || s == "Inf" || s == "+inf" || s == "inf") {
    *ok = true;
    return INFINITY;
  }
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  *ok = !s.empty() && end == s.c_str() + s.size();
  return v;
}

pdata::Exemplar ConvertExemplar(const ExemplarInput& in, int64_t sample_time_ms) {
  pdata::Exemplar e;
  e.value = in.value;
  e.time_unix_nano = ToNanos(in.timestamp_ms.value_or(sample_time_ms));
  for (const Label& l : in.labels.items()) {
    if (l.name == "trace_id" && pdata::TraceId::FromHex(l.value, &e.trace_id)) continue;
    if (l.name == "span_id" && pdata::SpanId::FromHex(l.value, &e.span_id)) continue;
    e.filtered_attributes.push_back({l.name, pdata::AnyValue(l.value)});
  }
  return e;
}

// Hashes a point's labels (name and value of each, in order) without copying them.
uint64_t HashLabelRefs(const std::vector<const Label*>& labels) {
  uint64_t h = 0x9e3779b97f4a7c15ULL ^ labels.size();
  for (const Label* l : labels) {
    h = (h ^ std::hash<std::string_view>()(l->name)) * 0x100000001b3ULL;
    h = (h ^ std::hash<std::string_view>()(l->value)) * 0x100000001b3ULL;
    h ^= h >> 29;
  }
  return h;
}

// A point's key is its attributes (string values), so that a kept point's attributes are
// copied as a whole into each scrape's output.
bool SameLabels(const pdata::Attributes& key, const std::vector<const Label*>& labels) {
  if (key.size() != labels.size()) return false;
  for (size_t i = 0; i < key.size(); ++i) {
    if (key[i].key != labels[i]->name || key[i].value.string_value() != labels[i]->value) {
      return false;
    }
  }
  return true;
}

// A family's registered metadata and the scrape (generation) that last registered it.
struct MetaEntry {
  FamilyMetadata md;
  uint32_t gen = 0;
};

// One point under construction; histogram and summary points collect several samples.
// With keep_structure a point outlives its scrape: `gen` tells whether the current scrape
// touched it yet (the first touch clears what the previous scrape collected).
struct PointAcc {
  pdata::Attributes key;             // the point's labels, as its attributes
  size_t next_same_hash = SIZE_MAX;  // the next point whose key has the same hash
  uint32_t gen = 0;
  int64_t time_ms = 0;
  bool inconsistent_time = false;
  bool stale = false;
  std::optional<double> value;  // number points
  std::optional<double> count;  // histogram/summary
  std::optional<double> sum;
  std::optional<double> created;                 // seconds
  std::vector<std::pair<double, double>> parts;  // (le or quantile, value)
  std::vector<pdata::Exemplar> exemplars;

  void Reset() {
    time_ms = 0;
    inconsistent_time = false;
    stale = false;
    value.reset();
    count.reset();
    sum.reset();
    created.reset();
    parts.clear();
    exemplars.clear();
  }

  void Time(int64_t t) {
    if (parts.empty() && !value && !count && !sum && !created) {
      time_ms = t;
    } else if (t != time_ms) {
      inconsistent_time = true;
    }
  }
};

struct MetricAcc {
  std::string name;
  // Set by the first touch of each scrape, as a fresh builder sets them at creation.
  FamilyType type = FamilyType::kUnknown;
  const MetaEntry* meta = nullptr;
  uint32_t gen = 0;
  std::vector<PointAcc> points;
  std::vector<uint32_t> touched;  // points of the current scrape, in first-touch order
  // Hash of a point's key → the first such point; the rest chain through next_same_hash.
  // Keyed by hash so a lookup copies no label.
  std::unordered_map<uint64_t, size_t> index;
};

struct ScopeAcc {
  pdata::InstrumentationScope scope;
  std::string schema_url;
  uint32_t gen = 0;
  std::vector<MetricAcc> metrics;
  std::vector<uint32_t> touched;                  // metrics of the current scrape
  std::unordered_map<std::string, size_t> index;  // metric name → metrics[i]
};

struct ResourceAcc {
  pdata::Resource resource;
  pdata::Attributes base;    // the attributes before target_info added to them
  bool target_info = false;  // resource.attributes differ from base
  uint32_t gen = 0;
  std::vector<ScopeAcc> scopes;
  std::vector<uint32_t> touched;  // scopes of the current scrape
  std::unordered_map<std::vector<Label>, size_t, LabelVectorHash> index;  // → scopes[i]
};

}  // namespace

class MetricsBuilder::Impl {
 public:
  explicit Impl(BuilderOptions options) : options_(std::move(options)) {}

  void SetMetadata(std::string_view family, FamilyMetadata metadata) {
    auto [it, inserted] = metadata_.try_emplace(std::string(family));
    MetaEntry& e = it->second;
    // First registration wins: for the builder's life, or with keep_structure for the scrape.
    if (!inserted && (!options_.keep_structure || e.gen == gen_)) return;
    if (inserted || !(e.md == metadata)) e.md = std::move(metadata);
    e.gen = gen_;
    last_name_.clear();  // a cached "unknown family" may be known now
  }

  PointSlot Add(const Labels& labels, double value, int64_t time_ms,
                const ExemplarInput* exemplar) {
    PointSlot slot;
    std::string_view name = labels.Get("__name__");
    const uint32_t res_index = Resource(labels);
    ResourceAcc& res = resources_[res_index];
    if (name == "target_info") {
      for (const Label& l : labels.items()) {
        if (l.name == "__name__" || l.name == "job" || l.name == "instance") continue;
        pdata::PutAttribute(res.resource.attributes, l.name, pdata::AnyValue(l.value));
        res.target_info = true;
      }
      return slot;  // kNone: not repeatable
    }
    slot.resource = res_index;

    // Family and suffix.
    if (last_name_.empty() || name != last_name_) {
      last_name_ = std::string(name);
      last_family_ = last_name_;
      last_suffix_.clear();
      last_meta_ = FindMeta(last_family_);
      if (last_meta_ == nullptr) {
        for (std::string_view s :
             {"_bucket", "_count", "_sum", "_total", "_created", "_gcount", "_gsum", "_info"}) {
          if (name.size() <= s.size() || name.substr(name.size() - s.size()) != s) continue;
          std::string family(name.substr(0, name.size() - s.size()));
          const MetaEntry* m = FindMeta(family);
          if (m != nullptr && SuffixAllowed(m->md.type, s)) {
            last_family_ = std::move(family);
            last_suffix_ = std::string(s);
            last_meta_ = m;
            break;
          }
        }
      }
    }
    const std::string& family = last_family_;
    const std::string& suffix = last_suffix_;
    const MetaEntry* meta = last_meta_;
    FamilyType type = meta ? meta->md.type : FamilyType::kUnknown;
    slot.type = type;
    slot.meta = meta;
    if (type == FamilyType::kGaugeHistogram) {  // dropped, as upstream
      slot.role = PointSlot::Role::kIgnore;
      return slot;
    }

    bool complex = type == FamilyType::kHistogram || type == FamilyType::kSummary;
    // Counters keep the sample name (x_total), complex types the family name.
    std::string_view metric_name = complex ? std::string_view(family) : name;
    // An OpenMetrics counter's _created belongs to the point named <family>_total.
    if (type == FamilyType::kCounter && suffix == "_created") {
      created_name_.assign(family).append("_total");
      metric_name = created_name_;
    }

    // Point attributes and scope. The scratch vectors keep their capacity across samples;
    // point labels are referenced, and copied only when they start a new point.
    scope_labels_.clear();
    point_labels_.clear();
    std::string_view part_label;  // le / quantile
    for (const Label& l : labels.items()) {
      if (l.name == "__name__" || l.name == "job" || l.name == "instance" || l.value.empty()) {
        continue;
      }
      if (IsScopeLabel(l.name)) {
        scope_labels_.push_back(l);
        continue;
      }
      if ((type == FamilyType::kHistogram && suffix == "_bucket" && l.name == "le") ||
          (type == FamilyType::kSummary && suffix.empty() && l.name == "quantile")) {
        part_label = l.value;
        continue;
      }
      point_labels_.push_back(&l);
    }
    slot.scope = static_cast<uint32_t>(Scope(res, scope_labels_));
    slot.metric = static_cast<uint32_t>(Metric(res, slot.scope, metric_name, type, meta));
    MetricAcc& metric = res.scopes[slot.scope].metrics[slot.metric];
    slot.point = static_cast<uint32_t>(FindOrAddPoint(metric, point_labels_));

    if (suffix == "_created" && type != FamilyType::kUnknown) {
      slot.role = PointSlot::Role::kCreated;
    } else if (!complex) {
      slot.role = PointSlot::Role::kValue;
    } else if (suffix == "_count") {
      slot.role = PointSlot::Role::kCount;
    } else if (suffix == "_sum") {
      slot.role = PointSlot::Role::kSum;
    } else {
      bool ok = false;
      slot.bound = ParseBound(part_label, &ok);
      slot.role = ok ? PointSlot::Role::kPart : PointSlot::Role::kBadPart;
    }
    Apply(slot, metric.points[slot.point], value, time_ms, exemplar);
    return slot;
  }

  void AddAt(const PointSlot& slot, double value, int64_t time_ms, const ExemplarInput* exemplar) {
    ResourceAcc& res = resources_[slot.resource];
    TouchResource(res, slot.resource);
    if (slot.role == PointSlot::Role::kIgnore) return;
    ScopeAcc& scope = res.scopes[slot.scope];
    TouchScope(res, scope, slot.scope);
    MetricAcc& metric = scope.metrics[slot.metric];
    TouchMetric(scope, metric, slot.metric, slot.type, static_cast<const MetaEntry*>(slot.meta));
    PointAcc& point = metric.points[slot.point];
    TouchPoint(metric, point, slot.point);
    Apply(slot, point, value, time_ms, exemplar);
  }

  pdata::Metrics Finish() {
    pdata::Metrics out;
    FinishInto(out);
    return out;
  }

  // Builds into `out` position by position, reusing what it holds: each vector element is
  // overwritten in place (strings and vectors keep their capacity; equal attributes are only
  // compared) and the vectors are truncated, so `out` ends equal to what Finish() returns
  // whatever it held before.
  void FinishInto(pdata::Metrics& out) {
    const bool keep = options_.keep_structure;
    last_built_ = 0;
    size_t nr = 0;
    for (uint32_t ri : touched_) {
      ResourceAcc& r = resources_[ri];
      pdata::ResourceMetrics& rm = Next(out.resource_metrics, nr);
      size_t ns = 0;
      for (uint32_t si : r.touched) {
        ScopeAcc& s = r.scopes[si];
        pdata::ScopeMetrics& sm = Next(rm.scope_metrics, ns);
        size_t nm = 0;
        for (uint32_t mi : s.touched) {
          MetricAcc& m = s.metrics[mi];
          last_built_ += m.touched.size();
          pdata::Metric& metric = Next(sm.metrics, nm);
          Build(m, keep, metric);
          if (metric.DataPointCount() > 0) ++nm;
          m.touched.clear();
        }
        Truncate(sm.metrics, nm);
        s.touched.clear();
        if (nm == 0) continue;
        if (keep) {
          sm.scope = s.scope;
          sm.schema_url = s.schema_url;
        } else {
          sm.scope = std::move(s.scope);
          sm.schema_url = std::move(s.schema_url);
        }
        ++ns;
      }
      Truncate(rm.scope_metrics, ns);
      r.touched.clear();
      if (ns == 0) continue;
      if (keep) {
        rm.resource = r.resource;
      } else {
        rm.resource = std::move(r.resource);
      }
      rm.schema_url.clear();
      ++nr;
    }
    Truncate(out.resource_metrics, nr);
    touched_.clear();
    ++gen_;
    last_name_.clear();
    last_metric_.reset();
    last_resource_ = SIZE_MAX;
    if (!keep) ClearStructure();
  }

  void Clear() {
    ClearStructure();
    metadata_.clear();
    last_name_.clear();
    ++epoch_;
  }

  int64_t dropped() const { return dropped_; }
  uint64_t epoch() const { return epoch_; }
  size_t stored_points() const { return stored_points_; }
  size_t last_built_points() const { return last_built_; }

 private:
  void ClearStructure() {
    resources_.clear();
    resource_index_.clear();
    touched_.clear();
    last_resource_ = SIZE_MAX;
    last_metric_.reset();
    stored_points_ = 0;
  }

  const MetaEntry* FindMeta(const std::string& family) const {
    auto it = metadata_.find(family);
    if (it == metadata_.end()) return nullptr;
    if (options_.keep_structure && it->second.gen != gen_) return nullptr;  // not this scrape's
    return &it->second;
  }

  // First touches in a scrape: record the order, and forget what the last scrape left.
  void TouchResource(ResourceAcc& r, uint32_t index) {
    if (r.gen == gen_) return;
    r.gen = gen_;
    touched_.push_back(index);
    if (r.target_info) {
      r.resource.attributes = r.base;
      r.target_info = false;
    }
  }
  void TouchScope(ResourceAcc& r, ScopeAcc& s, uint32_t index) {
    if (s.gen == gen_) return;
    s.gen = gen_;
    r.touched.push_back(index);
  }
  void TouchMetric(ScopeAcc& s, MetricAcc& m, uint32_t index, FamilyType type,
                   const MetaEntry* meta) {
    if (m.gen == gen_) return;
    m.gen = gen_;
    m.type = type;
    m.meta = meta;
    s.touched.push_back(index);
  }
  void TouchPoint(MetricAcc& m, PointAcc& p, uint32_t index) {
    if (p.gen == gen_) return;
    p.gen = gen_;
    p.Reset();
    m.touched.push_back(index);
  }

  void Apply(const PointSlot& slot, PointAcc& point, double value, int64_t time_ms,
             const ExemplarInput* exemplar) {
    using Role = PointSlot::Role;
    bool stale = IsStaleNaN(value);
    if (slot.role == Role::kCreated) {
      if (!stale) point.created = value;
      return;
    }
    point.Time(time_ms);
    if (stale) point.stale = true;
    switch (slot.role) {
      case Role::kValue:
        point.value = value;
        if (exemplar) point.exemplars.push_back(ConvertExemplar(*exemplar, time_ms));
        break;
      case Role::kCount:
        point.count = value;
        break;
      case Role::kSum:
        point.sum = value;
        break;
      case Role::kPart:
        point.parts.emplace_back(slot.bound, value);
        if (exemplar) point.exemplars.push_back(ConvertExemplar(*exemplar, time_ms));
        break;
      case Role::kBadPart:
        ++dropped_;  // bucket without a valid le / quantile: upstream logs and skips it
        break;
      default:
        break;
    }
  }

  uint32_t Resource(const Labels& labels) {
    std::string_view job_view = labels.Get("job");
    std::string_view instance_view = labels.Get("instance");
    // Samples of one scrape nearly always share one resource: skip the map then.
    if (last_resource_ < resources_.size() && job_view == last_job_ &&
        instance_view == last_instance_) {
      TouchResource(resources_[last_resource_], static_cast<uint32_t>(last_resource_));
      return static_cast<uint32_t>(last_resource_);
    }
    std::string job(job_view);
    std::string instance(instance_view);
    last_job_ = job;
    last_instance_ = instance;
    auto key = std::make_pair(job, instance);
    auto [it, inserted] = resource_index_.emplace(key, resources_.size());
    if (inserted) {
      ResourceAcc r;
      auto& a = r.base;
      a.push_back({"service.name", pdata::AnyValue(job)});
      a.push_back({"service.instance.id", pdata::AnyValue(instance)});
      std::string host, port;
      SplitHostPort(instance, &host, &port);
      if (Discernible(host)) a.push_back({"server.address", pdata::AnyValue(host)});
      a.push_back({"server.port", pdata::AnyValue(port)});
      a.push_back({"url.scheme", pdata::AnyValue(options_.scheme)});
      for (const auto& [k, v] : options_.resource_attributes) a.push_back({k, pdata::AnyValue(v)});
      r.resource.attributes = r.base;
      resources_.push_back(std::move(r));
      last_metric_.reset();
    }
    last_resource_ = it->second;
    TouchResource(resources_[it->second], static_cast<uint32_t>(it->second));
    return static_cast<uint32_t>(it->second);
  }

  // The index of the scope for `scope_labels` in res.scopes, added when new.
  size_t Scope(ResourceAcc& res, const std::vector<Label>& scope_labels) {
    size_t index;
    if (auto found = res.index.find(scope_labels); found != res.index.end()) {
      index = found->second;
    } else {
      index = res.scopes.size();
      res.index.emplace(scope_labels, index);
      ScopeAcc s;
      if (scope_labels.empty()) {
        s.scope.name = std::string(kScopeName);
        s.scope.version = std::string(ScopeVersion());
      } else {
        for (const Label& l : scope_labels) {
          if (l.name == "otel_scope_name") {
            s.scope.name = l.value;
          } else if (l.name == "otel_scope_version") {
            s.scope.version = l.value;
          } else if (l.name == "otel_scope_schema_url") {
            s.schema_url = l.value;
          } else {
            s.scope.attributes.push_back(
                {l.name.substr(std::string_view("otel_scope_").size()), pdata::AnyValue(l.value)});
          }
        }
      }
      res.scopes.push_back(std::move(s));
    }
    TouchScope(res, res.scopes[index], static_cast<uint32_t>(index));
    return index;
  }

  // The metric `name` of scope `scope_index` of `res`, added when new. Consecutive samples
  // nearly always hit the same metric: the last one is remembered, so the name is neither
  // copied nor hashed then.
  size_t Metric(ResourceAcc& res, size_t scope_index, std::string_view name, FamilyType type,
                const MetaEntry* meta) {
    const size_t resource_index = static_cast<size_t>(&res - resources_.data());
    ScopeAcc& scope = res.scopes[scope_index];
    size_t index;
    if (last_metric_ && last_metric_->resource == resource_index &&
        last_metric_->scope == scope_index && last_metric_->name == name) {
      index = last_metric_->metric;
    } else {
      auto [it, inserted] = scope.index.emplace(std::string(name), scope.metrics.size());
      if (inserted) {
        MetricAcc m;
        m.name = std::string(name);
        scope.metrics.push_back(std::move(m));
      }
      if (!last_metric_) last_metric_.emplace();
      last_metric_->resource = resource_index;
      last_metric_->scope = scope_index;
      last_metric_->name.assign(name);
      last_metric_->metric = it->second;
      index = it->second;
    }
    TouchMetric(scope, scope.metrics[index], static_cast<uint32_t>(index), type, meta);
    return index;
  }

  // The index of the point of `metric` with labels `labels`, added when new.
  size_t FindOrAddPoint(MetricAcc& metric, const std::vector<const Label*>& labels) {
    const uint64_t hash = HashLabelRefs(labels);
    auto [it, inserted] = metric.index.emplace(hash, metric.points.size());
    if (!inserted) {
      size_t i = it->second;
      while (true) {
        PointAcc& p = metric.points[i];
        if (SameLabels(p.key, labels)) {
          TouchPoint(metric, p, static_cast<uint32_t>(i));
          return i;
        }
        if (p.next_same_hash == SIZE_MAX) break;
        i = p.next_same_hash;
      }
      metric.points[i].next_same_hash = metric.points.size();
    }
    PointAcc p;
    p.key.reserve(labels.size());
    for (const Label* l : labels) p.key.push_back({l->name, pdata::AnyValue(l->value)});
    metric.points.push_back(std::move(p));
    ++stored_points_;
    const size_t index = metric.points.size() - 1;
    TouchPoint(metric, metric.points[index], static_cast<uint32_t>(index));
    return index;
  }

  // The element `n` of `v` to overwrite, appended when `v` is that short.
  template <typename E>
  static E& Next(std::vector<E>& v, size_t n) {
    if (n == v.size()) v.emplace_back();
    return v[n];
  }
  template <typename E>
  static void Truncate(std::vector<E>& v, size_t n) {
    if (v.size() > n) v.erase(v.begin() + static_cast<std::ptrdiff_t>(n), v.end());
  }
  // The alternative A of a metric's data, made when the data held another.
  template <typename A, typename V>
  static A& Alternative(V& data) {
    if (A* a = std::get_if<A>(&data)) return *a;
    return data.template emplace<A>();
  }

  // Attribute lists of string values, compared without copying.
  static bool SameStrings(const pdata::Attributes& a, const pdata::Attributes& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      const pdata::AnyValue& x = a[i].value;
      const pdata::AnyValue& y = b[i].value;
      if (a[i].key != b[i].key || x.type() != pdata::AnyValue::Type::kString ||
          y.type() != pdata::AnyValue::Type::kString || x.string_value() != y.string_value()) {
        return false;
      }
    }
    return true;
  }

  // The point's attributes: its key, copied when the point is kept for the next scrape (and
  // only when `dst` differs: a recycled output usually holds the same ones), else moved.
  static void SetAttributes(pdata::Attributes& dst, PointAcc& p, bool keep) {
    if (!keep) {
      dst = std::move(p.key);
    } else if (!SameStrings(dst, p.key)) {
      dst = p.key;
    }
  }

  void OutputName(const MetricAcc& m, std::string& name) const {
    name = m.name;
    if (!options_.trim_metric_suffixes) return;
    auto strip = [&name](std::string_view s) {
      if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0) {
        name.resize(name.size() - s.size());
      }
    };
    if (m.type == FamilyType::kCounter) strip("_total");
    if (m.meta && !m.meta->md.unit.empty()) strip("_" + m.meta->md.unit);
  }

  // Overwrites `metric` (whatever it held) with metric `m` of this scrape.
  void Build(MetricAcc& m, bool keep, pdata::Metric& metric) {
    OutputName(m, metric.name);
    if (m.meta) {
      metric.description = m.meta->md.help;
      metric.unit = UnitToUcum(m.meta->md.unit);
    } else {
      metric.description.clear();
      metric.unit.clear();
    }
    const std::string_view type_name = FamilyTypeName(m.type);
    pdata::Attributes& md = metric.metadata;
    if (md.size() == 1 && md[0].key == "prometheus.type" &&
        md[0].value.type() == pdata::AnyValue::Type::kString &&
        md[0].value.string_value() == type_name) {
      // as it was
    } else {
      md.clear();
      md.push_back({"prometheus.type", pdata::AnyValue(type_name)});
    }
    switch (m.type) {
      case FamilyType::kHistogram: {
        auto& h = Alternative<pdata::Histogram>(metric.data);
        h.aggregation_temporality = pdata::AggregationTemporality::kCumulative;
        size_t n = 0;
        for (uint32_t i : m.touched) {
          if (BuildHistogramPoint(m.points[i], keep, Next(h.data_points, n))) ++n;
        }
        Truncate(h.data_points, n);
        break;
      }
      case FamilyType::kSummary: {
        auto& s = Alternative<pdata::Summary>(metric.data);
        size_t n = 0;
        for (uint32_t i : m.touched) {
          if (BuildSummaryPoint(m.points[i], keep, Next(s.data_points, n))) ++n;
        }
        Truncate(s.data_points, n);
        break;
      }
      case FamilyType::kCounter:
      case FamilyType::kInfo:
      case FamilyType::kStateSet: {
        auto& s = Alternative<pdata::Sum>(metric.data);
        s.aggregation_temporality = pdata::AggregationTemporality::kCumulative;
        s.is_monotonic = m.type == FamilyType::kCounter;
        size_t n = 0;
        for (uint32_t i : m.touched) {
          if (BuildNumberPoint(m.points[i], keep, Next(s.data_points, n))) ++n;
        }
        Truncate(s.data_points, n);
        break;
      }
      default: {
        auto& g = Alternative<pdata::Gauge>(metric.data);
        size_t n = 0;
        for (uint32_t i : m.touched) {
          if (BuildNumberPoint(m.points[i], keep, Next(g.data_points, n))) ++n;
        }
        Truncate(g.data_points, n);
        break;
      }
    }
  }

  // Each Build*Point overwrites every field of `dp` and returns whether the point is emitted
  // (when not, `dp` is left for the next point or truncated away).
  bool BuildNumberPoint(PointAcc& p, bool keep, pdata::NumberDataPoint& dp) {
    if (!p.value) return false;  // only a _created sample was seen
    SetAttributes(dp.attributes, p, keep);
    dp.time_unix_nano = ToNanos(p.time_ms);
    dp.start_time_unix_nano = p.created ? CreatedToNanos(*p.created) : 0;
    if (p.stale) {
      dp.flags = pdata::kDataPointFlagNoRecordedValue;
      dp.value = 0.0;
    } else {
      dp.flags = 0;
      dp.value = *p.value;
    }
    dp.exemplars = std::move(p.exemplars);
    return true;
  }

  // Buckets and quantiles by bound; exposed in order they are only checked.
  static void SortParts(PointAcc& p) {
    auto by_bound = [](const auto& a, const auto& b) { return a.first < b.first; };
    if (!std::is_sorted(p.parts.begin(), p.parts.end(), by_bound)) {
      std::sort(p.parts.begin(), p.parts.end(), by_bound);
    }
  }

  bool BuildHistogramPoint(PointAcc& p, bool keep, pdata::HistogramDataPoint& dp) {
    if (p.inconsistent_time) {
      ++dropped_;  // "inconsistent timestamps on metric points"
      return false;
    }
    SortParts(p);
    SetAttributes(dp.attributes, p, keep);
    dp.time_unix_nano = ToNanos(p.time_ms);
    dp.start_time_unix_nano = p.created ? CreatedToNanos(*p.created) : 0;
    dp.explicit_bounds.clear();
    for (const auto& [bound, cum] : p.parts) {
      if (!std::isinf(bound)) dp.explicit_bounds.push_back(bound);
    }
    dp.count = 0;
    dp.sum.reset();
    dp.min.reset();
    dp.max.reset();
    dp.exemplars.clear();
    dp.bucket_counts.clear();
    dp.flags = 0;
    if (p.stale) {
      dp.flags = pdata::kDataPointFlagNoRecordedValue;
      dp.bucket_counts.assign(p.parts.empty() ? 0 : dp.explicit_bounds.size() + 1, 0);
      return true;
    }
    if (!p.count || p.parts.empty() || !std::isinf(p.parts.back().first)) {
      ++dropped_;  // no _count, no buckets, or no +Inf bucket
      return false;
    }
    dp.count = static_cast<uint64_t>(std::max(0.0, *p.count));
    if (p.sum) dp.sum = *p.sum;
    double prev = 0;
    for (const auto& [bound, cum] : p.parts) {
      double delta = cum - prev;
      dp.bucket_counts.push_back(delta > 0 ? static_cast<uint64_t>(delta) : 0);
      prev = cum;
    }
    dp.exemplars = std::move(p.exemplars);
    return true;
  }

  bool BuildSummaryPoint(PointAcc& p, bool keep, pdata::SummaryDataPoint& dp) {
    if (p.inconsistent_time) {
      ++dropped_;
      return false;
    }
    SetAttributes(dp.attributes, p, keep);
    dp.time_unix_nano = ToNanos(p.time_ms);
    dp.start_time_unix_nano = p.created ? CreatedToNanos(*p.created) : 0;
    dp.count = 0;
    dp.sum = 0;
    dp.quantile_values.clear();
    dp.flags = 0;
    if (p.stale) {
      dp.flags = pdata::kDataPointFlagNoRecordedValue;
      return true;
    }
    if (!p.count) {
      ++dropped_;  // no _count
      return false;
    }
    dp.count = static_cast<uint64_t>(std::max(0.0, *p.count));
    dp.sum = p.sum.value_or(0);
    SortParts(p);
    for (const auto& [q, v] : p.parts) dp.quantile_values.push_back({q, v});
    return true;
  }

  BuilderOptions options_;
  std::unordered_map<std::string, MetaEntry> metadata_;
  std::vector<ResourceAcc> resources_;
  std::map<std::pair<std::string, std::string>, size_t> resource_index_;
  std::vector<uint32_t> touched_;  // resources of the current scrape, in first-touch order
  // The current scrape (starts at 1: kept structures start at 0, untouched).
  uint32_t gen_ = 1;
  uint64_t epoch_ = 0;
  size_t stored_points_ = 0;
  size_t last_built_ = 0;
  size_t last_resource_ = SIZE_MAX;
  std::string last_job_, last_instance_;
  // The family resolution of the previous sample (consecutive samples share families).
  std::string last_name_;
  std::string last_family_, last_suffix_;
  const MetaEntry* last_meta_ = nullptr;
  // The metric the previous sample went to (see Metric()); reset when resources or scopes
  // are added or cleared.
  struct LastMetric {
    size_t resource = 0, scope = 0, metric = 0;
    std::string name;
  };
  std::optional<LastMetric> last_metric_;
  // Scratch space of Add(), kept for its capacity.
  std::vector<Label> scope_labels_;
  std::vector<const Label*> point_labels_;
  std::string created_name_;
  int64_t dropped_ = 0;
};

MetricsBuilder::MetricsBuilder(BuilderOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}
MetricsBuilder::~MetricsBuilder() = default;

void MetricsBuilder::SetMetadata(std::string_view family, FamilyMetadata metadata) {
  impl_->SetMetadata(family, std::move(metadata));
}

PointSlot MetricsBuilder::Add(const Labels& labels, double value, int64_t time_ms,
                              const ExemplarInput* exemplar) {
  return impl_->Add(labels, value, time_ms, exemplar);
}

void MetricsBuilder::AddAt(const PointSlot& slot, double value, int64_t time_ms,
                           const ExemplarInput* exemplar) {
  impl_->AddAt(slot, value, time_ms, exemplar);
}

void MetricsBuilder::Clear() { impl_->Clear(); }
uint64_t MetricsBuilder::epoch() const { return impl_->epoch(); }
size_t MetricsBuilder::stored_points() const { return impl_->stored_points(); }
size_t MetricsBuilder::last_built_points() const { return impl_->last_built_points(); }

int64_t MetricsBuilder::dropped_points() const { return impl_->dropped(); }

pdata::Metrics MetricsBuilder::Finish() { return impl_->Finish(); }
void MetricsBuilder::FinishInto(pdata::Metrics& out) { impl_->FinishInto(out); }

}  // namespace astrolabe::receiver::prometheus
