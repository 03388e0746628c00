// PromQL oracle: the same NIM- and Kong-shaped data remote-written into a real Prometheus 2.42
// and into `astrolabe server`, then 50+ dashboard queries asked of both, as instant queries at
// several times and as range queries, compared series by series (labels equal, same
// timestamps, values within 1e-9 relative, NaN == NaN). Prints one line per query and a total;
// fails on any mismatch.
//
// Both sides answer through their HTTP API (/api/v1/query, /api/v1/query_range), parsed by the
// same code.
//
// The data (bench/genai_series.h, 4 NIM pods and 6 Kong routes, 520 series, one sample every
// 15 s for 2 h, ending about a day before now) has, on top of the fleet's shapes:
//   - a counter reset: every counter and histogram series of one NIM pod restarts from 0;
//   - a stale gap: one Kong route stops with a staleness marker and comes back 10 min later;
//   - a lookback gap: one NIM pod stops for 10 min without a marker (the 5-minute lookback).
// Samples go out in time order, so Prometheus' head accepts them all.
//
// Prometheus 2.42 and our engine (Prometheus 3 semantics) differ on purpose in two places, which
// the data steers clear of. 3.x range selectors and the lookback window are left-open, 2.x's
// are closed. Every evaluation time is therefore 7 ms off the 15 s grid, and a sample's phase
// in its interval is never 0 or 7 ms, so no sample sits on a window boundary. And 3.x limits
// rate()'s extrapolation towards a counter's zero point after, not before, the "series starts here"
// check (prometheus/prometheus#13725, in 2.51): the counters here start from 0, where both agree.

#include <signal.h>

#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "bench/genai_series.h"
#include "net/http_client.h"
#include "process.h"
#include "query/engine.h"  // StaleNaN
#include "storage/labels.h"
#include "wire/remote_write.h"
#include "wire/snappy.h"

