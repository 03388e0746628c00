#pragma once
// The model catalogue: which Prometheus metric families the inference servers and AI gateways
// expose, what each one measures, in which unit, and which label carries the model and the
// provider (../shared/reference/genai-signals.md §1, §2; docs/genai-metrics.md).
//
//   const genai::MetricFamily* f = genai::LookupFamily("vllm:time_to_first_token_seconds_bucket");
//   // f->source == kVllm, f->quantity == kTimeToFirstToken, f->kind == kHistogram,
//   // f->model_label == "model_name", f->to_base == 1 (seconds)
//
//   for (const genai::MetricFamily* f : genai::FamiliesFor(genai::Quantity::kKvCacheUsage)) ...
//
// Sources and their spelling:
//   NIM 1.x     unprefixed (`num_requests_running`, `time_to_first_token_seconds`), model_name
//   vLLM        `vllm:` prefix, model_name (+ engine in V1)
//   Triton / TensorRT-LLM  `nv_inference_*`, `nv_trt_llm_*`, label `model`
//   Kong        `kong_ai_llm_*` (what the Prometheus plugin really exposes) and the bare
//               `ai_llm_*` of Kong's docs and OTLP-translated paths; ai_model + ai_provider
// Names are matched exactly — never by suffix (pitfall 1 of the reference): NIM's
// `request_success_total` (stop|length only) and vLLM's `vllm:request_success_total`
// (every finished request, by finished_reason) are different quantities.
//
// The data is static and immutable: every function is thread-safe.

#include <span>
#include <string_view>
#include <vector>

namespace astrolabe::genai {

enum class MetricSource { kNim, kVllm, kTriton, kKong };

enum class MetricKind { kCounter, kGauge, kHistogram };

// What a family measures, whatever the source calls it.
enum class Quantity {
  kRunning,                  // requests running now (gauge)
  kWaiting,                  // requests queued (gauge)
  kMaxRunning,               // max concurrently running requests (gauge)
  kKvCacheUsage,             // KV-cache usage, a fraction 0..1 (gauge)
  kPromptTokens,             // prefill/prompt tokens processed (counter)
  kGenerationTokens,         // generated/completion tokens (counter)
  kTokens,                   // tokens by type in `reason_label` (Kong's token_type)
  kTimeToFirstToken,         // TTFT (histogram)
  kTimePerOutputToken,       // TPOT, one observation per token after the first (histogram)
  kRequestLatency,           // end-to-end (server) or provider (gateway) latency (histogram)
  kRequestPromptTokens,      // prompt tokens per request (histogram)
  kRequestGenerationTokens,  // generated tokens per request (histogram)
  kFinished,                 // finished requests by reason in `reason_label` (counter)
  kSuccess,                  // successful requests (counter)
  kFailure,                  // failed requests (counter; Triton: by `reason_label`)
  kRequests,                 // all requests (counter)
  kCost,                     // cost as the source computes it (counter, operator's currency)
  kRequestDurationTotal,     // cumulative request duration (counter; Triton µs)
  kQueueDurationTotal,       // cumulative queueing duration (counter; Triton µs)
};

struct MetricFamily {
  // The family's name as exposed. Histograms: the base name (samples add _bucket/_sum/_count);
  // counters: the full sample name (with _total where the exposition has it).
  std::string_view name;
  MetricSource source;
  MetricKind kind;
  Quantity quantity;
  // Unit of the sample values (histograms: of `le` and _sum): "seconds", "milliseconds",
  // "microseconds", "tokens", "requests", "ratio", "currency".
  std::string_view unit;
  // Multiply a value by this to get the base unit (seconds for times; 1 otherwise).
  double to_base;
  std::string_view model_label;     // the label naming the model
  std::string_view provider_label;  // the label naming the provider; "" when the source has none
  // A label matcher the family needs to mean `quantity` (Triton's multiplexed gauges:
  // `request_type="active"`), as PromQL matcher text; "" for none.
  std::string_view selector;
  // The label that splits the counter by reason or type (finished_reason, reason, token_type).
  std::string_view reason_label;
  std::string_view meaning;  // one line for docs and the UI
};

// Every family of the catalogue, grouped by source.
std::span<const MetricFamily> Families();

// The family `name` belongs to: the exact family name, or a histogram's _bucket/_sum/_count
// sample name. Null for a name the catalogue does not know. For a multiplexed Triton gauge
// (several entries share the name, told apart by `selector`) the first entry.
const MetricFamily* LookupFamily(std::string_view name);

// Every entry named `name` (as LookupFamily; several for a multiplexed gauge).
std::vector<const MetricFamily*> LookupFamilies(std::string_view name);

// The families measuring `quantity`, in catalogue order (NIM, vLLM, Triton, Kong).
std::vector<const MetricFamily*> FamiliesFor(Quantity quantity);

// The families of `source` measuring `quantity` (empty when the source has none; several
// when names changed between versions, e.g. vLLM's kv_cache_usage_perc, then its deprecated
// gpu_cache_usage_perc).
std::vector<const MetricFamily*> FamiliesFor(MetricSource source, Quantity quantity);

// "nim", "vllm", "triton", "kong".
std::string_view SourceName(MetricSource source);
// "counter", "gauge", "histogram".
std::string_view KindName(MetricKind kind);
// "running", "waiting", "max_running", "kv_cache_usage", "prompt_tokens", ... (snake_case).
std::string_view QuantityName(Quantity quantity);

// The finish reasons that count as success (NIM's definition: stop and length); abort,
// error, repetition and the rest are failures.
bool IsSuccessfulFinishReason(std::string_view reason);

}  // namespace astrolabe::genai
