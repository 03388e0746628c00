#include "processor/genaimetrics/genaimetrics.h"

#include "common/log.h"

namespace astrolabe::processor::genaimetrics {

GenAiMetricsProcessor::GenAiMetricsProcessor(const Config& config, const Clock& clock,
                                             component::Telemetry* telemetry,
                                             component::Consumer& next)
    : config_(config), clock_(clock), next_(next) {
  last_flush_ns_ = static_cast<uint64_t>(clock_.NowUnixNanos());
  if (telemetry != nullptr) {
    spans_counted_ =
        telemetry->GetCounter("astrolabe_genaimetrics_spans_total",
                              "LLM-call spans the genaimetrics processor counted.", {});
    send_failed_ =
        telemetry->GetCounter("astrolabe_genaimetrics_send_failed_total",
                              "Flushes of derived GenAI metrics the next consumer refused.", {});
  }
}

GenAiMetricsProcessor::~GenAiMetricsProcessor() {
  {
    std::lock_guard lock(loop_mu_);
    stopping_ = true;
  }
  loop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Status GenAiMetricsProcessor::Start(component::Host&) {
  if (!thread_.joinable()) thread_ = std::thread([this] { Loop(); });
  return Status::Ok();
}

Status GenAiMetricsProcessor::Shutdown(component::Deadline) {
  {
    std::lock_guard lock(loop_mu_);
    stopping_ = true;
  }
  loop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  // What arrived since the last flush still goes out, while the exporters are running
  // (processors shut down before exporters).
  (void)Flush();
  return Status::Ok();
}

void GenAiMetricsProcessor::Loop() {
  std::unique_lock lock(loop_mu_);
  while (!stopping_) {
    loop_cv_.wait_for(lock, config_.metrics_flush_interval, [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    (void)Flush();
    lock.lock();
  }
}

Status GenAiMetricsProcessor::ConsumeTraces(component::TracesBatch batch) {
  size_t counted = 0;
  {
    std::lock_guard lock(mu_);
    for (const auto& rs : batch->resource_spans) {
      for (const auto& ss : rs.scope_spans) {
        counted += aggregator_.Add(rs.resource, ss.spans);
      }
    }
  }
  if (spans_counted_ != nullptr && counted > 0) spans_counted_->Add(static_cast<double>(counted));
  return next_.ConsumeTraces(std::move(batch));
}

Status GenAiMetricsProcessor::Flush() {
  std::lock_guard flush_lock(flush_mu_);
  pdata::Metrics metrics;
  {
    std::lock_guard lock(mu_);
    if (aggregator_.empty()) return Status::Ok();
    uint64_t now = static_cast<uint64_t>(clock_.NowUnixNanos());
    // Delta points of one series must move forward in (millisecond) time: the store
    // refuses a delta that is not after the series' last point.
    if (now / 1'000'000 <= last_flush_ns_ / 1'000'000) {
      now = (last_flush_ns_ / 1'000'000 + 1) * 1'000'000;
    }
    metrics = aggregator_.Take(last_flush_ns_, now);
    last_flush_ns_ = now;
  }
  Status s = next_.ConsumeMetrics(component::MetricsBatch(std::move(metrics)));
  if (!s.ok()) {
    if (send_failed_ != nullptr) send_failed_->Add();
    GetLogger("genaimetrics")
        ->warn("genaimetrics: sending derived metrics failed: {}", s.message());
  }
  return s;
}

}  // namespace astrolabe::processor::genaimetrics