namespace astrolabe::e2e {
namespace {

constexpr int64_t kInterval = 15'000;
constexpr int kSteps = 480;  // 2 h
constexpr int kResetStep = 200;
constexpr int kStaleGapBegin = 280, kStaleGapEnd = 320;
constexpr int kLookbackGapBegin = 340, kLookbackGapEnd = 380;
constexpr int kStepsPerRequest = 40;
constexpr int64_t kOffGrid = 7;  // ms; see the header comment

// ---- the data ------------------------------------------------------------------------------

// Yesterday 09:00 UTC: recent enough for any retention, old enough to be out of the way of the
// wall clock, and the same time of day on every run (the fleet's day curve makes the values
// depend on it), so the values are the same every run.
int64_t DataStart() {
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  constexpr int64_t kDay = 86'400'000;
  return (now / kDay) * kDay - kDay + 9 * 3'600'000;
}

bool IsCounterLike(std::string_view name) {
  auto ends = [&](std::string_view s) {
    return name.size() >= s.size() && name.substr(name.size() - s.size()) == s;
  };
  return ends("_total") || ends("_bucket") || ends("_sum") || ends("_count");
}

// One remote-write body (snappy-compressed prometheus.WriteRequest 1.0) per kStepsPerRequest
// steps, with the reset and the gaps applied. Also counts the series written.
struct OracleData {
  int64_t start_ms = 0;
  std::vector<std::string> bodies;
  size_t series = 0;
  size_t samples = 0;
  // Samples whose offset in their 15 s interval is 0 or kOffGrid (must be none; see the header).
  size_t on_boundary = 0;
};

OracleData MakeData() {
  OracleData data;
  data.start_ms = DataStart();
  bench::GenAiOptions options;
  options.nim_pods = 4;
  options.kong_gateways = 1;
  options.kong_routes = 6;
  options.start_ms = data.start_ms;
  options.interval_ms = kInterval;
  options.seed = 7;
  bench::GenAiFleet fleet(options);
  const auto& labels = fleet.series();
  data.series = labels.size();

  // Which series the reset and the gaps touch: the first NIM pod's instance, the second's, and
  // the Kong route of gpt-4o.
  std::string reset_instance, lookback_instance;
  for (const auto& l : labels) {
    if (l.Get("job") != "nim") continue;
    std::string inst(l.Get("instance"));
    if (reset_instance.empty()) reset_instance = inst;
    if (inst != reset_instance) {
      lookback_instance = inst;
      break;
    }
  }
  std::vector<double> reset_base(labels.size(), 0);
  std::vector<storage::Sample> step_samples;
  std::vector<std::vector<storage::Sample>> pending(labels.size());

  auto flush = [&] {
    wire::prw::WriteRequest request;
    for (size_t i = 0; i < labels.size(); ++i) {
      if (pending[i].empty()) continue;
      wire::prw::TimeSeries ts;
      for (const storage::Label& l : labels[i]) ts.labels.push_back({l.name, l.value});
      for (const auto& s : pending[i]) ts.samples.push_back({s.v, s.t});
      data.samples += ts.samples.size();
      request.timeseries.push_back(std::move(ts));
    }
    std::string proto, body;
    wire::prw::AppendWriteRequest(request, &proto);
    wire::SnappyCompress(proto, &body);
    data.bodies.push_back(std::move(body));
    for (auto& p : pending) p.clear();
  };

  for (int step = 0; step < kSteps; ++step) {
    fleet.Step(step_samples);
    for (size_t i = 0; i < labels.size(); ++i) {
      const storage::Labels& l = labels[i];
      storage::Sample s = step_samples[i];
      // Counters start from 0, as a freshly started exporter's do: where a series starts
      // inside a rate window, Prometheus 2.42 and 3.x extrapolate towards the counter's zero
      // point in a different order (prometheus/prometheus#13725, in 2.51), and agree when the
      // first sample is 0.
      const bool counter = IsCounterLike(l.MetricName());
      if (counter && (step == 0 || (step == kResetStep && l.Get("instance") == reset_instance))) {
        reset_base[i] = s.v;
      }
      if (counter) s.v -= reset_base[i];
      if (l.Get("ai_model") == "gpt-4o") {
        if (step == kStaleGapBegin) s.v = query::StaleNaN();
        if (step > kStaleGapBegin && step < kStaleGapEnd) continue;
      }
      if (l.Get("instance") == lookback_instance && step >= kLookbackGapBegin &&
          step < kLookbackGapEnd) {
        continue;
      }
      const int64_t phase = (s.t - data.start_ms) % kInterval;
      if (phase == 0 || phase == kOffGrid) ++data.on_boundary;
      pending[i].push_back(s);
    }
    if ((step + 1) % kStepsPerRequest == 0) flush();
  }
  if (kSteps % kStepsPerRequest != 0) flush();
  return data;
}

// ---- answers -------------------------------------------------------------------------------

struct Pt {
  int64_t t = 0;
  double v = 0;
};

// A query's answer in one canonical shape: series keyed by their label set, printed sorted.
struct Answer {
  std::string error;  // non-empty: the query failed
  std::string type;   // vector, matrix, scalar, string
  std::map<std::string, std::vector<Pt>> series;
};

std::string LabelKey(std::vector<std::pair<std::string, std::string>> pairs) {
  std::sort(pairs.begin(), pairs.end());
  std::string key = "{";
  for (size_t i = 0; i < pairs.size(); ++i) {
    if (i) key += ", ";
    key += pairs[i].first + "=\"" + pairs[i].second + "\"";
  }
  return key + "}";
}

// Prometheus' API JSON: {"status":"success","data":{"resultType":..,"result":..}}.
Answer FromApiJson(const std::string& body) {
  Answer a;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(body).get(doc) != simdjson::SUCCESS) {
    a.error = "unparsable response: " + body.substr(0, 200);
    return a;
  }
  std::string_view status;
  if (doc["status"].get(status) != simdjson::SUCCESS || status != "success") {
    std::string_view error;
    a.error = doc["error"].get(error) == simdjson::SUCCESS ? "error: " + std::string(error)
                                                           : "error: " + body.substr(0, 200);
    return a;
  }
  std::string_view type;
  if (doc["data"]["resultType"].get(type) != simdjson::SUCCESS) {
    a.error = "no resultType: " + body.substr(0, 200);
    return a;
  }
  a.type = std::string(type);
  auto point = [](simdjson::dom::array pair) {
    Pt p;
    double secs = 0;
    int64_t whole = 0;
    if (pair.at(0).get(secs) != simdjson::SUCCESS && pair.at(0).get(whole) == simdjson::SUCCESS) {
      secs = static_cast<double>(whole);
    }
    p.t = std::llround(secs * 1000);
    std::string_view v;
    p.v = pair.at(1).get(v) == simdjson::SUCCESS ? std::strtod(std::string(v).c_str(), nullptr)
                                                 : -12345.678;  // never a real value here
    return p;
  };
  simdjson::dom::element result = doc["data"]["result"];
  if (a.type == "scalar" || a.type == "string") {
    a.series["{}"].push_back(point(result.get_array()));
    return a;
  }
  for (simdjson::dom::element s : result.get_array()) {
    std::vector<std::pair<std::string, std::string>> pairs;
    for (auto field : s["metric"].get_object()) {
      pairs.emplace_back(std::string(field.key), std::string(field.value.get_string().value()));
    }
    auto& points = a.series[LabelKey(std::move(pairs))];
    simdjson::dom::array single;
    if (s["value"].get(single) == simdjson::SUCCESS) points.push_back(point(single));
    simdjson::dom::array values;
    if (s["values"].get(values) == simdjson::SUCCESS) {
      for (simdjson::dom::element v : values) points.push_back(point(v.get_array()));
    }
  }
  return a;
}

bool Close(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  if (a == b) return true;  // also equal infinities
  const double scale = std::max(std::fabs(a), std::fabs(b));
  return std::fabs(a - b) <= 1e-9 * scale || std::fabs(a - b) <= 1e-12;
}

// Empty when equal; otherwise the first difference.
std::string Diff(const Answer& want, const Answer& got) {
  if (!want.error.empty() || !got.error.empty()) {
    return "prometheus " + (want.error.empty() ? "ok" : want.error) + "; ours " +
           (got.error.empty() ? "ok" : got.error);
  }
  if (want.type != got.type) return "type " + want.type + " vs ours " + got.type;
  for (const auto& [key, points] : want.series) {
    auto it = got.series.find(key);
    if (it == got.series.end()) return "series missing in ours: " + key;
    const auto& ours = it->second;
    if (ours.size() != points.size()) {
      return key + ": " + std::to_string(points.size()) + " points vs ours " +
             std::to_string(ours.size());
    }
    for (size_t i = 0; i < points.size(); ++i) {
      if (points[i].t != ours[i].t || !Close(points[i].v, ours[i].v)) {
        char buf[160];
        std::snprintf(buf, sizeof buf, "[%zu]: (%lld, %.17g) vs ours (%lld, %.17g)", i,
                      static_cast<long long>(points[i].t), points[i].v,
                      static_cast<long long>(ours[i].t), ours[i].v);
        return key + buf;
      }
    }
  }
  for (const auto& [key, points] : got.series) {
    if (!want.series.count(key)) return "extra series in ours: " + key;
  }
  return "";
}

size_t PointCount(const Answer& a) {
  size_t n = 0;
  for (const auto& [key, points] : a.series) n += points.size();
  return n;
}

// ---- the queries ---------------------------------------------------------------------------

// The kinds of queries the NIM and Kong dashboards issue. Everything here exists in
// Prometheus 2.42 with its default feature flags.
const char* const kQueries[] = {
    // every series arrived
    "count({__name__=~\".+\"})",
    "count by (job) ({__name__=~\".+\"})",
    // rates of counters (with the reset and the gaps inside the windows)
    "rate(request_success_total[5m])",
    "irate(request_success_total[5m])",
    "increase(prompt_tokens_total[1h])",
    "sum by (model_name) (rate(generation_tokens_total[5m]))",
    "sum(rate(request_success_total[5m]))",
    "sum by (finished_reason) (increase(request_finish_total[15m]))",
    "resets(request_success_total[30m])",
    "increase(kong_ai_llm_requests_total[10m])",
    "sum by (ai_provider, ai_model) (rate(kong_ai_llm_requests_total[5m]))",
    "sum by (workspace) (increase(kong_ai_llm_cost_total[30m]))",
    // latency percentiles from classic buckets
    "histogram_quantile(0.5, sum by (le, model_name) "
    "(rate(time_to_first_token_seconds_bucket[5m])))",
    "histogram_quantile(0.9, sum by (le, model_name) "
    "(rate(time_to_first_token_seconds_bucket[5m])))",
    "histogram_quantile(0.99, sum by (le, model_name) "
    "(rate(time_to_first_token_seconds_bucket[5m])))",
    "histogram_quantile(0.5, sum by (le, model_name) "
    "(rate(time_per_output_token_seconds_bucket[5m])))",
    "histogram_quantile(0.9, sum by (le, model_name) "
    "(rate(time_per_output_token_seconds_bucket[5m])))",
    "histogram_quantile(0.99, sum by (le, model_name) "
    "(rate(time_per_output_token_seconds_bucket[5m])))",
    "histogram_quantile(0.5, sum by (le) (rate(e2e_request_latency_seconds_bucket[10m])))",
    "histogram_quantile(0.9, sum by (le) (rate(e2e_request_latency_seconds_bucket[10m])))",
    "histogram_quantile(0.99, sum by (le) (rate(e2e_request_latency_seconds_bucket[10m])))",
    "histogram_quantile(0.9, rate(e2e_request_latency_seconds_bucket[5m]))",
    "histogram_quantile(0.95, sum by (le, ai_provider) "
    "(rate(kong_ai_llm_provider_latency_ms_bucket[5m])))",
    "histogram_quantile(0.99, sum by (le, model_name) "
    "(increase(request_prompt_tokens_bucket[1h])))",
    // ratios
    "sum by (model_name) (rate(time_to_first_token_seconds_sum[5m])) / sum by (model_name) "
    "(rate(time_to_first_token_seconds_count[5m]))",
    "sum(rate(request_failure_total[5m])) / (sum(rate(request_success_total[5m])) + "
    "sum(rate(request_failure_total[5m])))",
    "sum by (model_name) (rate(request_failure_total[5m])) / sum by (model_name) "
    "(rate(request_success_total[5m]))",
    "sum by (ai_model) (rate(kong_ai_llm_tokens_total{token_type=\"prompt_tokens\"}[5m])) / on "
    "(ai_model) sum by (ai_model) (rate(kong_ai_llm_requests_total[5m]))",
    "rate(kong_ai_llm_provider_latency_ms_sum[5m]) / "
    "rate(kong_ai_llm_provider_latency_ms_count[5m])",
    "rate(kong_ai_llm_tokens_total[5m]) / on (instance, ai_provider, ai_model, workspace) "
    "group_left rate(kong_ai_llm_requests_total[5m])",
    "num_request_max - num_requests_running",
    "1 - gpu_cache_usage_perc",
    // top and bottom
    "topk(3, rate(generation_tokens_total[5m]))",
    "bottomk(2, sum by (model_name) (rate(prompt_tokens_total[5m])))",
    "topk(2, sum by (ai_model) (rate(kong_ai_llm_tokens_total{token_type=\"total_tokens\"}[5m])))",
    "sort_desc(sum by (model_name) (rate(generation_tokens_total[5m])))",
    // offset
    "rate(request_success_total[5m] offset 10m)",
    "sum(increase(kong_ai_llm_cost_total[1h] offset 30m))",
    "sum by (model_name) (rate(generation_tokens_total[5m])) - sum by (model_name) "
    "(rate(generation_tokens_total[5m] offset 1h))",
    // *_over_time
    "avg_over_time(gpu_cache_usage_perc[10m])",
    "max_over_time(num_requests_running[5m])",
    "min_over_time(num_requests_waiting[15m])",
    "sum_over_time(num_requests_running[2m])",
    "count_over_time(gpu_cache_usage_perc[5m])",
    "quantile_over_time(0.9, gpu_cache_usage_perc[10m])",
    "stddev_over_time(num_requests_running[10m])",
    "last_over_time(kong_ai_llm_requests_total[1m])",
    "absent_over_time(kong_ai_llm_requests_total{ai_model=\"gpt-4o\"}[1m])",
    "max_over_time(sum by (model_name) (rate(request_success_total[5m]))[30m:1m])",
    "changes(num_requests_running[10m])",
    "deriv(gpu_cache_usage_perc[10m])",
    "predict_linear(prompt_tokens_total[30m], 3600)",
    "delta(gpu_cache_usage_perc[10m])",
    "idelta(num_requests_running[5m])",
    // clamp, label functions, math
    "clamp(gpu_cache_usage_perc, 0.2, 0.5)",
    "clamp_max(rate(request_success_total[5m]), 0.5)",
    "clamp_min(num_requests_waiting, 1)",
    "label_replace(sum by (model_name) (rate(request_success_total[5m])), \"vendor\", \"$1\", "
    "\"model_name\", \"([^/]+)/.*\")",
    "label_join(num_requests_running, \"where\", \"@\", \"pod\", \"namespace\")",
    "round(rate(generation_tokens_total[5m]), 0.1)",
    "ln(sum(rate(generation_tokens_total[5m])))",
    "abs(deriv(num_requests_running[5m]))",
    // aggregations
    "count by (model_name) (num_requests_running)",
    "count by (ai_provider) (kong_ai_llm_requests_total)",
    "avg by (model_name) (gpu_cache_usage_perc)",
    "max by (model_name) (num_requests_running)",
    "stddev(gpu_cache_usage_perc)",
    "quantile(0.5, rate(request_success_total[5m]))",
    "group by (model_name) (num_requests_running)",
    "count_values(\"max\", num_request_max)",
    // absent, set operators, scalar and time
    "absent(no_such_metric)",
    "absent(request_success_total{model_name=\"no-such-model\"})",
    "absent(request_success_total)",
    "rate(request_success_total[5m]) > 0.3 and rate(request_failure_total[5m]) > 0",
    "num_requests_running or num_requests_waiting",
    "sum by (model_name) (num_requests_running) unless sum by (model_name) "
    "(num_requests_waiting) > 3",
    "rate(request_success_total[5m]) > bool 0.5",
    "scalar(sum(num_requests_running))",
    "sum(num_requests_running) / scalar(count(num_requests_running))",
    "time()",
    "time() - timestamp(request_success_total)",
    "vector(time() / 60)",
    "hour(timestamp(num_requests_running))",
    // raw selectors: staleness and the lookback window
    "kong_ai_llm_requests_total",
    "request_success_total",
};

// ---- the peers -----------------------------------------------------------------------------

bool Eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return condition();
}

