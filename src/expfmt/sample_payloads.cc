#include "expfmt/sample_payloads.h"

#include <cstdio>
#include <cstdlib>
#include <vector>

namespace astrolabe::expfmt::testing {

namespace {

bool IsOm(Format f) { return f == Format::kOpenMetrics; }

// Python prometheus_client renders floats with repr(): integral values get ".0".
std::string Py(double v) {
  char buf[64];
  if (v == static_cast<double>(static_cast<long long>(v))) {
    std::snprintf(buf, sizeof(buf), "%lld.0", static_cast<long long>(v));
  } else {
    std::snprintf(buf, sizeof(buf), "%.17g", v);
    // Shortest form that round-trips, like repr().
    for (int prec = 1; prec <= 17; ++prec) {
      char b[64];
      std::snprintf(b, sizeof(b), "%.*g", prec, v);
      if (std::strtod(b, nullptr) == v) {
        std::snprintf(buf, sizeof(buf), "%s", b);
        break;
      }
    }
  }
  return buf;
}

// Lua/Kong: integers without decimal point.
std::string Lua(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.14g", v);
  return buf;
}

// Family header. `name` is the TYPE name in text; in OpenMetrics a counter's family name drops
// "_total".
void Header(std::string* out, Format f, const std::string& name, const char* type,
            const char* help) {
  std::string fam = name;
  if (IsOm(f) && std::string(type) == "counter" && fam.size() > 6 &&
      fam.compare(fam.size() - 6, 6, "_total") == 0) {
    fam.resize(fam.size() - 6);
  }
  if (IsOm(f)) {
    *out += "# TYPE " + fam + " " + type + "\n# HELP " + fam + " " + help + "\n";
  } else {
    *out += "# HELP " + fam + " " + help + "\n# TYPE " + fam + " " + type + "\n";
  }
}

void Histogram(std::string* out, const std::string& name, const std::string& labels,
               const std::vector<double>& bounds, const std::vector<double>& counts, double sum,
               bool le_first, std::string (*fmt)(double)) {
  auto line = [&](const std::string& le, double v) {
    *out += name + "_bucket{";
    if (le_first) {
      *out += "le=\"" + le + "\"," + labels;
    } else {
      *out += labels + ",le=\"" + le + "\"";
    }
    *out += "} " + fmt(v) + "\n";
  };
  double total = counts.empty() ? 0 : counts.back();
  for (size_t i = 0; i < bounds.size(); ++i)
    line(fmt(bounds[i]), i < counts.size() ? counts[i] : total);
  line("+Inf", total);
  *out += name + "_count{" + labels + "} " + fmt(total) + "\n";
  *out += name + "_sum{" + labels + "} " + fmt(sum) + "\n";
}

// Cumulative counts for `n` buckets reaching `total`, deterministic.
std::vector<double> Cumulative(size_t n, double total) {
  std::vector<double> c(n);
  for (size_t i = 0; i < n; ++i) {
    double frac = static_cast<double>(i + 1) / static_cast<double>(n);
    c[i] = static_cast<double>(static_cast<long long>(total * frac * frac));
  }
  if (n > 0) c[n - 1] = total;
  return c;
}

std::vector<double> OneTwoFive(double max) {
  std::vector<double> b;
  for (double m = 1; m <= max; m *= 10) {
    for (double k : {1.0, 2.0, 5.0}) {
      if (m * k <= max) b.push_back(m * k);
    }
  }
  return b;
}

}  // namespace

std::string NimPayload(Format format, int models) {
  std::string out;
  std::vector<std::string> labels;
  for (int m = 0; m < models; ++m) {
    std::string model = "meta/llama-3.1-8b-instruct";
    if (m > 0) {
      model += '-';
      model += std::to_string(m);
    }
    labels.push_back("model_name=\"" + model + "\"");
  }
  auto gauge = [&](const char* name, const char* help, double v) {
    Header(&out, format, name, "gauge", help);
    for (const auto& l : labels) out += std::string(name) + "{" + l + "} " + Py(v) + "\n";
  };
  auto counter = [&](const char* name, const char* help, double v) {
    Header(&out, format, name, "counter", help);
    for (const auto& l : labels) out += std::string(name) + "{" + l + "} " + Py(v) + "\n";
  };
  gauge("num_requests_running", "Number of requests currently running on GPU.", 3);
  gauge("num_requests_waiting", "Number of requests waiting to be processed.", 1);
  gauge("num_request_max", "Max number of concurrently running requests.", 64);
  gauge("gpu_cache_usage_perc", "GPU KV-cache usage. 1 means 100 percent usage.", 0.4172);
  counter("prompt_tokens_total", "Number of prefill tokens processed.", 18540);
  counter("generation_tokens_total", "Number of generation tokens processed.", 9233);
  struct H {
    const char* name;
    const char* help;
    std::vector<double> bounds;
    double count;
    double sum;
  };
  std::vector<H> hs = {
      {"time_to_first_token_seconds",
       "Histogram of time to first token in seconds.",
       {0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0},
       42,
       2.3917},
      {"time_per_output_token_seconds",
       "Histogram of time per output token in seconds.",
       {0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5},
       9191,
       183.82},
      {"e2e_request_latency_seconds",
       "Histogram of end to end request latency in seconds.",
       {1.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0},
       42,
       215.4},
      {"request_prompt_tokens", "Number of prefill tokens processed.", OneTwoFive(100000), 42,
       18540},
      {"request_generation_tokens", "Number of generation tokens processed.", OneTwoFive(100000),
       42, 9233},
  };
  for (const H& h : hs) {
    Header(&out, format, h.name, "histogram", h.help);
    for (const auto& l : labels) {
      Histogram(&out, h.name, l, h.bounds, Cumulative(h.bounds.size(), h.count), h.sum,
                /*le_first=*/true, Py);
    }
  }
  Header(&out, format, "request_finish_total", "counter",
         "Count of finished requests, differentiated by finish reason as label.");
  for (const auto& l : labels) {
    out += "request_finish_total{finished_reason=\"stop\"," + l + "} 31.0\n";
    out += "request_finish_total{finished_reason=\"length\"," + l + "} 9.0\n";
    out += "request_finish_total{finished_reason=\"abort\"," + l + "} 2.0\n";
  }
  counter("request_success_total", "Count of successful requests.", 40);
  counter("request_failure_total", "Count of failed requests.", 2);
  if (IsOm(format)) out += "# EOF\n";
  return out;
}

std::string VllmPayload(Format format, int engines) {
  std::string out;
  std::vector<std::string> labels;
  for (int e = 0; e < engines; ++e) {
    std::string l = "engine=\"";
    l += std::to_string(e);
    l += "\",model_name=\"meta-llama/Llama-3.1-8B-Instruct\"";
    labels.push_back(l);
  }
  auto simple = [&](const char* name, const char* type, const char* help, double v) {
    Header(&out, format, name, type, help);
    for (const auto& l : labels) out += std::string(name) + "{" + l + "} " + Py(v) + "\n";
  };
  simple("vllm:num_requests_running", "gauge", "Number of requests in model execution batches.", 3);
  simple("vllm:num_requests_waiting", "gauge", "Number of requests waiting to be processed.", 0);
  simple("vllm:kv_cache_usage_perc", "gauge", "KV-cache usage. 1 means 100 percent usage.", 0.2311);
  simple("vllm:prompt_tokens_total", "counter", "Number of prefill tokens processed.", 18540);
  simple("vllm:generation_tokens_total", "counter", "Number of generation tokens processed.", 9233);
  Header(&out, format, "vllm:request_success_total", "counter",
         "Count of successfully processed requests.");
  for (const auto& l : labels) {
    for (const char* r : {"stop", "length", "abort"}) {
      std::string lab = l;
      lab.insert(lab.find(",model_name"), std::string(",finished_reason=\"") + r + "\"");
      out += "vllm:request_success_total{" + lab + "} " +
             Py(r[0] == 's'   ? 31
                : r[0] == 'l' ? 9
                              : 2) +
             "\n";
    }
  }
  std::vector<double> ttft = {0.001, 0.005, 0.01, 0.02,  0.04,  0.06,  0.08, 0.1,
                              0.25,  0.5,   0.75, 1.0,   2.5,   5.0,   7.5,  10.0,
                              20.0,  40.0,  80.0, 160.0, 640.0, 2560.0};
  Header(&out, format, "vllm:time_to_first_token_seconds", "histogram",
         "Histogram of time to first token in seconds.");
  for (const auto& l : labels) {
    std::string with_le;
    // vLLM fixtures sort labels: engine, le, model_name.
    for (size_t i = 0; i <= ttft.size(); ++i) {
      std::string le = i < ttft.size() ? Py(ttft[i]) : "+Inf";
      std::string lab = l;
      lab.insert(lab.find(",model_name"), ",le=\"" + le + "\"");
      double v = i < ttft.size() ? Cumulative(ttft.size(), 42)[i] : 42;
      out += "vllm:time_to_first_token_seconds_bucket{" + lab + "} " + Py(v) + "\n";
    }
    out += "vllm:time_to_first_token_seconds_count{" + l + "} 42.0\n";
    out += "vllm:time_to_first_token_seconds_sum{" + l + "} 2.3917\n";
  }
  if (IsOm(format)) out += "# EOF\n";
  return out;
}

std::string KongPayload(Format format, int models) {
  std::string out;
  std::vector<std::string> labels;
  for (int m = 0; m < models; ++m) {
    std::string model = m == 0 ? "gpt-4o" : "meta/llama-3.1-8b-instruct";
    if (m > 1) {
      model = "model-";
      model += std::to_string(m);
    }
    labels.push_back("ai_provider=\"openai\",ai_model=\"" + model +
                     "\",cache_status=\"\",vector_db=\"\",embeddings_provider=\"\","
                     "embeddings_model=\"\",workspace=\"default\"");
  }
  Header(&out, format, "kong_ai_llm_cost_total", "counter",
         "AI requests cost per ai_provider/cache in Kong");
  for (size_t i = 0; i < labels.size(); ++i) {
    out += "kong_ai_llm_cost_total{" + labels[i] + "} " + Lua(i == 0 ? 0.3105 : 0.0055546) + "\n";
  }
  Header(&out, format, "kong_ai_llm_provider_latency_ms", "histogram",
         "LLM response Latency for each AI plugins per ai_provider in Kong");
  std::vector<double> bounds = {250,  500,  1000, 1500, 2000,  2500,  3000,
                                3500, 4000, 4500, 5000, 10000, 30000, 60000};
  for (const auto& l : labels) {
    Histogram(&out, "kong_ai_llm_provider_latency_ms", l, bounds, Cumulative(bounds.size(), 60),
              81240, /*le_first=*/false, Lua);
  }
  Header(&out, format, "kong_ai_llm_requests_total", "counter",
         "AI requests total per ai_provider in Kong");
  for (size_t i = 0; i < labels.size(); ++i) {
    out += "kong_ai_llm_requests_total{" + labels[i] + "} " + Lua(i == 0 ? 60 : 42) + "\n";
  }
  Header(&out, format, "kong_ai_llm_tokens_total", "counter",
         "AI requests cost per ai_provider/cache in Kong");
  for (const auto& l : labels) {
    for (const char* t : {"completion_tokens", "prompt_tokens", "total_tokens"}) {
      std::string lab = l;
      lab.insert(lab.find(",workspace"), std::string(",token_type=\"") + t + "\"");
      out += "kong_ai_llm_tokens_total{" + lab + "} " +
             Lua(t[0] == 'c'   ? 12300
                 : t[0] == 'p' ? 75000
                               : 87300) +
             "\n";
    }
  }
  if (IsOm(format)) out += "# EOF\n";
  return out;
}

std::string GeneratedPayload(Format format, int series) {
  std::string out;
  out.reserve(static_cast<size_t>(series) * 110);
  int family = 0;
  int written = 0;
  while (written < series) {
    bool counter = family % 2 == 0;
    std::string name = "app_generated_metric_";
    name += std::to_string(family);
    if (counter) name += "_total";
    Header(&out, format, name, counter ? "counter" : "gauge", "A generated metric for benchmarks.");
    for (int i = 0; i < 100 && written < series; ++i, ++written) {
      char line[256];
      std::snprintf(line, sizeof(line),
                    "%s{instance=\"host-%03d.example.com:9100\",job=\"node\",shard=\"%d\"} %s\n",
                    name.c_str(), i, family % 16,
                    counter ? std::to_string(1000000 + i * 7919).c_str()
                            : Py(0.001 * (i * 37 % 1000)).c_str());
      out += line;
    }
    ++family;
  }
  if (IsOm(format)) out += "# EOF\n";
  return out;
}

}  // namespace astrolabe::expfmt::testing
