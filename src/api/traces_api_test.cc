// The traces API over real HTTP (127.0.0.1, ephemeral port) against a span store in a temp
// directory: scopes, every search filter, pagination across pages, trace fetch with linked
// logs, the service lists, and bad input answered 400 naming the parameter. Answers are
// parsed with simdjson, so every one is also checked to be valid JSON.

#include "api/traces_api.h"

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include "api/api_server.h"
#include "api/token_authenticator.h"
#include "net/http_client.h"
#include "net/url_query.h"
#include "spanstore/span_store.h"

namespace astrolabe::api {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr uint64_t kSecond = 1'000'000'000;
// 2025-11-23T01:00:00Z, an hour boundary.
constexpr uint64_t kT0 = 1763859600ull * kSecond;

pdata::TraceId TraceIdOf(uint8_t n) {
  pdata::TraceId id;
  id.bytes[0] = 0xab;
  id.bytes[15] = n;
  return id;
}

pdata::SpanId SpanIdOf(uint8_t trace, uint8_t n) {
  pdata::SpanId id;
  id.bytes[0] = trace;
  id.bytes[7] = n;
  return id;
}

pdata::Span MakeSpan(uint8_t trace, uint8_t n, std::string name, uint64_t start,
                     uint64_t duration) {
  pdata::Span s;
  s.trace_id = TraceIdOf(trace);
  s.span_id = SpanIdOf(trace, n);
  s.name = std::move(name);
  s.kind = pdata::SpanKind::kClient;
  s.start_time_unix_nano = start;
  s.end_time_unix_nano = start + duration;
  return s;
}

pdata::ResourceSpans Resource(std::string service, std::vector<pdata::Span> spans) {
  pdata::ResourceSpans rs;
  rs.resource.attributes = {{"service.name", std::move(service)}, {"host.name", "node-1"}};
  rs.scope_spans.emplace_back();
  rs.scope_spans[0].scope.name = "@traceloop/instrumentation-openai";
  rs.scope_spans[0].scope.version = "0.27.0";
  rs.scope_spans[0].spans = std::move(spans);
  return rs;
}

pdata::Span GenAiSpan(uint8_t trace, uint8_t n, std::string model, int64_t in, int64_t out,
                      std::string reason, uint64_t start, uint64_t duration) {
  pdata::Span s = MakeSpan(trace, n, "chat " + model, start, duration);
  s.attributes = {{"gen_ai.operation.name", "chat"},
                  {"gen_ai.provider.name", model == "gpt-4o-mini" ? "openai" : "nvidia.nim"},
                  {"gen_ai.request.model", model},
                  {"gen_ai.usage.input_tokens", in},
                  {"gen_ai.usage.output_tokens", out},
                  {"gen_ai.response.finish_reasons", pdata::ArrayValue{reason}},
                  {"user.id", "user-" + std::to_string(trace)}};
  return s;
}

class TracesApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/astrolabe-traces-api-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto store = spanstore::SpanStore::Open(dir_ + "/spans");
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    spans_ = std::move(*store);
    tokens_ = std::make_unique<TokenStore>(dir_ + "/tokens.json");
    auth_ = std::make_unique<TokenAuthenticator>(tokens_.get(), &telemetry_, "api");
    reader_ = tokens_->Create("reader", {"traces.read"})->token;
    metrics_reader_ = tokens_->Create("metrics", {"metrics.read"})->token;
    ApiServerOptions options;
    options.listen_address = "127.0.0.1:0";
    options.tokens = tokens_.get();
    options.authenticator = auth_.get();
    options.telemetry = &telemetry_;
    options.spans = spans_.get();
    server_ = std::make_unique<ApiServer>(options);
    ASSERT_TRUE(server_->Start().ok());
  }
  void TearDown() override {
    server_->Shutdown();
    spans_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Three traces in three services:
  //   trace 1 (chat-app): a workflow root and two LLM calls, one of them an error;
  //   trace 2 (chat-app): one slow LLM call stopped by length;
  //   trace 3 (shop):     a plain HTTP span.
  void AddSample() {
    pdata::Span root = MakeSpan(1, 1, "support.workflow", kT0 + 10 * kSecond, 3 * kSecond);
    root.kind = pdata::SpanKind::kInternal;
    pdata::Span call1 =
        GenAiSpan(1, 2, "gpt-4o-mini", 120, 30, "stop", kT0 + 11 * kSecond, 800'000'000);
    call1.parent_span_id = root.span_id;
    pdata::Span call2 = GenAiSpan(1, 3, "meta/llama-3.1-8b-instruct", 900, 0, "error",
                                  kT0 + 12 * kSecond, 250'000'000);
    call2.parent_span_id = root.span_id;
    call2.status = {"upstream returned 503", pdata::SpanStatus::Code::kError};
    pdata::Span slow = GenAiSpan(2, 1, "meta/llama-3.1-8b-instruct", 2000, 4096, "length",
                                 kT0 + 20 * kSecond, 9 * kSecond);
    slow.status.code = pdata::SpanStatus::Code::kOk;
    pdata::Span http = MakeSpan(3, 1, "GET /cart", kT0 + 30 * kSecond, 5'000'000);
    http.kind = pdata::SpanKind::kServer;
    http.attributes = {{"http.route", "/cart"}, {"http.response.status_code", 200}};
    pdata::Traces traces;
    traces.resource_spans.push_back(Resource("chat-app", {root, call1, call2, slow}));
    traces.resource_spans.push_back(Resource("shop", {http}));
    ASSERT_TRUE(spans_->Append(traces).ok());
  }

  net::HttpResponse Get(const std::string& target, const std::string& token) {
    net::HttpRequest request;
    request.method = "GET";
    request.url = "http://" + server_->address() + target;
    if (!token.empty()) request.headers.Set("Authorization", "Bearer " + token);
    auto response = client_.Send(std::move(request)).get();
    EXPECT_TRUE(response.ok()) << response.status().message();
    return response.ok() ? *response : net::HttpResponse{};
  }

  // GET `target` with the reader token; the body parsed (and checked to be JSON).
  simdjson::dom::element GetJson(const std::string& target, int want_status = 200) {
    net::HttpResponse r = Get(target, reader_);
    EXPECT_EQ(r.status, want_status) << target << ": " << r.body;
    EXPECT_EQ(r.headers.Get("Content-Type").value_or(""), "application/json");
    bodies_.push_back(std::make_unique<simdjson::padded_string>(r.body));
    simdjson::dom::element root;
    auto err = parser_.parse(*bodies_.back()).get(root);
    EXPECT_FALSE(err) << target << ": not JSON: " << r.body;
    return root;
  }

  // The span names of a search answer, in order.
  std::vector<std::string> Names(const std::string& query) {
    std::vector<std::string> out;
    simdjson::dom::element root = GetJson("/api/v1/spans?" + query);
    for (simdjson::dom::element s : root["spans"].get_array()) {
      out.emplace_back(std::string_view(s["name"].get_string()));
    }
    return out;
  }

  std::string Error(const std::string& target, int want_status = 400) {
    net::HttpResponse r = Get(target, reader_);
    EXPECT_EQ(r.status, want_status) << target << ": " << r.body;
    return r.body;
  }

  std::string dir_;
  component::Telemetry telemetry_;
  std::unique_ptr<spanstore::SpanStore> spans_;
  std::unique_ptr<TokenStore> tokens_;
  std::unique_ptr<TokenAuthenticator> auth_;
  std::unique_ptr<ApiServer> server_;
  net::HttpClient client_;
  std::string reader_, metrics_reader_;
  simdjson::dom::parser parser_;
  std::vector<std::unique_ptr<simdjson::padded_string>> bodies_;
};