std::string UrlEncode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

std::string Seconds(int64_t ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lld.%03lld", static_cast<long long>(ms / 1000),
                static_cast<long long>(ms % 1000));
  return buf;
}

class PromQlOracle : public ::testing::Test {
 protected:
  net::HttpResponse Send(const std::string& method, int port, const std::string& path,
                         std::string body = "") {
    net::HttpRequest request;
    request.method = method;
    request.url = "http://127.0.0.1:" + std::to_string(port) + path;
    request.timeout = std::chrono::seconds(60);  // an ASan server on a loaded machine is slow
    if (method == "POST") {
      request.headers.Set("Content-Type", "application/x-protobuf");
      request.headers.Set("Content-Encoding", "snappy");
      request.headers.Set("X-Prometheus-Remote-Write-Version", "0.1.0");
      request.body = std::move(body);
    }
    auto response = client_.Send(std::move(request)).get();
    return response.ok() ? *response : net::HttpResponse{};
  }

  Answer ApiQuery(int port, const std::string& query, int64_t t) {
    return FromApiJson(
        Send("GET", port, "/api/v1/query?query=" + UrlEncode(query) + "&time=" + Seconds(t)).body);
  }
  Answer ApiRange(int port, const std::string& query, int64_t start, int64_t end, int64_t step) {
    return FromApiJson(Send("GET", port,
                            "/api/v1/query_range?query=" + UrlEncode(query) + "&start=" +
                                Seconds(start) + "&end=" + Seconds(end) + "&step=" + Seconds(step))
                           .body);
  }

