#include "processor/batch/batch_processor.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/log.h"
#include "common/strings.h"
#include "component/telemetry.h"
#include "processor/batch/split.h"

namespace astrolabe::processor::batch {
namespace {

using SteadyTime = std::chrono::steady_clock::time_point;

// What differs between the signals.
template <typename T>
struct Traits;

template <>
struct Traits<pdata::Metrics> {
  static size_t Count(const pdata::Metrics& d) { return d.DataPointCount(); }
  static void Append(pdata::Metrics& to, pdata::Metrics&& from) {
    for (auto& r : from.resource_metrics) to.resource_metrics.push_back(std::move(r));
  }
  static pdata::Metrics Split(size_t n, pdata::Metrics& src) { return SplitMetrics(n, src); }
  static Status Send(component::Consumer& c, pdata::Batch<pdata::Metrics> b) {
    return c.ConsumeMetrics(std::move(b));
  }
};

template <>
struct Traits<pdata::Traces> {
  static size_t Count(const pdata::Traces& d) { return d.SpanCount(); }
  static void Append(pdata::Traces& to, pdata::Traces&& from) {
    for (auto& r : from.resource_spans) to.resource_spans.push_back(std::move(r));
  }
  static pdata::Traces Split(size_t n, pdata::Traces& src) { return SplitTraces(n, src); }
  static Status Send(component::Consumer& c, pdata::Batch<pdata::Traces> b) {
    return c.ConsumeTraces(std::move(b));
  }
};

template <>
struct Traits<pdata::Logs> {
  static size_t Count(const pdata::Logs& d) { return d.LogRecordCount(); }
  static void Append(pdata::Logs& to, pdata::Logs&& from) {
    for (auto& r : from.resource_logs) to.resource_logs.push_back(std::move(r));
  }
  static pdata::Logs Split(size_t n, pdata::Logs& src) { return SplitLogs(n, src); }
  static Status Send(component::Consumer& c, pdata::Batch<pdata::Logs> b) {
    return c.ConsumeLogs(std::move(b));
  }
};

// Upstream's bucket boundaries for otelcol_processor_batch_batch_send_size.
const std::vector<double>& SendSizeBounds() {
  static const std::vector<double> kBounds = {10,   25,    50,    75,    100,   250,   500,  750,
                                              1000, 2000,  3000,  4000,  5000,  6000,  7000, 8000,
                                              9000, 10000, 20000, 30000, 50000, 100000};
  return kBounds;
}

enum class Trigger { kSize, kTimeout };

template <typename T>
class Impl final : public BatchProcessor {
 public:
  Impl(const component::CreateSettings& settings, const Config& config, component::Consumer& next)
      : next_(next),
        timeout_(config.timeout),
        send_batch_size_(static_cast<size_t>(config.send_batch_size)),
        send_batch_max_size_(static_cast<size_t>(config.send_batch_max_size)),
        has_timer_(config.timeout > Duration::zero() && config.send_batch_size > 0),
        cardinality_limit_(static_cast<size_t>(config.metadata_cardinality_limit)),
        log_(GetLogger("processor/" + settings.id.ToString())) {
    for (const std::string& k : config.metadata_keys) {
      metadata_keys_.push_back(AsciiLower(k));
    }
    std::sort(metadata_keys_.begin(), metadata_keys_.end());

    component::Telemetry* t = settings.telemetry;
    if (t == nullptr) {
      own_telemetry_ = std::make_unique<component::Telemetry>();
      t = own_telemetry_.get();
    }
    component::Labels labels = {{"processor", settings.id.ToString()}};
    send_size_ = t->GetHistogram("otelcol_processor_batch_batch_send_size",
                                 "Number of units in the batch", labels, SendSizeBounds());
    size_trigger_ =
        t->GetCounter("otelcol_processor_batch_batch_size_trigger_send_total",
                      "Number of times the batch was sent due to a size trigger", labels);
    timeout_trigger_ =
        t->GetCounter("otelcol_processor_batch_timeout_trigger_send_total",
                      "Number of times the batch was sent due to a timeout trigger", labels);
    cardinality_ =
        t->GetGauge("otelcol_processor_batch_metadata_cardinality",
                    "Number of distinct metadata value combinations being processed", labels);
    if (metadata_keys_.empty()) NewShard("", nullptr);
  }

  ~Impl() override {
    StopTimer();
    // Instances come and go with reloads; the gauge adds up the groups of live ones.
    std::lock_guard lock(mu_);
    cardinality_->Add(-static_cast<double>(shards_.size()));
  }

  Status Start(component::Host&) override {
    std::lock_guard lock(mu_);
    if (has_timer_ && !timer_.joinable() && !stopping_) {
      timer_ = std::thread([this] { TimerLoop(); });
    }
    return Status::Ok();
  }

