#include "sim/exposition.h"

#include <gtest/gtest.h>

#include "sim/test_util.h"

namespace astrolabe::sim {
namespace {

using testing::ParseText;

EngineStats RunEngine(BucketSets buckets, double seconds) {
  ModelOptions m;
  m.traffic.rate = 3;
  m.abort_probability = 0.05;
  m.error_probability = 0.05;
  m.buckets = std::move(buckets);
  Engine e(m, 5);
  e.AdvanceTo(seconds);
  return e.stats();
}

TEST(PythonFloat, LikePythonRepr) {
  EXPECT_EQ(PythonFloat(1), "1.0");
  EXPECT_EQ(PythonFloat(0.025), "0.025");
  EXPECT_EQ(PythonFloat(100000), "100000.0");
  EXPECT_EQ(PythonFloat(0.001), "0.001");
}

TEST(NimExposition, NamesTypesBucketsAndConsistency) {
  EngineStats s = RunEngine(BucketSets::V0(), 200);
  std::string body;
  WriteNimExposition({{"meta/llama-3.1-8b-instruct", &s}}, &body);
  auto p = ParseText(body);
  ASSERT_EQ(p.error, "");
  const std::string m = "model_name=\"meta/llama-3.1-8b-instruct\"";
  EXPECT_EQ(p.types["num_requests_running"], "gauge");
  EXPECT_EQ(p.types["gpu_cache_usage_perc"], "gauge");
  EXPECT_EQ(p.types["num_request_max"], "gauge");
  EXPECT_EQ(p.types["prompt_tokens_total"], "counter");
  EXPECT_EQ(p.types["request_finish_total"], "counter");
  EXPECT_EQ(p.types["time_to_first_token_seconds"], "histogram");
  EXPECT_EQ(p.Get("num_request_max{" + m + "}"), 64);
  // NIM's le spelling, le first (as in the real capture).
  EXPECT_GE(p.Get("time_to_first_token_seconds_bucket{le=\"1.0\"," + m + "}"), 0);
  EXPECT_GE(p.Get("request_prompt_tokens_bucket{le=\"100000.0\"," + m + "}"), 0);
  EXPECT_GE(p.Get("e2e_request_latency_seconds_bucket{le=\"60.0\"," + m + "}"), 0);

  double finished = 0;
  for (const char* r : {"stop", "length", "abort", "error"}) {
    double v = p.Get(std::string("request_finish_total{finished_reason=\"") + r + "\"," + m + "}");
    ASSERT_GE(v, 0) << r;
    finished += v;
  }
  EXPECT_GT(finished, 100);
  EXPECT_EQ(p.Get("request_success_total{" + m + "}") + p.Get("request_failure_total{" + m + "}"),
            finished);
  EXPECT_EQ(p.Get("e2e_request_latency_seconds_count{" + m + "}"), finished);
  EXPECT_EQ(p.Get("e2e_request_latency_seconds_bucket{le=\"+Inf\"," + m + "}"), finished);
  EXPECT_EQ(p.Get("prompt_tokens_total{" + m + "}"), p.Get("request_prompt_tokens_sum{" + m + "}"));
  EXPECT_EQ(p.Get("generation_tokens_total{" + m + "}"),
            p.Get("request_generation_tokens_sum{" + m + "}"));
  EXPECT_EQ(p.Get("time_per_output_token_seconds_count{" + m + "}"),
            p.Get("generation_tokens_total{" + m + "}") -
                p.Get("time_to_first_token_seconds_count{" + m + "}"));
  // Buckets are cumulative.
  EXPECT_LE(p.Get("time_to_first_token_seconds_bucket{le=\"0.1\"," + m + "}"),
            p.Get("time_to_first_token_seconds_bucket{le=\"0.25\"," + m + "}"));
}

TEST(VllmExposition, V1NamesLabelsAndBuckets) {
  EngineStats s = RunEngine(BucketSets::V1(), 100);
  std::string body;
  WriteVllmExposition({{"meta-llama/Llama-3.1-8B-Instruct", &s}}, 262144, &body);
  auto p = ParseText(body);
  ASSERT_EQ(p.error, "");
  const std::string l = "engine=\"0\",model_name=\"meta-llama/Llama-3.1-8B-Instruct\"";
  EXPECT_EQ(p.types["vllm:kv_cache_usage_perc"], "gauge");
  EXPECT_EQ(p.types["vllm:num_preemptions_total"], "counter");
  EXPECT_EQ(p.types["vllm:iteration_tokens_total"], "histogram");
  EXPECT_GE(p.Get("vllm:time_to_first_token_seconds_bucket{engine=\"0\",le=\"2560.0\","
                  "model_name=\"meta-llama/Llama-3.1-8B-Instruct\"}"),
            0);
  EXPECT_GE(p.Get("vllm:e2e_request_latency_seconds_bucket{engine=\"0\",le=\"7680.0\","
                  "model_name=\"meta-llama/Llama-3.1-8B-Instruct\"}"),
            0);
  double finished = 0;
  for (const char* r : {"stop", "length", "abort", "error"}) {
    finished += p.Get(std::string("vllm:request_success_total{engine=\"0\",finished_reason=\"") +
                      r + "\",model_name=\"meta-llama/Llama-3.1-8B-Instruct\"}");
  }
  EXPECT_EQ(p.Get("vllm:e2e_request_latency_seconds_count{" + l + "}"), finished);
  EXPECT_EQ(p.Get("vllm:prompt_tokens_total{" + l + "}"),
            p.Get("vllm:request_prompt_tokens_sum{" + l + "}"));
  EXPECT_LE(p.Get("vllm:prefix_cache_hits_total{" + l + "}"),
            p.Get("vllm:prefix_cache_queries_total{" + l + "}"));
  EXPECT_EQ(p.Get("vllm:cache_config_info{block_size=\"16\",cache_dtype=\"auto\",engine=\"0\","
                  "gpu_memory_utilization=\"0.9\",num_gpu_blocks=\"16384\"}"),
            1);
}

TEST(KongExposition, ReferenceFiguresAndLabelOrder) {
  // The reference's worked example (genai-signals.md §2.5): gpt-4o at 2.5/10 per 1M tokens.
  KongSeries gpt;
  gpt.provider = "openai";
  gpt.model = "gpt-4o";
  gpt.requests = 60;
  gpt.prompt_tokens = 75000;
  gpt.completion_tokens = 12300;
  gpt.total_tokens = 87300;
  gpt.cost = (75000 * 2.5 + 12300 * 10.0) / 1e6;
  gpt.latency_ms.Observe(400, 3);
  gpt.latency_ms.Observe(61000);
  KongSeries free_model;
  free_model.provider = "openai";
  free_model.model = "local";
  free_model.requests = 1;
  std::string body;
  WriteKongExposition({&gpt, &free_model}, 5, &body);
  auto p = ParseText(body);
  ASSERT_EQ(p.error, "");
  const std::string base =
      "ai_provider=\"openai\",ai_model=\"gpt-4o\",cache_status=\"\",vector_db=\"\","
      "embeddings_provider=\"\",embeddings_model=\"\"";
  EXPECT_DOUBLE_EQ(p.Get("kong_ai_llm_cost_total{" + base + ",workspace=\"default\"}"), 0.3105);
  EXPECT_EQ(p.Get("kong_ai_llm_tokens_total{" + base +
                  ",token_type=\"prompt_tokens\",workspace=\"default\"}"),
            75000);
  EXPECT_EQ(p.Get("kong_ai_llm_provider_latency_ms_bucket{" + base +
                  ",workspace=\"default\",le=\"500\"}"),
            3);
  EXPECT_EQ(p.Get("kong_ai_llm_provider_latency_ms_bucket{" + base +
                  ",workspace=\"default\",le=\"60000\"}"),
            3);
  EXPECT_EQ(p.Get("kong_ai_llm_provider_latency_ms_bucket{" + base +
                  ",workspace=\"default\",le=\"+Inf\"}"),
            4);
  EXPECT_EQ(p.Get("kong_ai_llm_requests_total{" + base + ",workspace=\"default\"}"), 60);
  // No cost and no zero token series for the model without prices or tokens.
  EXPECT_EQ(body.find("kong_ai_llm_cost_total{ai_provider=\"openai\",ai_model=\"local\""),
            std::string::npos);
  EXPECT_EQ(body.find("ai_model=\"local\",cache_status=\"\",vector_db=\"\",embeddings_provider="
                      "\"\",embeddings_model=\"\",token_type"),
            std::string::npos);
  EXPECT_NE(body.find("# HELP kong_ai_llm_tokens_total AI requests cost per ai_provider/cache in "
                      "Kong"),
            std::string::npos);
}

}  // namespace
}  // namespace astrolabe::sim
