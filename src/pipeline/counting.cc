#include "pipeline/counting.h"

#include <utility>

namespace astrolabe::pipeline {

size_t ItemCount(const component::MetricsBatch& batch) { return batch->DataPointCount(); }
size_t ItemCount(const component::TracesBatch& batch) { return batch->SpanCount(); }
size_t ItemCount(const component::LogsBatch& batch) { return batch->LogRecordCount(); }

Status CountingConsumer::ConsumeMetrics(component::MetricsBatch batch) {
  counter_->Add(static_cast<double>(ItemCount(batch)));
  return target_.ConsumeMetrics(std::move(batch));
}

Status CountingConsumer::ConsumeTraces(component::TracesBatch batch) {
  counter_->Add(static_cast<double>(ItemCount(batch)));
  return target_.ConsumeTraces(std::move(batch));
}

Status CountingConsumer::ConsumeLogs(component::LogsBatch batch) {
  counter_->Add(static_cast<double>(ItemCount(batch)));
  return target_.ConsumeLogs(std::move(batch));
}

}  // namespace astrolabe::pipeline
