// The GenAI API over real HTTP against a span store and a tsdb::Db in a temporary directory,
// with a fixed "now": every route's figures checked against values worked out by hand from the
// data loaded (spans with known tokens, costs, durations and finish reasons; NIM, vLLM and Kong
// series shaped as the reference's payloads), the month-end forecast on its own, scopes and
// bad parameters. Answers are parsed with simdjson (so each is checked to be JSON).

#include "api/genai_api.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include <cmath>
#include <filesystem>
#include <map>

#include "api/api_server.h"
#include "api/token_authenticator.h"
#include "component/auth.h"
#include "net/http_client.h"
#include "net/http_server.h"
#include "spanstore/span_store.h"
#include "tsdb/db.h"

namespace astrolabe::api {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kMinute = 60 * kSecond;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kDay = 24 * kHour;
// 2026-11-23T00:00:00Z.
constexpr int64_t kT0 = 1795392000 * kSecond;
// "Now" for the API: 2026-11-23T12:00:00Z. The routes are asked for [11:00, 12:00).
constexpr int64_t kNow = kT0 + 12 * kHour;

std::string Q(int64_t unix_nanos) { return std::to_string(unix_nanos / kSecond); }

// ---- the forecast alone

TEST(ForecastMonthEnd, MonthToDatePlusMeanOfTheLastCompleteDays) {
  DailyCosts daily;
  const int64_t today = kT0 / kDay;  // Nov 23
  daily[today - 22] = 10;            // Nov 1: in the month, outside the 7-day window
  daily[today - 3] = 3;
  daily[today - 2] = 2;
  daily[today - 1] = 1;
  daily[today] = 0.5;
  daily[today - 40] = 99;  // October: neither
  CostForecast f = ForecastMonthEnd(daily, kNow);
  EXPECT_DOUBLE_EQ(f.today, 0.5);
  EXPECT_DOUBLE_EQ(f.month_to_date, 16.5);
  EXPECT_EQ(f.days_averaged, 7);  // Nov 16..22, the missing days as zero
  EXPECT_DOUBLE_EQ(f.daily_rate, 6.0 / 7);
  // 12:00 on Nov 23 → Dec 1 00:00 is 7.5 days.
  EXPECT_DOUBLE_EQ(f.forecast_month_end, 16.5 + 6.0 / 7 * 7.5);
}

TEST(ForecastMonthEnd, AFreshInstallAveragesOnlyTheDaysSinceItsFirstCost) {
  const int64_t today = kT0 / kDay;
  DailyCosts daily{{today - 2, 4.0}, {today - 1, 2.0}, {today, 1.0}};
  CostForecast f = ForecastMonthEnd(daily, kNow);
  EXPECT_EQ(f.days_averaged, 2);
  EXPECT_DOUBLE_EQ(f.daily_rate, 3.0);
  EXPECT_DOUBLE_EQ(f.forecast_month_end, 7.0 + 3.0 * 7.5);
  // Only today: today's pace (1.0 in half a day → 2.0 a day).
  CostForecast g = ForecastMonthEnd({{today, 1.0}}, kNow);
  EXPECT_EQ(g.days_averaged, 0);
  EXPECT_DOUBLE_EQ(g.daily_rate, 2.0);
  EXPECT_DOUBLE_EQ(g.forecast_month_end, 1.0 + 2.0 * 7.5);
  // Nothing at all.
  CostForecast none = ForecastMonthEnd({}, kNow);
  EXPECT_EQ(none.forecast_month_end, 0);
}

TEST(ForecastMonthEnd, MonthBoundaries) {
  EXPECT_EQ(MonthStartUnixNano(kNow), kT0 - 22 * kDay);     // 2026-11-01
  EXPECT_EQ(NextMonthStartUnixNano(kNow), kT0 + 8 * kDay);  // 2026-12-01
  // December → January of the next year; the last nanosecond of a month.
  const int64_t dec1 = kT0 + 8 * kDay;
  EXPECT_EQ(NextMonthStartUnixNano(dec1), dec1 + 31 * kDay);
  EXPECT_EQ(MonthStartUnixNano(dec1 - 1), kT0 - 22 * kDay);
  // On the last day of the month the forecast extends by the rest of today only.
  const int64_t nov30_18h = kT0 + 7 * kDay + 18 * kHour;
  CostForecast f = ForecastMonthEnd({{nov30_18h / kDay - 1, 4.0}}, nov30_18h);
  EXPECT_DOUBLE_EQ(f.forecast_month_end, 4.0 + 4.0 * 0.25);
}

TEST(QuantileOfSorted, InterpolatesBetweenClosestRanks) {
  EXPECT_DOUBLE_EQ(QuantileOfSorted({1, 2, 3}, 0.5), 2);
  EXPECT_DOUBLE_EQ(QuantileOfSorted({1, 2, 3}, 0.95), 2.9);
  EXPECT_DOUBLE_EQ(QuantileOfSorted({5}, 0.95), 5);
  EXPECT_TRUE(std::isnan(QuantileOfSorted({}, 0.5)));
}

// ---- the routes

pdata::Span Call(uint8_t n, std::string model, std::string provider, int64_t in, int64_t out,
                 double cost, std::vector<std::string> reasons, int64_t start, int64_t duration,
                 bool error = false) {
  pdata::Span s;
  s.trace_id.bytes[0] = 0xab;
  s.trace_id.bytes[15] = n;
  s.span_id.bytes[0] = 1;
  s.span_id.bytes[7] = n;
  s.name = "chat " + model;
  s.kind = pdata::SpanKind::kClient;
  s.start_time_unix_nano = static_cast<uint64_t>(start);
  s.end_time_unix_nano = static_cast<uint64_t>(start + duration);
  pdata::ArrayValue finish;
  for (auto& r : reasons) finish.push_back(pdata::AnyValue(r));
  s.attributes = {{"gen_ai.operation.name", "chat"},   {"gen_ai.provider.name", provider},
                  {"gen_ai.request.model", model},     {"gen_ai.usage.input_tokens", in},
                  {"gen_ai.usage.output_tokens", out}, {"gen_ai.response.finish_reasons", finish}};
  if (!std::isnan(cost)) s.attributes.push_back({"gen_ai.usage.cost", cost});
  if (error) s.status.code = pdata::SpanStatus::Code::kError;
  return s;
}

pdata::ResourceSpans Resource(std::string service, std::vector<pdata::Span> spans) {
  pdata::ResourceSpans rs;
  rs.resource.attributes = {{"service.name", std::move(service)}};
  rs.scope_spans.emplace_back();
  rs.scope_spans[0].spans = std::move(spans);
  return rs;
}

class GenAiApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/astrolabe-genai-api-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto store = spanstore::SpanStore::Open(dir_ + "/spans");
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    spans_ = std::move(*store);
    auto db = tsdb::Db::Open(dir_ + "/tsdb");
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(*db);
    tokens_ = std::make_unique<TokenStore>(dir_ + "/tokens.json");
    auth_ = std::make_unique<TokenAuthenticator>(tokens_.get(), &telemetry_, "api");
    both_ = tokens_->Create("both", {"traces.read", "metrics.read"})->token;
    traces_only_ = tokens_->Create("traces", {"traces.read"})->token;
    metrics_only_ = tokens_->Create("metrics", {"metrics.read"})->token;
    ingest_ = tokens_->Create("ingest", {"metrics.ingest"})->token;
    LoadSpans();
    LoadMetrics();