TEST_F(TracesApiTest, EveryRouteNeedsTracesRead) {
  AddSample();
  const std::string trace = "/api/v1/traces/" + TraceIdOf(1).ToHex();
  for (const std::string& target :
       {std::string("/api/v1/spans"), trace, std::string("/api/v1/services"),
        std::string("/api/v1/services/shop/operations")}) {
    auto none = Get(target, "");
    EXPECT_EQ(none.status, 401) << target;
    EXPECT_THAT(none.body, HasSubstr("{\"error\":{\"code\":401,"));
    auto wrong = Get(target, metrics_reader_);
    EXPECT_EQ(wrong.status, 403) << target;
    EXPECT_THAT(wrong.body, HasSubstr("lacks the scope traces.read"));
    EXPECT_EQ(Get(target, reader_).status, 200) << target;
  }
  const std::string metrics = Get("/metrics", "").body;
  EXPECT_THAT(metrics, HasSubstr("astrolabe_api_traces_requests_total{route=\"spans\","
                                 "outcome=\"unauthorized\"} 1"));
  EXPECT_THAT(metrics, HasSubstr("astrolabe_api_traces_requests_total{route=\"trace\","
                                 "outcome=\"forbidden\"} 1"));
  EXPECT_THAT(
      metrics,
      HasSubstr("astrolabe_api_traces_requests_total{route=\"services\",outcome=\"ok\"} 1"));
  EXPECT_THAT(metrics, HasSubstr("astrolabe_api_traces_request_duration_seconds_count{route="
                                 "\"operations\"} 1"));
}

