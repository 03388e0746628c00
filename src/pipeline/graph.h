#pragma once
// Internal to pipeline/: the built graph a Service owns, and the Host its components see.
// Not for use outside src/pipeline (the Service is the interface).
//
// Ownership: the Graph owns every component, every edge consumer (fan-outs, counters)
// and the default configs it created. It is held by shared_ptr so that a component whose
// Shutdown overran its deadline can keep the whole graph alive from its own thread until
// it returns (its consumers may still be called). Members are declared so that
// destruction runs receivers → processors → edges → exporters → extensions → host →
// config, each destroyed before what it points to.

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <spdlog/logger.h>

#include "component/component.h"
#include "component/factory.h"
#include "component/host.h"
#include "component/resolve.h"
#include "pipeline/service.h"

namespace astrolabe::pipeline {

// Thread-safe: the extension map is fixed at build time; flags are atomic.
class ServiceHost : public component::Host {
 public:
  ServiceHost(component::Telemetry& telemetry, std::shared_ptr<spdlog::logger> logger,
              std::function<void(const config::ComponentId&, const Status&)> on_fatal_error);

  // Returns the extension only once it has started.
  component::Extension* GetExtension(const config::ComponentId& id) override;
  std::vector<std::pair<config::ComponentId, component::Extension*>> GetExtensions() override;
  void ReportFatalError(const config::ComponentId& id, Status status) override;
  component::Telemetry& telemetry() override { return telemetry_; }
  component::Handoff* handoff() override { return handoff_; }
  void set_handoff(component::Handoff* handoff) { handoff_ = handoff; }

  // Build time only (before any component can call the host).
  void AddExtension(const config::ComponentId& id, component::Extension* extension);
  // Control thread, during Start / Shutdown.
  void SetExtensionStarted(const config::ComponentId& id, bool started);

 private:
  struct Entry {
    component::Extension* extension = nullptr;
    std::atomic<bool> started{false};
  };
  component::Telemetry& telemetry_;
  std::shared_ptr<spdlog::logger> logger_;
  std::function<void(const config::ComponentId&, const Status&)> on_fatal_error_;
  std::atomic<bool> fatal_reported_{false};
  component::Handoff* handoff_ = nullptr;  // set at build time
  std::map<config::ComponentId, std::unique_ptr<Entry>> extensions_;
};

// One component in start order.
struct GraphNode {
  component::Kind kind;
  config::ComponentId id;
  std::string pipeline;  // processors only: the pipeline the instance belongs to
  component::Component* component = nullptr;
  // Shutdown share: exporters drain queues and get more of the remaining time.
  int weight = 1;

  // "exporter \"otlp_http\"" or "processor \"batch\" in pipeline \"metrics\"".
  std::string Name() const;
};

struct Service::Graph {
  // Set by the shared_ptr Build overload; declared first so it is destroyed last.
  std::shared_ptr<const component::ResolvedConfig> config;
  ServiceSettings settings;
  std::shared_ptr<spdlog::logger> logger;
  std::unique_ptr<ServiceHost> host;
  std::vector<std::unique_ptr<component::ComponentConfig>> default_configs;
  std::vector<std::unique_ptr<component::Extension>> extensions;
  std::vector<std::unique_ptr<component::Exporter>> exporters;
  std::vector<std::unique_ptr<component::Consumer>> edges;
  std::vector<std::unique_ptr<component::Processor>> processors;
  std::vector<std::unique_ptr<component::Receiver>> receivers;

  std::vector<GraphNode> order;  // start order; shutdown walks it backwards
  std::vector<component::Extension*> extension_order;
  std::vector<std::string> description;
};

// Creates every component of `config` and wires them. See Service::Build.
Result<std::shared_ptr<Service::Graph>> BuildGraph(const component::ResolvedConfig& config,
                                                   ServiceSettings settings);

}  // namespace astrolabe::pipeline
