#pragma once
// Expositions shaped like the real endpoints Astrolabe scrapes, for tests and benchmarks (not
// linked into the product). Written from the facts in ../shared/reference/genai-signals.md §1-2:
// names, types, label sets, bucket boundaries and number formatting of NVIDIA NIM 1.x
// (/v1/metrics, Python prometheus_client: "42.0", le="1.0"), vLLM V1 (vllm:* names, engine
// label) and Kong AI Gateway (kong_ai_llm_*, Lua client: le="250", integers without ".0").
// Values are consistent: buckets cumulative, +Inf bucket == _count.

#include <cstddef>
#include <string>

#include "expfmt/format.h"

namespace astrolabe::expfmt::testing {

// NIM 1.x for `models` models (model_name="meta/llama-3.1-8b-instruct", "...-1", ...).
std::string NimPayload(Format format, int models = 1);

// vLLM V1 for `engines` engines of one model.
std::string VllmPayload(Format format, int engines = 1);

// Kong AI metrics for `models` models routed through one provider.
std::string KongPayload(Format format, int models = 2);

// `series` gauge/counter series spread over families of 100 series with 3 labels each, plus a
// few histograms; used for throughput numbers.
std::string GeneratedPayload(Format format, int series);

}  // namespace astrolabe::expfmt::testing
