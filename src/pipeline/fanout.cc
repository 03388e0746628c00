#include "pipeline/fanout.h"

#include <algorithm>
#include <string>
#include <utility>

namespace astrolabe::pipeline {

using component::Consumer;

FanOutConsumer::FanOutConsumer(std::vector<Consumer*> consumers)
    : consumers_(std::move(consumers)) {
  // stable_partition keeps config order within each group, so call order is predictable.
  std::stable_partition(consumers_.begin(), consumers_.end(),
                        [](const Consumer* c) { return !c->MutatesData(); });
  mutates_ = std::any_of(consumers_.begin(), consumers_.end(),
                         [](const Consumer* c) { return c->MutatesData(); });
}

template <typename B, typename Call>
Status FanOutConsumer::Fan(B batch, Call call) {
  if (consumers_.empty()) return Status::Ok();
  std::vector<Status> errors;
  const size_t last = consumers_.size() - 1;
  for (size_t i = 0; i < last; ++i) {
    Status s = call(*consumers_[i], batch);
    if (!s.ok()) errors.push_back(std::move(s));
  }
  // The last consumer takes our reference, so the data is shared one time less.
  Status s = call(*consumers_[last], std::move(batch));
  if (!s.ok()) errors.push_back(std::move(s));
  return CombineErrors(errors);
}

Status FanOutConsumer::ConsumeMetrics(component::MetricsBatch batch) {
  return Fan(std::move(batch),
             [](Consumer& c, component::MetricsBatch b) { return c.ConsumeMetrics(std::move(b)); });
}

Status FanOutConsumer::ConsumeTraces(component::TracesBatch batch) {
  return Fan(std::move(batch),
             [](Consumer& c, component::TracesBatch b) { return c.ConsumeTraces(std::move(b)); });
}

Status FanOutConsumer::ConsumeLogs(component::LogsBatch batch) {
  return Fan(std::move(batch),
             [](Consumer& c, component::LogsBatch b) { return c.ConsumeLogs(std::move(b)); });
}

Status CombineErrors(std::span<const Status> errors) {
  if (errors.empty()) return Status::Ok();
  if (errors.size() == 1) return errors.front();
  const Status* first_permanent = nullptr;
  bool same_code = true;
  std::string message;
  for (const Status& s : errors) {
    if (!s.IsRetryable() && first_permanent == nullptr) first_permanent = &s;
    if (s.code() != errors.front().code()) same_code = false;
    if (!message.empty()) message += "; ";
    message += s.message();
  }
  StatusCode code = first_permanent != nullptr ? first_permanent->code()
                    : same_code                ? errors.front().code()
                                               : StatusCode::kUnavailable;
  return Status(code, std::move(message));
}

}  // namespace astrolabe::pipeline
