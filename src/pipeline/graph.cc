#include "pipeline/graph.h"

#include <algorithm>
#include <set>
#include <utility>

#include "common/log.h"
#include "pipeline/counting.h"
#include "pipeline/fanout.h"

namespace astrolabe::pipeline {

using component::Consumer;
using component::Kind;
using component::ResolvedComponent;
using component::Signal;
using config::ComponentId;

// ---- ServiceHost ----

ServiceHost::ServiceHost(component::Telemetry& telemetry, std::shared_ptr<spdlog::logger> logger,
                         std::function<void(const ComponentId&, const Status&)> on_fatal_error)
    : telemetry_(telemetry),
      logger_(std::move(logger)),
      on_fatal_error_(std::move(on_fatal_error)) {}

component::Extension* ServiceHost::GetExtension(const ComponentId& id) {
  auto it = extensions_.find(id);
  if (it == extensions_.end() || !it->second->started.load()) return nullptr;
  return it->second->extension;
}

std::vector<std::pair<ComponentId, component::Extension*>> ServiceHost::GetExtensions() {
  std::vector<std::pair<ComponentId, component::Extension*>> out;
  for (const auto& [id, entry] : extensions_) {
    if (entry->started.load()) out.emplace_back(id, entry->extension);
  }
  return out;
}

void ServiceHost::ReportFatalError(const ComponentId& id, Status status) {
  logger_->error("fatal error from component \"{}\": {}", id.ToString(), status.ToString());
  // Only the first report triggers the exit; later ones are usually its consequences.
  if (fatal_reported_.exchange(true)) return;
  if (on_fatal_error_) on_fatal_error_(id, status);
}

void ServiceHost::AddExtension(const ComponentId& id, component::Extension* extension) {
  auto entry = std::make_unique<Entry>();
  entry->extension = extension;
  extensions_[id] = std::move(entry);
}

void ServiceHost::SetExtensionStarted(const ComponentId& id, bool started) {
  auto it = extensions_.find(id);
  if (it != extensions_.end()) it->second->started.store(started);
}

std::string GraphNode::Name() const {
  std::string out = std::string(component::KindName(kind)) + " \"" + id.ToString() + "\"";
  if (!pipeline.empty()) out += " in pipeline \"" + pipeline + "\"";
  return out;
}

namespace {

constexpr int kExporterShutdownWeight = 4;

std::string Quoted(const ComponentId& id) { return "\"" + id.ToString() + "\""; }

std::string JoinIds(const std::vector<ComponentId>& ids) {
  std::string out = "[";
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i) out += ", ";
    out += ids[i].ToString();
  }
  return out + "]";
}

Result<Signal> PipelineSignal(const ComponentId& pipeline) {
  if (pipeline.type == "metrics") return Signal::kMetrics;
  if (pipeline.type == "traces") return Signal::kTraces;
  if (pipeline.type == "logs") return Signal::kLogs;
  return InvalidArgument("service::pipelines: pipeline " + Quoted(pipeline) +
                         ": unknown signal \"" + pipeline.type +
                         "\" (valid values: [logs metrics traces])");
}

