#pragma once
// CountingConsumer: counts the items passing one edge of the graph, then forwards the
// batch unchanged. The service puts one in front of every processor instance (its
// otelcol_processor_incoming_items_total) and one as the processor's `next` (its
// otelcol_processor_outgoing_items_total), so processors need not count themselves.
// Receivers and exporters count their own items (accepted/refused, sent/failed): only
// they know when data really arrived or really left (an exporter's queue sits between
// Consume and the send).
//
// Items are counted when passed on, whatever the consumer answers (as upstream).
// Thread-safety: Consume* from any number of threads (one relaxed atomic add each).

#include <cstddef>

#include "component/component.h"
#include "component/telemetry.h"

namespace astrolabe::pipeline {

// Items in a batch, in the unit upstream counts: data points, spans, log records.
size_t ItemCount(const component::MetricsBatch& batch);
size_t ItemCount(const component::TracesBatch& batch);
size_t ItemCount(const component::LogsBatch& batch);

class CountingConsumer : public component::Consumer {
 public:
  // REQUIRES: counter and target outlive this object.
  CountingConsumer(component::Counter* counter, component::Consumer& target)
      : counter_(counter), target_(target) {}

  Status ConsumeMetrics(component::MetricsBatch batch) override;
  Status ConsumeTraces(component::TracesBatch batch) override;
  Status ConsumeLogs(component::LogsBatch batch) override;
  bool MutatesData() const override { return target_.MutatesData(); }

 private:
  component::Counter* counter_;
  component::Consumer& target_;
};

}  // namespace astrolabe::pipeline
