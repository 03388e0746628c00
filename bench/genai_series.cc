#include "genai_series.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace astrolabe::bench {
namespace {

const std::vector<double> kTtft = {0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1,
                                   0.25,  0.5,   0.75, 1.0,  2.5,  5.0,  7.5,  10.0};
const std::vector<double> kTpot = {0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2,
                                   0.3,  0.4,   0.5,  0.75,  1.0, 2.5};
const std::vector<double> kE2e = {1.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0};
const std::vector<double> kTokens = {1,   2,    5,    10,   20,    50,    100,   200,
                                     500, 1000, 2000, 5000, 10000, 20000, 50000, 100000};
const std::vector<double> kKongMs = {250,  500,  1000, 1500, 2000,  2500,  3000,
                                     3500, 4000, 4500, 5000, 10000, 30000, 60000};
const char* kModels[] = {"meta/llama-3.1-8b-instruct", "meta/llama-3.1-70b-instruct",
                         "mistralai/mixtral-8x7b-instruct-v0.1", "nvidia/nemotron-4-340b-instruct"};
const char* kProviders[][2] = {{"openai", "gpt-4o"},
                               {"openai", "gpt-4o-mini"},
                               {"anthropic", "claude-3-5-sonnet"},
                               {"mistral", "mistral-large"},
                               {"openai", "meta/llama-3.1-8b-instruct"},
                               {"cohere", "command-r"}};

std::string FormatLe(double b) {
  // Python prometheus_client style for NIM ("0.001", "1.0", "100000.0").
  char buf[32];
  if (b == std::floor(b)) {
    std::snprintf(buf, sizeof buf, "%.1f", b);
  } else {
    std::snprintf(buf, sizeof buf, "%g", b);
  }
  return buf;
}

}  // namespace

void GenAiFleet::Histogram::Observe(double v) {
  for (size_t i = 0; i < bounds.size(); ++i) {
    if (v <= bounds[i]) counts[i] += 1;
  }
  counts.back() += 1;
  sum += v;
  count += 1;
}

size_t GenAiFleet::Add(std::vector<std::pair<std::string, std::string>> labels) {
  std::vector<std::pair<std::string_view, std::string_view>> views;
  for (auto& [k, v] : labels) views.emplace_back(k, v);
  labels_.push_back(storage::Labels::FromPairs(std::move(views)));
  return labels_.size() - 1;
}

GenAiFleet::Histogram GenAiFleet::AddHistogram(
    const std::string& name, const std::vector<std::pair<std::string, std::string>>& base,
    std::vector<double> bounds) {
  Histogram h;
  h.first_series = labels_.size();
  for (size_t i = 0; i <= bounds.size(); ++i) {
    auto l = base;
    l.emplace_back("__name__", name + "_bucket");
    l.emplace_back("le", i < bounds.size() ? FormatLe(bounds[i]) : "+Inf");
    Add(l);
  }
  auto s = base;
  s.emplace_back("__name__", name + "_sum");
  Add(s);
  auto c = base;
  c.emplace_back("__name__", name + "_count");
  Add(c);
  h.counts.assign(bounds.size() + 1, 0);
  h.bounds = std::move(bounds);
  return h;
}

GenAiFleet::GenAiFleet(GenAiOptions options) : options_(options), rng_(options.seed) {
  std::uniform_real_distribution<double> u(0, 1);
  for (int p = 0; p < options_.nim_pods; ++p) {
    NimPod pod;
    std::string model = kModels[p % 4];
    std::string podname =
        "nim-" + std::to_string(p % 4) + "-" + std::to_string(1000 + p * 7919 % 9000);
    std::vector<std::pair<std::string, std::string>> base = {
        {"job", "nim"},
        {"namespace", "nim"},
        {"pod", podname},
        {"instance",
         "10.42." + std::to_string(p / 200) + "." + std::to_string(p % 200 + 10) + ":8000"},
        {"model_name", model}};
    pod.first_series = labels_.size();
    for (const char* g : {"num_requests_running", "num_requests_waiting", "num_request_max",
                          "gpu_cache_usage_perc"}) {
      auto l = base;
      l.emplace_back("__name__", g);
      Add(l);
    }
    for (const char* c : {"prompt_tokens_total", "generation_tokens_total", "request_success_total",
                          "request_failure_total"}) {
      auto l = base;
      l.emplace_back("__name__", c);
      Add(l);
    }
    for (const char* r : {"stop", "length", "abort"}) {
      auto l = base;
      l.emplace_back("__name__", "request_finish_total");
      l.emplace_back("finished_reason", r);
      Add(l);
    }
    pod.hist.push_back(AddHistogram("time_to_first_token_seconds", base, kTtft));
    pod.hist.push_back(AddHistogram("time_per_output_token_seconds", base, kTpot));
    pod.hist.push_back(AddHistogram("e2e_request_latency_seconds", base, kE2e));
    pod.hist.push_back(AddHistogram("request_prompt_tokens", base, kTokens));
    pod.hist.push_back(AddHistogram("request_generation_tokens", base, kTokens));
    pod.rate = 0.2 + 1.8 * u(rng_);  // 0.2–2 requests/s at peak
    pod.phase_ms = static_cast<int64_t>(u(rng_) * static_cast<double>(options_.interval_ms));
    pods_.push_back(std::move(pod));
  }
  for (int g = 0; g < options_.kong_gateways; ++g) {
    for (int r = 0; r < options_.kong_routes; ++r) {
      KongRoute route;
      auto& pm = kProviders[r % 6];
      std::vector<std::pair<std::string, std::string>> base = {
          {"job", "kong"},
          {"instance", "kong-gw-" + std::to_string(g) + ":8100"},
          {"ai_provider", pm[0]},
          {"ai_model", pm[1]},
          {"cache_status", r % 5 == 0 ? "hit" : ""},
          {"vector_db", r % 5 == 0 ? "redis" : ""},
          {"embeddings_provider", ""},
          {"embeddings_model", ""},
          {"workspace", "ws-" + std::to_string(r / 6)}};
      route.first_series = labels_.size();
      auto l = base;
      l.emplace_back("__name__", "kong_ai_llm_requests_total");
      Add(l);
      l = base;
      l.emplace_back("__name__", "kong_ai_llm_cost_total");
      Add(l);
      for (const char* tt : {"prompt_tokens", "completion_tokens", "total_tokens"}) {
        l = base;
        l.emplace_back("__name__", "kong_ai_llm_tokens_total");
        l.emplace_back("token_type", tt);
        Add(l);
      }
      route.latency = AddHistogram("kong_ai_llm_provider_latency_ms", base, kKongMs);
      route.rate = 0.02 + 0.5 * u(rng_);
      route.price_in = (1 + static_cast<double>(r % 4)) * 2.5e-6;
      route.price_out = route.price_in * 4;
      route.phase_ms = static_cast<int64_t>(u(rng_) * static_cast<double>(options_.interval_ms));
      routes_.push_back(std::move(route));
    }
  }
}