    GenAiApiOptions o;
    o.spans = spans_.get();
    o.metrics = db_.get();
    o.telemetry = &telemetry_;
    o.now = [] { return kNow; };
    api_ = std::make_unique<GenAiApi>(o);
    net::HttpServerOptions http;
    http.listen_address = "127.0.0.1:0";
    http.io_threads = 2;
    server_ = std::make_unique<net::HttpServer>(http);
    api_->Mount(*server_,
                [this](net::ServerRequest& req, net::ServerResponse& resp, std::string_view scope) {
                  Status s = auth_->Authenticate(req.header_fields(), scope);
                  if (s.ok()) return true;
                  const int code = s.code() == StatusCode::kPermissionDenied ? 403 : 401;
                  resp.Set(code, "application/json", ErrorJson(code, s.message()));
                  return false;
                });
    ASSERT_TRUE(server_->Start().ok());
  }
  void TearDown() override {
    if (server_) server_->Shutdown(std::chrono::steady_clock::now() + std::chrono::seconds(2));
    spans_.reset();
    if (db_) (void)db_->Close();
    std::filesystem::remove_all(dir_);
  }

  // Today (Nov 23) between 11:00 and 12:00:
  //   1 chat   gpt-4o  openai           100/50   0.002  1 s  ok     stop        11:00
  //   2 chat   gpt-4o  openai           200/80   0.004  3 s  error  length      11:10
  //   3 batch  gpt-4o  azure.ai.openai  10/5     0.001  2 s  ok     stop,stop   11:20
  //   4 chat   llama-3.1-8b openai      1000/300 —      5 s  ok     stop        11:30
  //   5 chat   a plain HTTP span (no GenAI field)                              11:40
  // Earlier days (for the forecast): Nov 1 10.0, Nov 20 3.0, Nov 21 2.0, Nov 22 1.0; Oct 1 99.
  void LoadSpans() {
    const int64_t t = kT0 + 11 * kHour;
    pdata::Span http;
    http.trace_id.bytes[0] = 0xcd;
    http.span_id.bytes[0] = 9;
    http.name = "GET /cart";
    http.start_time_unix_nano = static_cast<uint64_t>(t + 40 * kMinute);
    http.end_time_unix_nano = http.start_time_unix_nano + 1000;
    pdata::Traces traces;
    traces.resource_spans.push_back(
        Resource("chat", {Call(1, "gpt-4o", "openai", 100, 50, 0.002, {"stop"}, t, 1 * kSecond),
                          Call(2, "gpt-4o", "openai", 200, 80, 0.004, {"length"}, t + 10 * kMinute,
                               3 * kSecond, true),
                          Call(4, "meta/llama-3.1-8b-instruct", "openai", 1000, 300, NAN, {"stop"},
                               t + 30 * kMinute, 5 * kSecond),
                          http}));
    traces.resource_spans.push_back(
        Resource("batch", {Call(3, "gpt-4o", "azure.ai.openai", 10, 5, 0.001, {"stop", "stop"},
                                t + 20 * kMinute, 2 * kSecond)}));
    traces.resource_spans.push_back(Resource(
        "batch", {Call(10, "gpt-4o", "openai", 1, 1, 10.0, {"stop"}, kT0 - 22 * kDay, kSecond),
                  Call(11, "gpt-4o", "openai", 1, 1, 3.0, {"stop"}, kT0 - 3 * kDay, kSecond),
                  Call(12, "gpt-4o", "openai", 1, 1, 2.0, {"stop"}, kT0 - 2 * kDay, kSecond),
                  Call(13, "gpt-4o", "openai", 1, 1, 1.0, {"stop"}, kT0 - 1 * kDay, kSecond),
                  Call(14, "gpt-4o", "openai", 1, 1, 99.0, {"stop"}, kT0 - 53 * kDay, kSecond)}));
    ASSERT_TRUE(spans_->Append(traces).ok());
  }

  // Series scraped every 15 s from 11:30 to 12:00; counters rise linearly from 0 to their
  // final value (so increase() over [11:00, 12:00] is exact: Prometheus' extrapolation stops at
  // the zero point and the last sample is at the range's end).
  //   NIM (job nim, instance a:8000, model meta/llama-3.1-70b-instruct): the reference's
  //     sample (genai-signals.md §1.5): finish stop 30 / length 9 / abort 3, failures 3,
  //     prompt 18540, generation 9233 tokens, its TTFT and e2e buckets; gauges running 3,
  //     waiting 1, max 64, KV cache 0.4172 at the end.
  //   vLLM (job vllm, model m-v): KV cache 0.2311, running 3, waiting 0.
  //   Kong (job kong): gpt-4o via openai, 60 requests, 75000/12300 tokens, cost 0.3105, the
  //     reference's provider-latency buckets.
  void LoadMetrics() {
    auto app = db_->NewAppender();
    const int64_t first = (kT0 + 11 * kHour + 30 * kMinute) / 1'000'000;
    const int steps = 120;
    auto counter = [&](std::vector<std::pair<std::string_view, std::string_view>> labels,
                       double final) {
      auto l = storage::Labels::FromPairs(std::move(labels));
      for (int k = 0; k <= steps; ++k) {
        ASSERT_TRUE(app->Append(l, first + k * 15000, final * k / steps).ok());
      }
    };
    auto gauge = [&](std::vector<std::pair<std::string_view, std::string_view>> labels,
                     double value) {
      auto l = storage::Labels::FromPairs(std::move(labels));
      for (int k = 0; k <= steps; ++k) {
        ASSERT_TRUE(app->Append(l, first + k * 15000, k == steps ? value : value / 2).ok());
      }
    };
    const std::string_view m70 = "meta/llama-3.1-70b-instruct";
    auto nim = [&](std::string_view name) {
      return std::vector<std::pair<std::string_view, std::string_view>>{
          {"__name__", name}, {"job", "nim"}, {"instance", "a:8000"}, {"model_name", m70}};
    };
    for (auto [reason, n] :
         {std::pair<std::string_view, double>{"stop", 30}, {"length", 9}, {"abort", 3}}) {
      auto l = nim("request_finish_total");
      l.push_back({"finished_reason", reason});
      counter(l, n);
    }
    counter(nim("request_success_total"), 39);
    counter(nim("request_failure_total"), 3);
    counter(nim("prompt_tokens_total"), 18540);
    counter(nim("generation_tokens_total"), 9233);
    const std::pair<const char*, double> ttft[] = {
        {"0.001", 0}, {"0.01", 0}, {"0.02", 4},  {"0.04", 17}, {"0.06", 29},
        {"0.08", 35}, {"0.1", 38}, {"0.25", 41}, {"0.5", 42},  {"+Inf", 42}};
    for (auto [le, n] : ttft) {
      auto l = nim("time_to_first_token_seconds_bucket");
      l.push_back({"le", le});
      counter(l, n);
    }
    const std::pair<const char*, double> e2e[] = {{"1.0", 9},   {"2.5", 22},  {"5.0", 34},
                                                  {"10.0", 41}, {"15.0", 42}, {"+Inf", 42}};
    for (auto [le, n] : e2e) {
      auto l = nim("e2e_request_latency_seconds_bucket");
      l.push_back({"le", le});
      counter(l, n);
    }
    gauge(nim("num_requests_running"), 3);
    gauge(nim("num_requests_waiting"), 1);
    gauge(nim("num_request_max"), 64);
    gauge(nim("gpu_cache_usage_perc"), 0.4172);
    auto vllm = [&](std::string_view name) {
      return std::vector<std::pair<std::string_view, std::string_view>>{{"__name__", name},
                                                                        {"job", "vllm"},
                                                                        {"instance", "b:8000"},
                                                                        {"engine", "0"},
                                                                        {"model_name", "m-v"}};
    };
    gauge(vllm("vllm:kv_cache_usage_perc"), 0.2311);
    gauge(vllm("vllm:num_requests_running"), 3);
    gauge(vllm("vllm:num_requests_waiting"), 0);
    auto kong = [&](std::string_view name) {
      return std::vector<std::pair<std::string_view, std::string_view>>{
          {"__name__", name},        {"job", "kong"},        {"instance", "k:8100"},
          {"ai_provider", "openai"}, {"ai_model", "gpt-4o"}, {"workspace", "default"}};
    };
    counter(kong("kong_ai_llm_requests_total"), 60);
    counter(kong("kong_ai_llm_cost_total"), 0.3105);
    for (auto [type, n] : {std::pair<std::string_view, double>{"prompt_tokens", 75000},
                           {"completion_tokens", 12300},
                           {"total_tokens", 87300}}) {
      auto l = kong("kong_ai_llm_tokens_total");
      l.push_back({"token_type", type});
      counter(l, n);
    }
    const std::pair<const char*, double> kong_latency[] = {
        {"250", 0},   {"500", 3},   {"1000", 21}, {"1500", 38}, {"2000", 49},
        {"2500", 55}, {"3000", 58}, {"3500", 59}, {"4000", 60}, {"+Inf", 60}};
    for (auto [le, n] : kong_latency) {
      auto l = kong("kong_ai_llm_provider_latency_ms_bucket");
      l.push_back({"le", le});
      counter(l, n);
    }
    ASSERT_TRUE(app->Commit().ok());
  }

  net::HttpResponse Get(const std::string& target, const std::string& token) {
    net::HttpRequest request;
    request.method = "GET";
    request.url = "http://" + server_->address() + target;
    request.timeout = std::chrono::seconds(30);
    if (!token.empty()) request.headers.Set("Authorization", "Bearer " + token);
    auto response = client_.Send(std::move(request)).get();
    EXPECT_TRUE(response.ok()) << response.status().message();
    return response.ok() ? *response : net::HttpResponse{};
  }

  // GET `target` (the range [11:00, 12:00) appended) → its "data", parsed.
  simdjson::dom::element Data(const std::string& route, const std::string& query = "",
                              const std::string& token = "") {
    std::string target = "/api/v1/genai/" + route + "?start=" + Q(kT0 + 11 * kHour) +
                         "&end=" + Q(kNow) + (query.empty() ? "" : "&" + query);
    net::HttpResponse r = Get(target, token.empty() ? both_ : token);
    EXPECT_EQ(r.status, 200) << target << ": " << r.body;
    parsers_.push_back(std::make_unique<simdjson::dom::parser>());
    bodies_.push_back(std::make_unique<simdjson::padded_string>(r.body));
    simdjson::dom::element root;
    EXPECT_FALSE(parsers_.back()->parse(*bodies_.back()).get(root)) << r.body;
    EXPECT_EQ(std::string_view(root["status"].get_string().value_unsafe()), "success");
    return root["data"];
  }

  static double Num(simdjson::dom::element e) {
    if (e.is_null()) return NAN;
    double d = 0;
    if (e.get_double().get(d) == simdjson::SUCCESS) return d;
    int64_t i = 0;
    if (e.get_int64().get(i) == simdjson::SUCCESS) return static_cast<double>(i);
    uint64_t u = 0;
    if (e.get_uint64().get(u) == simdjson::SUCCESS) return static_cast<double>(u);
    ADD_FAILURE() << "not a number: " << simdjson::to_string(e);
    return NAN;
  }
  static std::string Str(simdjson::dom::element e) {
    return e.is_null() ? "null" : std::string(e.get_string().value_unsafe());
  }
  static std::vector<std::string> Strs(simdjson::dom::element e) {
    std::vector<std::string> out;
    for (simdjson::dom::element s : e.get_array()) out.push_back(Str(s));
    return out;
  }

  // models keyed by model name
  std::map<std::string, simdjson::dom::element> Models(const std::string& token = "") {
    std::map<std::string, simdjson::dom::element> out;
    for (simdjson::dom::element m : Data("models", "", token)["models"].get_array()) {
      out[Str(m["model"])] = m;
    }
    return out;
  }

  std::string dir_;
  component::Telemetry telemetry_;
  std::unique_ptr<spanstore::SpanStore> spans_;
  std::unique_ptr<tsdb::Db> db_;
  std::unique_ptr<TokenStore> tokens_;
  std::unique_ptr<TokenAuthenticator> auth_;
  std::string both_, traces_only_, metrics_only_, ingest_;
  std::unique_ptr<GenAiApi> api_;
  std::unique_ptr<net::HttpServer> server_;
  net::HttpClient client_;
  std::vector<std::unique_ptr<simdjson::dom::parser>> parsers_;
  std::vector<std::unique_ptr<simdjson::padded_string>> bodies_;
};