TEST_F(TracesApiTest, SearchAnswersTheIndexedFieldsNewestFirst) {
  AddSample();
  simdjson::dom::element root = GetJson("/api/v1/spans");
  simdjson::dom::array spans = root["spans"].get_array();
  ASSERT_EQ(spans.size(), 5u);
  EXPECT_TRUE(root["next_cursor"].is_null());
  EXPECT_THAT(Names(""), ElementsAre("GET /cart", "chat meta/llama-3.1-8b-instruct",
                                     "chat meta/llama-3.1-8b-instruct", "chat gpt-4o-mini",
                                     "support.workflow"));
  // The error call of trace 1, every field.
  simdjson::dom::element s = spans.at(2);
  EXPECT_EQ(std::string_view(s["trace_id"].get_string()), TraceIdOf(1).ToHex());
  EXPECT_EQ(std::string_view(s["span_id"].get_string()), SpanIdOf(1, 3).ToHex());
  EXPECT_EQ(std::string_view(s["parent_span_id"].get_string()), SpanIdOf(1, 1).ToHex());
  EXPECT_EQ(std::string_view(s["service"].get_string()), "chat-app");
  EXPECT_EQ(std::string_view(s["kind"].get_string()), "client");
  EXPECT_EQ(std::string_view(s["status"].get_string()), "error");
  EXPECT_EQ(std::string_view(s["start_time"].get_string()), "2025-11-23T01:00:12Z");
  EXPECT_EQ(std::string_view(s["start_time_unix_nano"].get_string()),
            std::to_string(kT0 + 12 * kSecond));
  EXPECT_EQ(std::string_view(s["end_time"].get_string()), "2025-11-23T01:00:12.25Z");
  EXPECT_EQ(uint64_t(s["duration_nanos"].get_uint64()), 250'000'000u);
  simdjson::dom::element g = s["genai"];
  EXPECT_EQ(std::string_view(g["model"].get_string()), "meta/llama-3.1-8b-instruct");
  EXPECT_EQ(std::string_view(g["provider"].get_string()), "nvidia.nim");
  EXPECT_EQ(std::string_view(g["operation"].get_string()), "chat");
  EXPECT_EQ(std::string_view(g["finish_reasons"].at(0).get_string()), "error");
  EXPECT_EQ(int64_t(g["input_tokens"].get_int64()), 900);
  EXPECT_EQ(int64_t(g["output_tokens"].get_int64()), 0);
  // A span without GenAI fields has no "genai" and a root has no parent.
  EXPECT_TRUE(spans.at(0)["genai"].error() == simdjson::NO_SUCH_FIELD);
  EXPECT_TRUE(spans.at(4)["parent_span_id"].error() == simdjson::NO_SUCH_FIELD);
}

