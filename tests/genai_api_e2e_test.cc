// The GenAI API end to end: `astrolabe server` scrapes `astrolabe sim nim` (every second) and
// takes OTLP/JSON spans with tokens and costs; chat requests are sent to the simulator. Every
// route's figures are then checked against values this test works out on its own: from the
// spans it posted, and from the simulator's /v1/metrics read directly (counters, gauges, and
// the percentiles interpolated from its buckets by hand).

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "net/http_client.h"
#include "process.h"
#include "sim/test_util.h"

namespace astrolabe::e2e {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

// Model names no price table knows: the span costs are the ones posted (gen_ai.usage.cost),
// whatever prices the server's genai processor carries.
constexpr const char* kServed = "acme/served-llm";  // requests sent to the sim
constexpr const char* kTraced = "acme/traced-llm";  // the sim's, and in spans
constexpr const char* kHosted = "acme/hosted-llm";  // spans only
constexpr int kRequests = 6;

bool Eventually(const std::function<bool()>& condition, std::chrono::milliseconds limit = 60s) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (condition()) return true;
    std::this_thread::sleep_for(100ms);
  }
  return condition();
}

int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// histogram_quantile as Prometheus defines it, over cumulative (le, count) pairs sorted by le.
double Quantile(double q, const std::vector<std::pair<double, double>>& buckets) {
  const double total = buckets.back().second;
  if (total == 0) return NAN;
  const double rank = q * total;
  double prev_le = 0, prev_count = 0;
  for (const auto& [le, count] : buckets) {
    if (count >= rank) {
      if (std::isinf(le)) return prev_le;
      return prev_le + (le - prev_le) * (rank - prev_count) / (count - prev_count);
    }
    prev_le = le;
    prev_count = count;
  }
  return prev_le;
}

struct Span {
  std::string id, model, service;
  int64_t in, out;
  double cost;  // NaN: none
  std::string reason;
  int64_t start, duration;
  bool error;
};

class GenAiApiE2e : public ::testing::Test {
 protected:
  void TearDown() override {
    for (Subprocess* p : {&server_, &sim_}) {
      if (p->running()) {
        p->Signal(SIGTERM);
        p->Wait(std::chrono::seconds(30));
      }
    }
  }

  net::HttpResponse Send(const std::string& method, int port, const std::string& path,
                         const std::string& body = "") {
    net::HttpRequest request;
    request.method = method;
    request.url = "http://127.0.0.1:" + std::to_string(port) + path;
    request.timeout = std::chrono::seconds(30);
    if (method == "POST") {
      request.headers.Set("Content-Type", "application/json");
      request.body = body;
    }
    auto response = client_.Send(std::move(request)).get();
    EXPECT_TRUE(response.ok()) << response.status().message();
    return response.ok() ? *response : net::HttpResponse{};
  }

  // GET a GenAI route → its "data" (checked to be a success answer).
  simdjson::dom::element Data(const std::string& path) {
    net::HttpResponse r = Send("GET", api_port_, path);
    EXPECT_EQ(r.status, 200) << path << ": " << r.body;
    parsers_.push_back(std::make_unique<simdjson::dom::parser>());
    bodies_.push_back(std::make_unique<simdjson::padded_string>(r.body));
    simdjson::dom::element root;
    EXPECT_FALSE(parsers_.back()->parse(*bodies_.back()).get(root)) << r.body;
    EXPECT_EQ(std::string_view(root["status"].get_string().value_unsafe()), "success") << r.body;
    return root["data"];
  }

  // The value of a PromQL instant query's first sample at the server (NaN when empty).
  std::pair<double, double> Query(const std::string& promql) {
    net::HttpResponse r = Send("GET", api_port_, "/api/v1/query?query=" + promql);
    simdjson::dom::parser parser;
    simdjson::padded_string body(r.body);
    simdjson::dom::element root;
    if (parser.parse(body).get(root)) return {NAN, NAN};
    simdjson::dom::array result;
    if (root["data"]["result"].get_array().get(result) || result.size() == 0) return {NAN, NAN};
    auto value = result.at(0)["value"];
    return {Num(value.at(0)), std::stod(std::string(value.at(1).get_string().value_unsafe()))};
  }

