#include "sim/exposition.h"

#include <charconv>
#include <cmath>

#include "expfmt/writer.h"

namespace astrolabe::sim {

using expfmt::FamilyInfo;
using expfmt::Label;
using expfmt::MetricType;
using expfmt::Writer;

std::string PythonFloat(double v) {
  // Python's repr: positional notation for 1e-4 <= |v| < 1e16, shortest round-trip digits,
  // ".0" on integral values.
  char buf[64];
  double a = std::fabs(v);
  auto fmt =
      (a >= 1e-4 && a < 1e16) || a == 0 ? std::chars_format::fixed : std::chars_format::scientific;
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, fmt);
  std::string s(buf, end);
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";  // "n": nan/inf
  return s;
}

namespace {

// Writes the _bucket/_count/_sum lines of `h`. `labels` are the series labels sorted as they
// should print; `le` is inserted at index `le_at` (0 = first).
void WriteHistogram(Writer& w, std::string_view name, std::vector<Label> labels, size_t le_at,
                    const Histogram& h, bool python_le) {
  std::string bucket = std::string(name) + "_bucket";
  uint64_t cumulative = 0;
  std::vector<Label> with_le = labels;
  with_le.insert(with_le.begin() + static_cast<std::ptrdiff_t>(le_at), Label{"le", ""});
  std::string le;
  for (size_t i = 0; i <= h.bounds.size(); ++i) {
    cumulative += h.counts[i];
    if (i < h.bounds.size()) {
      if (python_le) {
        le = PythonFloat(h.bounds[i]);
      } else {
        char buf[64];
        auto [end, ec] = std::to_chars(buf, buf + sizeof buf, h.bounds[i]);
        le.assign(buf, end);
      }
    } else {
      le = "+Inf";
    }
    with_le[le_at].value = le;
    w.WriteSample(bucket, with_le, static_cast<double>(cumulative));
  }
  w.WriteSample(std::string(name) + "_count", labels, static_cast<double>(h.count));
  w.WriteSample(std::string(name) + "_sum", labels, h.sum);
}

}  // namespace

void WriteNimExposition(const std::vector<ModelStatsView>& models, std::string* out) {
  Writer w(expfmt::Format::kText, out);
  auto gauge = [&](const char* name, const char* help, auto value) {
    w.BeginFamily(FamilyInfo{name, MetricType::kGauge, help, ""});
    for (const auto& m : models) {
      Label l[] = {{"model_name", m.model}};
      w.WriteSample(name, l, static_cast<double>(value(*m.stats)));
    }
  };
  auto counter = [&](const char* name, const char* help, auto value) {
    w.BeginFamily(FamilyInfo{name, MetricType::kCounter, help, ""});
    for (const auto& m : models) {
      Label l[] = {{"model_name", m.model}};
      w.WriteSample(name, l, static_cast<double>(value(*m.stats)));
    }
  };
  auto histogram = [&](const char* name, const char* help, Histogram EngineStats::*member) {
    w.BeginFamily(FamilyInfo{name, MetricType::kHistogram, help, ""});
    for (const auto& m : models) {
      WriteHistogram(w, name, {{"model_name", m.model}}, 0, m.stats->*member, true);
    }
  };
  gauge("num_requests_running", "Number of requests currently running on GPU.",
        [](const EngineStats& s) { return s.running; });
  gauge("num_requests_waiting", "Number of requests waiting to be processed.",
        [](const EngineStats& s) { return s.waiting; });
  gauge("num_request_max", "Max number of concurrently running requests.",
        [](const EngineStats& s) { return s.max_num_seqs; });
  gauge("gpu_cache_usage_perc", "GPU KV-cache usage. 1 means 100 percent usage.",
        [](const EngineStats& s) { return s.kv_usage; });
  counter("prompt_tokens_total", "Number of prefill tokens processed.",
          [](const EngineStats& s) { return s.prompt_tokens; });
  counter("generation_tokens_total", "Number of generation tokens processed.",
          [](const EngineStats& s) { return s.generation_tokens; });
  histogram("time_to_first_token_seconds", "Histogram of time to first token in seconds.",
            &EngineStats::ttft);
  histogram("time_per_output_token_seconds", "Histogram of time per output token in seconds.",
            &EngineStats::tpot);
  histogram("e2e_request_latency_seconds", "Histogram of end to end request latency in seconds.",
            &EngineStats::e2e);
  histogram("request_prompt_tokens", "Number of prefill tokens processed.",
            &EngineStats::request_prompt_tokens);
  histogram("request_generation_tokens", "Number of generation tokens processed.",
            &EngineStats::request_generation_tokens);
  w.BeginFamily(FamilyInfo{"request_finish_total", MetricType::kCounter,
                           "Count of finished requests, differentiated by finish reason as label.",
                           ""});
  for (const auto& m : models) {
    for (int r = 0; r < kFinishReasons; ++r) {
      Label l[] = {{"finished_reason", FinishReasonName(static_cast<FinishReason>(r))},
                   {"model_name", m.model}};
      w.WriteSample("request_finish_total", l, static_cast<double>(m.stats->finished[r]));
    }
  }
  counter("request_success_total", "Count of successful requests.",
          [](const EngineStats& s) { return s.Success(); });
  counter("request_failure_total", "Count of failed requests.",
          [](const EngineStats& s) { return s.Failure(); });
  w.Finish();
}

