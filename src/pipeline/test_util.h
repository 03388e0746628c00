#pragma once
// Test-only: builds a ResolvedConfig by hand from the test factories of
// component/testing, the way Resolve would from YAML.
//
//   GraphConfig g(registry);
//   g.Receiver("test_receiver").Exporter("sink", [](auto& c) { c.mutate = true; })
//    .Pipeline("metrics", {"test_receiver"}, {}, {"sink"});
//   auto service = Service::Build(g.resolved(), settings);

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "component/factory.h"
#include "component/resolve.h"
#include "component/testing/test_components.h"

namespace astrolabe::pipeline::testutil {

inline config::ComponentId Id(const std::string& text) {
  auto slash = text.find('/');
  if (slash == std::string::npos) return {text, ""};
  return {text.substr(0, slash), text.substr(slash + 1)};
}

inline std::vector<config::ComponentId> Ids(const std::vector<std::string>& texts) {
  std::vector<config::ComponentId> out;
  for (const auto& t : texts) out.push_back(Id(t));
  return out;
}

using Tweak = std::function<void(component::test::TestConfig&)>;

class GraphConfig {
 public:
  explicit GraphConfig(const component::Registry& registry) : registry_(registry) {}

  GraphConfig& Receiver(const std::string& id, const Tweak& tweak = nullptr) {
    return Add(component::Kind::kReceiver, id, tweak, resolved_.receivers);
  }
  GraphConfig& Processor(const std::string& id, const Tweak& tweak = nullptr) {
    return Add(component::Kind::kProcessor, id, tweak, resolved_.processors);
  }
  GraphConfig& Exporter(const std::string& id, const Tweak& tweak = nullptr) {
    return Add(component::Kind::kExporter, id, tweak, resolved_.exporters);
  }
  GraphConfig& Extension(const std::string& id, const Tweak& tweak = nullptr) {
    Add(component::Kind::kExtension, id, tweak, resolved_.extensions);
    resolved_.service.extensions.push_back(Id(id));
    return *this;
  }
  GraphConfig& Pipeline(const std::string& id, const std::vector<std::string>& receivers,
                        const std::vector<std::string>& processors,
                        const std::vector<std::string>& exporters) {
    config::PipelineConfig p;
    p.id = Id(id);
    p.receivers = Ids(receivers);
    p.processors = Ids(processors);
    p.exporters = Ids(exporters);
    resolved_.service.pipelines.push_back(std::move(p));
    return *this;
  }

  const component::ResolvedConfig& resolved() const { return resolved_; }
  component::ResolvedConfig Take() { return std::move(resolved_); }

 private:
  GraphConfig& Add(component::Kind kind, const std::string& id, const Tweak& tweak,
                   std::vector<component::ResolvedComponent>& into) {
    component::ResolvedComponent rc;
    rc.id = Id(id);
    rc.factory = registry_.Find(kind, rc.id.type);
    if (rc.factory != nullptr) {
      auto config = rc.factory->CreateDefaultConfig();
      if (tweak) tweak(static_cast<component::test::TestConfig&>(*config));
      rc.config = std::move(config);
    }
    into.push_back(std::move(rc));
    return *this;
  }

  const component::Registry& registry_;
  component::ResolvedConfig resolved_;
};

}  // namespace astrolabe::pipeline::testutil

#include "pdata/metrics.h"

namespace astrolabe::pipeline::testutil {

// A metrics batch holding one gauge with `points` data points. The one place tests
// depend on the shape of pdata::Metrics.
inline component::MetricsBatch MetricsWithPoints(size_t points) {
  pdata::Metric metric;
  metric.name = "test_gauge";
  pdata::Gauge gauge;
  gauge.data_points.resize(points);
  metric.data = std::move(gauge);
  pdata::ScopeMetrics scope;
  scope.metrics.push_back(std::move(metric));
  pdata::ResourceMetrics resource;
  resource.scope_metrics.push_back(std::move(scope));
  pdata::Metrics metrics;
  metrics.resource_metrics.push_back(std::move(resource));
  return component::MetricsBatch(std::move(metrics));
}

}  // namespace astrolabe::pipeline::testutil
