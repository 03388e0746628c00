#pragma once
// FanOutConsumer: hands one batch to several consumers — a receiver's output to every
// pipeline of a signal that names it, or a pipeline's output to every exporter it names.
//
// Sharing: every consumer gets a copy of the same Batch, so N read-only consumers see the
// very same data object and nothing is copied. A consumer that changes the data calls
// Batch::Mutable(), which clones only while the data is still shared. Consumers are
// called read-only first, then mutating ones (MutatesData()), and the last one gets the
// batch moved in, so when nobody else kept a copy the last mutator writes without a clone.
//
// Errors: every consumer is called, whatever the others answered. The result is OK when
// all succeed; otherwise one combined Status (see CombineErrors) — retryable only when
// every failure was retryable, because a permanent failure will not go away by sending
// again. A retry by the caller re-delivers to the consumers that had succeeded
// (at-least-once, duplicates possible), as in the OpenTelemetry Collector's fanout.
//
// Thread-safety: immutable after construction; Consume* may be called from any number of
// threads at once (each call is on its caller's thread).

#include <span>
#include <vector>

#include "common/status.h"
#include "component/component.h"

namespace astrolabe::pipeline {

class FanOutConsumer : public component::Consumer {
 public:
  // REQUIRES: consumers non-empty, none null; each outlives this object.
  explicit FanOutConsumer(std::vector<component::Consumer*> consumers);

  Status ConsumeMetrics(component::MetricsBatch batch) override;
  Status ConsumeTraces(component::TracesBatch batch) override;
  Status ConsumeLogs(component::LogsBatch batch) override;
  // True when any consumer mutates.
  bool MutatesData() const override { return mutates_; }

  // The consumers in call order (read-only first).
  const std::vector<component::Consumer*>& consumers() const { return consumers_; }

 private:
  template <typename B, typename Call>
  Status Fan(B batch, Call call);

  std::vector<component::Consumer*> consumers_;
  bool mutates_ = false;
};

// Combines the failures of a fan-out into one Status; OK when `errors` holds none.
// One failure is returned as is. Several: the message joins them with "; "; the code is
// the first permanent failure's code when any is permanent, else the shared code when all
// agree, else kUnavailable.
Status CombineErrors(std::span<const Status> errors);

}  // namespace astrolabe::pipeline