TEST_F(GenAiApiTest, ModelsFromSpansAndMetrics) {
  auto models = Models();
  ASSERT_EQ(models.size(), 3u);
  // gpt-4o: the spans' figures (3 calls), Kong's metrics known too.
  auto g = models["gpt-4o"];
  EXPECT_EQ(Str(g["provider"]), "openai");  // 2 calls of 3
  EXPECT_EQ(Strs(g["services"]), (std::vector<std::string>{"batch", "chat", "kong"}));
  EXPECT_EQ(Num(g["requests"]), 3);
  EXPECT_EQ(Num(g["errors"]), 1);
  EXPECT_DOUBLE_EQ(Num(g["error_rate"]), 1.0 / 3);
  EXPECT_EQ(Num(g["input_tokens"]), 310);
  EXPECT_EQ(Num(g["output_tokens"]), 135);
  EXPECT_DOUBLE_EQ(Num(g["cost"]), 0.007);
  EXPECT_EQ(Str(g["currency"]), "USD");
  EXPECT_DOUBLE_EQ(Num(g["latency_p50"]), 2);
  EXPECT_DOUBLE_EQ(Num(g["latency_p95"]), 2.9);
  EXPECT_TRUE(std::isnan(Num(g["ttft_p50"])));
  EXPECT_EQ(Str(g["source"]), "both");
  EXPECT_EQ(Strs(g["metric_sources"]), std::vector<std::string>{"kong"});
  // llama 8B: spans only, no cost known.
  auto l = models["meta/llama-3.1-8b-instruct"];
  EXPECT_EQ(Num(l["requests"]), 1);
  EXPECT_EQ(Num(l["errors"]), 0);
  EXPECT_TRUE(std::isnan(Num(l["cost"])));
  EXPECT_DOUBLE_EQ(Num(l["latency_p95"]), 5);
  EXPECT_EQ(Str(l["source"]), "spans");
  // llama 70B: NIM's metrics only (reference §4.2 worked the TTFT figures out).
  auto n = models["meta/llama-3.1-70b-instruct"];
  EXPECT_EQ(Str(n["provider"]), "nim");
  EXPECT_EQ(Strs(n["services"]), std::vector<std::string>{"nim"});
  EXPECT_NEAR(Num(n["requests"]), 42, 1e-9);
  EXPECT_NEAR(Num(n["errors"]), 3, 1e-9);
  EXPECT_NEAR(Num(n["input_tokens"]), 18540, 1e-6);
  EXPECT_NEAR(Num(n["output_tokens"]), 9233, 1e-6);
  EXPECT_TRUE(std::isnan(Num(n["cost"])));
  EXPECT_NEAR(Num(n["ttft_p50"]), 0.04 + (21.0 - 17) / (29 - 17) * 0.02, 1e-9);
  EXPECT_NEAR(Num(n["ttft_p95"]), 0.1 + (39.9 - 38) / (41 - 38) * 0.15, 1e-9);
  EXPECT_NEAR(Num(n["latency_p50"]), 1 + (21.0 - 9) / (22 - 9) * 1.5, 1e-9);
  EXPECT_TRUE(std::isnan(Num(n["tpot_p50"])));
  EXPECT_EQ(Str(n["source"]), "metrics");
  // Ordered by requests.
  auto all = Data("models")["models"].get_array();
  EXPECT_EQ(Str(all.at(0)["model"]), "meta/llama-3.1-70b-instruct");
}

