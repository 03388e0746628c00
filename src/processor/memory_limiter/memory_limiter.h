#pragma once
// The memory_limiter processor (core processor/memorylimiterprocessor and
// internal/memorylimiter): measures the process's memory every check_interval and, while
// it is at or above the soft limit (limit − spike), refuses data with a retryable error
// so that receivers push back on their sources, rather than letting the process be killed.
//
// MemoryLimiter: the measuring half. Every check:
//   - below the soft limit: accept data (log "Memory usage back within limits. Resuming
//     normal operation." when it was refusing);
//   - at or above the hard limit (limit): trim the heap (MemoryProbe::Trim, malloc_trim(0),
//     where upstream forces a Go GC) unless one ran within min_gc_interval_when_hard_limited
//     (or the back-off interval), then measure again;
//   - at or above the soft limit only: the same, paced by min_gc_interval_when_soft_limited;
//   - refuse data while still at or above the soft limit after that.
// A trim that does not bring memory below the soft limit nor cut it by 5% counts as
// ineffective, and the pause before the next one doubles from max(min interval, 95% of
// check_interval) up to max_gc_interval_when_*_limited (0: no back-off); any effective
// trim or fall in memory resets it. Exactly upstream's scheme, with RSS for the Go heap
// (memory.h explains the difference).
//
// MemoryLimiterProcessor: the pipeline half, one per pipeline; every processor made from
// one config shares one MemoryLimiter (one measuring thread), as upstream's factory does.
// Consume* while refusing: counts the items as refused and returns
// ResourceExhausted("data refused due to high memory usage") — retryable; otherwise counts
// them as accepted and returns what the next consumer returns.
//
// Telemetry (upstream names, label processor=<id>):
//   otelcol_processor_memory_limiter_{accepted,refused}_{metric_points,spans,log_records}_total
//
// Threads: the limiter's own thread runs the checks; MustRefuse() is one atomic load and
// may be called from any thread; Consume* from any number of threads.

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include <spdlog/logger.h>

#include "common/clock.h"
#include "common/status.h"
#include "component/component.h"
#include "component/factory.h"
#include "component/telemetry.h"
#include "processor/memory_limiter/config.h"
#include "processor/memory_limiter/memory.h"

namespace astrolabe::processor::memory_limiter {

class MemoryLimiter {
 public:
  // Resolves the limits (limit_percentage reads probe->TotalMemory(); its failure is
  // "failed to get total memory, use fixed memory settings (limit_mib): ..."). `clock`
  // paces the trims (tests pass a FakeClock) and must outlive the limiter.
  // REQUIRES: config.Validate() is OK.
  static Result<std::shared_ptr<MemoryLimiter>> Create(const Config& config,
                                                       std::shared_ptr<MemoryProbe> probe,
                                                       const Clock& clock,
                                                       std::shared_ptr<spdlog::logger> log);
  ~MemoryLimiter();

  // Reference-counted: the first Start starts the checking thread, the matching last
  // Shutdown stops it. Extra Shutdowns are ignored.
  void Start();
  void Shutdown();

  bool MustRefuse() const { return must_refuse_.load(std::memory_order_relaxed); }
  // One check now, on the calling thread (the thread's loop calls this). Thread-safe.
  void CheckMemLimits();

  uint64_t hard_limit_bytes() const { return hard_limit_; }
  uint64_t soft_limit_bytes() const { return hard_limit_ - spike_limit_; }
  // Trims run so far (for tests and the log).
  uint64_t trims() const { return trims_.load(); }

 private:
  MemoryLimiter(const Config& config, uint64_t hard_limit, uint64_t spike_limit,
                std::shared_ptr<MemoryProbe> probe, const Clock& clock,
                std::shared_ptr<spdlog::logger> log);
  // Upstream's checkLimitAndBackoff. REQUIRES: check_mu_ held.
  bool CheckLimitAndBackoff(uint64_t rss, bool did_trim);
  Duration NextBackoff(Duration current, Duration configured_min, Duration configured_max) const;
  uint64_t TrimAndRead();  // REQUIRES: check_mu_ held.
  void Loop();

  const Config config_;
  const uint64_t hard_limit_;
  const uint64_t spike_limit_;
  std::shared_ptr<MemoryProbe> probe_;
  const Clock& clock_;
  std::shared_ptr<spdlog::logger> log_;
  std::atomic<bool> must_refuse_{false};
  std::atomic<uint64_t> trims_{0};

  std::mutex check_mu_;                              // serialises checks
  std::chrono::steady_clock::time_point last_trim_;  // GUARDED_BY(check_mu_)
  uint64_t last_rss_ = 0;                            // GUARDED_BY(check_mu_)
  Duration soft_interval_{0};                        // GUARDED_BY(check_mu_)
  Duration hard_interval_{0};                        // GUARDED_BY(check_mu_)

  std::mutex mu_;  // guards the thread's lifecycle
  std::condition_variable cv_;
  int refs_ = 0;           // GUARDED_BY(mu_)
  bool stopping_ = false;  // GUARDED_BY(mu_)
  std::thread thread_;
};

class MemoryLimiterProcessor final : public component::Processor {
 public:
  // `limiter` is shared with the other processors of the same config; `next` outlives this.
  MemoryLimiterProcessor(const component::CreateSettings& settings,
                         std::shared_ptr<MemoryLimiter> limiter, component::Signal signal,
                         component::Consumer& next);
  ~MemoryLimiterProcessor() override;

  Status Start(component::Host&) override;
  Status Shutdown(component::Deadline) override;

  Status ConsumeMetrics(component::MetricsBatch batch) override;
  Status ConsumeTraces(component::TracesBatch batch) override;
  Status ConsumeLogs(component::LogsBatch batch) override;

 private:
  // Whether to pass `items` on; counts them either way.
  bool Admit(size_t items);

  std::shared_ptr<MemoryLimiter> limiter_;
  component::Consumer& next_;
  std::unique_ptr<component::Telemetry> own_telemetry_;  // when settings had none
  component::Counter* accepted_ = nullptr;
  component::Counter* refused_ = nullptr;
  std::mutex mu_;
  bool started_ = false;  // GUARDED_BY(mu_): holds one reference on the limiter's thread
};

// The error refused data gets (retryable).
Status DataRefused();

}  // namespace astrolabe::processor::memory_limiter
