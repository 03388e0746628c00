#pragma once
// The component model, after the OpenTelemetry Collector's: receivers bring data in,
// processors transform it in order, exporters send it out, extensions serve the process
// (health, storage). Every one of them is a Component with the same lifecycle:
//
//   - Start(host) is called at most once, extensions first, then exporters, processors,
//     receivers. It must not block on I/O for long; long work runs on the component's own
//     threads. A Start error stops the whole service.
//   - Shutdown(deadline) is called in reverse order. It is idempotent, valid without a
//     prior Start, and returns by the deadline: receivers stop accepting, processors flush,
//     exporters drain their queues as far as the deadline allows.
//
// Data moves through Consumer calls on the caller's thread (the receiver's). A consumer
// that keeps data past the call (a queue) keeps the Batch, never a reference into it.

#include <chrono>
#include <memory>

#include "common/status.h"
#include "config/component_id.h"
#include "pdata/batch.h"
#include "pdata/logs.h"
#include "pdata/metrics.h"
#include "pdata/traces.h"

namespace astrolabe::component {

using Deadline = std::chrono::steady_clock::time_point;
using pdata::LogsBatch;
using pdata::MetricsBatch;
using pdata::TracesBatch;

enum class Kind { kReceiver, kProcessor, kExporter, kExtension };
enum class Signal { kMetrics, kTraces, kLogs };

std::string_view KindName(Kind kind);      // "receiver", ...
std::string_view SignalName(Signal signal);  // "metrics", "traces", "logs"

class Host;

class Component {
 public:
  virtual ~Component() = default;
  virtual Status Start(Host& host) = 0;
  virtual Status Shutdown(Deadline deadline) = 0;
};

// Accepts data of one or more signals. Errors: retryable (kUnavailable,
// kResourceExhausted) means the caller may send the same data again later; anything
// else is permanent and the data is dropped by the caller, counted as refused.
class Consumer {
 public:
  virtual ~Consumer() = default;
  virtual Status ConsumeMetrics(MetricsBatch batch);
  virtual Status ConsumeTraces(TracesBatch batch);
  virtual Status ConsumeLogs(LogsBatch batch);
  // True when the consumer changes the data it receives (it will call Mutable()).
  virtual bool MutatesData() const { return false; }
};

class Receiver : public Component {};

// A processor is created per pipeline and passes what it produces to the next consumer.
class Processor : public Component, public Consumer {};

// An exporter is created once per id and is the consumer of every pipeline naming it.
class Exporter : public Component, public Consumer {};

class Extension : public Component {
 public:
  // Called after every pipeline has started, and before any is shut down; the
  // health_check extension turns ready/not ready on these.
  virtual void NotifyPipelinesReady() {}
  virtual void NotifyPipelinesNotReady() {}
};

}  // namespace astrolabe::component