  static double Num(simdjson::dom::element e) {
    if (e.is_null()) return NAN;
    double d = 0;
    if (e.get_double().get(d) == simdjson::SUCCESS) return d;
    int64_t i = 0;
    if (e.get_int64().get(i) == simdjson::SUCCESS) return static_cast<double>(i);
    uint64_t u = 0;
    if (e.get_uint64().get(u) == simdjson::SUCCESS) return static_cast<double>(u);
    return NAN;
  }
  static std::string Str(simdjson::dom::element e) {
    return e.is_null() ? "null" : std::string(e.get_string().value_unsafe());
  }

  Subprocess sim_, server_;
  int api_port_ = 0;
  net::HttpClient client_;
  std::vector<std::unique_ptr<simdjson::dom::parser>> parsers_;
  std::vector<std::unique_ptr<simdjson::padded_string>> bodies_;
};

TEST_F(GenAiApiE2e, EveryRouteAgainstIndependentFigures) {
  const int64_t test_start = NowNanos();
  // The simulator: two models, API traffic only, no injected failures.
  const int sim_port = FreePort();
  ASSERT_TRUE(sim_.Start({AstrolabeBinary(), "sim", "nim", "--rate", "0", "--time-scale", "20",
                          "--error-rate", "0", "--model", kServed, "--model", kTraced, "--listen",
                          "127.0.0.1:" + std::to_string(sim_port)}));
  ASSERT_TRUE(Eventually([&] { return HttpGet(sim_port, "/v1/metrics").status == 200; }));

  // The server, scraping it every second.
  api_port_ = FreePort();
  const int otlp_port = FreePort(), grpc_port = FreePort(), health_port = FreePort();
  const std::string config =
      WriteTempFile("server.yaml",
                    "receivers:\n  prometheus:\n    config:\n      scrape_configs:\n"
                    "        - job_name: nim\n          scrape_interval: 1s\n          "
                    "metrics_path: /v1/metrics\n"
                    "          static_configs:\n            - targets: [\"127.0.0.1:" +
                        std::to_string(sim_port) +
                        "\"]\nservice:\n  pipelines:\n    metrics:\n"
                        "      receivers: [otlp, prometheus_remote_write, prometheus]\n");
  ASSERT_TRUE(
      server_.Start({AstrolabeBinary(), "server", "--data", TempDir() + "/data", "--config", config,
                     "--auth", "none", "--http", "127.0.0.1:" + std::to_string(api_port_),
                     "--otlp-http", "127.0.0.1:" + std::to_string(otlp_port), "--otlp-grpc",
                     "127.0.0.1:" + std::to_string(grpc_port), "--health",
                     "127.0.0.1:" + std::to_string(health_port)}));
  ASSERT_TRUE(Eventually([&] { return HttpGet(health_port, "/").status == 200; }))
      << server_.Stderr();
  // The first scrape (every counter at 0) is stored before any request is made, so the
  // range's increase starts from zero.
  ASSERT_TRUE(Eventually([&] { return !std::isnan(Query("num_request_max").second); }))
      << server_.Stderr();

  // Requests to the simulator.
  for (int i = 0; i < kRequests; ++i) {
    net::HttpResponse r = Send(
        "POST", sim_port, "/v1/chat/completions",
        std::string(R"({"model":")") + kServed +
            R"(","messages":[{"role":"user","content":"Say something about the sea, please."}],"max_tokens":)" +
            std::to_string(4 + 3 * i) + "}");
    ASSERT_EQ(r.status, 200) << r.body;
  }

  // Spans: acme/hosted-llm calls with costs (two services, one error), and two calls of the
  // simulator's second model (no cost).
  const int64_t t = NowNanos() - 5 * 60 * 1'000'000'000ll;
  const int64_t s = 1'000'000'000;
  const std::vector<Span> spans = {
      {"0000000000000001", kHosted, "support-bot", 120, 30, 0.00003, "stop", t, 800'000'000, false},
      {"0000000000000002", kHosted, "support-bot", 900, 400, 0.000375, "length", t + 10 * s,
       2'500'000'000, false},
      {"0000000000000003", kHosted, "search-api", 50, 10, 0.0000135, "stop", t + 20 * s,
       300'000'000, false},
      {"0000000000000004", kHosted, "search-api", 2000, 0, 0.0003, "", t + 30 * s, 4 * s, true},
      {"0000000000000005", kHosted, "support-bot", 300, 120, 0.000117, "stop", t + 40 * s,
       1'200'000'000, false},
      {"0000000000000006", kTraced, "support-bot", 400, 64, NAN, "stop", t + 50 * s, 3 * s, false},
      {"0000000000000007", kTraced, "support-bot", 100, 16, NAN, "length", t + 60 * s, s, false},
  };
  std::map<std::string, std::string> by_service;
  for (const Span& sp : spans) {
    std::string attrs =
        R"({"key":"gen_ai.operation.name","value":{"stringValue":"chat"}},)"
        R"({"key":"gen_ai.provider.name","value":{"stringValue":"openai"}},)"
        R"({"key":"gen_ai.request.model","value":{"stringValue":")" +
        sp.model + R"("}},{"key":"gen_ai.usage.input_tokens","value":{"intValue":")" +
        std::to_string(sp.in) + R"("}},{"key":"gen_ai.usage.output_tokens","value":{"intValue":")" +
        std::to_string(sp.out) + "\"}}";
    if (!std::isnan(sp.cost)) {
      char cost[64];
      snprintf(cost, sizeof cost, "%.17g", sp.cost);
      attrs += R"(,{"key":"gen_ai.usage.cost","value":{"doubleValue":)" + std::string(cost) + "}}";
    }
    if (!sp.reason.empty()) {
      attrs +=
          R"(,{"key":"gen_ai.response.finish_reasons","value":{"arrayValue":{"values":[{"stringValue":")" +
          sp.reason + "\"}]}}}";
    }
    std::string& list = by_service[sp.service];
    if (!list.empty()) list += ',';
    list += R"({"traceId":"5b8efff798038103d269b633813fc6)" + sp.id.substr(14) + R"(","spanId":")" +
            sp.id + R"(","name":"chat )" + sp.model + R"(","kind":3,"startTimeUnixNano":")" +
            std::to_string(sp.start) + R"(","endTimeUnixNano":")" +
            std::to_string(sp.start + sp.duration) + R"(","status":{"code":)" +
            (sp.error ? "2" : "0") + R"(},"attributes":[)" + attrs + "]}";
  }
  std::string body = R"({"resourceSpans":[)";
  bool first = true;
  for (const auto& [service, list] : by_service) {
    if (!first) body += ',';
    first = false;
    body += R"({"resource":{"attributes":[{"key":"service.name","value":{"stringValue":")" +
            service + R"("}}]},"scopeSpans":[{"spans":[)" + list + "]}]}";
  }
  body += "]}";
  ASSERT_EQ(Send("POST", otlp_port, "/v1/traces", body).status, 200);

  // Wait until a scrape after the last request is stored, and the spans are searchable.
  ASSERT_TRUE(Eventually([&] { return Query("sum(request_success_total)").second == kRequests; }))
      << server_.Stderr();
  ASSERT_TRUE(Eventually([&] {
    return Send("GET", api_port_, "/api/v1/spans?model=" + std::string(kHosted) + "&limit=10")
               .body.find("0000000000000005") != std::string::npos;
  }));
  // The simulator's figures now (rate 0: they no longer move), and the time of the server's
  // latest sample of them: the range ends there, so no extrapolation at its end.
  const auto parsed = sim::testing::ParseText(HttpGet(sim_port, "/v1/metrics").body);
  ASSERT_EQ(parsed.error, "");
  auto sim_value = [&](const std::string& series) { return parsed.Get(series); };
  const std::string served = std::string("model_name=\"") + kServed + "\"";
  ASSERT_EQ(sim_value("request_success_total{" + served + "}"), kRequests);
  const double last_sample = Query("max(timestamp(request_success_total))").second;
  ASSERT_FALSE(std::isnan(last_sample));
  char range[128];
  snprintf(range, sizeof range, "start=%.3f&end=%.3f", static_cast<double>(test_start) / 1e9 - 600,
           last_sample);

  // ---- /models
  std::map<std::string, simdjson::dom::element> models;
  for (simdjson::dom::element m :
       Data("/api/v1/genai/models?" + std::string(range))["models"].get_array()) {
    models[Str(m["model"])] = m;
  }
  ASSERT_EQ(models.count(kServed), 1u);
  auto m = models[kServed];
  EXPECT_EQ(Str(m["source"]), "metrics");
  EXPECT_EQ(Str(m["provider"]), "nim");
  EXPECT_NEAR(Num(m["requests"]), kRequests, 1e-9);
  EXPECT_NEAR(Num(m["errors"]), 0, 1e-9);
  EXPECT_NEAR(Num(m["input_tokens"]), sim_value("prompt_tokens_total{" + served + "}"), 1e-6);
  EXPECT_NEAR(Num(m["output_tokens"]), sim_value("generation_tokens_total{" + served + "}"), 1e-6);
  auto buckets = [&](const std::string& family) {
    std::vector<std::pair<double, double>> out;
    for (const auto& [key, v] : parsed.values) {
      if (key.rfind(family + "_bucket{", 0) != 0 || key.find(served) == std::string::npos) continue;
      const size_t at = key.find("le=\"") + 4;
      const std::string le = key.substr(at, key.find('"', at) - at);
      out.emplace_back(le == "+Inf" ? INFINITY : std::stod(le), v);
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  for (const auto& [field, family] : std::vector<std::pair<std::string, std::string>>{
           {"ttft", "time_to_first_token_seconds"},
           {"tpot", "time_per_output_token_seconds"},
           {"latency", "e2e_request_latency_seconds"}}) {
    const auto b = buckets(family);
    ASSERT_FALSE(b.empty()) << family;
    EXPECT_NEAR(Num(m[field + "_p50"]), Quantile(0.5, b), 1e-9) << family;
    EXPECT_NEAR(Num(m[field + "_p95"]), Quantile(0.95, b), 1e-9) << family;
  }
  // acme/hosted-llm: the spans alone.
  ASSERT_EQ(models.count(kHosted), 1u);
  ASSERT_EQ(models.count(kTraced), 1u);
  auto h = models[kHosted];
  EXPECT_EQ(Str(h["source"]), "spans");
  EXPECT_EQ(Num(h["requests"]), 5);
  EXPECT_EQ(Num(h["errors"]), 1);
  EXPECT_EQ(Num(h["input_tokens"]), 120 + 900 + 50 + 2000 + 300);
  EXPECT_EQ(Num(h["output_tokens"]), 30 + 400 + 10 + 0 + 120);
  const double hosted_cost = 0.00003 + 0.000375 + 0.0000135 + 0.0003 + 0.000117;
  EXPECT_NEAR(Num(h["cost"]), hosted_cost, 1e-15);
  EXPECT_NEAR(Num(h["latency_p50"]), 1.2, 1e-9);  // 0.3 0.8 1.2 2.5 4
  EXPECT_NEAR(Num(h["latency_p95"]), 2.5 + 0.8 * 1.5, 1e-9);
  // The second simulator model: spans' requests, the simulator's (empty) histograms.
  auto traced = models[kTraced];
  EXPECT_EQ(Str(traced["source"]), "both");
  EXPECT_EQ(Num(traced["requests"]), 2);
  EXPECT_TRUE(std::isnan(Num(traced["cost"])));
  EXPECT_TRUE(traced["ttft_p50"].is_null());

  // ---- /cost
  auto cost = Data("/api/v1/genai/cost?by=service&step=60&" + std::string(range));
  EXPECT_NEAR(Num(cost["total"]), hosted_cost, 1e-15);
  std::map<std::string, double> per_service;
  for (simdjson::dom::element series : cost["series"].get_array()) {
    EXPECT_EQ(Str(series["source"]), "spans");
    for (simdjson::dom::element p : series["values"].get_array())
      per_service[Str(series["key"])] += Num(p.at(1));
  }
  EXPECT_NEAR(per_service["support-bot"], 0.00003 + 0.000375 + 0.000117, 1e-15);
  EXPECT_NEAR(per_service["search-api"], 0.0000135 + 0.0003, 1e-15);
  // Every span is less than 6 minutes old: all of today unless the test straddles midnight.
  const int64_t day = 86'400'000'000'000;
  if (t / day == NowNanos() / day) {
    EXPECT_NEAR(Num(cost["today"]), hosted_cost, 1e-15);
    EXPECT_NEAR(Num(cost["month_to_date"]), hosted_cost, 1e-15);
    // A fresh install: today's pace, extended to the month's end.
    EXPECT_EQ(Num(cost["forecast"]["days_averaged"]), 0);
    const double rate = Num(cost["forecast"]["daily_rate"]);
    EXPECT_GT(rate, 0);
    EXPECT_GE(Num(cost["forecast_month_end"]), hosted_cost);
  }

  // ---- /calls
  std::vector<std::string> ids;
  for (simdjson::dom::element c :
       Data("/api/v1/genai/calls?limit=3&" + std::string(range))["calls"].get_array()) {
    ids.push_back(Str(c["span_id"]));
  }
  EXPECT_EQ(ids,
            (std::vector<std::string>{"0000000000000002", "0000000000000004", "0000000000000005"}));
  auto slowest =
      Data("/api/v1/genai/calls?sort=duration&limit=1&" + std::string(range))["calls"].at(0);
  EXPECT_EQ(Str(slowest["span_id"]), "0000000000000004");
  EXPECT_EQ(Num(slowest["duration"]), 4);
  EXPECT_EQ(Str(slowest["status"]), "error");
  EXPECT_EQ(Str(slowest["service"]), "search-api");

  // ---- /finish_reasons
  std::map<std::string, double> reasons;
  for (simdjson::dom::element r :
       Data("/api/v1/genai/finish_reasons?" + std::string(range))["reasons"].get_array()) {
    reasons[Str(r["source"]) + ":" + Str(r["model"]) + ":" + Str(r["reason"])] = Num(r["count"]);
  }
  EXPECT_EQ(reasons["spans:" + std::string(kHosted) + ":stop"], 3);
  EXPECT_EQ(reasons["spans:" + std::string(kHosted) + ":length"], 1);
  EXPECT_EQ(reasons["spans:" + std::string(kTraced) + ":length"], 1);
  for (const char* reason : {"stop", "length"}) {
    const double want = sim_value(std::string("request_finish_total{finished_reason=\"") + reason +
                                  "\"," + served + "}");
    EXPECT_NEAR(reasons["nim:" + std::string(kServed) + ":" + reason], want, 1e-9) << reason;
  }
  EXPECT_NEAR(reasons["nim:" + std::string(kServed) + ":stop"] +
                  reasons["nim:" + std::string(kServed) + ":length"],
              kRequests, 1e-9);

  // ---- /saturation
  std::map<std::string, simdjson::dom::element> services;
  for (simdjson::dom::element sv :
       Data("/api/v1/genai/saturation?step=1&" + std::string(range))["services"].get_array()) {
    services[Str(sv["model"])] = sv;
  }
  ASSERT_EQ(services.count(kServed), 1u);
  auto sat = services[kServed];
  EXPECT_EQ(Str(sat["source"]), "nim");
  EXPECT_EQ(Str(sat["job"]), "nim");
  EXPECT_EQ(Str(sat["instance"]), "127.0.0.1:" + std::to_string(sim_port));
  EXPECT_EQ(Num(sat["max_running"]), sim_value("num_request_max{" + served + "}"));
  EXPECT_EQ(Num(sat["running"]), sim_value("num_requests_running{" + served + "}"));
  EXPECT_EQ(Num(sat["waiting"]), sim_value("num_requests_waiting{" + served + "}"));
  EXPECT_DOUBLE_EQ(Num(sat["kv_cache_usage"]), sim_value("gpu_cache_usage_perc{" + served + "}"));
  EXPECT_GE(sat["series"]["max_running"].get_array().size(), 1u)
      << simdjson::to_string(sat) << " " << range;
}

}  // namespace
}  // namespace astrolabe::e2e
