#pragma once
// A synthetic fleet of hosts running prometheus-node-exporter, scraped every 15 s: the series
// shapes that dominate a real node_exporter scrape, with values that move the way real ones do.
//
// Per host (instance, job="node"), 134 series:
//   node_cpu_seconds_total{cpu,mode}   8 CPUs × 8 modes, counters in 1/100 s steps (USER_HZ);
//                                      steal and nice stay 0
//   node_memory_*_bytes                10 gauges, page-granular (4 KiB multiples), slow drift
//   node_filesystem_{avail,size,files,files_free}_bytes  × 3 mountpoints
//   node_network_{receive,transmit}_{bytes,packets,errs,drop}_total × 2 devices
//   node_disk_{reads,writes}_completed_total, _{read,written}_bytes_total, io_time_seconds_total,
//     read_time_seconds_total, write_time_seconds_total × 2 devices (the seconds in ms steps)
//   node_load1/5/15 (2 decimals), node_procs_running, node_procs_blocked,
//   node_context_switches_total, node_intr_total, node_forks_total, node_boot_time_seconds,
//   node_time_seconds (the scrape time, float), node_entropy_available_bits,
//   node_sockstat_TCP_inuse, node_timex_offset_seconds (float noise)
//
// Deterministic for a given seed. Not thread-safe.

#include <cstdint>
#include <random>
#include <vector>

#include "storage/labels.h"
#include "storage/storage.h"

namespace astrolabe::bench {

struct NodeOptions {
  int hosts = 75;  // × 134 = 10,050 series
  int64_t start_ms = 1763800000000;
  int64_t interval_ms = 15000;
  uint64_t seed = 1;
};

class NodeFleet {
 public:
  explicit NodeFleet(NodeOptions options);
  const std::vector<storage::Labels>& series() const { return labels_; }
  // Advances one scrape interval and writes every series' new sample to out[i] (resized).
  void Step(std::vector<storage::Sample>& out);

 private:
  enum class Kind : uint8_t {
    kCpu,
    kPageGauge,
    kSlowPageGauge,
    kConst,
    kCounterInt,
    kCounterMs,
    kLoad,
    kSmallGauge,
    kTime,
    kNoise
  };
  struct S {
    Kind kind;
    double value;
    double rate;  // mean increment per scrape (counters) or drift scale (gauges)
  };
  void Add(const std::vector<std::pair<std::string, std::string>>& labels, Kind kind, double value,
           double rate);

  NodeOptions options_;
  std::mt19937_64 rng_;
  std::vector<storage::Labels> labels_;
  std::vector<S> state_;
  int64_t step_ = 0;
};

}  // namespace astrolabe::bench