  net::HttpClient client_;
};

TEST_F(PromQlOracle, DashboardQueriesAgreeWithPrometheus242) {
  const auto began = std::chrono::steady_clock::now();
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // progress lines as they happen
  const std::string dir = std::filesystem::path(WriteTempFile("prometheus.yml", "")).parent_path();
  const std::string prom_config = dir + "/prometheus.yml";
  std::FILE* f = std::fopen(prom_config.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs("global: {scrape_interval: 15s, evaluation_interval: 15s}\n", f);
  std::fclose(f);

  const int prom_port = FreePort();
  Subprocess prometheus;
  ASSERT_TRUE(prometheus.Start({"/usr/bin/prometheus", "--config.file=" + prom_config,
                                "--storage.tsdb.path=" + dir + "/prom-data",
                                "--web.listen-address=127.0.0.1:" + std::to_string(prom_port),
                                "--web.enable-remote-write-receiver", "--log.level=warn"}))
      << "Prometheus 2.42 (Debian package prometheus) is needed: run scripts/setup";
  ASSERT_TRUE(Eventually([&] { return HttpGet(prom_port, "/-/ready").status == 200; },
                         std::chrono::seconds(30)))
      << prometheus.Stderr();

  const int http = FreePort(), otlp_http = FreePort(), otlp_grpc = FreePort(), health = FreePort();
  const std::string data_dir = dir + "/astrolabe-data";
  Subprocess server;
  ASSERT_TRUE(server.Start({AstrolabeBinary(), "server", "--auth", "none", "--data", data_dir,
                            "--http", "127.0.0.1:" + std::to_string(http), "--otlp-http",
                            "127.0.0.1:" + std::to_string(otlp_http), "--otlp-grpc",
                            "127.0.0.1:" + std::to_string(otlp_grpc), "--health",
                            "127.0.0.1:" + std::to_string(health)}));
  ASSERT_TRUE(
      Eventually([&] { return HttpGet(health, "/").status == 200; }, std::chrono::seconds(30)))
      << server.Stderr();

  std::printf("peers ready (%.1f s)\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count());
  const OracleData data = MakeData();
  ASSERT_EQ(data.on_boundary, 0u) << "a sample sits where a window boundary can fall";
  for (size_t i = 0; i < data.bodies.size(); ++i) {
    // Both at once: each receiver still gets the requests in order.
    auto prom_write = std::async(std::launch::async, [&] {
      return Send("POST", prom_port, "/api/v1/write", data.bodies[i]);
    });
    net::HttpResponse o = Send("POST", otlp_http, "/api/v1/write", data.bodies[i]);
    net::HttpResponse p = prom_write.get();
    ASSERT_EQ(p.status, 204) << "prometheus, request " << i << ": " << p.body;
    ASSERT_EQ(o.status, 204) << "astrolabe, request " << i << ": " << o.body;
  }
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  };
  std::printf("wrote %zu series, %zu samples in %zu remote-write requests to both (%.1f s)\n",
              data.series, data.samples, data.bodies.size(), elapsed());

  // Ours: the server's Prometheus API (scope metrics.read; --auth none on loopback).
  auto our_instant = [&](const std::string& q, int64_t t) { return ApiQuery(http, q, t); };
  auto our_range = [&](const std::string& q, int64_t s, int64_t e, int64_t st) {
    return ApiRange(http, q, s, e, st);
  };

  // Evaluation times: inside the data, just after the reset, inside both gaps, at the end and
  // after it (lookback runs out), all off the sample grid.
  const int64_t s0 = data.start_ms + kOffGrid;
  auto at_step = [&](int step) { return s0 + step * kInterval; };
  const std::vector<int64_t> instants = {at_step(80),
                                         at_step(150),
                                         at_step(kResetStep + 8),
                                         at_step(kStaleGapBegin + 12),
                                         at_step(kLookbackGapBegin + 18),
                                         at_step(kSteps - 1),
                                         at_step(kSteps + 12),
                                         at_step(kSteps + 40)};
  struct Range {
    int64_t start, end, step;
  };
  const std::vector<Range> ranges = {
      {at_step(40), at_step(kSteps + 30), 60'000},  // the whole span, 1-minute step
      {at_step(kStaleGapBegin - 20), at_step(kLookbackGapEnd + 20), kInterval}};  // both gaps

  int passed = 0, failed = 0, with_data = 0;
  using Clock = std::chrono::steady_clock;
  Clock::duration prom_time{}, our_time{};
  const auto queries_began = Clock::now();
  auto timed = [](Clock::duration& total, auto&& f) {
    const auto t0 = Clock::now();
    Answer a = f();
    total += Clock::now() - t0;
    return a;
  };
  for (const char* q : kQueries) {
    std::string first_diff;
    size_t points = 0;
    for (int64_t t : instants) {
      auto prom = std::async(std::launch::async, [&] {
        return timed(prom_time, [&] { return ApiQuery(prom_port, q, t); });
      });
      Answer got = timed(our_time, [&] { return our_instant(q, t); });
      Answer want = prom.get();
      points += PointCount(want);
      std::string d = Diff(want, got);
      if (!d.empty() && first_diff.empty()) first_diff = "instant @" + Seconds(t) + ": " + d;
    }
    for (const Range& r : ranges) {
      auto prom = std::async(std::launch::async, [&] {
        return timed(prom_time, [&] { return ApiRange(prom_port, q, r.start, r.end, r.step); });
      });
      Answer got = timed(our_time, [&] { return our_range(q, r.start, r.end, r.step); });
      Answer want = prom.get();
      points += PointCount(want);
      std::string d = Diff(want, got);
      if (!d.empty() && first_diff.empty()) {
        first_diff = "range " + Seconds(r.start) + ".." + Seconds(r.end) + " step " +
                     Seconds(r.step) + ": " + d;
      }
    }
    if (points > 0) ++with_data;
    if (first_diff.empty()) {
      ++passed;
      std::printf("PASS  %-6zu %s\n", points, q);
    } else {
      ++failed;
      std::printf("FAIL  %s\n      %s\n", q, first_diff.c_str());
    }
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  auto s_of = [](Clock::duration d) { return std::chrono::duration<double>(d).count(); };
  std::printf(
      "promql oracle: %d queries, %d passed, %d failed (%zu instants + %zu ranges each; "
      "%.1f s in all, queries %.1f s, side by side: Prometheus %.1f s, ours %.1f s)\n",
      passed + failed, passed, failed, instants.size(), ranges.size(), secs,
      s_of(Clock::now() - queries_began), s_of(prom_time), s_of(our_time));
  EXPECT_EQ(failed, 0);
  EXPECT_GE(passed + failed, 50);
  // Not vacuous: Prometheus answered nearly every query with data.
  EXPECT_GE(with_data, passed + failed - 2);

  server.Signal(SIGTERM);
  EXPECT_EQ(server.Wait(std::chrono::seconds(30)), 0) << server.Stderr();
  prometheus.Signal(SIGTERM);
  prometheus.Wait(std::chrono::seconds(30));
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
}

}  // namespace
}  // namespace astrolabe::e2e
