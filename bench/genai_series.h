#pragma once
// A synthetic NIM + Kong AI Gateway fleet for storage benchmarks: the series a server scraping
// them every 10 s would store, with values that move the way real ones do (names, labels and
// bucket layouts from ../shared/reference/genai-signals.md §1.2 and §2.2).
//
//   NIM pods:   97 series each — 4 gauges, 7 counters, 5 classic histograms (TTFT, TPOT, e2e
//               latency, prompt and generation tokens) with model_name, pod, instance, job labels.
//   Kong:       22 series per (gateway, provider, model, workspace) — requests, cost and tokens
//               (token_type ×3) counters and the provider-latency histogram in integer ms.
// Requests arrive per target as a Poisson process whose rate follows a day curve; each request
// draws TTFT, TPOT, token counts and latency from log-normal distributions and updates the
// cumulative buckets, _sum and _count exactly as a client library would.
//
// Deterministic for a given seed. Not thread-safe.

#include <cstdint>
#include <random>
#include <vector>

#include "storage/labels.h"
#include "storage/storage.h"

namespace astrolabe::bench {

struct GenAiOptions {
  int nim_pods = 60;
  int kong_gateways = 4;
  int kong_routes = 48;  // (provider, model, workspace) combinations per gateway
  int64_t start_ms = 1763800000000;
  int64_t interval_ms = 10000;
  // Each scrape's timestamp is off the exact interval by up to ±jitter_ms (0: aligned, as
  // Prometheus ≥ 2.43 stores them within its 2 ms tolerance).
  int jitter_ms = 0;
  uint64_t seed = 1;
};

class GenAiFleet {
 public:
  explicit GenAiFleet(GenAiOptions options);

  const std::vector<storage::Labels>& series() const { return labels_; }
  // Advances one scrape interval and writes every series' new sample to out[i] (resized).
  void Step(std::vector<storage::Sample>& out);

 private:
  struct Histogram {
    size_t first_series;         // buckets (+Inf last), then _sum, then _count
    std::vector<double> bounds;  // without +Inf
    std::vector<double> counts;  // cumulative per bucket, +Inf last
    double sum = 0;
    double count = 0;
    void Observe(double v);
  };
  struct NimPod {
    size_t first_series;
    std::vector<Histogram> hist;  // ttft, tpot, e2e, prompt, generation
    double rate;                  // requests per second at peak
    double prompt_tokens = 0, generation_tokens = 0, success = 0, failure = 0;
    double finish[3] = {0, 0, 0};  // stop, length, abort
    double running = 0, waiting = 0, cache = 0.1;
    int64_t phase_ms;  // scrape offset inside the interval
  };
  struct KongRoute {
    size_t first_series;
    Histogram latency;
    double rate;
    double price_in, price_out;  // per token
    double requests = 0, cost = 0, tokens[3] = {0, 0, 0};
    int64_t phase_ms;
  };

  size_t Add(std::vector<std::pair<std::string, std::string>> labels);
  Histogram AddHistogram(const std::string& name,
                         const std::vector<std::pair<std::string, std::string>>& base,
                         std::vector<double> bounds);
  double DayFactor(int64_t t) const;
  int Poisson(double mean);
  double LogNormal(double median, double sigma);
  int64_t Jitter();

  GenAiOptions options_;
  std::mt19937_64 rng_;
  std::vector<storage::Labels> labels_;
  std::vector<NimPod> pods_;
  std::vector<KongRoute> routes_;
  int64_t step_ = 0;
};

}  // namespace astrolabe::bench
