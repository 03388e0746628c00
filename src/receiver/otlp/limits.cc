#include "receiver/otlp/limits.h"

#include <algorithm>
#include <variant>

#include "config/visitor.h"

namespace astrolabe::receiver::otlp {

void Limits::Visit(config::Visitor& v) {
  v.Field("max_items_per_request", max_items_per_request);
  v.Field("max_attributes_per_item", max_attributes_per_item);
  v.ByteSize("max_attribute_value_length", max_attribute_value_length);
}

namespace {

// The longest string or bytes value in `value`, nested arrays and maps included.
size_t LongestValue(const pdata::AnyValue& value) {
  using T = pdata::AnyValue::Type;
  switch (value.type()) {
    case T::kString:
      return value.string_value().size();
    case T::kBytes:
      return value.bytes_value().data.size();
    case T::kArray: {
      size_t n = 0;
      for (const auto& v : value.array_value()) n = std::max(n, LongestValue(v));
      return n;
    }
    case T::kKvList: {
      size_t n = 0;
      for (const auto& kv : value.kvlist_value()) n = std::max(n, LongestValue(kv.value));
      return n;
    }
    default:
      return 0;
  }
}

enum class Breach { kNone, kCount, kLength };

// Checks one attribute set; on a breach, `why` says which attribute and what limit.
Breach Check(const pdata::Attributes& attributes, const Limits& limits, std::string& why) {
  if (limits.max_attributes_per_item > 0 &&
      attributes.size() > uint64_t(limits.max_attributes_per_item)) {
    why = std::to_string(attributes.size()) + " attributes, more than max_attributes_per_item (" +
          std::to_string(limits.max_attributes_per_item) + ")";
    return Breach::kCount;
  }
  if (limits.max_attribute_value_length > 0) {
    for (const auto& kv : attributes) {
      const size_t n = LongestValue(kv.value);
      if (n > limits.max_attribute_value_length) {
        why = "attribute \"" + kv.key.substr(0, 100) + "\" has a value of " + std::to_string(n) +
              " bytes, more than max_attribute_value_length (" +
              std::to_string(limits.max_attribute_value_length) + ")";
        return Breach::kLength;
      }
    }
  }
  return Breach::kNone;
}

// `what` names the item ("span \"chat\""); it is a callable so that the name is built only
// for the first breach: building it for every item was two allocations per span.
template <typename What>
void Note(Dropped& d, Breach b, uint64_t items, What&& what, const std::string& why) {
  if (b == Breach::kNone || items == 0) return;
  d.items += items;
  (b == Breach::kCount ? d.by_count : d.by_length) += items;
  if (d.reason.empty()) {
    d.reason = std::string(what()) + ": " + why;
    d.limit = b == Breach::kCount ? "attributes_per_item" : "attribute_value_length";
  }
}

// Removes the elements of `v` for which `drop` returns true, keeping order.
template <typename V, typename F>
void EraseIf(V& v, F drop) {
  v.erase(std::remove_if(v.begin(), v.end(), drop), v.end());
}

template <typename Points>
void FilterPoints(Points& points, const Limits& limits, const std::string& metric, Dropped& d) {
  EraseIf(points, [&](const auto& p) {
    std::string why;
    Breach b = Check(p.attributes, limits, why);
    Note(d, b, 1, [&] { return "metric \"" + metric + "\""; }, why);
    return b != Breach::kNone;
  });
}

size_t PointCount(const pdata::Metric& m) {
  return std::visit(
      [](const auto& data) -> size_t {
        if constexpr (std::is_same_v<std::decay_t<decltype(data)>, std::monostate>) {
          return 0;
        } else {
          return data.data_points.size();
        }
      },
      m.data);
}

}  // namespace

Dropped EnforceAttributeLimits(pdata::Metrics& data, const Limits& limits) {
  Dropped d;
  if (limits.max_attributes_per_item == 0 && limits.max_attribute_value_length == 0) return d;
  EraseIf(data.resource_metrics, [&](pdata::ResourceMetrics& rm) {
    std::string why;
    if (Breach b = Check(rm.resource.attributes, limits, why); b != Breach::kNone) {
      uint64_t n = 0;
      for (const auto& sm : rm.scope_metrics) {
        for (const auto& m : sm.metrics) n += PointCount(m);
      }
      Note(d, b, n, [] { return "resource"; }, why);
      return true;
    }
    const size_t scopes = rm.scope_metrics.size();
    EraseIf(rm.scope_metrics, [&](pdata::ScopeMetrics& sm) {
      const size_t metrics = sm.metrics.size();
      EraseIf(sm.metrics, [&](pdata::Metric& m) {
        const size_t before = PointCount(m);
        std::visit(
            [&](auto& data) {
              if constexpr (!std::is_same_v<std::decay_t<decltype(data)>, std::monostate>) {
                FilterPoints(data.data_points, limits, m.name, d);
              }
            },
            m.data);
        return before > 0 && PointCount(m) == 0;
      });
      return metrics > 0 && sm.metrics.empty();
    });
    return scopes > 0 && rm.scope_metrics.empty();
  });
  return d;
}

Dropped EnforceAttributeLimits(pdata::Traces& data, const Limits& limits) {
  Dropped d;
  if (limits.max_attributes_per_item == 0 && limits.max_attribute_value_length == 0) return d;
  EraseIf(data.resource_spans, [&](pdata::ResourceSpans& rs) {
    std::string why;
    if (Breach b = Check(rs.resource.attributes, limits, why); b != Breach::kNone) {
      uint64_t n = 0;
      for (const auto& ss : rs.scope_spans) n += ss.spans.size();
      Note(d, b, n, [] { return "resource"; }, why);
      return true;
    }
    const size_t scopes = rs.scope_spans.size();
    EraseIf(rs.scope_spans, [&](pdata::ScopeSpans& ss) {
      const size_t spans = ss.spans.size();
      EraseIf(ss.spans, [&](const pdata::Span& s) {
        std::string why;
        Breach b = Check(s.attributes, limits, why);
        Note(d, b, 1, [&] { return "span \"" + s.name.substr(0, 100) + "\""; }, why);
        return b != Breach::kNone;
      });
      return spans > 0 && ss.spans.empty();
    });
    return scopes > 0 && rs.scope_spans.empty();
  });
  return d;
}

Dropped EnforceAttributeLimits(pdata::Logs& data, const Limits& limits) {
  Dropped d;
  if (limits.max_attributes_per_item == 0 && limits.max_attribute_value_length == 0) return d;
  EraseIf(data.resource_logs, [&](pdata::ResourceLogs& rl) {
    std::string why;
    if (Breach b = Check(rl.resource.attributes, limits, why); b != Breach::kNone) {
      uint64_t n = 0;
      for (const auto& sl : rl.scope_logs) n += sl.log_records.size();
      Note(d, b, n, [] { return "resource"; }, why);
      return true;
    }
    const size_t scopes = rl.scope_logs.size();
    EraseIf(rl.scope_logs, [&](pdata::ScopeLogs& sl) {
      const size_t records = sl.log_records.size();
      EraseIf(sl.log_records, [&](const pdata::LogRecord& r) {
        std::string why;
        Breach b = Check(r.attributes, limits, why);
        Note(d, b, 1, [] { return "log record"; }, why);
        return b != Breach::kNone;
      });
      return records > 0 && sl.log_records.empty();
    });
    return scopes > 0 && rl.scope_logs.empty();
  });
  return d;
}

}  // namespace astrolabe::receiver::otlp