TEST_F(TracesApiTest, EveryFilter) {
  AddSample();
  using V = std::vector<std::string>;
  const std::string llama = "chat meta/llama-3.1-8b-instruct";
  EXPECT_EQ(Names("service=shop"), V{"GET /cart"});
  EXPECT_EQ(Names("span_name=support.workflow"), V{"support.workflow"});
  EXPECT_EQ(Names("span_name=chat+gpt-4o-mini"), V{"chat gpt-4o-mini"});
  EXPECT_EQ(Names("status=error"), V{llama});
  EXPECT_EQ(Names("status=OK"), V{llama});
  EXPECT_EQ(Names("status=unset").size(), 3u);
  EXPECT_EQ(Names("min_duration=3s"), (V{llama, "support.workflow"}));
  EXPECT_EQ(Names("max_duration=250ms"), (V{"GET /cart", llama}));
  EXPECT_EQ(Names("min_duration=250ms&max_duration=1s"), (V{llama, "chat gpt-4o-mini"}));
  EXPECT_EQ(Names("attr.http.route=%2Fcart"), V{"GET /cart"});
  EXPECT_EQ(Names("attr.http.response.status_code=200"), V{"GET /cart"});
  EXPECT_EQ(Names("attr.host.name=node-1").size(), 5u);  // a resource attribute
  EXPECT_EQ(Names("attr.user.id=user-1&attr.gen_ai.request.model=gpt-4o-mini"),
            V{"chat gpt-4o-mini"});
  EXPECT_EQ(Names("attr.user.id=user-1&attr.user.id=user-2"), V{});  // AND
  EXPECT_EQ(Names("model=gpt-4o-mini"), V{"chat gpt-4o-mini"});
  EXPECT_EQ(Names("provider=nvidia.nim").size(), 2u);
  EXPECT_EQ(Names("operation=chat").size(), 3u);
  EXPECT_EQ(Names("finish_reason=length"), V{llama});
  EXPECT_EQ(Names("min_input_tokens=900").size(), 2u);
  EXPECT_EQ(Names("min_output_tokens=31"), V{llama});
  EXPECT_EQ(Names("service=chat-app&model=meta%2Fllama-3.1-8b-instruct&status=ok"), V{llama});
  EXPECT_EQ(Names("service=nobody"), V{});
  // Time range on the start: [start, end), RFC 3339 or Unix seconds.
  EXPECT_EQ(Names("start=2025-11-23T01:00:20Z"), (V{"GET /cart", llama}));
  EXPECT_EQ(Names("start=1763859620&end=1763859630"), V{llama});
  EXPECT_EQ(Names("end=2025-11-23T02:00:11%2B01:00"), V{"support.workflow"});
}

TEST_F(TracesApiTest, PaginationVisitsEverySpanOnce) {
  pdata::Traces traces;
  std::vector<pdata::Span> spans;
  for (int i = 0; i < 25; ++i) {
    // Five spans share each start time: ties are ordered by where they are stored.
    spans.push_back(MakeSpan(uint8_t(10 + i), 1, "op" + std::to_string(i),
                             kT0 + uint64_t(i / 5) * kSecond, 1000));
  }
  traces.resource_spans.push_back(Resource("batch", std::move(spans)));
  ASSERT_TRUE(spans_->Append(traces).ok());
  AddSample();  // other services, filtered out below

  std::set<std::string> seen;
  std::string cursor;
  int pages = 0;
  uint64_t previous_start = UINT64_MAX;
  do {
    std::string target = "/api/v1/spans?service=batch&limit=10";
    if (!cursor.empty()) target += "&cursor=" + net::PercentEncode(cursor);
    simdjson::dom::element root = GetJson(target);
    simdjson::dom::array page = root["spans"].get_array();
    ++pages;
    EXPECT_EQ(page.size(), pages < 3 ? 10u : 5u);
    for (simdjson::dom::element s : page) {
      EXPECT_TRUE(seen.insert(std::string(std::string_view(s["name"].get_string()))).second);
      const uint64_t start =
          std::stoull(std::string(std::string_view(s["start_time_unix_nano"].get_string())));
      EXPECT_LE(start, previous_start);
      previous_start = start;
    }
    cursor = root["next_cursor"].is_null()
                 ? ""
                 : std::string(std::string_view(root["next_cursor"].get_string()));
  } while (!cursor.empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen.size(), 25u);
  // A cursor that is not one is the cursor parameter's fault.
  EXPECT_THAT(Error("/api/v1/spans?cursor=bogus"), HasSubstr("parameter \\\"cursor\\\""));
}

