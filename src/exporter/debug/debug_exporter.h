#pragma once
// DebugExporter: writes what it receives as text, for people debugging a pipeline (as
// upstream's `debug` exporter). Per batch it writes one summary entry
//
//   <time>\tinfo\tMetrics\t{"otelcol.component.id": "debug", "otelcol.component.kind":
//   "exporter", "otelcol.signal": "metrics", "resource metrics": 1, "metrics": 3,
//   "data points": 5}
//
// and, at verbosity normal or detailed, a second entry holding the rendering of
// marshal.h. With use_internal_logger (the default) entries look like the process log
// and go to stderr; otherwise they are bare ("Metrics\t{...}") and go to output_paths.
// Entries are rate-limited per second and per message text like zap's sampler
// (sampling_initial, then every sampling_thereafter-th).
//
// The data is only read. Counts otelcol_exporter_sent_<items>_total per signal when
// settings.telemetry is set.
//
// Thread-safe: Consume* may be called concurrently from any pipeline; each entry is
// written whole.

#include <array>
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/clock.h"
#include "component/component.h"
#include "component/factory.h"
#include "component/telemetry.h"
#include "exporter/debug/config.h"

namespace astrolabe::exporter::debug {

struct DebugExporterOptions {
  // Receives every entry instead of stderr / output_paths (tests). Not owned; must
  // outlive the exporter.
  std::ostream* out = nullptr;
  // Time of entries and of sampling ticks; Clock::Real() when null. Not owned.
  const Clock* clock = nullptr;
};

class DebugExporter : public component::Exporter {
 public:
  // REQUIRES: config.Validate() is OK.
  DebugExporter(const component::CreateSettings& settings, const Config& config,
                DebugExporterOptions options = {});
  ~DebugExporter() override;

  // Opens the files named in output_paths (appending); an error when one cannot be
  // opened.
  Status Start(component::Host& host) override;
  // Flushes and closes the outputs. Idempotent; valid without Start.
  Status Shutdown(component::Deadline deadline) override;

  // Always OK: printing cannot fail in a way the sender could act on.
  Status ConsumeMetrics(component::MetricsBatch batch) override;
  Status ConsumeTraces(component::TracesBatch batch) override;
  Status ConsumeLogs(component::LogsBatch batch) override;

 private:
  // One zap-style counter slot: entries seen in the tick that ends at reset_at.
  struct SampleCounter {
    int64_t reset_at = 0;
    uint64_t n = 0;
  };
  static constexpr size_t kSampleSlots = 4096;

  // Writes one entry unless sampled out. `fields` are extra JSON members
  // ("\"spans\": 2") or empty.
  void Log(component::Signal signal, const std::string& message, const std::string& fields);
  bool SampledLocked(const std::string& message, int64_t now);  // REQUIRES: mu_ held
  void CountSent(component::Signal signal, size_t items);

  const std::string id_;
  const Config config_;
  component::Telemetry* const telemetry_;
  const Clock& clock_;
  std::ostream* const injected_;

  std::mutex mu_;
  std::vector<std::ostream*> outputs_;                // GUARDED_BY(mu_)
  std::vector<std::unique_ptr<std::ostream>> files_;  // GUARDED_BY(mu_)
  // Null when nothing can be sampled out.
  std::unique_ptr<std::array<SampleCounter, kSampleSlots>> samples_;  // GUARDED_BY(mu_)
  std::array<component::Counter*, 3> sent_{};                         // GUARDED_BY(mu_), by Signal
};

}  // namespace astrolabe::exporter::debug