TEST_F(GenAiApiTest, ModelsFromKongAloneAndScopes) {
  // A metrics-only token: gpt-4o from Kong (latency in ms → s; reference: p95 2833.3 ms).
  auto models = Models(metrics_only_);
  ASSERT_EQ(models.size(), 2u);
  auto g = models["gpt-4o"];
  EXPECT_NEAR(Num(g["requests"]), 60, 1e-9);
  EXPECT_NEAR(Num(g["input_tokens"]), 75000, 1e-6);
  EXPECT_NEAR(Num(g["output_tokens"]), 12300, 1e-6);
  EXPECT_NEAR(Num(g["cost"]), 0.3105, 1e-12);
  EXPECT_NEAR(Num(g["latency_p95"]), (2500 + (57.0 - 55) / (58 - 55) * 500) / 1000, 1e-9);
  EXPECT_TRUE(std::isnan(Num(g["errors"])));  // Kong's AI series carry no status
  EXPECT_EQ(Str(g["provider"]), "openai");
  EXPECT_EQ(Str(g["source"]), "metrics");
  // A traces-only token: the span rows only.
  models = Models(traces_only_);
  EXPECT_EQ(models.size(), 2u);
  EXPECT_EQ(Str(models["gpt-4o"]["source"]), "spans");
  EXPECT_EQ(models.count("meta/llama-3.1-70b-instruct"), 0u);
}

