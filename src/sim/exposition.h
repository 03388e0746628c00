#pragma once
// Prometheus text expositions of simulated engines and gateways, in the real products' shapes
// (../shared/reference/genai-signals.md §1.2, §1.3, §2.2): names, types, HELP texts, label
// names and order, bucket boundaries and `le` spelling.
//
//   NIM 1.x   unprefixed names, label model_name, vLLM V0 buckets, le="1.0" (Python floats)
//   vLLM V1   "vllm:" names, labels engine + model_name, V1 buckets
//   Kong      kong_ai_llm_* with Kong's label order, millisecond buckets, le="250"
//
// Pure functions of their inputs; thread-compatible.

#include <string>
#include <string_view>
#include <vector>

#include "sim/engine.h"

namespace astrolabe::sim {

struct ModelStatsView {
  std::string_view model;
  const EngineStats* stats;
};

// Appends the NIM 1.x exposition of `models` to `out`.
void WriteNimExposition(const std::vector<ModelStatsView>& models, std::string* out);
// Appends the vLLM V1 exposition (engine="0") of `models` to `out`.
void WriteVllmExposition(const std::vector<ModelStatsView>& models, int64_t kv_cache_tokens,
                         std::string* out);

// Kong's per-(provider, model) AI counters, as exporter.lua keeps them.
struct KongSeries {
  std::string provider;
  std::string model;
  uint64_t requests = 0;
  double cost = 0;  // only exposed once > 0 (Kong increments it only when cost > 0)
  uint64_t prompt_tokens = 0, completion_tokens = 0, total_tokens = 0;
  Histogram latency_ms{KongLatencyBuckets()};

  static std::vector<double> KongLatencyBuckets();
};

// Appends the Kong exposition (ai metrics plus kong_datastore_reachable and kong_nginx_*
// basics) to `out`. `series` in the order they should appear (Kong sorts by label text).
void WriteKongExposition(const std::vector<const KongSeries*>& series, uint64_t connections,
                         std::string* out);

// A double as Python's repr prints it ("1.0", "0.025", "100000.0"), for NIM/vLLM `le` values.
std::string PythonFloat(double v);

}  // namespace astrolabe::sim
