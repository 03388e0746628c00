#include "component/resolve.h"

#include <algorithm>

#include "common/strings.h"
#include "config/decoder.h"
#include "config/encoder.h"

namespace astrolabe::component {
namespace {

std::string SectionName(Kind kind) {
  switch (kind) {
    case Kind::kReceiver:
      return "receivers";
    case Kind::kProcessor:
      return "processors";
    case Kind::kExporter:
      return "exporters";
    case Kind::kExtension:
      return "extensions";
  }
  return "unknown";
}

std::vector<ResolvedComponent> ResolveSection(Kind kind,
                                              const std::vector<config::ComponentEntry>& entries,
                                              const Registry& registry, config::Diagnostics& diag) {
  std::vector<ResolvedComponent> out;
  const std::string section = SectionName(kind);
  for (const config::ComponentEntry& entry : entries) {
    const std::string id = entry.id.ToString();
    const std::string path = section + "." + id;
    bool alias = false;
    const Factory* factory = registry.Find(kind, entry.id.type, &alias);
    if (factory == nullptr) {
      std::vector<std::string> types = registry.Types(kind);
      std::string msg = "unknown type: \"" + entry.id.type + "\" for id: \"" + id +
                        "\" (valid values: [" + Join(types, " ") + "])";
      if (auto s = ClosestMatch(entry.id.type, types)) msg += " (did you mean " + *s + "?)";
      diag.Error(entry.mark, path, std::move(msg));
      continue;
    }
    if (alias) {
      diag.Warning(entry.mark, path,
                   "\"" + entry.id.type + "\" is a deprecated alias of " +
                       std::string(KindName(kind)) + " type \"" + std::string(factory->type()) +
                       "\"");
    }
    std::unique_ptr<ComponentConfig> cfg = factory->CreateDefaultConfig();
    if (cfg == nullptr) {
      diag.Error(entry.mark, path, "factory returned no default config");
      continue;
    }
    size_t errors_before = diag.errors().size();
    config::Decode(entry.body, path, *cfg, diag);
    if (diag.errors().size() == errors_before) {
      Status st = cfg->Validate();
      if (!st.ok()) {
        diag.Error(entry.mark, path,
                   "error reading configuration for \"" + id + "\": " + st.message());
      }
    }
    out.push_back({entry.id, factory, std::move(cfg)});
  }
  return out;
}

Signal SignalOf(const config::ComponentId& pipeline) {
  if (pipeline.type == "traces") return Signal::kTraces;
  if (pipeline.type == "logs") return Signal::kLogs;
  return Signal::kMetrics;
}

void CheckSignals(const ResolvedConfig& r, config::Diagnostics& diag) {
  for (const config::PipelineConfig& p : r.service.pipelines) {
    Signal signal = SignalOf(p.id);
    std::string path = "service::pipelines::" + p.id.ToString();
    auto check = [&](Kind kind, const std::vector<config::ComponentId>& ids,
                     const std::vector<config::Mark>& marks) {
      for (size_t i = 0; i < ids.size(); ++i) {
        const ResolvedComponent* c = r.Find(kind, ids[i]);
        if (c == nullptr || c->factory->Supports(signal)) continue;
        diag.Error(i < marks.size() ? marks[i] : p.mark, path,
                   std::string(KindName(kind)) + " \"" + ids[i].ToString() +
                       "\" does not support " + std::string(SignalName(signal)));
      }
    };
    check(Kind::kReceiver, p.receivers, p.receiver_marks);
    check(Kind::kProcessor, p.processors, p.processor_marks);
    check(Kind::kExporter, p.exporters, p.exporter_marks);
  }
}

config::Node EncodeSection(const std::vector<ResolvedComponent>& components) {
  config::Node map = config::Node::Map({});
  for (const ResolvedComponent& c : components) {
    config::Node body = config::Encode(*c.config);
    map.Set(c.id.ToString(), std::move(body));
  }
  return map;
}

config::Node IdList(const std::vector<config::ComponentId>& ids) {
  config::Node seq = config::Node::Sequence({}, config::Node::Style::kFlow);
  for (const auto& id : ids) seq.Append(config::Node::Scalar(id.ToString(), {}));
  return seq;
}

}  // namespace

const ResolvedComponent* ResolvedConfig::Find(Kind kind, const config::ComponentId& id) const {
  const std::vector<ResolvedComponent>* list = nullptr;
  switch (kind) {
    case Kind::kReceiver:
      list = &receivers;
      break;
    case Kind::kProcessor:
      list = &processors;
      break;
    case Kind::kExporter:
      list = &exporters;
      break;
    case Kind::kExtension:
      list = &extensions;
      break;
  }
  for (const ResolvedComponent& c : *list) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

ResolvedConfig Resolve(const config::Config& cfg, const Registry& registry,
                       config::Diagnostics& diag) {
  ResolvedConfig r;
  r.receivers = ResolveSection(Kind::kReceiver, cfg.receivers, registry, diag);
  r.processors = ResolveSection(Kind::kProcessor, cfg.processors, registry, diag);
  r.exporters = ResolveSection(Kind::kExporter, cfg.exporters, registry, diag);
  r.extensions = ResolveSection(Kind::kExtension, cfg.extensions, registry, diag);
  for (const config::ComponentEntry& c : cfg.connectors) {
    diag.Error(c.mark, "connectors." + c.id.ToString(),
               "unknown type: \"" + c.id.type + "\" for id: \"" + c.id.ToString() +
                   "\" (valid values: []): connectors are not supported yet");
  }
  r.service = cfg.service;
  CheckSignals(r, diag);
  return r;
}

config::Node Encode(const ResolvedConfig& resolved) {
  config::Node root = config::Node::Map({});
  root.Set("receivers", EncodeSection(resolved.receivers));
  root.Set("processors", EncodeSection(resolved.processors));
  root.Set("exporters", EncodeSection(resolved.exporters));
  root.Set("extensions", EncodeSection(resolved.extensions));

  const config::ServiceConfig& s = resolved.service;
  config::Node service = config::Node::Map({});
  service.Set("extensions", IdList(s.extensions));
  config::Node telemetry = config::Node::Map({});
  config::Node logs = config::Node::Map({});
  logs.Set("level", config::Node::Scalar(s.telemetry.logs_level, {}));
  telemetry.Set("logs", std::move(logs));
  config::Node metrics = config::Node::Map({});
  metrics.Set("level", config::Node::Scalar(s.telemetry.metrics_level, {}));
  metrics.Set("address", config::Node::Scalar(s.telemetry.metrics_address, {}, true));
  telemetry.Set("metrics", std::move(metrics));
  service.Set("telemetry", std::move(telemetry));
  config::Node pipelines = config::Node::Map({});
  for (const config::PipelineConfig& p : s.pipelines) {
    config::Node pipe = config::Node::Map({});
    pipe.Set("receivers", IdList(p.receivers));
    pipe.Set("processors", IdList(p.processors));
    pipe.Set("exporters", IdList(p.exporters));
    pipelines.Set(p.id.ToString(), std::move(pipe));
  }
  service.Set("pipelines", std::move(pipelines));
  root.Set("service", std::move(service));
  return root;
}

}  // namespace astrolabe::component
