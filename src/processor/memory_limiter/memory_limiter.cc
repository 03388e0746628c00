#include "processor/memory_limiter/memory_limiter.h"

#include <algorithm>
#include <utility>

#include "common/strings.h"

namespace astrolabe::processor::memory_limiter {
namespace {

constexpr uint64_t kMiB = 1024 * 1024;
// A trim that frees less than this share (percent) of memory is ineffective.
constexpr uint64_t kTrimEffectivenessPercent = 5;

}  // namespace

Status DataRefused() { return ResourceExhausted("data refused due to high memory usage"); }

Result<std::shared_ptr<MemoryLimiter>> MemoryLimiter::Create(const Config& config,
                                                             std::shared_ptr<MemoryProbe> probe,
                                                             const Clock& clock,
                                                             std::shared_ptr<spdlog::logger> log) {
  uint64_t hard = static_cast<uint64_t>(config.limit_mib) * kMiB;
  uint64_t spike = static_cast<uint64_t>(config.spike_limit_mib) * kMiB;
  if (config.limit_mib == 0) {
    Result<uint64_t> total = probe->TotalMemory();
    if (!total.ok()) {
      return total.status().Annotate(
          "failed to get total memory, use fixed memory settings (limit_mib)");
    }
    hard = static_cast<uint64_t>(config.limit_percentage) * *total / 100;
    spike = static_cast<uint64_t>(config.spike_limit_percentage) * *total / 100;
    log->info(
        "Using percentage memory limiter: total_memory_mib={} limit_percentage={} "
        "spike_limit_percentage={}",
        *total / kMiB, config.limit_percentage, config.spike_limit_percentage);
  }
  if (spike == 0) spike = hard / 5;  // unspecified: 20% of the limit, as upstream
  log->info("Memory limiter configured: limit_mib={} spike_limit_mib={} check_interval={}",
            hard / kMiB, spike / kMiB, FormatDuration(config.check_interval));
  return std::shared_ptr<MemoryLimiter>(
      new MemoryLimiter(config, hard, spike, std::move(probe), clock, std::move(log)));
}

MemoryLimiter::MemoryLimiter(const Config& config, uint64_t hard_limit, uint64_t spike_limit,
                             std::shared_ptr<MemoryProbe> probe, const Clock& clock,
                             std::shared_ptr<spdlog::logger> log)
    : config_(config),
      hard_limit_(hard_limit),
      spike_limit_(std::min(spike_limit, hard_limit)),
      probe_(std::move(probe)),
      clock_(clock),
      log_(std::move(log)),
      last_trim_(clock.Steady()) {}

MemoryLimiter::~MemoryLimiter() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void MemoryLimiter::Start() {
  std::lock_guard lock(mu_);
  if (++refs_ == 1) {
    stopping_ = false;
    thread_ = std::thread([this] { Loop(); });
  }
}

void MemoryLimiter::Shutdown() {
  std::thread done;
  {
    std::lock_guard lock(mu_);
    if (refs_ == 0) return;
    if (--refs_ > 0) return;
    stopping_ = true;
    done = std::move(thread_);
  }
  cv_.notify_all();
  if (done.joinable()) done.join();
}

void MemoryLimiter::Loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    if (cv_.wait_for(lock, config_.check_interval, [this] { return stopping_; })) break;
    lock.unlock();
    CheckMemLimits();
    lock.lock();
  }
}

uint64_t MemoryLimiter::TrimAndRead() {
  probe_->Trim();
  ++trims_;
  last_trim_ = clock_.Steady();
  uint64_t rss = probe_->ReadRss();
  log_->info("Memory usage after trim: cur_mem_mib={}", rss / kMiB);
  return rss;
}

bool MemoryLimiter::CheckLimitAndBackoff(uint64_t rss, bool did_trim) {
  const bool above_soft = rss >= soft_limit_bytes();
  const bool effective = !above_soft || rss <= last_rss_ * (100 - kTrimEffectivenessPercent) / 100;
  last_rss_ = rss;
  if (effective) {
    soft_interval_ = Duration::zero();
    hard_interval_ = Duration::zero();
    return above_soft;
  }
  if (!did_trim) return above_soft;
  soft_interval_ = NextBackoff(soft_interval_, config_.min_gc_interval_when_soft_limited,
                               config_.max_gc_interval_when_soft_limited);
  hard_interval_ = NextBackoff(hard_interval_, config_.min_gc_interval_when_hard_limited,
                               config_.max_gc_interval_when_hard_limited);
  log_->warn(
      "Trimming the heap did not reclaim enough memory. Will back off trims to preserve "
      "CPU for recovery: next_soft_trim_interval={} next_hard_trim_interval={} "
      "cur_mem_mib={}",
      FormatDuration(soft_interval_), FormatDuration(hard_interval_), rss / kMiB);
  return above_soft;
}

