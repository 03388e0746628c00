#include "processor/genaimetrics/aggregator.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <iterator>
#include <optional>
#include <string_view>

#include "pdata/key_set.h"

namespace astrolabe::processor::genaimetrics {

const std::vector<double> kTokenBuckets = {
    1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864};
const std::vector<double> kDurationBuckets = {0.01, 0.02, 0.04, 0.08,  0.16,  0.32,  0.64,
                                              1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92};

namespace {

const std::string* StringValue(const pdata::AnyValue* v) {
  if (v == nullptr || v->type() != pdata::AnyValue::Type::kString || v->string_value().empty()) {
    return nullptr;
  }
  return &v->string_value();
}

const std::string* StringAttr(const pdata::Attributes& attrs, std::string_view key) {
  return StringValue(pdata::FindAttribute(attrs, key));
}

std::optional<double> NumberValue(const pdata::AnyValue* v) {
  if (v == nullptr) return std::nullopt;
  if (v->type() == pdata::AnyValue::Type::kInt) return static_cast<double>(v->int_value());
  if (v->type() == pdata::AnyValue::Type::kDouble) return v->double_value();
  return std::nullopt;
}

// The span attributes Add reads, found in one pass (the first of each name, as
// pdata::FindAttribute would) rather than one scan per key.
enum SpanKey { kOperation, kProvider, kModel, kError, kInputTokens, kOutputTokens, kCost, kKeys };
constexpr pdata::KeySet<kKeys> kReadKeys({"gen_ai.operation.name", "gen_ai.provider.name",
                                          "gen_ai.request.model", "error.type",
                                          "gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens",
                                          "astrolabe.genai.cost"});

// Appends key=value with lengths, so that no two attribute sets encode alike:
// "<len(key)>:<key><len(value)>:<value>". One resize and four copies (this runs for every
// attribute of the series key of every span).
void Encode(std::string& out, std::string_view key, std::string_view value) {
  char klen[24], vlen[24];
  const size_t kn =
      static_cast<size_t>(std::to_chars(klen, klen + sizeof klen, key.size()).ptr - klen);
  const size_t vn =
      static_cast<size_t>(std::to_chars(vlen, vlen + sizeof vlen, value.size()).ptr - vlen);
  const size_t at = out.size();
  out.resize(at + kn + 1 + key.size() + vn + 1 + value.size());
  char* p = out.data() + at;
  std::memcpy(p, klen, kn);
  p += kn;
  *p++ = ':';
  std::memcpy(p, key.data(), key.size());
  p += key.size();
  std::memcpy(p, vlen, vn);
  p += vn;
  *p++ = ':';
  std::memcpy(p, value.data(), value.size());
}

}  // namespace

void Aggregator::Hist::Observe(const std::vector<double>& bounds, double v) {
  if (counts.empty()) counts.assign(bounds.size() + 1, 0);
  // Bucket i counts (bounds[i-1], bounds[i]].
  const size_t i =
      static_cast<size_t>(std::lower_bound(bounds.begin(), bounds.end(), v) - bounds.begin());
  ++counts[i];
  min = count == 0 ? v : std::min(min, v);
  max = count == 0 ? v : std::max(max, v);
  ++count;
  sum += v;
}

size_t Aggregator::Add(const pdata::Resource& resource, std::span<const pdata::Span> spans) {
  // The series keys are built in a reused buffer and the attribute sets only for a series
  // seen the first time: a span of a known series allocates nothing (this runs on every
  // span the server ingests).
  static constexpr std::string_view kResourceKeys[] = {"service.name", "service.namespace",
                                                       "service.instance.id"};
  static constexpr std::string_view kSpanKeys[] = {"gen_ai.provider.name", "gen_ai.request.model"};
  static constexpr SpanKey kSpanKeyIds[] = {kProvider, kModel};
  const std::string* res_values[std::size(kResourceKeys)];
  std::string& key = key_;
  key.clear();
  for (size_t i = 0; i < std::size(kResourceKeys); ++i) {
    res_values[i] = StringAttr(resource.attributes, kResourceKeys[i]);
    if (res_values[i] != nullptr) Encode(key, kResourceKeys[i], *res_values[i]);
  }
  key += '|';
  const size_t resource_key_size = key.size();

  // The series of the last few spans, by what the rest of their key is made of: the spans of
  // one resource mostly repeat a handful of operations and models, and comparing those values
  // is cheaper than building the key and searching both maps with it.
  struct Hint {
    const std::string* operation = nullptr;  // nullptr: unused
    const std::string* span_values[std::size(kSpanKeys)] = {};
    std::string_view error;
    Calls* calls = nullptr;
    Usage* usage = nullptr;
  };
  Hint hints[4];
  size_t next_hint = 0;
  auto same = [](const std::string* a, const std::string* b) {
    return a == nullptr ? b == nullptr : b != nullptr && *a == *b;
  };

  size_t counted = 0;
  for (const pdata::Span& span : spans) {
    const pdata::AnyValue* found[kKeys];
    kReadKeys.FindFirst(span.attributes, found);
    const std::string* operation = StringValue(found[kOperation]);
    if (operation == nullptr) continue;
    ++counted;
    const std::string* span_values[std::size(kSpanKeys)];
    for (size_t i = 0; i < std::size(kSpanKeys); ++i) {
      span_values[i] = StringValue(found[kSpanKeyIds[i]]);
    }
    std::string_view error;
    if (const std::string* v = StringValue(found[kError])) {
      error = *v;
    } else if (span.status.code == pdata::SpanStatus::Code::kError) {
      error = "_OTHER";
    }
    const Hint* hint = nullptr;
    for (const Hint& h : hints) {
      if (h.operation != nullptr && *h.operation == *operation && h.error == error &&
          same(h.span_values[0], span_values[0]) && same(h.span_values[1], span_values[1])) {
        hint = &h;
        break;
      }
    }
    if (hint == nullptr) {
      key.resize(resource_key_size);
      Encode(key, "op", *operation);
      for (size_t i = 0; i < std::size(kSpanKeys); ++i) {
        if (span_values[i] != nullptr) Encode(key, kSpanKeys[i], *span_values[i]);
      }
      const size_t usage_key_size = key.size();
      // The two attribute sets of a new series (resource; operation, provider, model,
      // service).
      auto fill = [&](pdata::Attributes* res, pdata::Attributes* attrs) {
        for (size_t i = 0; i < std::size(kResourceKeys); ++i) {
          if (res_values[i] != nullptr) {
            res->push_back({std::string(kResourceKeys[i]), *res_values[i]});
          }
        }
        attrs->push_back({"gen_ai.operation.name", *operation});
        for (size_t i = 0; i < std::size(kSpanKeys); ++i) {
          if (span_values[i] != nullptr) {
            attrs->push_back({std::string(kSpanKeys[i]), *span_values[i]});
          }
        }
        if (res_values[0] != nullptr) attrs->push_back({"service.name", *res_values[0]});
      };
      const std::string_view usage_key(key.data(), usage_key_size);
      auto uit = usage_.find(usage_key);
      if (uit == usage_.end()) uit = usage_.emplace(std::string(usage_key), Usage{}).first;
      Usage& u = uit->second;
      if (u.attributes.empty()) fill(&u.resource, &u.attributes);
      if (!error.empty()) Encode(key, "error.type", error);
      auto cit = calls_.find(std::string_view(key));
      if (cit == calls_.end()) cit = calls_.emplace(key, Calls{}).first;
      Calls& c = cit->second;
      if (c.attributes.empty()) {
        fill(&c.resource, &c.attributes);
        if (!error.empty()) c.attributes.push_back({"error.type", std::string(error)});
      }
      Hint& h = hints[next_hint++ % std::size(hints)];
      h = Hint{operation, {span_values[0], span_values[1]}, error, &c, &u};
      hint = &h;
    }
    Calls& c = *hint->calls;
    Usage& u = *hint->usage;
    ++c.requests;
    if (span.end_time_unix_nano >= span.start_time_unix_nano && span.start_time_unix_nano != 0) {
      c.duration.Observe(
          kDurationBuckets,
          static_cast<double>(span.end_time_unix_nano - span.start_time_unix_nano) / 1e9);
    }
    if (auto in = NumberValue(found[kInputTokens]); in && *in >= 0) {
      u.input_tokens.Observe(kTokenBuckets, *in);
    }
    if (auto out = NumberValue(found[kOutputTokens]); out && *out >= 0) {
      u.output_tokens.Observe(kTokenBuckets, *out);
    }
    if (auto cost = NumberValue(found[kCost]); cost && *cost >= 0 && *cost < 1e12) {
      u.cost += *cost;
      u.has_cost = true;
    }
  }
  return counted;
}

pdata::Metrics Aggregator::Take(uint64_t start, uint64_t now) {
  pdata::Metrics out;
  // One ResourceMetrics per resource, in key order.
  std::map<std::string, size_t> by_resource;
  auto hist_point = [&](const Hist& h, const std::vector<double>& bounds, pdata::Attributes attrs) {
    pdata::HistogramDataPoint p;
    p.attributes = std::move(attrs);
    p.start_time_unix_nano = start;
    p.time_unix_nano = now;
    p.count = h.count;
    p.sum = h.sum;
    p.bucket_counts = h.counts;
    p.explicit_bounds = bounds;
    p.min = h.min;
    p.max = h.max;
    return p;
  };
  auto metrics_of = [&](const std::string& key,
                        const pdata::Attributes& resource) -> std::vector<pdata::Metric>& {
    const std::string rkey = key.substr(0, key.find('|'));
    auto [rit, inserted] = by_resource.try_emplace(rkey, out.resource_metrics.size());
    if (inserted) {
      pdata::ResourceMetrics rm;
      rm.resource.attributes = resource;
      rm.scope_metrics.emplace_back();
      rm.scope_metrics[0].scope.name = "astrolabe/genaimetrics";
      auto& ms = rm.scope_metrics[0].metrics;
      ms.resize(4);
      ms[0].name = "gen_ai.client.token.usage";
      ms[0].unit = "{token}";
      ms[0].description = "Number of input and output tokens used.";
      ms[0].data = pdata::Histogram{{}, pdata::AggregationTemporality::kDelta};
      ms[1].name = "gen_ai.client.operation.duration";
      ms[1].unit = "s";
      ms[1].description = "GenAI operation duration.";
      ms[1].data = pdata::Histogram{{}, pdata::AggregationTemporality::kDelta};
      ms[2].name = "astrolabe.genai.cost";
      ms[2].description = "Cost of GenAI calls, in the price table's currency.";
      ms[2].data = pdata::Sum{{}, pdata::AggregationTemporality::kDelta, true};
      ms[3].name = "astrolabe.genai.requests";
      ms[3].description = "GenAI calls, with error.type on failures.";
      ms[3].data = pdata::Sum{{}, pdata::AggregationTemporality::kDelta, true};
      out.resource_metrics.push_back(std::move(rm));
    }
    return out.resource_metrics[rit->second].scope_metrics[0].metrics;
  };
  for (auto& [key, u] : usage_) {
    auto& ms = metrics_of(key, u.resource);
    auto& tokens = std::get<pdata::Histogram>(ms[0].data).data_points;
    if (u.input_tokens.count > 0) {
      pdata::Attributes a = u.attributes;
      a.push_back({"gen_ai.token.type", "input"});
      tokens.push_back(hist_point(u.input_tokens, kTokenBuckets, std::move(a)));
    }
    if (u.output_tokens.count > 0) {
      pdata::Attributes a = u.attributes;
      a.push_back({"gen_ai.token.type", "output"});
      tokens.push_back(hist_point(u.output_tokens, kTokenBuckets, std::move(a)));
    }
    if (u.has_cost) {
      pdata::NumberDataPoint p;
      p.attributes = u.attributes;
      p.start_time_unix_nano = start;
      p.time_unix_nano = now;
      p.value = u.cost;
      std::get<pdata::Sum>(ms[2].data).data_points.push_back(std::move(p));
    }
  }
  for (auto& [key, c] : calls_) {
    auto& ms = metrics_of(key, c.resource);
    if (c.duration.count > 0) {
      std::get<pdata::Histogram>(ms[1].data)
          .data_points.push_back(hist_point(c.duration, kDurationBuckets, c.attributes));
    }
    pdata::NumberDataPoint p;
    p.attributes = c.attributes;
    p.start_time_unix_nano = start;
    p.time_unix_nano = now;
    p.value = c.requests;
    std::get<pdata::Sum>(ms[3].data).data_points.push_back(std::move(p));
  }
  // Metrics left without points (no cost, no tokens) are not sent.
  for (auto& rm : out.resource_metrics) {
    std::erase_if(rm.scope_metrics[0].metrics,
                  [](const pdata::Metric& m) { return m.DataPointCount() == 0; });
  }
  calls_.clear();
  usage_.clear();
  return out;
}

}  // namespace astrolabe::processor::genaimetrics