void WriteVllmExposition(const std::vector<ModelStatsView>& models, int64_t kv_cache_tokens,
                         std::string* out) {
  Writer w(expfmt::Format::kText, out);
  auto simple = [&](const char* name, MetricType type, const char* help, auto value) {
    w.BeginFamily(FamilyInfo{name, type, help, ""});
    for (const auto& m : models) {
      Label l[] = {{"engine", "0"}, {"model_name", m.model}};
      w.WriteSample(name, l, static_cast<double>(value(*m.stats)));
    }
  };
  auto histogram = [&](const char* name, const char* help, Histogram EngineStats::*member) {
    w.BeginFamily(FamilyInfo{name, MetricType::kHistogram, help, ""});
    for (const auto& m : models) {
      WriteHistogram(w, name, {{"engine", "0"}, {"model_name", m.model}}, 1, m.stats->*member,
                     true);
    }
  };
  std::string blocks = std::to_string(kv_cache_tokens / 16);
  w.BeginFamily(FamilyInfo{"vllm:cache_config_info", MetricType::kGauge,
                           "Information of the LLMEngine CacheConfig", ""});
  {
    Label l[] = {{"block_size", "16"},
                 {"cache_dtype", "auto"},
                 {"engine", "0"},
                 {"gpu_memory_utilization", "0.9"},
                 {"num_gpu_blocks", blocks}};
    w.WriteSample("vllm:cache_config_info", l, 1);
  }
  simple("vllm:num_requests_running", MetricType::kGauge,
         "Number of requests in model execution batches.",
         [](const EngineStats& s) { return s.running; });
  simple("vllm:num_requests_waiting", MetricType::kGauge,
         "Number of requests waiting to be processed.",
         [](const EngineStats& s) { return s.waiting; });
  simple("vllm:kv_cache_usage_perc", MetricType::kGauge,
         "KV-cache usage. 1 means 100 percent usage.",
         [](const EngineStats& s) { return s.kv_usage; });
  simple("vllm:prefix_cache_queries_total", MetricType::kCounter,
         "Prefix cache queries, in terms of number of queried tokens.",
         [](const EngineStats& s) { return s.prefix_cache_queries; });
  simple("vllm:prefix_cache_hits_total", MetricType::kCounter,
         "Prefix cache hits, in terms of number of cached tokens.",
         [](const EngineStats& s) { return s.prefix_cache_hits; });
  simple("vllm:num_preemptions_total", MetricType::kCounter,
         "Cumulative number of preemption from the engine.",
         [](const EngineStats& s) { return s.preemptions; });
  simple("vllm:prompt_tokens_total", MetricType::kCounter, "Number of prefill tokens processed.",
         [](const EngineStats& s) { return s.prompt_tokens; });
  simple("vllm:generation_tokens_total", MetricType::kCounter,
         "Number of generation tokens processed.",
         [](const EngineStats& s) { return s.generation_tokens; });
  w.BeginFamily(FamilyInfo{"vllm:request_success_total", MetricType::kCounter,
                           "Count of successfully processed requests.", ""});
  for (const auto& m : models) {
    for (int r = 0; r < kFinishReasons; ++r) {
      Label l[] = {{"engine", "0"},
                   {"finished_reason", FinishReasonName(static_cast<FinishReason>(r))},
                   {"model_name", m.model}};
      w.WriteSample("vllm:request_success_total", l, static_cast<double>(m.stats->finished[r]));
    }
  }
  histogram("vllm:iteration_tokens_total", "Histogram of number of tokens per engine_step.",
            &EngineStats::iteration_tokens);
  histogram("vllm:time_to_first_token_seconds", "Histogram of time to first token in seconds.",
            &EngineStats::ttft);
  histogram("vllm:time_per_output_token_seconds", "Histogram of time per output token in seconds.",
            &EngineStats::tpot);
  histogram("vllm:e2e_request_latency_seconds", "Histogram of e2e request latency in seconds.",
            &EngineStats::e2e);
  histogram("vllm:request_queue_time_seconds",
            "Histogram of time spent in WAITING phase for request.", &EngineStats::queue_time);
  histogram("vllm:request_inference_time_seconds",
            "Histogram of time spent in RUNNING phase for request.", &EngineStats::inference_time);
  histogram("vllm:request_prefill_time_seconds",
            "Histogram of time spent in PREFILL phase for request.", &EngineStats::prefill_time);
  histogram("vllm:request_decode_time_seconds",
            "Histogram of time spent in DECODE phase for request.", &EngineStats::decode_time);
  histogram("vllm:request_prompt_tokens", "Number of prefill tokens processed.",
            &EngineStats::request_prompt_tokens);
  histogram("vllm:request_generation_tokens", "Number of generation tokens processed.",
            &EngineStats::request_generation_tokens);
  histogram("vllm:request_params_max_tokens", "Histogram of the max_tokens request parameter.",
            &EngineStats::request_max_tokens);
  w.Finish();
}

