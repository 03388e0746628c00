#pragma once
// Service: one running collector graph, built from a ResolvedConfig — the `service:`
// section's pipelines wired to component instances created by their factories.
//
// The graph, as the OpenTelemetry Collector builds it (docs/design/pipeline.md):
//
//   receiver (one instance per id, shared by every pipeline and signal naming it)
//     └─► per signal: the pipeline's first consumer, or a FanOutConsumer over the first
//         consumers of every pipeline of that signal naming the receiver
//   pipeline: [count in → processor 1 → count out] → ... → [processor n] (one processor
//             instance per pipeline), then the exporter, or a FanOutConsumer over the
//             pipeline's exporters
//   exporter (one instance per id, the consumer of every pipeline naming it)
//   extensions: outside the data path, started first, stopped last.
//
// Lifecycle:
//   Build  — creates every component (nothing is started, no socket bound) and checks the
//            graph: every id configured, signals supported, configs Validate(). A Build
//            error leaves nothing behind.
//   Start  — extensions (config order), exporters, processors (per pipeline, from the one
//            closest to the exporters back to the first), receivers. On the first error
//            every component is shut down in reverse order and the error is returned
//            naming the component: `starting exporter "otlp_http": ...`. When all have
//            started, every extension gets NotifyPipelinesReady().
//   Shutdown — extensions get NotifyPipelinesNotReady(); then every component is shut
//            down in the reverse of start order: receivers first, so data they accepted
//            flows through processors (which flush) into exporters (which drain) before
//            those stop. Each component gets a share of the time left to the overall
//            deadline (exporters weigh 4, others 1) and a grace of 100 ms past it; one
//            that has not returned by then is logged and skipped, left running on its own
//            thread (the graph's memory is kept alive until it returns). Never blocks
//            much past the deadline.
//
// Telemetry: processors are counted by the graph (otelcol_processor_incoming_items_total,
// ..._outgoing_items_total, labels processor + otel_signal); receivers and exporters count
// their own accepted/refused and sent/failed items (component/telemetry.h).
//
// Threading: Build, Start, Shutdown and the destructor are called from one control thread
// (the app's main thread), never concurrently. Data flows on the receivers' threads.
// The Host given to components is thread-safe.

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <spdlog/logger.h>

#include "common/status.h"
#include "component/component.h"
#include "component/host.h"
#include "component/resolve.h"
#include "component/telemetry.h"
#include "config/component_id.h"

namespace astrolabe::component {
class Handoff;
}

namespace astrolabe::pipeline {

struct ServiceSettings {
  // The process's own metrics. Required; outlives the service.
  component::Telemetry* telemetry = nullptr;
  // Where the service logs its lifecycle; null means GetLogger("service").
  std::shared_ptr<spdlog::logger> logger;
  // Called (once per Service, on the reporting component's thread) when a component calls
  // Host::ReportFatalError. The app uses it to begin an orderly exit; it must not call
  // Shutdown itself from there (it runs on a component's thread). May be empty.
  std::function<void(const config::ComponentId& id, const Status& status)> on_fatal_error;
  // Budget for shutdowns the service starts itself: rolling back a failed Start, the
  // destructor of a running service, the old graph in Supervisor::Reload.
  std::chrono::milliseconds shutdown_timeout{30'000};
  // State components hand to their successors across reloads (component/handoff.h); the
  // Supervisor sets its own. Null: Host::handoff() is null. Outlives the service.
  component::Handoff* handoff = nullptr;
};

class Service {
 public:
  enum class State { kBuilt, kRunning, kStopped };

  // Creates every component of `config`. `config` must outlive the Service (components
  // may keep references to their configs) — and any component thread abandoned by a
  // Shutdown that overran; prefer the shared_ptr overload, which guarantees both.
  static Result<std::unique_ptr<Service>> Build(const component::ResolvedConfig& config,
                                                ServiceSettings settings);
  // As above; the service (and any abandoned component) holds `config` alive.
  static Result<std::unique_ptr<Service>> Build(
      std::shared_ptr<const component::ResolvedConfig> config, ServiceSettings settings);

  // Shuts down a service still running, with settings.shutdown_timeout.
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // Starts every component (see the order above), then notifies extensions.
  // REQUIRES: state() == kBuilt. After an error the state is kStopped.
  Status Start();

  // Stops every component by `deadline` (plus grace). Idempotent; valid in any state.
  // Returns the combined errors of components that failed or missed their deadline
  // (the shutdown itself always completes).
  Status Shutdown(component::Deadline deadline);

  State state() const { return state_; }

  // The Host handed to components (extensions, fatal errors, telemetry).
  component::Host& host();

  // One line per pipeline and per shared component, for logs and `astrolabe validate`:
  //   pipeline metrics: [prometheus] → [cumulativetodelta] → [otlp_http, debug]
  std::vector<std::string> Describe() const;

  struct Graph;  // defined in pipeline/graph.h

 private:
  struct PrivateTag {
    explicit PrivateTag() = default;
  };

 public:
  // Use Build().
  Service(PrivateTag, std::shared_ptr<Graph> graph);

 private:
  Status ShutdownAll(component::Deadline deadline);

  std::shared_ptr<Graph> graph_;
  State state_ = State::kBuilt;
};

}  // namespace astrolabe::pipeline
