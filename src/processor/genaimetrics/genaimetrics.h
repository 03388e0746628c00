#pragma once
// The genaimetrics processor: derives the GenAI client metrics (aggregator.h) from the
// LLM-call spans passing through a traces pipeline, so that span-only users get metrics
// too. It is upstream's spanmetrics connector in spirit, shaped as a processor because our
// pipeline framework has no connectors yet: spans pass on unchanged, and every
// `metrics_flush_interval` the aggregated delta metrics are sent to the SAME next consumer
// with ConsumeMetrics — i.e. to the exporters of this traces pipeline, which must accept
// metrics (store, otlp_http, debug do). In the server that is the store exporter, which
// accumulates the deltas into cumulative series in the tsdb.
//
// Threads: ConsumeTraces from any receiver thread (adds under mu_); one flush thread,
// started by Start and joined by Shutdown, which flushes what is left. A failed send is
// logged and counted (astrolabe_genaimetrics_send_failed_total); the points are not
// retried (the store refuses re-sent deltas anyway).
// Data at risk: at most one flush interval of metrics on a crash (the spans themselves are
// stored before the receiver answers).

#include <condition_variable>
#include <mutex>
#include <thread>

#include "common/clock.h"
#include "component/component.h"
#include "component/telemetry.h"
#include "processor/genaimetrics/aggregator.h"
#include "processor/genaimetrics/config.h"

namespace astrolabe::processor::genaimetrics {

class GenAiMetricsProcessor final : public component::Processor {
 public:
  // `telemetry` may be null. `clock` and `next` outlive the processor.
  GenAiMetricsProcessor(const Config& config, const Clock& clock, component::Telemetry* telemetry,
                        component::Consumer& next);
  ~GenAiMetricsProcessor() override;

  Status Start(component::Host& host) override;
  Status Shutdown(component::Deadline deadline) override;

  Status ConsumeTraces(component::TracesBatch batch) override;
  bool MutatesData() const override { return false; }

  // Sends what was aggregated since the last flush (nothing when nothing was). The flush
  // thread calls it; tests call it directly.
  Status Flush();

 private:
  void Loop();

  const Config config_;
  const Clock& clock_;
  component::Consumer& next_;
  component::Counter* spans_counted_ = nullptr;
  component::Counter* send_failed_ = nullptr;

  std::mutex mu_;
  Aggregator aggregator_;       // GUARDED_BY(mu_)
  uint64_t last_flush_ns_ = 0;  // GUARDED_BY(mu_)
  std::mutex flush_mu_;         // one Flush at a time, in time order

  std::mutex loop_mu_;
  std::condition_variable loop_cv_;
  bool stopping_ = false;  // GUARDED_BY(loop_mu_)
  std::thread thread_;
};

}  // namespace astrolabe::processor::genaimetrics