std::vector<double> KongSeries::KongLatencyBuckets() {
  return {250, 500, 1000, 1500, 2000, 2500, 3000, 3500, 4000, 4500, 5000, 10000, 30000, 60000};
}

void WriteKongExposition(const std::vector<const KongSeries*>& series, uint64_t connections,
                         std::string* out) {
  Writer w(expfmt::Format::kText, out);
  auto labels = [](const KongSeries& s) {
    return std::vector<Label>{{"ai_provider", s.provider}, {"ai_model", s.model},
                              {"cache_status", ""},        {"vector_db", ""},
                              {"embeddings_provider", ""}, {"embeddings_model", ""},
                              {"workspace", "default"}};
  };
  bool any_cost = false;
  for (const KongSeries* s : series) any_cost |= s->cost > 0;
  if (any_cost) {
    w.BeginFamily(FamilyInfo{"kong_ai_llm_cost_total", MetricType::kCounter,
                             "AI requests cost per ai_provider/cache in Kong", ""});
    for (const KongSeries* s : series) {
      if (s->cost > 0) w.WriteSample("kong_ai_llm_cost_total", labels(*s), s->cost);
    }
  }
  if (!series.empty()) {
    w.BeginFamily(FamilyInfo{"kong_ai_llm_provider_latency_ms", MetricType::kHistogram,
                             "LLM response Latency for each AI plugins per ai_provider in Kong",
                             ""});
    for (const KongSeries* s : series) {
      auto l = labels(*s);
      WriteHistogram(w, "kong_ai_llm_provider_latency_ms", l, l.size(), s->latency_ms, false);
    }
    w.BeginFamily(FamilyInfo{"kong_ai_llm_requests_total", MetricType::kCounter,
                             "AI requests total per ai_provider in Kong", ""});
    for (const KongSeries* s : series) {
      w.WriteSample("kong_ai_llm_requests_total", labels(*s), static_cast<double>(s->requests));
    }
    // The HELP really says "cost": a copy-paste in Kong's exporter.lua.
    w.BeginFamily(FamilyInfo{"kong_ai_llm_tokens_total", MetricType::kCounter,
                             "AI requests cost per ai_provider/cache in Kong", ""});
    for (const KongSeries* s : series) {
      std::pair<const char*, uint64_t> types[] = {{"completion_tokens", s->completion_tokens},
                                                  {"prompt_tokens", s->prompt_tokens},
                                                  {"total_tokens", s->total_tokens}};
      for (auto [type, value] : types) {
        if (value == 0) continue;
        auto l = labels(*s);
        l.insert(l.end() - 1, Label{"token_type", type});
        w.WriteSample("kong_ai_llm_tokens_total", l, static_cast<double>(value));
      }
    }
  }
  w.BeginFamily(FamilyInfo{"kong_datastore_reachable", MetricType::kGauge,
                           "Datastore reachable from Kong, 0 is unreachable", ""});
  w.WriteSample("kong_datastore_reachable", {}, 1);
  w.BeginFamily(FamilyInfo{"kong_nginx_requests_total", MetricType::kCounter,
                           "Number of requests total", ""});
  {
    Label l[] = {{"subsystem", "http"}};
    w.WriteSample("kong_nginx_requests_total", l, static_cast<double>(connections));
  }
  w.Finish();
}

}  // namespace astrolabe::sim