TEST_F(TracesApiTest, TraceFetchReturnsWholeSpansAndTheirLogs) {
  AddSample();
  // A span with every kind of field, and two logs of the trace (a GenAI message event).
  pdata::Span full = MakeSpan(1, 9, "tool.search", kT0 + 13 * kSecond, 1000);
  full.parent_span_id = SpanIdOf(1, 1);
  full.trace_state = "vendor=1";
  full.attributes = {{"s", "text"},
                     {"i", int64_t{-7}},
                     {"d", 1.5},
                     {"b", true},
                     {"arr", pdata::ArrayValue{1, "two"}},
                     {"kv", pdata::KeyValueList{{"inner", "x"}}},
                     {"bytes", pdata::Bytes{"\x01\x02"}},
                     {"bad_utf8", std::string("a\xff")},
                     {"nan", std::nan("")}};
  full.events.push_back({kT0 + 13 * kSecond + 5, "retry", {{"attempt", 2}}, 0});
  full.links.push_back({TraceIdOf(3), SpanIdOf(3, 1), "", {{"link.kind", "caused_by"}}, 0, 0});
  full.dropped_attributes_count = 3;
  pdata::Traces traces;
  traces.resource_spans.push_back(Resource("chat-app", {full}));
  traces.resource_spans[0].schema_url = "https://opentelemetry.io/schemas/1.26.0";
  ASSERT_TRUE(spans_->Append(traces).ok());
  pdata::Logs logs;
  logs.resource_logs.emplace_back();
  logs.resource_logs[0].resource.attributes = {{"service.name", "chat-app"}};
  logs.resource_logs[0].scope_logs.emplace_back();
  pdata::LogRecord user;
  user.time_unix_nano = kT0 + 11 * kSecond + 1;
  user.trace_id = TraceIdOf(1);
  user.span_id = SpanIdOf(1, 2);
  user.event_name = "gen_ai.user.message";
  user.severity_number = pdata::SeverityNumber::kInfo;
  user.body = pdata::KeyValueList{{"content", "How do I reset my password?"}};
  pdata::LogRecord other = user;
  other.trace_id = TraceIdOf(2);  // another trace's
  logs.resource_logs[0].scope_logs[0].log_records = {user, other};
  ASSERT_TRUE(spans_->Append(logs).ok());

  simdjson::dom::element root = GetJson("/api/v1/traces/" + TraceIdOf(1).ToHex());
  EXPECT_EQ(std::string_view(root["trace_id"].get_string()), TraceIdOf(1).ToHex());
  simdjson::dom::array spans = root["spans"].get_array();
  ASSERT_EQ(spans.size(), 4u);  // oldest first
  EXPECT_EQ(std::string_view(spans.at(0)["name"].get_string()), "support.workflow");
  EXPECT_EQ(std::string_view(spans.at(2)["status_message"].get_string()), "upstream returned 503");
  EXPECT_EQ(std::string_view(spans.at(1)["attributes"]["user.id"].get_string()), "user-1");
  simdjson::dom::element f = spans.at(3);
  EXPECT_EQ(std::string_view(f["name"].get_string()), "tool.search");
  EXPECT_EQ(std::string_view(f["trace_state"].get_string()), "vendor=1");
  simdjson::dom::element a = f["attributes"];
  EXPECT_EQ(std::string_view(a["s"].get_string()), "text");
  EXPECT_EQ(int64_t(a["i"].get_int64()), -7);
  EXPECT_EQ(double(a["d"].get_double()), 1.5);
  EXPECT_EQ(bool(a["b"].get_bool()), true);
  EXPECT_EQ(int64_t(a["arr"].at(0).get_int64()), 1);
  EXPECT_EQ(std::string_view(a["arr"].at(1).get_string()), "two");
  EXPECT_EQ(std::string_view(a["kv"]["inner"].get_string()), "x");
  EXPECT_EQ(std::string_view(a["bytes"].get_string()), "AQI=");
  EXPECT_EQ(std::string_view(a["bad_utf8"].get_string()), "a\xEF\xBF\xBD");
  EXPECT_EQ(std::string_view(a["nan"].get_string()), "NaN");
  EXPECT_EQ(uint64_t(f["dropped_attributes_count"].get_uint64()), 3u);
  EXPECT_EQ(std::string_view(f["events"].at(0)["name"].get_string()), "retry");
  EXPECT_EQ(std::string_view(f["events"].at(0)["time_unix_nano"].get_string()),
            std::to_string(kT0 + 13 * kSecond + 5));
  EXPECT_EQ(int64_t(f["events"].at(0)["attributes"]["attempt"].get_int64()), 2);
  EXPECT_EQ(std::string_view(f["links"].at(0)["trace_id"].get_string()), TraceIdOf(3).ToHex());
  EXPECT_EQ(std::string_view(f["links"].at(0)["attributes"]["link.kind"].get_string()),
            "caused_by");
  EXPECT_EQ(std::string_view(f["resource"]["attributes"]["host.name"].get_string()), "node-1");
  EXPECT_EQ(std::string_view(f["resource"]["schema_url"].get_string()),
            "https://opentelemetry.io/schemas/1.26.0");
  EXPECT_EQ(std::string_view(f["scope"]["name"].get_string()), "@traceloop/instrumentation-openai");
  EXPECT_EQ(std::string_view(f["scope"]["version"].get_string()), "0.27.0");

  simdjson::dom::array logs_json = root["logs"].get_array();
  ASSERT_EQ(logs_json.size(), 1u);
  simdjson::dom::element l = logs_json.at(0);
  EXPECT_EQ(std::string_view(l["event_name"].get_string()), "gen_ai.user.message");
  EXPECT_EQ(std::string_view(l["span_id"].get_string()), SpanIdOf(1, 2).ToHex());
  EXPECT_EQ(std::string_view(l["service"].get_string()), "chat-app");
  EXPECT_EQ(uint64_t(l["severity_number"].get_uint64()), 9u);
  EXPECT_EQ(std::string_view(l["body"]["content"].get_string()), "How do I reset my password?");
  EXPECT_TRUE(l["observed_time"].is_null());

  // Uppercase hex is the same id; absent → 404; malformed → 400.
  std::string upper = TraceIdOf(2).ToHex();
  for (char& c : upper) c = char(std::toupper(c));
  EXPECT_EQ(GetJson("/api/v1/traces/" + upper)["spans"].get_array().size(), 1u);
  EXPECT_THAT(Error("/api/v1/traces/" + TraceIdOf(99).ToHex(), 404), HasSubstr("no trace"));
  EXPECT_THAT(Error("/api/v1/traces/xyz"), HasSubstr("trace id \\\"xyz\\\" is not 32 hex digits"));
  EXPECT_THAT(Error("/api/v1/traces/" + TraceIdOf(1).ToHex() + "0"), HasSubstr("32 hex"));
  EXPECT_THAT(Error("/api/v1/traces/"), HasSubstr("32 hex"));
  EXPECT_THAT(Error("/api/v1/traces/" + std::string(32, '0')), HasSubstr("all zeros"));
  EXPECT_THAT(Error("/api/v1/traces/" + TraceIdOf(1).ToHex() + "?x=1"),
              HasSubstr("takes no parameters"));
}