double GenAiFleet::DayFactor(int64_t t) const {
  double day = static_cast<double>(t % 86400000) / 86400000.0;
  return 0.35 + 0.65 * (0.5 - 0.5 * std::cos(2 * M_PI * day));
}

int GenAiFleet::Poisson(double mean) { return std::poisson_distribution<int>(mean)(rng_); }

double GenAiFleet::LogNormal(double median, double sigma) {
  return median * std::exp(sigma * std::normal_distribution<double>(0, 1)(rng_));
}

int64_t GenAiFleet::Jitter() {
  if (options_.jitter_ms == 0) return 0;
  return static_cast<int64_t>(rng_() % static_cast<uint64_t>(2 * options_.jitter_ms + 1)) -
         options_.jitter_ms;
}

void GenAiFleet::Step(std::vector<storage::Sample>& out) {
  out.resize(labels_.size());
  const int64_t base_t = options_.start_ms + step_ * options_.interval_ms;
  const double secs = static_cast<double>(options_.interval_ms) / 1000.0;
  ++step_;
  for (NimPod& p : pods_) {
    const int64_t t = base_t + p.phase_ms + Jitter();
    int n = Poisson(p.rate * DayFactor(t) * secs);
    for (int i = 0; i < n; ++i) {
      double prompt = std::max(1.0, std::round(LogNormal(600, 0.9)));
      double gen = std::max(1.0, std::round(LogNormal(180, 0.8)));
      double ttft = LogNormal(0.08 + prompt / 40000.0, 0.5);
      double tpot = LogNormal(0.03, 0.3);
      p.hist[0].Observe(ttft);
      p.hist[1].Observe(tpot);
      p.hist[2].Observe(ttft + tpot * gen);
      p.hist[3].Observe(prompt);
      p.hist[4].Observe(gen);
      p.prompt_tokens += prompt;
      p.generation_tokens += gen;
      uint64_t r = rng_() % 100;
      if (r < 2) {
        p.failure += 1;
        p.finish[2] += 1;
      } else {
        p.success += 1;
        p.finish[r < 80 ? 0 : 1] += 1;
      }
    }
    p.running = std::min(64.0, static_cast<double>(Poisson(p.rate * DayFactor(t) * 3)));
    p.waiting = p.running >= 8 ? static_cast<double>(Poisson(1)) : 0;
    p.cache = std::clamp(p.cache + std::normal_distribution<double>(0, 0.02)(rng_), 0.0, 1.0);
    if (p.running == 0) p.cache = 0;
    size_t s = p.first_series;
    double vals[] = {p.running,       p.waiting,           64,         p.cache,
                     p.prompt_tokens, p.generation_tokens, p.success,  p.failure,
                     p.finish[0],     p.finish[1],         p.finish[2]};
    for (double v : vals) out[s++] = {t, v};
    for (Histogram& h : p.hist) {
      size_t k = h.first_series;
      for (double c : h.counts) out[k++] = {t, c};
      out[k++] = {t, h.sum};
      out[k++] = {t, h.count};
    }
  }
  for (KongRoute& r : routes_) {
    const int64_t t = base_t + r.phase_ms + Jitter();
    int n = Poisson(r.rate * DayFactor(t) * secs);
    for (int i = 0; i < n; ++i) {
      double in = std::max(1.0, std::round(LogNormal(500, 0.9)));
      double outk = std::max(1.0, std::round(LogNormal(200, 0.8)));
      r.requests += 1;
      r.tokens[0] += in;
      r.tokens[1] += outk;
      r.tokens[2] += in + outk;
      r.cost += in * r.price_in + outk * r.price_out;
      r.latency.Observe(std::round(LogNormal(1200, 0.6)));  // integer ms, as Kong reports
    }
    size_t s = r.first_series;
    double vals[] = {r.requests, r.cost, r.tokens[0], r.tokens[1], r.tokens[2]};
    for (double v : vals) out[s++] = {t, v};
    size_t k = r.latency.first_series;
    for (double c : r.latency.counts) out[k++] = {t, c};
    out[k++] = {t, r.latency.sum};
    out[k++] = {t, r.latency.count};
  }
}

}  // namespace astrolabe::bench
