#pragma once
// Config: the collector dialect after loading, expansion and the structural checks that
// need no component knowledge. Component bodies stay raw Nodes here; component/resolve.h
// decodes them with their factories.

#include <string>
#include <vector>

#include "config/component_id.h"
#include "config/node.h"

namespace astrolabe::config {

struct ComponentEntry {
  ComponentId id;      // as written ("otlphttp/dynatrace")
  Mark mark;           // where the id key was written
  Node body;           // the component's config; Null when written as "health_check:"
};

struct PipelineConfig {
  ComponentId id;      // "metrics", "metrics/nim", "traces", "logs"
  Mark mark;
  std::vector<ComponentId> receivers;
  std::vector<ComponentId> processors;
  std::vector<ComponentId> exporters;
  std::vector<Mark> receiver_marks, processor_marks, exporter_marks;  // parallel
};

struct TelemetryConfig {
  std::string logs_level = "info";             // service.telemetry.logs.level
  std::string metrics_level = "normal";        // none|basic|normal|detailed
  std::string metrics_address = "localhost:8888";  // where own metrics are served
};

struct ServiceConfig {
  std::vector<ComponentId> extensions;
  std::vector<Mark> extension_marks;
  std::vector<PipelineConfig> pipelines;
  TelemetryConfig telemetry;
};

struct Config {
  std::vector<ComponentEntry> receivers;
  std::vector<ComponentEntry> processors;
  std::vector<ComponentEntry> exporters;
  std::vector<ComponentEntry> extensions;
  std::vector<ComponentEntry> connectors;
  ServiceConfig service;
  Node root;  // the whole merged, expanded, fixed tree
};

}  // namespace astrolabe::config