Duration MemoryLimiter::NextBackoff(Duration current, Duration configured_min,
                                    Duration configured_max) const {
  if (configured_max == Duration::zero()) return configured_min;
  // 95% of check_interval so that the next check's "since last trim > interval" still
  // passes despite timer slop (upstream's reasoning).
  Duration floor = std::max(configured_min, config_.check_interval * 95 / 100);
  Duration cap = std::max(configured_max, configured_min);
  return std::min(std::max(current, floor) * 2, cap);
}

void MemoryLimiter::CheckMemLimits() {
  std::lock_guard lock(check_mu_);
  uint64_t rss = probe_->ReadRss();
  log_->debug("Currently used memory: cur_mem_mib={}", rss / kMiB);

  bool above_soft = CheckLimitAndBackoff(rss, false);
  if (!above_soft) {
    if (must_refuse_.load()) {
      log_->info("Memory usage back within limits. Resuming normal operation. cur_mem_mib={}",
                 rss / kMiB);
    }
    must_refuse_.store(false);
    return;
  }

  const bool above_hard = rss >= hard_limit_;
  const Duration gate = above_hard
                            ? std::max(config_.min_gc_interval_when_hard_limited, hard_interval_)
                            : std::max(config_.min_gc_interval_when_soft_limited, soft_interval_);
  if (clock_.Steady() - last_trim_ > gate) {
    if (above_hard) {
      log_->warn("Memory usage is above hard limit. Trimming the heap. cur_mem_mib={}", rss / kMiB);
    } else {
      log_->info("Memory usage is above soft limit. Trimming the heap. cur_mem_mib={}", rss / kMiB);
    }
    rss = TrimAndRead();
    above_soft = CheckLimitAndBackoff(rss, true);
  }

  if (!must_refuse_.load() && above_soft) {
    log_->warn("Memory usage is above soft limit. Refusing data. cur_mem_mib={}", rss / kMiB);
  }
  must_refuse_.store(above_soft);
}

MemoryLimiterProcessor::MemoryLimiterProcessor(const component::CreateSettings& settings,
                                               std::shared_ptr<MemoryLimiter> limiter,
                                               component::Signal signal, component::Consumer& next)
    : limiter_(std::move(limiter)), next_(next) {
  component::Telemetry* t = settings.telemetry;
  if (t == nullptr) {
    own_telemetry_ = std::make_unique<component::Telemetry>();
    t = own_telemetry_.get();
  }
  const std::string items = component::SignalItems(std::string(component::SignalName(signal)));
  // Upstream's unit word for logs here is "log_records"; SignalItems agrees.
  const std::string noun = signal == component::Signal::kMetrics  ? "metric points"
                           : signal == component::Signal::kTraces ? "spans"
                                                                  : "log records";
  component::Labels labels = {{"processor", settings.id.ToString()}};
  accepted_ = t->GetCounter(
      "otelcol_processor_memory_limiter_accepted_" + items + "_total",
      "Number of " + noun + " successfully pushed into the next component in the pipeline.",
      labels);
  refused_ = t->GetCounter(
      "otelcol_processor_memory_limiter_refused_" + items + "_total",
      "Number of " + noun + " that were rejected by the next component in the pipeline.", labels);
}

MemoryLimiterProcessor::~MemoryLimiterProcessor() {
  std::lock_guard lock(mu_);
  if (started_) limiter_->Shutdown();
}

Status MemoryLimiterProcessor::Start(component::Host&) {
  std::lock_guard lock(mu_);
  if (!started_) {
    started_ = true;
    limiter_->Start();
  }
  return Status::Ok();
}

Status MemoryLimiterProcessor::Shutdown(component::Deadline) {
  std::lock_guard lock(mu_);
  if (started_) {
    started_ = false;
    limiter_->Shutdown();
  }
  return Status::Ok();
}

bool MemoryLimiterProcessor::Admit(size_t items) {
  if (limiter_->MustRefuse()) {
    refused_->Add(static_cast<double>(items));
    return false;
  }
  // Counted as accepted even if the next consumer then fails, as upstream.
  accepted_->Add(static_cast<double>(items));
  return true;
}

Status MemoryLimiterProcessor::ConsumeMetrics(component::MetricsBatch batch) {
  if (!Admit(batch->DataPointCount())) return DataRefused();
  return next_.ConsumeMetrics(std::move(batch));
}

Status MemoryLimiterProcessor::ConsumeTraces(component::TracesBatch batch) {
  if (!Admit(batch->SpanCount())) return DataRefused();
  return next_.ConsumeTraces(std::move(batch));
}

Status MemoryLimiterProcessor::ConsumeLogs(component::LogsBatch batch) {
  if (!Admit(batch->LogRecordCount())) return DataRefused();
  return next_.ConsumeLogs(std::move(batch));
}

}  // namespace astrolabe::processor::memory_limiter