TEST_F(GenAiApiTest, CostOverTimeByModelProviderAndService) {
  auto d = Data("cost", "step=10m");
  EXPECT_EQ(Str(d["by"]), "model");
  EXPECT_EQ(Num(d["step"]), 600);
  EXPECT_DOUBLE_EQ(Num(d["total"]), 0.007);
  EXPECT_DOUBLE_EQ(Num(d["today"]), 0.007);
  EXPECT_DOUBLE_EQ(Num(d["month_to_date"]), 10 + 3 + 2 + 1 + 0.007);
  EXPECT_DOUBLE_EQ(Num(d["forecast_month_end"]), 16.007 + 6.0 / 7 * 7.5);
  EXPECT_EQ(Num(d["forecast"]["days_averaged"]), 7);
  EXPECT_NEAR(Num(d["kong_total"]), 0.3105, 1e-12);
  std::map<std::string, std::vector<std::pair<double, double>>> spans, kong;
  for (simdjson::dom::element s : d["series"].get_array()) {
    auto& into = Str(s["source"]) == "kong" ? kong : spans;
    for (simdjson::dom::element p : s["values"].get_array()) {
      into[Str(s["key"])].emplace_back(Num(p.at(0)), Num(p.at(1)));
    }
  }
  ASSERT_EQ(spans.size(), 1u);  // llama 8B has no cost
  const double t = static_cast<double>((kT0 + 11 * kHour) / kSecond);
  EXPECT_EQ(spans["gpt-4o"], (std::vector<std::pair<double, double>>{{t, 0.002},
                                                                     {t + 600, 0.004},
                                                                     {t + 1200, 0.001},
                                                                     {t + 1800, 0},
                                                                     {t + 2400, 0},
                                                                     {t + 3000, 0}}));
  ASSERT_EQ(kong.size(), 1u);
  double kong_sum = 0;
  for (auto [time, v] : kong["gpt-4o"]) {
    EXPECT_GE(time, t);
    kong_sum += v;
  }
  EXPECT_NEAR(kong_sum, 0.3105, 0.3105 * 0.05);  // windows of 10 m over 15 s scrapes

  auto keys = [&](const std::string& by) {
    std::map<std::string, double> out;
    for (simdjson::dom::element s : Data("cost", "by=" + by)["series"].get_array()) {
      double sum = 0;
      for (simdjson::dom::element p : s["values"].get_array()) sum += Num(p.at(1));
      out[Str(s["source"]) + ":" + Str(s["key"])] = sum;
    }
    return out;
  };
  auto provider = keys("provider");
  EXPECT_DOUBLE_EQ(provider["spans:openai"], 0.006);
  EXPECT_DOUBLE_EQ(provider["spans:azure.ai.openai"], 0.001);
  EXPECT_EQ(provider.count("kong:openai"), 1u);
  auto service = keys("service");
  EXPECT_DOUBLE_EQ(service["spans:chat"], 0.006);
  EXPECT_DOUBLE_EQ(service["spans:batch"], 0.001);
  EXPECT_EQ(service.count("kong:kong"), 1u);
  // The default step: the range / 120.
  EXPECT_EQ(Num(Data("cost")["step"]), 30);
}

