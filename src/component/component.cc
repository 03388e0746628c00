#include "component/component.h"

namespace astrolabe::component {

std::string_view KindName(Kind kind) {
  switch (kind) {
    case Kind::kReceiver: return "receiver";
    case Kind::kProcessor: return "processor";
    case Kind::kExporter: return "exporter";
    case Kind::kExtension: return "extension";
  }
  return "component";
}

std::string_view SignalName(Signal signal) {
  switch (signal) {
    case Signal::kMetrics: return "metrics";
    case Signal::kTraces: return "traces";
    case Signal::kLogs: return "logs";
  }
  return "unknown";
}

// A consumer wired into a pipeline of a signal it does not support is a graph-building
// bug; the graph never does that, so these answer with a permanent error, not a crash.
Status Consumer::ConsumeMetrics(MetricsBatch) { return Unimplemented("consumer takes no metrics"); }
Status Consumer::ConsumeTraces(TracesBatch) { return Unimplemented("consumer takes no traces"); }
Status Consumer::ConsumeLogs(LogsBatch) { return Unimplemented("consumer takes no logs"); }

}  // namespace astrolabe::component
