#include "genai/catalogue.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "sim/exposition.h"
#include "sim/test_util.h"

namespace astrolabe::genai {
namespace {

using sim::testing::ParseText;

sim::EngineStats RunEngine(sim::BucketSets buckets) {
  sim::ModelOptions m;
  m.traffic.rate = 3;
  m.abort_probability = 0.05;
  m.error_probability = 0.05;
  m.buckets = std::move(buckets);
  sim::Engine e(m, 5);
  e.AdvanceTo(100);
  return e.stats();
}

// Every family of `body` the catalogue knows is identified with the exposition's type and
// `source`; every catalogue family of `source` (but those in `absent`) appears in `body`.
// Returns the families of `body` the catalogue does not know.
std::set<std::string> CheckBothWays(const std::string& body, MetricSource source,
                                    std::set<std::string_view> absent = {}) {
  auto p = ParseText(body);
  EXPECT_EQ(p.error, "");
  std::set<std::string> unknown;
  for (const auto& [family, type] : p.types) {
    const MetricFamily* f = LookupFamily(family);
    if (f == nullptr) {
      unknown.insert(family);
      continue;
    }
    EXPECT_EQ(f->source, source) << family;
    EXPECT_EQ(KindName(f->kind), type) << family;
  }
  for (const MetricFamily& f : Families()) {
    if (f.source != source || absent.count(f.name) > 0) continue;
    EXPECT_EQ(p.types.count(std::string(f.name)), 1u) << f.name << " is not in the exposition";
  }
  return unknown;
}

TEST(Catalogue, KnowsEveryFamilyOfTheNimSimulator) {
  sim::EngineStats s = RunEngine(sim::BucketSets::V0());
  std::string body;
  sim::WriteNimExposition({{"meta/llama-3.1-8b-instruct", &s}}, &body);
  auto unknown = CheckBothWays(body, MetricSource::kNim);
  for (const std::string& u : unknown) {
    EXPECT_TRUE(u.rfind("process_", 0) == 0 || u.rfind("python_", 0) == 0) << u;
  }
}

TEST(Catalogue, KnowsEveryFamilyOfTheVllmSimulator) {
  sim::EngineStats s = RunEngine(sim::BucketSets::V1());
  std::string body;
  sim::WriteVllmExposition({{"meta-llama/Llama-3.1-8B-Instruct", &s}}, 262144, &body);
  // The V1 simulator exposes the current KV-cache name only.
  auto unknown = CheckBothWays(body, MetricSource::kVllm, {"vllm:gpu_cache_usage_perc"});
  // V1 families the catalogue leaves out on purpose (not needed by the API): prefix cache,
  // preemptions, queue/prefill/decode time histograms, cache_config_info, …
  for (const std::string& u : unknown) EXPECT_EQ(u.rfind("vllm:", 0), 0u) << u;
}

TEST(Catalogue, KnowsEveryAiFamilyOfTheKongSimulator) {
  sim::KongSeries gpt;
  gpt.provider = "openai";
  gpt.model = "gpt-4o";
  gpt.requests = 60;
  gpt.prompt_tokens = 75000;
  gpt.completion_tokens = 12300;
  gpt.total_tokens = 87300;
  gpt.cost = 0.3105;
  gpt.latency_ms.Observe(400, 3);
  std::string body;
  sim::WriteKongExposition({&gpt}, 5, &body);
  auto unknown = CheckBothWays(body, MetricSource::kKong,
                               {"ai_llm_requests_total", "ai_llm_cost_total", "ai_llm_tokens_total",
                                "ai_llm_provider_latency_ms"});
  for (const std::string& u : unknown) EXPECT_EQ(u.find("ai_llm"), std::string::npos) << u;
  const MetricFamily* latency = LookupFamily("kong_ai_llm_provider_latency_ms_bucket");
  ASSERT_NE(latency, nullptr);
  EXPECT_EQ(latency->quantity, Quantity::kRequestLatency);
  EXPECT_EQ(latency->unit, "milliseconds");
  EXPECT_DOUBLE_EQ(latency->to_base, 1e-3);
  EXPECT_EQ(latency->model_label, "ai_model");
  EXPECT_EQ(latency->provider_label, "ai_provider");
}

// The reference's Triton + TRT-LLM excerpt (genai-signals.md §1.5).
TEST(Catalogue, KnowsTheTritonReferencePayload) {
  const std::string body =
      "# TYPE nv_inference_request_success counter\n"
      "nv_inference_request_success{model=\"tensorrt_llm\",version=\"1\"} 1204\n"
      "# TYPE nv_inference_request_failure counter\n"
      "nv_inference_request_failure{model=\"tensorrt_llm\",reason=\"REJECTED\",version=\"1\"} 3\n"
      "# TYPE nv_inference_pending_request_count gauge\n"
      "nv_inference_pending_request_count{model=\"tensorrt_llm\",version=\"1\"} 2\n"
      "# TYPE nv_inference_request_duration_us counter\n"
      "nv_inference_request_duration_us{model=\"tensorrt_llm\",version=\"1\"} 2873411092\n"
      "# TYPE nv_inference_queue_duration_us counter\n"
      "nv_inference_queue_duration_us{model=\"tensorrt_llm\",version=\"1\"} 41288311\n"
      "# TYPE nv_trt_llm_request_metrics gauge\n"
      "nv_trt_llm_request_metrics{model=\"tensorrt_llm\",request_type=\"active\",version=\"1\"} 7\n"
      "# TYPE nv_trt_llm_kv_cache_block_metrics gauge\n"
      "nv_trt_llm_kv_cache_block_metrics{kv_cache_block_type=\"fraction\",model=\"tensorrt_llm\","
      "version=\"1\"} 0.4875\n"
      "# TYPE nv_gpu_utilization gauge\n"
      "nv_gpu_utilization{gpu_uuid=\"GPU-1\"} 0.5\n";
  auto unknown =
      CheckBothWays(body, MetricSource::kTriton, {"nv_inference_first_response_histogram_ms"});
  EXPECT_EQ(unknown, std::set<std::string>{"nv_gpu_utilization"});
  auto multiplexed = LookupFamilies("nv_trt_llm_request_metrics");
  ASSERT_EQ(multiplexed.size(), 3u);
  EXPECT_EQ(multiplexed[0]->quantity, Quantity::kRunning);
  EXPECT_EQ(multiplexed[0]->selector, "request_type=\"active\"");
  EXPECT_EQ(multiplexed[1]->quantity, Quantity::kWaiting);
  EXPECT_EQ(multiplexed[2]->quantity, Quantity::kMaxRunning);
  EXPECT_DOUBLE_EQ(LookupFamily("nv_inference_request_duration_us")->to_base, 1e-6);
}

TEST(Catalogue, SampleNamesAndTheSuccessClash) {
  EXPECT_EQ(LookupFamily("time_to_first_token_seconds_bucket")->quantity,
            Quantity::kTimeToFirstToken);
  EXPECT_EQ(LookupFamily("vllm:e2e_request_latency_seconds_count")->quantity,
            Quantity::kRequestLatency);
  // NIM's success (stop|length) vs vLLM's finished-by-reason.
  EXPECT_EQ(LookupFamily("request_success_total")->quantity, Quantity::kSuccess);
  EXPECT_EQ(LookupFamily("vllm:request_success_total")->quantity, Quantity::kFinished);
  EXPECT_EQ(LookupFamily("vllm:request_success_total")->reason_label, "finished_reason");
  // Counters are exact names: no _bucket trick, no suffix matching.
  EXPECT_EQ(LookupFamily("prompt_tokens_total_sum"), nullptr);
  EXPECT_EQ(LookupFamily("my_num_requests_running"), nullptr);
  EXPECT_EQ(LookupFamily("num_requests_running_bucket"), nullptr);
  EXPECT_EQ(LookupFamily(""), nullptr);
}

TEST(Catalogue, FamiliesForAQuantity) {
  std::set<std::string_view> kv;
  for (const MetricFamily* f : FamiliesFor(Quantity::kKvCacheUsage)) kv.insert(f->name);
  EXPECT_EQ(kv, (std::set<std::string_view>{"gpu_cache_usage_perc", "vllm:kv_cache_usage_perc",
                                            "vllm:gpu_cache_usage_perc",
                                            "nv_trt_llm_kv_cache_block_metrics"}));
  EXPECT_TRUE(FamiliesFor(MetricSource::kKong, Quantity::kTimeToFirstToken).empty());
  EXPECT_EQ(FamiliesFor(MetricSource::kVllm, Quantity::kKvCacheUsage).front()->name,
            "vllm:kv_cache_usage_perc");
  for (const MetricFamily& f : Families()) {
    EXPECT_NE(QuantityName(f.quantity), "unknown") << f.name;
    EXPECT_FALSE(f.model_label.empty()) << f.name;
    EXPECT_FALSE(f.meaning.empty()) << f.name;
    EXPECT_GT(f.to_base, 0) << f.name;
  }
  EXPECT_TRUE(IsSuccessfulFinishReason("length"));
  EXPECT_FALSE(IsSuccessfulFinishReason("abort"));
}

}  // namespace
}  // namespace astrolabe::genai