TEST_F(GenAiApiTest, MostExpensiveAndSlowestCalls) {
  auto ids = [&](const std::string& query) {
    std::vector<std::string> out;
    for (simdjson::dom::element c : Data("calls", query)["calls"].get_array()) {
      out.push_back(Str(c["span_id"]).substr(14, 2));
    }
    return out;
  };
  EXPECT_EQ(ids(""), (std::vector<std::string>{"02", "01", "03"}));  // by cost; 4 has none
  EXPECT_EQ(ids("limit=2"), (std::vector<std::string>{"02", "01"}));
  EXPECT_EQ(ids("sort=duration"), (std::vector<std::string>{"04", "02", "03", "01"}));
  EXPECT_EQ(ids("sort=duration&model=gpt-4o&service=chat"), (std::vector<std::string>{"02", "01"}));
  EXPECT_EQ(ids("sort=duration&status=error"), std::vector<std::string>{"02"});
  EXPECT_EQ(ids("sort=duration&finish_reason=stop&min_input_tokens=50"),
            (std::vector<std::string>{"04", "01"}));
  auto c = Data("calls", "limit=1")["calls"].get_array().at(0);
  EXPECT_EQ(Str(c["trace_id"]),
            "ab00000000000000000000000000000"
            "2");
  EXPECT_DOUBLE_EQ(Num(c["start"]),
                   static_cast<double>((kT0 + 11 * kHour + 10 * kMinute) / kSecond));
  EXPECT_DOUBLE_EQ(Num(c["duration"]), 3);
  EXPECT_EQ(Str(c["service"]), "chat");
  EXPECT_EQ(Str(c["model"]), "gpt-4o");
  EXPECT_EQ(Str(c["provider"]), "openai");
  EXPECT_EQ(Str(c["operation"]), "chat");
  EXPECT_EQ(Num(c["input_tokens"]), 200);
  EXPECT_EQ(Num(c["output_tokens"]), 80);
  EXPECT_DOUBLE_EQ(Num(c["cost"]), 0.004);
  EXPECT_EQ(Str(c["status"]), "error");
  EXPECT_EQ(Strs(c["finish_reasons"]), std::vector<std::string>{"length"});
  // The whole history when asked: the 99.0 of October first.
  std::string target = "/api/v1/genai/calls?start=0&limit=1";
  auto r = Get(target, both_);
  EXPECT_THAT(r.body, HasSubstr("\"cost\":99,"));
}

