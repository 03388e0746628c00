#include "processor/batch/split.h"

#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace astrolabe::processor::batch {
namespace {

// Moves the leading elements of `src` that fit in the room left (size - copied) into `dst`.
// The first element that does not fit is handed to `divide`, which moves part of it into
// `dst` (filling the room exactly) and leaves the rest in place. Stops once full.
template <typename T, typename Count, typename Divide>
void MoveLeading(std::vector<T>& src, std::vector<T>& dst, size_t size, size_t& copied, Count count,
                 Divide divide) {
  size_t moved = 0;
  for (; moved < src.size() && copied < size; ++moved) {
    size_t n = count(src[moved]);
    if (copied + n <= size) {
      copied += n;
      dst.push_back(std::move(src[moved]));
      continue;
    }
    divide(src[moved], dst, copied);
    break;  // the divided element stays in src with its remaining items
  }
  src.erase(src.begin(), src.begin() + static_cast<std::ptrdiff_t>(moved));
}

// Moves the first `n` elements of `src` to the end of `dst`.
template <typename T>
void MoveFirst(std::vector<T>& src, std::vector<T>& dst, size_t n) {
  dst.reserve(dst.size() + n);
  for (size_t i = 0; i < n; ++i) dst.push_back(std::move(src[i]));
  src.erase(src.begin(), src.begin() + static_cast<std::ptrdiff_t>(n));
}

size_t ScopeCount(const pdata::ScopeMetrics& sm) {
  size_t n = 0;
  for (const pdata::Metric& m : sm.metrics) n += m.DataPointCount();
  return n;
}

size_t ResourceCount(const pdata::ResourceMetrics& rm) {
  size_t n = 0;
  for (const pdata::ScopeMetrics& sm : rm.scope_metrics) n += ScopeCount(sm);
  return n;
}

// A metric like `m` (name, description, unit, metadata, type parameters) holding the first
// `n` points of `m`, which keeps the rest. REQUIRES: n < m.DataPointCount().
pdata::Metric TakePoints(pdata::Metric& m, size_t n) {
  pdata::Metric out;
  out.name = m.name;
  out.description = m.description;
  out.unit = m.unit;
  out.metadata = m.metadata;
  std::visit(
      [&](auto& data) {
        using D = std::decay_t<decltype(data)>;
        if constexpr (!std::is_same_v<D, std::monostate>) {
          D part;
          if constexpr (std::is_same_v<D, pdata::Sum>) {
            part.aggregation_temporality = data.aggregation_temporality;
            part.is_monotonic = data.is_monotonic;
          } else if constexpr (std::is_same_v<D, pdata::Histogram> ||
                               std::is_same_v<D, pdata::ExponentialHistogram>) {
            part.aggregation_temporality = data.aggregation_temporality;
          }
          MoveFirst(data.data_points, part.data_points, n);
          out.data = std::move(part);
        }
      },
      m.data);
  return out;
}

// Traces and logs share a shape: resources → scopes → items (spans, log records).
template <typename Resource, typename Scope, typename Item>
void SplitResources(size_t size, std::vector<Resource>& src, std::vector<Resource>& dst,
                    std::vector<Scope> Resource::*scopes, std::vector<Item> Scope::*items) {
  auto scope_count = [&](const Scope& s) { return (s.*items).size(); };
  auto resource_count = [&](const Resource& r) {
    size_t n = 0;
    for (const Scope& s : r.*scopes) n += scope_count(s);
    return n;
  };
  size_t copied = 0;
  MoveLeading(src, dst, size, copied, resource_count,
              [&](Resource& r, std::vector<Resource>& out, size_t& c) {
                Resource& part = out.emplace_back();
                part.resource = r.resource;
                part.schema_url = r.schema_url;
                MoveLeading(r.*scopes, part.*scopes, size, c, scope_count,
                            [&](Scope& s, std::vector<Scope>& sout, size_t& c2) {
                              Scope& spart = sout.emplace_back();
                              spart.scope = s.scope;
                              spart.schema_url = s.schema_url;
                              size_t room = size - c2;
                              MoveFirst(s.*items, spart.*items, room);
                              c2 += room;
                            });
              });
}

}  // namespace

pdata::Metrics SplitMetrics(size_t size, pdata::Metrics& src) {
  pdata::Metrics dest;
  if (src.DataPointCount() <= size) {
    std::swap(dest, src);
    return dest;
  }
  size_t copied = 0;
  MoveLeading(
      src.resource_metrics, dest.resource_metrics, size, copied, ResourceCount,
      [&](pdata::ResourceMetrics& rm, std::vector<pdata::ResourceMetrics>& out, size_t& c) {
        pdata::ResourceMetrics& part = out.emplace_back();
        part.resource = rm.resource;
        part.schema_url = rm.schema_url;
        MoveLeading(
            rm.scope_metrics, part.scope_metrics, size, c, ScopeCount,
            [&](pdata::ScopeMetrics& sm, std::vector<pdata::ScopeMetrics>& sout, size_t& c2) {
              pdata::ScopeMetrics& spart = sout.emplace_back();
              spart.scope = sm.scope;
              spart.schema_url = sm.schema_url;
              MoveLeading(
                  sm.metrics, spart.metrics, size, c2,
                  [](const pdata::Metric& m) { return m.DataPointCount(); },
                  [&](pdata::Metric& m, std::vector<pdata::Metric>& mout, size_t& c3) {
                    size_t room = size - c3;
                    mout.push_back(TakePoints(m, room));
                    c3 += room;
                  });
            });
      });
  return dest;
}

pdata::Traces SplitTraces(size_t size, pdata::Traces& src) {
  pdata::Traces dest;
  if (src.SpanCount() <= size) {
    std::swap(dest, src);
    return dest;
  }
  SplitResources(size, src.resource_spans, dest.resource_spans, &pdata::ResourceSpans::scope_spans,
                 &pdata::ScopeSpans::spans);
  return dest;
}

pdata::Logs SplitLogs(size_t size, pdata::Logs& src) {
  pdata::Logs dest;
  if (src.LogRecordCount() <= size) {
    std::swap(dest, src);
    return dest;
  }
  SplitResources(size, src.resource_logs, dest.resource_logs, &pdata::ResourceLogs::scope_logs,
                 &pdata::ScopeLogs::log_records);
  return dest;
}

}  // namespace astrolabe::processor::batch