  Status Shutdown(component::Deadline) override {
    StopTimer();
    std::lock_guard lock(mu_);
    if (shut_down_) return Status::Ok();
    for (auto& [key, shard] : shards_) {
      while (shard->count > 0) SendOne(*shard, Trigger::kTimeout);
    }
    shut_down_ = true;
    return Status::Ok();
  }

  Status ConsumeMetrics(component::MetricsBatch batch) override {
    if constexpr (std::is_same_v<T, pdata::Metrics>) {
      return Consume(std::move(batch));
    } else {
      return Consumer::ConsumeMetrics(std::move(batch));
    }
  }
  Status ConsumeTraces(component::TracesBatch batch) override {
    if constexpr (std::is_same_v<T, pdata::Traces>) {
      return Consume(std::move(batch));
    } else {
      return Consumer::ConsumeTraces(std::move(batch));
    }
  }
  Status ConsumeLogs(component::LogsBatch batch) override {
    if constexpr (std::is_same_v<T, pdata::Logs>) {
      return Consume(std::move(batch));
    } else {
      return Consumer::ConsumeLogs(std::move(batch));
    }
  }
  bool MutatesData() const override { return true; }

  size_t PendingItems() const override {
    std::lock_guard lock(mu_);
    size_t n = 0;
    for (const auto& [key, shard] : shards_) n += shard->count;
    return n;
  }
  size_t MetadataCardinality() const override {
    std::lock_guard lock(mu_);
    return shards_.size();
  }

 private:
  // One pending batch: upstream's "shard", one per metadata-value combination.
  struct Shard {
    std::shared_ptr<const pdata::ClientMetadata> metadata;  // attached to what it sends
    T pending;
    size_t count = 0;     // items in `pending`
    SteadyTime origin;    // when the timer was last (re)started
    SteadyTime flush_at;  // when the timer fires next; meaningful while count > 0
  };

  Status Consume(pdata::Batch<T> batch) {
    const size_t n = Traits<T>::Count(*batch);
    if (n == 0) return Status::Ok();  // nothing to batch; upstream drops it too
    std::unique_lock lock(mu_);
    if (shut_down_) {
      lock.unlock();
      return PassThrough(std::move(batch));
    }
    Shard* shard = nullptr;
    if (metadata_keys_.empty()) {
      shard = shards_.begin()->second.get();
    } else {
      Result<Shard*> found = ShardFor(batch.client_metadata());
      if (!found.ok()) return found.status();
      shard = *found;
    }
    const bool was_empty = shard->count == 0;
    Traits<T>::Append(shard->pending, std::move(batch.Mutable()));
    shard->count += n;
    bool sent = false;
    while (shard->count > 0 && (!has_timer_ || shard->count >= send_batch_size_)) {
      SendOne(*shard, Trigger::kSize);
      sent = true;
    }
    if (!has_timer_) return Status::Ok();
    const SteadyTime now = std::chrono::steady_clock::now();
    if (sent) shard->origin = now;  // upstream stops and resets the timer after a size send
    if (shard->count > 0 && (was_empty || sent)) {
      shard->flush_at = NextTick(*shard, now);
      timer_cv_.notify_one();
    }
    return Status::Ok();
  }

  // The first timer tick after `now`: the timer restarts every `timeout` from `origin`.
  SteadyTime NextTick(const Shard& shard, SteadyTime now) const {
    auto elapsed = now - shard.origin;
    auto ticks = elapsed / timeout_;  // whole periods that have passed
    return shard.origin + (ticks + 1) * timeout_;
  }

  // The group of `metadata`'s values for metadata_keys, created if new.
  // REQUIRES: mu_ held, metadata_keys_ not empty.
  Result<Shard*> ShardFor(const pdata::ClientMetadata* metadata) {
    // Upstream keys groups by an attribute set where one value is a string and any other
    // count (none included) a list: so "absent" and "" differ. Encode the same distinction.
    std::string key;
    for (const std::string& k : metadata_keys_) {
      static const std::vector<std::string> kNone;
      const std::vector<std::string>& values = metadata ? metadata->Get(k) : kNone;
      key += values.size() == 1 ? 's' : 'l';
      key += std::to_string(values.size()) + ':';
      for (const std::string& v : values) key += std::to_string(v.size()) + ':' + v;
    }
    auto it = shards_.find(key);
    if (it != shards_.end()) return it->second.get();
    if (cardinality_limit_ != 0 && shards_.size() >= cardinality_limit_) {
      // Permanent, as upstream's consumererror.NewPermanent.
      return FailedPrecondition("too many batcher metadata-value combinations");
    }
    auto kept = std::make_shared<pdata::ClientMetadata>();
    for (const std::string& k : metadata_keys_) {
      if (metadata == nullptr) continue;
      for (const std::string& v : metadata->Get(k)) kept->Add(k, v);
    }
    return NewShard(std::move(key), std::move(kept));
  }