TEST_F(GenAiApiTest, FinishReasonsFromSpansAndNim) {
  std::map<std::string, double> got;
  for (simdjson::dom::element r : Data("finish_reasons")["reasons"].get_array()) {
    got[Str(r["source"]) + ":" + Str(r["model"]) + ":" + Str(r["reason"])] = Num(r["count"]);
  }
  EXPECT_EQ(got["spans:gpt-4o:stop"], 3);  // call 3 has two choices
  EXPECT_EQ(got["spans:gpt-4o:length"], 1);
  EXPECT_EQ(got["spans:meta/llama-3.1-8b-instruct:stop"], 1);
  EXPECT_NEAR(got["nim:meta/llama-3.1-70b-instruct:stop"], 30, 1e-9);
  EXPECT_NEAR(got["nim:meta/llama-3.1-70b-instruct:length"], 9, 1e-9);
  EXPECT_NEAR(got["nim:meta/llama-3.1-70b-instruct:abort"], 3, 1e-9);
  EXPECT_EQ(got.size(), 6u);
}

TEST_F(GenAiApiTest, SaturationPerInferenceService) {
  auto d = Data("saturation", "step=10m");
  std::map<std::string, simdjson::dom::element> by_source;
  for (simdjson::dom::element s : d["services"].get_array()) by_source[Str(s["source"])] = s;
  ASSERT_EQ(by_source.size(), 2u);
  auto nim = by_source["nim"];
  EXPECT_EQ(Str(nim["job"]), "nim");
  EXPECT_EQ(Str(nim["instance"]), "a:8000");
  EXPECT_EQ(Str(nim["model"]), "meta/llama-3.1-70b-instruct");
  EXPECT_DOUBLE_EQ(Num(nim["kv_cache_usage"]), 0.4172);
  EXPECT_EQ(Num(nim["running"]), 3);
  EXPECT_EQ(Num(nim["waiting"]), 1);
  EXPECT_EQ(Num(nim["max_running"]), 64);
  // Samples from 11:30: points at 11:30, 11:40, 11:50 and 12:00.
  auto kv = nim["series"]["kv_cache_usage"].get_array();
  ASSERT_EQ(kv.size(), 4u);
  EXPECT_DOUBLE_EQ(Num(kv.at(0).at(0)),
                   static_cast<double>((kT0 + 11 * kHour + 30 * kMinute) / kSecond));
  EXPECT_DOUBLE_EQ(Num(kv.at(0).at(1)), 0.4172 / 2);
  EXPECT_DOUBLE_EQ(Num(kv.at(3).at(1)), 0.4172);
  auto vllm = by_source["vllm"];
  EXPECT_EQ(Str(vllm["model"]), "m-v");
  EXPECT_DOUBLE_EQ(Num(vllm["kv_cache_usage"]), 0.2311);
  EXPECT_EQ(Num(vllm["waiting"]), 0);
  EXPECT_TRUE(std::isnan(Num(vllm["max_running"])));
  EXPECT_EQ(vllm["series"]["max_running"].get_array().size(), 0u);
}