const ResolvedComponent* FindIn(const std::vector<ResolvedComponent>& list, const ComponentId& id) {
  for (const auto& c : list) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

Status CheckUnique(const std::vector<ComponentId>& ids, const ComponentId& pipeline,
                   std::string_view kind) {
  std::set<ComponentId> seen;
  for (const auto& id : ids) {
    if (!seen.insert(id).second) {
      return InvalidArgument("service::pipelines::" + pipeline.ToString() + ": references " +
                             std::string(kind) + " " + Quoted(id) + " multiple times");
    }
  }
  return Status::Ok();
}

// Wires the graph; one per BuildGraph call.
class Builder {
 public:
  Builder(const component::ResolvedConfig& config, Service::Graph& graph)
      : config_(config), graph_(graph) {}

  Status Build() {
    RETURN_IF_ERROR(CheckPipelines());
    RETURN_IF_ERROR(BuildExtensions());
    RETURN_IF_ERROR(BuildExporters());
    for (size_t i = 0; i < config_.service.pipelines.size(); ++i) {
      RETURN_IF_ERROR(BuildPipeline(config_.service.pipelines[i], signals_[i]));
    }
    RETURN_IF_ERROR(BuildReceivers());
    graph_.order.clear();
    for (auto* list : {&extension_nodes_, &exporter_nodes_, &processor_nodes_, &receiver_nodes_}) {
      graph_.order.insert(graph_.order.end(), list->begin(), list->end());
    }
    return Status::Ok();
  }

 private:
  Status CheckPipelines() {
    const auto& pipelines = config_.service.pipelines;
    if (pipelines.empty()) {
      return InvalidArgument("service::pipelines: service must have at least one pipeline");
    }
    for (const auto& p : pipelines) {
      ASSIGN_OR_RETURN(Signal signal, PipelineSignal(p.id));
      signals_.push_back(signal);
      const std::string where = "service::pipelines::" + p.id.ToString();
      if (p.receivers.empty()) return InvalidArgument(where + ": must have at least one receiver");
      if (p.exporters.empty()) return InvalidArgument(where + ": must have at least one exporter");
      RETURN_IF_ERROR(CheckUnique(p.receivers, p.id, "receiver"));
      RETURN_IF_ERROR(CheckUnique(p.processors, p.id, "processor"));
      RETURN_IF_ERROR(CheckUnique(p.exporters, p.id, "exporter"));
    }
    return Status::Ok();
  }

  // The resolved entry for (kind, id), its factory cast to F, and its validated config.
  template <typename F>
  Status Lookup(Kind kind, const ComponentId& id, const std::string& where,
                const std::vector<ResolvedComponent>& list, const F** factory,
                const component::ComponentConfig** cfg) {
    const ResolvedComponent* rc = FindIn(list, id);
    if (rc == nullptr) {
      return InvalidArgument(where + ": references " + std::string(component::KindName(kind)) +
                             " " + Quoted(id) + " which is not configured");
    }
    *factory = dynamic_cast<const F*>(rc->factory);
    if (*factory == nullptr) {
      return Internal(std::string(component::KindName(kind)) + " " + Quoted(id) + " has no " +
                      std::string(component::KindName(kind)) + " factory");
    }
    if (rc->config != nullptr) {
      *cfg = rc->config.get();
    } else {
      graph_.default_configs.push_back((*factory)->CreateDefaultConfig());
      *cfg = graph_.default_configs.back().get();
      if (*cfg == nullptr) return Internal("factory " + Quoted(id) + " made no default config");
    }
    Status valid = (*cfg)->Validate();
    if (!valid.ok()) return valid.Annotate("error reading configuration for " + Quoted(id));
    return Status::Ok();
  }

  component::CreateSettings Settings(const ComponentId& id) const {
    return component::CreateSettings{id, graph_.settings.telemetry};
  }

  static Status Unsupported(const ComponentId& id, Kind kind, Signal signal) {
    return InvalidArgument("failed to create " + Quoted(id) + " " +
                           std::string(component::KindName(kind)) + " for data type \"" +
                           std::string(component::SignalName(signal)) +
                           "\": telemetry type is not supported");
  }

  Status BuildExtensions() {
    std::set<ComponentId> seen;
    for (const auto& id : config_.service.extensions) {
      if (!seen.insert(id).second) continue;  // listed twice: one instance
      const component::ExtensionFactory* factory = nullptr;
      const component::ComponentConfig* cfg = nullptr;
      RETURN_IF_ERROR(
          Lookup(Kind::kExtension, id, "service::extensions", config_.extensions, &factory, &cfg));
      auto created = factory->CreateExtension(Settings(id), *cfg);
      if (!created.ok()) return created.status().Annotate("creating extension " + Quoted(id));
      if (*created == nullptr) return Internal("creating extension " + Quoted(id) + ": null");
      component::Extension* ext = created->get();
      graph_.extensions.push_back(std::move(created).value());
      graph_.extension_order.push_back(ext);
      graph_.host->AddExtension(id, ext);
      extension_nodes_.push_back({Kind::kExtension, id, "", ext, 1});
    }
    return Status::Ok();
  }

  Status BuildExporters() {
    // Signals per exporter id, ids in order of first use.
    std::vector<ComponentId> ids;
    std::map<ComponentId, std::vector<std::pair<Signal, ComponentId>>> uses;
    const auto& pipelines = config_.service.pipelines;
    for (size_t i = 0; i < pipelines.size(); ++i) {
      for (const auto& id : pipelines[i].exporters) {
        if (!uses.count(id)) ids.push_back(id);
        uses[id].push_back({signals_[i], pipelines[i].id});
      }
    }
    for (const auto& id : ids) {
      const component::ExporterFactory* factory = nullptr;
      const component::ComponentConfig* cfg = nullptr;
      const std::string where = "service::pipelines::" + uses[id].front().second.ToString();
      RETURN_IF_ERROR(Lookup(Kind::kExporter, id, where, config_.exporters, &factory, &cfg));
      for (const auto& [signal, pipeline] : uses[id]) {
        if (!factory->Supports(signal)) return Unsupported(id, Kind::kExporter, signal);
      }
      auto created = factory->CreateExporter(Settings(id), *cfg);
      if (!created.ok()) return created.status().Annotate("creating exporter " + Quoted(id));
      if (*created == nullptr) return Internal("creating exporter " + Quoted(id) + ": null");
      component::Exporter* exp = created->get();
      graph_.exporters.push_back(std::move(created).value());
      exporters_[id] = exp;
      exporter_nodes_.push_back({Kind::kExporter, id, "", exp, kExporterShutdownWeight});
    }
    return Status::Ok();
  }

  template <typename T, typename... Args>
  T* AddEdge(Args&&... args) {
    auto edge = std::make_unique<T>(std::forward<Args>(args)...);
    T* raw = edge.get();
    graph_.edges.push_back(std::move(edge));
    return raw;
  }

  Status BuildPipeline(const config::PipelineConfig& p, Signal signal) {
    // The tail: one exporter, or a fan-out over several.
    std::vector<Consumer*> tail;
    for (const auto& id : p.exporters) tail.push_back(exporters_.at(id));
    Consumer* next = tail.size() == 1 ? tail.front() : AddEdge<FanOutConsumer>(tail);

    // Processors from the last to the first, each fed by a counter and feeding one.
    std::vector<GraphNode> nodes;
    for (auto it = p.processors.rbegin(); it != p.processors.rend(); ++it) {
      const ComponentId& id = *it;
      const component::ProcessorFactory* factory = nullptr;
      const component::ComponentConfig* cfg = nullptr;
      RETURN_IF_ERROR(Lookup(Kind::kProcessor, id, "service::pipelines::" + p.id.ToString(),
                             config_.processors, &factory, &cfg));
      if (!factory->Supports(signal)) return Unsupported(id, Kind::kProcessor, signal);
      auto inst = component::ProcessorInstruments::Create(
          *graph_.settings.telemetry, id.ToString(), std::string(component::SignalName(signal)));
      Consumer* out = AddEdge<CountingConsumer>(inst.outgoing, *next);
      auto created = factory->CreateProcessor(Settings(id), *cfg, signal, *out);
      if (!created.ok()) {
        return created.status().Annotate("creating processor " + Quoted(id) + " in pipeline \"" +
                                         p.id.ToString() + "\"");
      }
      if (*created == nullptr) return Internal("creating processor " + Quoted(id) + ": null");
      component::Processor* proc = created->get();
      graph_.processors.push_back(std::move(created).value());
      next = AddEdge<CountingConsumer>(inst.incoming, *proc);
      processor_nodes_.push_back({Kind::kProcessor, id, p.id.ToString(), proc, 1});
    }
    for (const auto& id : p.receivers) {
      auto& entries = receiver_entries_[id];
      if (entries.empty()) receiver_ids_.push_back(id);
      entries.push_back({signal, next});
    }
    graph_.description.push_back("pipeline " + p.id.ToString() + ": " + JoinIds(p.receivers) +
                                 " → " + JoinIds(p.processors) + " → " + JoinIds(p.exporters));
    return Status::Ok();
  }

  Status BuildReceivers() {
    for (const auto& id : receiver_ids_) {
      const component::ReceiverFactory* factory = nullptr;
      const component::ComponentConfig* cfg = nullptr;
      RETURN_IF_ERROR(
          Lookup(Kind::kReceiver, id, "service::pipelines", config_.receivers, &factory, &cfg));
      std::map<Signal, std::vector<Consumer*>> by_signal;
      for (const auto& [signal, entry] : receiver_entries_[id]) by_signal[signal].push_back(entry);
      component::ReceiverConsumers consumers;
      for (auto& [signal, list] : by_signal) {
        if (!factory->Supports(signal)) return Unsupported(id, Kind::kReceiver, signal);
        Consumer* c = list.size() == 1 ? list.front() : AddEdge<FanOutConsumer>(list);
        switch (signal) {
          case Signal::kMetrics:
            consumers.metrics = c;
            break;
          case Signal::kTraces:
            consumers.traces = c;
            break;
          case Signal::kLogs:
            consumers.logs = c;
            break;
        }
      }
      auto created = factory->CreateReceiver(Settings(id), *cfg, consumers);
      if (!created.ok()) return created.status().Annotate("creating receiver " + Quoted(id));
      if (*created == nullptr) return Internal("creating receiver " + Quoted(id) + ": null");
      component::Receiver* rcv = created->get();
      graph_.receivers.push_back(std::move(created).value());
      receiver_nodes_.push_back({Kind::kReceiver, id, "", rcv, 1});
    }
    return Status::Ok();
  }

  const component::ResolvedConfig& config_;
  Service::Graph& graph_;
  std::vector<Signal> signals_;  // parallel to config_.service.pipelines
  std::map<ComponentId, component::Exporter*> exporters_;
  std::vector<ComponentId> receiver_ids_;  // order of first use
  std::map<ComponentId, std::vector<std::pair<Signal, Consumer*>>> receiver_entries_;
  std::vector<GraphNode> extension_nodes_, exporter_nodes_, processor_nodes_, receiver_nodes_;
};

}  // namespace

Result<std::shared_ptr<Service::Graph>> BuildGraph(const component::ResolvedConfig& config,
                                                   ServiceSettings settings) {
  if (settings.telemetry == nullptr) {
    return InvalidArgument("building the service: settings.telemetry is required");
  }
  auto graph = std::make_shared<Service::Graph>();
  graph->logger = settings.logger ? settings.logger : GetLogger("service");
  graph->settings = std::move(settings);
  graph->host = std::make_unique<ServiceHost>(*graph->settings.telemetry, graph->logger,
                                              graph->settings.on_fatal_error);
  graph->host->set_handoff(graph->settings.handoff);
  Builder builder(config, *graph);
  RETURN_IF_ERROR(builder.Build());
  return graph;
}

}  // namespace astrolabe::pipeline
