#include "genai/catalogue.h"

#include <array>

namespace astrolabe::genai {
namespace {

using K = MetricKind;
using Q = Quantity;
using S = MetricSource;

// Sources: ../shared/reference/genai-signals.md §1.2 (NIM 1.x real capture), §1.3 (vLLM V0/V1),
// §1.4 (Triton core and the TRT-LLM backend), §2.2 (Kong exporter.lua). Kong's families are
// listed twice: with the `kong_` prefix its Prometheus plugin really adds, and bare, as Kong's
// docs print them (and as some relabelled setups store them).
constexpr MetricFamily kFamilies[] = {
    // ---- NVIDIA NIM for LLMs 1.x (vLLM V0 names without the prefix)
    {"num_requests_running", S::kNim, K::kGauge, Q::kRunning, "requests", 1, "model_name", "", "",
     "", "requests currently running on the GPU"},
    {"num_requests_waiting", S::kNim, K::kGauge, Q::kWaiting, "requests", 1, "model_name", "", "",
     "", "requests waiting to be processed"},
    {"num_request_max", S::kNim, K::kGauge, Q::kMaxRunning, "requests", 1, "model_name", "", "", "",
     "max number of concurrently running requests"},
    {"gpu_cache_usage_perc", S::kNim, K::kGauge, Q::kKvCacheUsage, "ratio", 1, "model_name", "", "",
     "", "GPU KV-cache usage, a fraction (1 = 100 %)"},
    {"prompt_tokens_total", S::kNim, K::kCounter, Q::kPromptTokens, "tokens", 1, "model_name", "",
     "", "", "prefill tokens processed"},
    {"generation_tokens_total", S::kNim, K::kCounter, Q::kGenerationTokens, "tokens", 1,
     "model_name", "", "", "", "generation tokens processed"},
    {"time_to_first_token_seconds", S::kNim, K::kHistogram, Q::kTimeToFirstToken, "seconds", 1,
     "model_name", "", "", "", "time to first token"},
    {"time_per_output_token_seconds", S::kNim, K::kHistogram, Q::kTimePerOutputToken, "seconds", 1,
     "model_name", "", "", "", "time per output token (one observation per token)"},
    {"e2e_request_latency_seconds", S::kNim, K::kHistogram, Q::kRequestLatency, "seconds", 1,
     "model_name", "", "", "", "end-to-end request latency"},
    {"request_prompt_tokens", S::kNim, K::kHistogram, Q::kRequestPromptTokens, "tokens", 1,
     "model_name", "", "", "", "prompt tokens per request"},
    {"request_generation_tokens", S::kNim, K::kHistogram, Q::kRequestGenerationTokens, "tokens", 1,
     "model_name", "", "", "", "generated tokens per request"},
    {"request_finish_total", S::kNim, K::kCounter, Q::kFinished, "requests", 1, "model_name", "",
     "", "finished_reason", "finished requests by finish reason"},
    {"request_success_total", S::kNim, K::kCounter, Q::kSuccess, "requests", 1, "model_name", "",
     "", "", "requests finished with reason stop or length"},
    {"request_failure_total", S::kNim, K::kCounter, Q::kFailure, "requests", 1, "model_name", "",
     "", "", "requests finished with any other reason"},

    // ---- vLLM (V0 and V1; V1 adds the `engine` label)
    {"vllm:num_requests_running", S::kVllm, K::kGauge, Q::kRunning, "requests", 1, "model_name", "",
     "", "", "requests in model execution batches"},
    {"vllm:num_requests_waiting", S::kVllm, K::kGauge, Q::kWaiting, "requests", 1, "model_name", "",
     "", "", "requests waiting to be processed"},
    {"vllm:kv_cache_usage_perc", S::kVllm, K::kGauge, Q::kKvCacheUsage, "ratio", 1, "model_name",
     "", "", "", "KV-cache usage, a fraction (1 = 100 %)"},
    {"vllm:gpu_cache_usage_perc", S::kVllm, K::kGauge, Q::kKvCacheUsage, "ratio", 1, "model_name",
     "", "", "", "GPU KV-cache usage, a fraction (deprecated in 0.9 for kv_cache_usage_perc)"},
    {"vllm:prompt_tokens_total", S::kVllm, K::kCounter, Q::kPromptTokens, "tokens", 1, "model_name",
     "", "", "", "prefill tokens processed"},
    {"vllm:generation_tokens_total", S::kVllm, K::kCounter, Q::kGenerationTokens, "tokens", 1,
     "model_name", "", "", "", "generation tokens processed"},
    {"vllm:time_to_first_token_seconds", S::kVllm, K::kHistogram, Q::kTimeToFirstToken, "seconds",
     1, "model_name", "", "", "", "time to first token"},
    {"vllm:time_per_output_token_seconds", S::kVllm, K::kHistogram, Q::kTimePerOutputToken,
     "seconds", 1, "model_name", "", "", "", "time per output token (one observation per token)"},
    {"vllm:e2e_request_latency_seconds", S::kVllm, K::kHistogram, Q::kRequestLatency, "seconds", 1,
     "model_name", "", "", "", "end-to-end request latency"},
    {"vllm:request_prompt_tokens", S::kVllm, K::kHistogram, Q::kRequestPromptTokens, "tokens", 1,
     "model_name", "", "", "", "prompt tokens per request"},
    {"vllm:request_generation_tokens", S::kVllm, K::kHistogram, Q::kRequestGenerationTokens,
     "tokens", 1, "model_name", "", "", "", "generated tokens per request"},
    // Every finished request, by reason (unlike NIM's request_success_total).
    {"vllm:request_success_total", S::kVllm, K::kCounter, Q::kFinished, "requests", 1, "model_name",
     "", "", "finished_reason", "finished requests by finish reason"},

    // ---- Triton core (nv_inference_*) and the TensorRT-LLM backend (nv_trt_llm_*)
    {"nv_inference_request_success", S::kTriton, K::kCounter, Q::kSuccess, "requests", 1, "model",
     "", "", "", "successful inference requests"},
    {"nv_inference_request_failure", S::kTriton, K::kCounter, Q::kFailure, "requests", 1, "model",
     "", "", "reason", "failed inference requests by reason"},
    {"nv_inference_pending_request_count", S::kTriton, K::kGauge, Q::kWaiting, "requests", 1,
     "model", "", "", "", "requests awaiting execution"},
    {"nv_inference_request_duration_us", S::kTriton, K::kCounter, Q::kRequestDurationTotal,
     "microseconds", 1e-6, "model", "", "", "", "cumulative request duration"},
    {"nv_inference_queue_duration_us", S::kTriton, K::kCounter, Q::kQueueDurationTotal,
     "microseconds", 1e-6, "model", "", "", "", "cumulative queueing duration"},
    {"nv_inference_first_response_histogram_ms", S::kTriton, K::kHistogram, Q::kTimeToFirstToken,
     "milliseconds", 1e-3, "model", "", "", "", "time to first response"},
    {"nv_trt_llm_request_metrics", S::kTriton, K::kGauge, Q::kRunning, "requests", 1, "model", "",
     "request_type=\"active\"", "", "active requests"},
    {"nv_trt_llm_request_metrics", S::kTriton, K::kGauge, Q::kWaiting, "requests", 1, "model", "",
     "request_type=\"waiting\"", "", "waiting requests"},
    {"nv_trt_llm_request_metrics", S::kTriton, K::kGauge, Q::kMaxRunning, "requests", 1, "model",
     "", "request_type=\"max\"", "", "max concurrently active requests"},
    {"nv_trt_llm_kv_cache_block_metrics", S::kTriton, K::kGauge, Q::kKvCacheUsage, "ratio", 1,
     "model", "", "kv_cache_block_type=\"fraction\"", "", "KV-cache blocks used / max"},

    // ---- Kong AI Gateway (Prometheus plugin with ai_metrics), as exposed and bare
    {"kong_ai_llm_requests_total", S::kKong, K::kCounter, Q::kRequests, "requests", 1, "ai_model",
     "ai_provider", "", "", "AI requests proxied"},
    {"kong_ai_llm_cost_total", S::kKong, K::kCounter, Q::kCost, "currency", 1, "ai_model",
     "ai_provider", "", "", "cost Kong computed from its per-route prices"},
    {"kong_ai_llm_tokens_total", S::kKong, K::kCounter, Q::kTokens, "tokens", 1, "ai_model",
     "ai_provider", "", "token_type", "tokens by token_type (prompt/completion/total_tokens)"},
    {"kong_ai_llm_provider_latency_ms", S::kKong, K::kHistogram, Q::kRequestLatency, "milliseconds",
     1e-3, "ai_model", "ai_provider", "", "", "LLM provider latency"},
    {"ai_llm_requests_total", S::kKong, K::kCounter, Q::kRequests, "requests", 1, "ai_model",
     "ai_provider", "", "", "AI requests proxied"},
    {"ai_llm_cost_total", S::kKong, K::kCounter, Q::kCost, "currency", 1, "ai_model", "ai_provider",
     "", "", "cost Kong computed from its per-route prices"},
    {"ai_llm_tokens_total", S::kKong, K::kCounter, Q::kTokens, "tokens", 1, "ai_model",
     "ai_provider", "", "token_type", "tokens by token_type (prompt/completion/total_tokens)"},
    {"ai_llm_provider_latency_ms", S::kKong, K::kHistogram, Q::kRequestLatency, "milliseconds",
     1e-3, "ai_model", "ai_provider", "", "", "LLM provider latency"},
};

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

std::span<const MetricFamily> Families() { return kFamilies; }

std::vector<const MetricFamily*> LookupFamilies(std::string_view name) {
  std::vector<const MetricFamily*> out;
  for (const MetricFamily& f : kFamilies) {
    if (f.name == name) out.push_back(&f);
  }
  if (!out.empty()) return out;
  for (std::string_view suffix : {"_bucket", "_sum", "_count"}) {
    if (!EndsWith(name, suffix)) continue;
    const std::string_view base = name.substr(0, name.size() - suffix.size());
    for (const MetricFamily& f : kFamilies) {
      if (f.kind == K::kHistogram && f.name == base) out.push_back(&f);
    }
    break;
  }
  return out;
}

const MetricFamily* LookupFamily(std::string_view name) {
  auto all = LookupFamilies(name);
  return all.empty() ? nullptr : all.front();
}

std::vector<const MetricFamily*> FamiliesFor(Quantity quantity) {
  std::vector<const MetricFamily*> out;
  for (const MetricFamily& f : kFamilies) {
    if (f.quantity == quantity) out.push_back(&f);
  }
  return out;
}

std::vector<const MetricFamily*> FamiliesFor(MetricSource source, Quantity quantity) {
  std::vector<const MetricFamily*> out;
  for (const MetricFamily& f : kFamilies) {
    if (f.source == source && f.quantity == quantity) out.push_back(&f);
  }
  return out;
}

std::string_view SourceName(MetricSource source) {
  switch (source) {
    case S::kNim:
      return "nim";
    case S::kVllm:
      return "vllm";
    case S::kTriton:
      return "triton";
    case S::kKong:
      return "kong";
  }
  return "unknown";
}

std::string_view KindName(MetricKind kind) {
  switch (kind) {
    case K::kCounter:
      return "counter";
    case K::kGauge:
      return "gauge";
    case K::kHistogram:
      return "histogram";
  }
  return "unknown";
}

std::string_view QuantityName(Quantity quantity) {
  static constexpr std::array<std::string_view, 19> kNames = {"running",
                                                              "waiting",
                                                              "max_running",
                                                              "kv_cache_usage",
                                                              "prompt_tokens",
                                                              "generation_tokens",
                                                              "tokens",
                                                              "time_to_first_token",
                                                              "time_per_output_token",
                                                              "request_latency",
                                                              "request_prompt_tokens",
                                                              "request_generation_tokens",
                                                              "finished",
                                                              "success",
                                                              "failure",
                                                              "requests",
                                                              "cost",
                                                              "request_duration_total",
                                                              "queue_duration_total"};
  const auto i = static_cast<size_t>(quantity);
  return i < kNames.size() ? kNames[i] : "unknown";
}

bool IsSuccessfulFinishReason(std::string_view reason) {
  return reason == "stop" || reason == "length";
}

}  // namespace astrolabe::genai