  // REQUIRES: mu_ held (or the constructor).
  Shard* NewShard(std::string key, std::shared_ptr<const pdata::ClientMetadata> metadata) {
    auto shard = std::make_unique<Shard>();
    shard->metadata = std::move(metadata);
    shard->origin = std::chrono::steady_clock::now();
    Shard* raw = shard.get();
    shards_.emplace(std::move(key), std::move(shard));
    cardinality_->Add(1);
    return raw;
  }

  // Sends up to send_batch_max_size pending items of `shard`. REQUIRES: mu_ held,
  // shard.count > 0.
  void SendOne(Shard& shard, Trigger trigger) {
    size_t take = shard.count;
    if (send_batch_max_size_ > 0 && take > send_batch_max_size_) take = send_batch_max_size_;
    T out;
    if (take == shard.count) {
      std::swap(out, shard.pending);
    } else {
      out = Traits<T>::Split(take, shard.pending);
    }
    shard.count -= take;
    pdata::Batch<T> batch(std::move(out));
    batch.set_client_metadata(shard.metadata);
    Status s = Traits<T>::Send(next_, std::move(batch));
    if (!s.ok()) {
      log_->warn("Sender failed: {}", s.ToString());
      return;
    }
    (trigger == Trigger::kSize ? size_trigger_ : timeout_trigger_)->Add(1);
    send_size_->Observe(static_cast<double>(take));
  }

  Status PassThrough(pdata::Batch<T> batch) {
    size_t n = Traits<T>::Count(*batch);
    if (send_batch_max_size_ == 0 || n <= send_batch_max_size_) {
      return Traits<T>::Send(next_, std::move(batch));
    }
    T rest = std::move(batch.Mutable());
    while (Traits<T>::Count(rest) > 0) {
      pdata::Batch<T> part(Traits<T>::Split(send_batch_max_size_, rest));
      part.set_client_metadata(batch.shared_client_metadata());
      RETURN_IF_ERROR(Traits<T>::Send(next_, std::move(part)));
    }
    return Status::Ok();
  }

  void TimerLoop() {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      SteadyTime next = SteadyTime::max();
      for (const auto& [key, shard] : shards_) {
        if (shard->count > 0) next = std::min(next, shard->flush_at);
      }
      // Idle (nothing pending) means no wake-ups: the next tick is computed from the
      // timer's origin when data arrives.
      if (next == SteadyTime::max()) {
        timer_cv_.wait(lock);
      } else {
        timer_cv_.wait_until(lock, next);
      }
      if (stopping_) break;
      const SteadyTime now = std::chrono::steady_clock::now();
      for (auto& [key, shard] : shards_) {
        if (shard->count == 0 || shard->flush_at > now) continue;
        shard->origin = shard->flush_at;
        SendOne(*shard, Trigger::kTimeout);
        if (shard->count > 0) shard->flush_at = NextTick(*shard, now);
      }
    }
  }

  void StopTimer() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    timer_cv_.notify_all();
    if (timer_.joinable()) timer_.join();
  }

  component::Consumer& next_;
  const Duration timeout_;
  const size_t send_batch_size_;
  const size_t send_batch_max_size_;
  const bool has_timer_;
  const size_t cardinality_limit_;
  std::vector<std::string> metadata_keys_;  // lower-cased, sorted
  std::shared_ptr<spdlog::logger> log_;

  std::unique_ptr<component::Telemetry> own_telemetry_;  // when settings had none
  component::Histogram* send_size_ = nullptr;
  component::Counter* size_trigger_ = nullptr;
  component::Counter* timeout_trigger_ = nullptr;
  component::Gauge* cardinality_ = nullptr;

  mutable std::mutex mu_;
  std::condition_variable timer_cv_;
  std::map<std::string, std::unique_ptr<Shard>> shards_;  // GUARDED_BY(mu_)
  bool stopping_ = false;                                 // GUARDED_BY(mu_)
  bool shut_down_ = false;                                // GUARDED_BY(mu_)
  std::thread timer_;
};

}  // namespace

std::unique_ptr<BatchProcessor> NewBatchProcessor(const component::CreateSettings& settings,
                                                  const Config& config, component::Signal signal,
                                                  component::Consumer& next) {
  switch (signal) {
    case component::Signal::kMetrics:
      return std::make_unique<Impl<pdata::Metrics>>(settings, config, next);
    case component::Signal::kTraces:
      return std::make_unique<Impl<pdata::Traces>>(settings, config, next);
    case component::Signal::kLogs:
      return std::make_unique<Impl<pdata::Logs>>(settings, config, next);
  }
  return nullptr;
}

}  // namespace astrolabe::processor::batch