TEST_F(TracesApiTest, BadParametersAreNamed) {
  AddSample();
  const std::pair<std::string, std::string> cases[] = {
      {"servce=shop", "unknown parameter \\\"servce\\\" (did you mean \\\"service\\\"?)"},
      {"attr.=x", "an attribute filter needs a key"},
      {"start=yesterday", "parameter \\\"start\\\": invalid time \\\"yesterday\\\""},
      {"start=10&end=5", "parameter \\\"end\\\": must be after start"},
      {"status=broken", "parameter \\\"status\\\": expected ok, error or unset"},
      {"min_duration=fast", "parameter \\\"min_duration\\\""},
      {"max_duration=10", "parameter \\\"max_duration\\\": missing unit"},
      {"min_duration=-1s", "parameter \\\"min_duration\\\": negative duration"},
      {"min_duration=2s&max_duration=1s", "parameter \\\"max_duration\\\": is less than"},
      {"min_input_tokens=-3", "parameter \\\"min_input_tokens\\\": expected a non-negative"},
      {"min_output_tokens=1.5", "parameter \\\"min_output_tokens\\\""},
      {"min_cost=NaN", "parameter \\\"min_cost\\\""},
      {"limit=0", "parameter \\\"limit\\\": must be in 1..1000, got 0"},
      {"limit=1001", "must be in 1..1000"},
      {"limit=ten", "parameter \\\"limit\\\""},
      {"service=a&service=b", "parameter \\\"service\\\" is given 2 times"},
      {"service=", "parameter \\\"service\\\": empty value"},
      {"service=%zz", "invalid percent escape"},
      {"a=1;b=2", "semicolon"},
  };
  for (const auto& [query, message] : cases) {
    EXPECT_THAT(Error("/api/v1/spans?" + query), HasSubstr(message)) << query;
  }
  EXPECT_THAT(Error("/api/v1/services?limit=3"), HasSubstr("unknown parameter \\\"limit\\\""));
  EXPECT_THAT(Get("/metrics", "").body,
              HasSubstr("astrolabe_api_traces_requests_total{route=\"spans\",outcome=\"bad_"
                        "request\"} " +
                        std::to_string(std::size(cases))));
}

