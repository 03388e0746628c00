#pragma once
// Test helpers for the batch processor: data builders and a recording consumer.

#include <mutex>
#include <string>
#include <vector>

#include "common/status.h"
#include "component/component.h"
#include "pdata/logs.h"
#include "pdata/metrics.h"
#include "pdata/traces.h"

namespace astrolabe::processor::batch::test {

// A gauge (or, with `sum`, a cumulative monotonic sum) named `name` whose points have
// values first, first+1, ... (n points).
inline pdata::Metric NumberMetric(const std::string& name, int n, int first = 0, bool sum = false) {
  pdata::Metric m;
  m.name = name;
  m.description = name + " help";
  m.unit = "1";
  std::vector<pdata::NumberDataPoint> points;
  for (int i = 0; i < n; ++i) {
    pdata::NumberDataPoint p;
    p.value = static_cast<double>(first + i);
    points.push_back(p);
  }
  if (sum) {
    pdata::Sum s;
    s.data_points = std::move(points);
    s.aggregation_temporality = pdata::AggregationTemporality::kCumulative;
    s.is_monotonic = true;
    m.data = std::move(s);
  } else {
    m.data = pdata::Gauge{std::move(points)};
  }
  return m;
}

inline pdata::ResourceMetrics Resource(const std::string& service,
                                       std::vector<pdata::Metric> metrics) {
  pdata::ResourceMetrics rm;
  rm.resource.attributes.push_back({"service.name", service});
  rm.schema_url = "https://schema/" + service;
  pdata::ScopeMetrics sm;
  sm.scope.name = "scope-" + service;
  sm.schema_url = "https://scope-schema/" + service;
  sm.metrics = std::move(metrics);
  rm.scope_metrics.push_back(std::move(sm));
  return rm;
}

// One resource, one scope, one gauge with n points valued first.. .
inline pdata::Metrics Points(int n, int first = 0, const std::string& service = "svc") {
  pdata::Metrics md;
  md.resource_metrics.push_back(Resource(service, {NumberMetric("g", n, first)}));
  return md;
}

// Every point value of every number metric, in order.
inline std::vector<double> Values(const pdata::Metrics& md) {
  std::vector<double> out;
  for (const auto& rm : md.resource_metrics)
    for (const auto& sm : rm.scope_metrics)
      for (const auto& m : sm.metrics) {
        if (const auto* g = std::get_if<pdata::Gauge>(&m.data))
          for (const auto& p : g->data_points) out.push_back(p.AsDouble());
        if (const auto* s = std::get_if<pdata::Sum>(&m.data))
          for (const auto& p : s->data_points) out.push_back(p.AsDouble());
      }
  return out;
}

inline pdata::Traces Spans(int n, int first = 0, const std::string& service = "svc") {
  pdata::Traces td;
  pdata::ResourceSpans rs;
  rs.resource.attributes.push_back({"service.name", service});
  pdata::ScopeSpans ss;
  ss.scope.name = "scope";
  for (int i = 0; i < n; ++i) {
    pdata::Span s;
    s.name = "span-" + std::to_string(first + i);
    ss.spans.push_back(s);
  }
  rs.scope_spans.push_back(std::move(ss));
  td.resource_spans.push_back(std::move(rs));
  return td;
}

inline pdata::Logs Records(int n, int first = 0, const std::string& service = "svc") {
  pdata::Logs ld;
  pdata::ResourceLogs rl;
  rl.resource.attributes.push_back({"service.name", service});
  pdata::ScopeLogs sl;
  sl.scope.name = "scope";
  for (int i = 0; i < n; ++i) {
    pdata::LogRecord r;
    r.body = "record-" + std::to_string(first + i);
    sl.log_records.push_back(r);
  }
  rl.scope_logs.push_back(std::move(sl));
  ld.resource_logs.push_back(std::move(rl));
  return ld;
}

// Keeps every batch it gets; answers `status`.
class Recorder : public component::Consumer {
 public:
  Status ConsumeMetrics(pdata::MetricsBatch b) override {
    std::lock_guard lock(mu_);
    metrics_.push_back(std::move(b));
    return status_;
  }
  Status ConsumeTraces(pdata::TracesBatch b) override {
    std::lock_guard lock(mu_);
    traces_.push_back(std::move(b));
    return status_;
  }
  Status ConsumeLogs(pdata::LogsBatch b) override {
    std::lock_guard lock(mu_);
    logs_.push_back(std::move(b));
    return status_;
  }
  void set_status(Status s) {
    std::lock_guard lock(mu_);
    status_ = std::move(s);
  }
  std::vector<pdata::MetricsBatch> metrics() const {
    std::lock_guard lock(mu_);
    return metrics_;
  }
  std::vector<pdata::TracesBatch> traces() const {
    std::lock_guard lock(mu_);
    return traces_;
  }
  std::vector<pdata::LogsBatch> logs() const {
    std::lock_guard lock(mu_);
    return logs_;
  }
  // Items per metrics batch received, in order.
  std::vector<size_t> MetricSizes() const {
    std::lock_guard lock(mu_);
    std::vector<size_t> out;
    for (const auto& b : metrics_) out.push_back(b->DataPointCount());
    return out;
  }

 private:
  mutable std::mutex mu_;
  Status status_;
  std::vector<pdata::MetricsBatch> metrics_;
  std::vector<pdata::TracesBatch> traces_;
  std::vector<pdata::LogsBatch> logs_;
};

}  // namespace astrolabe::processor::batch::test
