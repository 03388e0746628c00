#pragma once
// StoreExporter: the `store` exporter. Writes OTLP metrics into the metrics store of a
// store extension, and spans and logs into its span store, (component/store.h), translated as Prometheus 3 translates OTLP
// (translate.h) with delta sums and histograms accumulated into cumulative series
// (accumulator.h). One Appender and one Commit per batch: a batch is acknowledged only
// once its Commit returned, i.e. after the store's WAL fsync with `sync: always`.
//
// Errors to the pipeline (and so to the receiver that answers the sender): a
// component::PartialRejection (permanent, with counts) when some points were refused,
// kUnavailable (retryable) when the store could not commit, kUnavailable before Start or
// after Shutdown.
//
// Start finds the store extension (`store:` id, or the only one); Shutdown stops writing.
// Thread-safe: ConsumeMetrics may be called from any number of receiver threads.

#include <atomic>
#include <memory>
#include <string>

#include "component/component.h"
#include "component/factory.h"
#include "exporter/store/config.h"
#include "exporter/store/writer.h"

#include "component/telemetry.h"

namespace astrolabe::spanstore {
class SpanStore;
}

namespace astrolabe::exporter::store {

class StoreExporter : public component::Exporter {
 public:
  StoreExporter(const component::CreateSettings& settings, const Config& config);

  Status Start(component::Host& host) override;
  Status Shutdown(component::Deadline deadline) override;
  Status ConsumeMetrics(component::MetricsBatch batch) override;
  // Spans and logs go to the extension's span store in one Append each (durable on OK).
  // Records over the store's max_row_bytes: a PartialRejection (the rest are stored); any
  // other store error: kUnavailable (retryable).
  Status ConsumeTraces(component::TracesBatch batch) override;
  Status ConsumeLogs(component::LogsBatch batch) override;

  const Writer& writer() const { return writer_; }

 private:
  const std::string id_;
  const Config config_;
  component::Telemetry* telemetry_;
  Writer writer_;
  std::atomic<storage::Storage*> storage_{nullptr};
  std::atomic<spanstore::SpanStore*> spans_{nullptr};
  component::ExporterInstruments metrics_counters_;
  component::ExporterInstruments span_counters_;
  component::ExporterInstruments log_counters_;
};

}  // namespace astrolabe::exporter::store