TEST_F(GenAiApiTest, ScopesPerRoute) {
  const std::string range = "?start=" + Q(kT0 + 11 * kHour) + "&end=" + Q(kNow);
  for (const char* route : {"models", "cost", "calls", "finish_reasons", "saturation"}) {
    const std::string target = std::string("/api/v1/genai/") + route + range;
    EXPECT_EQ(Get(target, "").status, 401) << route;
    EXPECT_EQ(Get(target, ingest_).status, 403) << route;
    EXPECT_EQ(Get(target, both_).status, 200) << route;
  }
  EXPECT_EQ(Get("/api/v1/genai/calls" + range, metrics_only_).status, 403);
  EXPECT_EQ(Get("/api/v1/genai/saturation" + range, traces_only_).status, 403);
  EXPECT_EQ(Get("/api/v1/genai/saturation" + range, metrics_only_).status, 200);
  EXPECT_EQ(Get("/api/v1/genai/calls" + range, traces_only_).status, 200);
  // The cost route with a metrics-only token: Kong's cost, the span figures unknown.
  auto r = Get("/api/v1/genai/cost" + range, metrics_only_);
  EXPECT_EQ(r.status, 200);
  EXPECT_THAT(r.body, HasSubstr("\"total\":null"));
  EXPECT_THAT(r.body, HasSubstr("\"source\":\"kong\""));
  EXPECT_EQ(telemetry_
                .GetCounter("astrolabe_api_genai_requests_total", "",
                            {{"route", "calls"}, {"outcome", "forbidden"}})
                ->value(),
            2);
}

TEST_F(GenAiApiTest, BadParametersAre400NamingThem) {
  struct Case {
    std::string target, want;
  };
  const std::vector<Case> cases = {
      {"models?foo=1", "unknown parameter \\\"foo\\\""},
      {"calls?sortt=cost", "did you mean \\\"sort\\\""},
      {"models?start=yesterday", "parameter \\\"start\\\""},
      {"models?start=10&end=5", "end must be after start"},
      {"models?start=1&start=2", "parameter \\\"start\\\""},
      {"cost?by=team", "parameter \\\"by\\\": expected model, provider or service"},
      {"cost?step=0", "parameter \\\"step\\\""},
      {"cost?step=fast", "parameter \\\"step\\\""},
      {"cost?start=0&end=100000&step=1", "parameter \\\"step\\\": gives more than 11000"},
      {"calls?sort=price", "parameter \\\"sort\\\": expected cost or duration"},
      {"calls?limit=0", "parameter \\\"limit\\\""},
      {"calls?limit=5000", "parameter \\\"limit\\\""},
      {"calls?min_cost=-1", "parameter \\\"min_cost\\\""},
      {"calls?status=maybe", "parameter \\\"status\\\""},
      {"calls?attr.user.id=u", "unknown parameter \\\"attr.user.id\\\""},
      {"calls?cursor=c1", "unknown parameter \\\"cursor\\\""},
      {"saturation?by=model", "unknown parameter \\\"by\\\""},
      {"finish_reasons?step=1m", "unknown parameter \\\"step\\\""},
  };
  for (const Case& c : cases) {
    auto r = Get("/api/v1/genai/" + c.target, both_);
    EXPECT_EQ(r.status, 400) << c.target << ": " << r.body;
    EXPECT_THAT(r.body, HasSubstr("\"errorType\":\"bad_data\"")) << c.target;
    EXPECT_THAT(r.body, HasSubstr(c.want)) << c.target;
  }
}

// Through ApiServer (the real wiring): routes are mounted with the query API's store and the
// traces API's span store; no store → 503.
TEST_F(GenAiApiTest, MountedOnTheApiServer) {
  ApiServerOptions options;
  options.listen_address = "127.0.0.1:0";
  options.tokens = tokens_.get();
  options.authenticator = auth_.get();
  options.spans = spans_.get();
  options.query.storage = db_.get();
  ApiServer server(options);
  ASSERT_TRUE(server.Start().ok());
  net::HttpRequest request;
  request.method = "GET";
  request.url = "http://" + server.address() + "/api/v1/genai/models?start=" + Q(kT0 + 11 * kHour) +
                "&end=" + Q(kNow);
  request.headers.Set("Authorization", "Bearer " + both_);
  auto r = client_.Send(request).get();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_THAT(r->body, HasSubstr("\"model\":\"meta/llama-3.1-70b-instruct\""));
  server.Shutdown();

  ApiServerOptions bare;
  bare.listen_address = "127.0.0.1:0";
  bare.tokens = tokens_.get();
  ApiServer empty(bare);
  ASSERT_TRUE(empty.Start().ok());
  request.url = "http://" + empty.address() + "/api/v1/genai/saturation";
  r = client_.Send(request).get();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 503);
  EXPECT_THAT(r->body, HasSubstr("\"errorType\":\"unavailable\""));
}

}  // namespace
}  // namespace astrolabe::api