TEST_F(TracesApiTest, FormPostSearches) {
  AddSample();
  net::HttpRequest request;
  request.method = "POST";
  request.url = "http://" + server_->address() + "/api/v1/spans";
  request.headers.Set("Authorization", "Api-Token " + reader_);
  request.headers.Set("Content-Type", "application/x-www-form-urlencoded");
  request.body = "service=shop&limit=5";
  auto r = client_.Send(std::move(request)).get();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_THAT(r->body, HasSubstr("\"name\":\"GET /cart\""));
}

TEST_F(TracesApiTest, ServicesAndOperations) {
  AddSample();
  auto list = [&](const std::string& target, const char* key) {
    std::vector<std::string> out;
    for (simdjson::dom::element e : GetJson(target)[key].get_array()) {
      out.emplace_back(std::string_view(e.get_string()));
    }
    return out;
  };
  EXPECT_THAT(list("/api/v1/services", "services"), ElementsAre("chat-app", "shop"));
  EXPECT_THAT(
      list("/api/v1/services/chat-app/operations", "operations"),
      ElementsAre("chat gpt-4o-mini", "chat meta/llama-3.1-8b-instruct", "support.workflow"));
  EXPECT_THAT(list("/api/v1/services/nobody/operations", "operations"), ElementsAre());
  // Hour-granular time range: the sample's hour, then the next one.
  EXPECT_EQ(list("/api/v1/services?start=2025-11-23T01:30:00Z", "services").size(), 2u);
  EXPECT_EQ(list("/api/v1/services?start=2025-11-23T02:00:00Z", "services").size(), 0u);
  EXPECT_THAT(Error("/api/v1/services/chat-app/spans", 404), HasSubstr("operations"));
}

TEST(TracesApiNoStore, AnswersServiceUnavailable) {
  TokenStore tokens("/nonexistent/tokens.json");
  ApiServerOptions options;
  options.listen_address = "127.0.0.1:0";
  options.tokens = &tokens;
  ApiServer server(options);  // no authenticator, no span store
  ASSERT_TRUE(server.Start().ok());
  net::HttpClient client;
  net::HttpRequest request;
  request.url = "http://" + server.address() + "/api/v1/spans";
  auto r = client.Send(std::move(request)).get();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 503);
  EXPECT_THAT(r->body, HasSubstr("no span store"));
}

// The parameter parser alone (the fuzz target's entry point).
TEST(ParseSpanSearchParams, DefaultsAndValues) {
  spanstore::SpanQuery q;
  ASSERT_TRUE(ParseSpanSearchParams(net::QueryParams(), &q).ok());
  EXPECT_EQ(q.limit, kDefaultSpanLimit);
  EXPECT_EQ(q.start_unix_nano, 0u);
  EXPECT_EQ(q.end_unix_nano, UINT64_MAX);
  auto params = net::QueryParams::Parse(
      "attr.a=1&attr.a.b=x%3Dy&min_cost=0.25&min_duration=1.5s&cursor=c1.1.2.3.4&limit=7");
  ASSERT_TRUE(params.ok());
  ASSERT_TRUE(ParseSpanSearchParams(*params, &q).ok());
  EXPECT_THAT(q.attributes, ElementsAre(std::pair<std::string, std::string>{"a", "1"},
                                        std::pair<std::string, std::string>{"a.b", "x=y"}));
  EXPECT_EQ(q.min_cost, 0.25);
  EXPECT_EQ(q.min_duration_nanos, 1'500'000'000u);
  EXPECT_EQ(q.cursor, "c1.1.2.3.4");
  EXPECT_EQ(q.limit, 7u);
}

}  // namespace
}  // namespace astrolabe::api
