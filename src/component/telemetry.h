#pragma once
// Telemetry: the process's own metrics (service.telemetry.metrics), served in the
// Prometheus text format at localhost:8888/metrics. Names follow the OpenTelemetry
// Collector's (otelcol_receiver_accepted_metric_points_total, ...), so dashboards built
// for the upstream collector work unchanged.
//
// Thread-safe. Instruments are created once (at component creation) and updated on the
// data path with one relaxed atomic add; rendering takes the registry lock.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace astrolabe::component {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void Add(double v = 1) {
    double cur = value_.load(std::memory_order_relaxed);
    while (!value_.compare_exchange_weak(cur, cur + v, std::memory_order_relaxed)) {
    }
  }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Add(double v) {
    double cur = value_.load(std::memory_order_relaxed);
    while (!value_.compare_exchange_weak(cur, cur + v, std::memory_order_relaxed)) {
    }
  }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// A histogram with fixed bucket upper bounds, rendered as Prometheus' _bucket (cumulative,
// with le="+Inf"), _sum and _count series. Observe() is lock-free.
class Histogram {
 public:
  // REQUIRES: `bounds` ascending.
  explicit Histogram(std::vector<double> bounds);
  void Observe(double v);

  const std::vector<double>& bounds() const { return bounds_; }
  // Per-bucket (not cumulative) counts; bounds().size() + 1 entries, the last for +Inf.
  std::vector<uint64_t> BucketCounts() const;
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  double sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;
  std::atomic<uint64_t> count_{0};
  std::atomic<double> sum_{0};
};

class Telemetry {
 public:
  // Returns the counter for (name, labels), creating it on first use. The pointer stays
  // valid for the registry's lifetime. `name` should end in _total.
  Counter* GetCounter(const std::string& name, const std::string& help, const Labels& labels);
  Gauge* GetGauge(const std::string& name, const std::string& help, const Labels& labels);
  // `bounds` are used when the series is created; a later call returns the same histogram.
  Histogram* GetHistogram(const std::string& name, const std::string& help, const Labels& labels,
                          const std::vector<double>& bounds);
  // A gauge read at render time (process RSS, queue sizes).
  void AddCallbackGauge(const std::string& name, const std::string& help, const Labels& labels,
                        std::function<double()> read);
  // Removes callback gauges registered with these labels (a component shutting down).
  void RemoveCallbacks(const Labels& labels);

  // Prometheus text exposition 0.0.4 of every instrument, families sorted by name.
  std::string RenderText() const;

 private:
  struct Series {
    Labels labels;
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
    std::function<double()> read;
    std::unique_ptr<Histogram> histogram;
  };
  struct Family {
    std::string help;
    std::string type;  // "counter" | "gauge" | "histogram"
    std::vector<Series> series;
  };
  Family& FamilyFor(const std::string& name, const std::string& help, const std::string& type);

  mutable std::mutex mu_;
  std::map<std::string, Family> families_;  // GUARDED_BY(mu_)
};

// The standard per-component instruments (upstream's obsreport names).
struct ReceiverInstruments {
  Counter* accepted = nullptr;  // items pushed into the pipeline
  Counter* refused = nullptr;   // items the pipeline refused
  static ReceiverInstruments Create(Telemetry& t, const std::string& id, const std::string& signal,
                                    const std::string& transport);
};

struct ProcessorInstruments {
  Counter* incoming = nullptr;
  Counter* outgoing = nullptr;
  static ProcessorInstruments Create(Telemetry& t, const std::string& id,
                                     const std::string& signal);
};

struct ExporterInstruments {
  Counter* sent = nullptr;
  Counter* failed = nullptr;
  static ExporterInstruments Create(Telemetry& t, const std::string& id, const std::string& signal);
};

// The unit word upstream uses in metric names for a signal: metric_points, spans, log_records.
std::string SignalItems(const std::string& signal);

// Registers process_* gauges (RSS, CPU seconds, uptime) read from /proc/self.
void RegisterProcessMetrics(Telemetry& t, int64_t start_unix_nanos);

}  // namespace astrolabe::component
