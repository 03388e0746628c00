// The server's built-in traces pipeline end to end for GenAI spans: spans in over OTLP/HTTP
// (JSON) → redaction (mode redact) → genaimetrics → store. Checks
//   - the stored span's prompt is redacted and marked (traces API);
//   - PromQL over /api/v1/query sees the derived metrics under the names
//     docs/genai-metrics.md lists: gen_ai_client_token_usage_bucket/_sum/_count,
//     gen_ai_client_operation_duration_seconds_*, astrolabe_genai_requests_total,
//     astrolabe_genai_cost_total, with the convention's buckets and the labels
//     gen_ai_operation_name, gen_ai_provider_name, gen_ai_request_model, service_name.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <string>

#include "net/http_client.h"
#include "process.h"

namespace astrolabe::e2e {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string Encode(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

class GenAiMetricsE2e : public ::testing::Test {
 protected:
  void TearDown() override {
    if (server_.running()) {
      server_.Signal(SIGTERM);
      server_.Wait(std::chrono::seconds(30));
    }
  }
  int Post(const std::string& path, const std::string& body) {
    net::HttpRequest request;
    request.method = "POST";
    request.url = "http://127.0.0.1:" + std::to_string(otlp_) + path;
    request.timeout = std::chrono::seconds(10);
    request.headers.Set("Content-Type", "application/json");
    request.body = body;
    auto response = client_.Send(std::move(request)).get();
    EXPECT_TRUE(response.ok()) << response.status().message();
    return response.ok() ? response->status : 0;
  }
  HttpResult Query(const std::string& promql) {
    return HttpGet(http_, "/api/v1/query?query=" + Encode(promql));
  }

  int http_ = FreePort(), otlp_ = FreePort(), grpc_ = FreePort(), health_ = FreePort();
  Subprocess server_;
  net::HttpClient client_;
};

TEST_F(GenAiMetricsE2e, SpansBecomeRedactedAndPromQlSeesTheDerivedMetrics) {
  // A short flush interval so the test needs not wait the default 15 s.
  const std::string config = WriteTempFile(
      "server.yaml", "processors:\n  genaimetrics: {metrics_flush_interval: 500ms}\n");
  ASSERT_TRUE(server_.Start(
      {AstrolabeBinary(), "server", "--auth", "none", "--config", config, "--data",
       TempDir() + "/data", "--http", "127.0.0.1:" + std::to_string(http_), "--otlp-http",
       "127.0.0.1:" + std::to_string(otlp_), "--otlp-grpc", "127.0.0.1:" + std::to_string(grpc_),
       "--health", "127.0.0.1:" + std::to_string(health_)}));
  ASSERT_TRUE(Eventually([&] { return HttpGet(health_, "/").status == 200; })) << server_.Stderr();

  const uint64_t now = uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count());
  auto span = [&](const std::string& id, double seconds, int in, int out, double cost, bool error) {
    const uint64_t start = now - 5'000'000'000;
    return R"({"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":")" + id +
           R"(","name":"chat gpt-4o-mini","kind":3,"startTimeUnixNano":")" + std::to_string(start) +
           R"(","endTimeUnixNano":")" + std::to_string(start + uint64_t(seconds * 1e9)) + R"(",)" +
           (error ? R"("status":{"code":2},)" : "") +
           R"("attributes":[)"
           R"({"key":"gen_ai.operation.name","value":{"stringValue":"chat"}},)"
           R"({"key":"gen_ai.provider.name","value":{"stringValue":"openai"}},)"
           R"({"key":"gen_ai.request.model","value":{"stringValue":"gpt-4o-mini"}},)"
           R"({"key":"gen_ai.usage.input_tokens","value":{"intValue":")" +
           std::to_string(in) +
           R"("}},)"
           R"({"key":"gen_ai.usage.output_tokens","value":{"intValue":")" +
           std::to_string(out) +
           R"("}},)"
           R"({"key":"astrolabe.genai.cost","value":{"doubleValue":)" +
           std::to_string(cost) +
           R"(}},)"
           R"({"key":"gen_ai.prompt.0.content","value":{"stringValue":"I am ann@example.com, call +44 20 7946 0958"}}]})";
  };
  const std::string body =
      R"({"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"support-bot"}}]},"scopeSpans":[{"spans":[)" +
      span("00f067aa0ba902b7", 0.5, 25, 12, 0.00037, false) + "," +
      span("00f067aa0ba902b8", 3.0, 300, 100, 0.001, false) + "," +
      span("00f067aa0ba902b9", 0.05, 10, 0, 0.0, true) + "]}]}]}";
  ASSERT_EQ(Post("/v1/traces", body), 200);

  // Redacted before storage.
  HttpResult trace;
  ASSERT_TRUE(Eventually([&] {
    trace = HttpGet(http_, "/api/v1/traces/4bf92f3577b34da6a3ce929d0e0e4736");
    return trace.status == 200 && trace.body.find("00f067aa0ba902b9") != std::string::npos;
  })) << trace.status
      << " " << trace.body;
  EXPECT_THAT(trace.body, HasSubstr("I am [REDACTED:email], call [REDACTED:phone]"));
  EXPECT_THAT(trace.body, Not(HasSubstr("ann@example.com")));
  // Four items: the e-mail address and the phone number in the legacy prompt key, and again in
  // the gen_ai.input.messages the genai processor (which runs first) built from it.
  EXPECT_THAT(trace.body, HasSubstr("\"astrolabe.redaction.count\":4"));
  EXPECT_THAT(trace.body, HasSubstr(R"(\"content\":\"I am [REDACTED:email], call [REDACTED:phone]\")"));
  EXPECT_THAT(trace.body, HasSubstr("\"astrolabe.redaction.mode\":\"redact\""));

  // The derived metrics, through PromQL.
  HttpResult r;
  ASSERT_TRUE(Eventually([&] {
    r = Query("astrolabe_genai_requests_total");
    return r.body.find("support-bot") != std::string::npos;
  })) << r.body
      << "\n"
      << server_.Stderr();
  EXPECT_THAT(r.body, HasSubstr("\"gen_ai_operation_name\":\"chat\""));
  EXPECT_THAT(r.body, HasSubstr("\"gen_ai_provider_name\":\"openai\""));
  EXPECT_THAT(r.body, HasSubstr("\"gen_ai_request_model\":\"gpt-4o-mini\""));
  EXPECT_THAT(r.body, HasSubstr("\"service_name\":\"support-bot\""));
  EXPECT_THAT(r.body, HasSubstr("\"job\":\"support-bot\""));
  EXPECT_THAT(r.body, HasSubstr("\"error_type\":\"_OTHER\""));

  r = Query("sum(astrolabe_genai_requests_total)");
  EXPECT_THAT(r.body, HasSubstr("\"3\"]")) << r.body;
  r = Query(R"(gen_ai_client_token_usage_bucket{gen_ai_token_type="input",le="64"})");
  EXPECT_THAT(r.body, HasSubstr("\"2\"]")) << r.body;  // 25 and 10 (≤ 64)
  r = Query(R"(gen_ai_client_token_usage_sum{gen_ai_token_type="output"})");
  EXPECT_THAT(r.body, HasSubstr("\"112\"]")) << r.body;
  r = Query("sum(gen_ai_client_token_usage_count)");
  EXPECT_THAT(r.body, HasSubstr("\"6\"]")) << r.body;
  r = Query(R"(count(gen_ai_client_operation_duration_seconds_bucket{error_type=""}))");
  EXPECT_THAT(r.body, HasSubstr("\"15\"]")) << r.body;  // 14 bounds + Inf
  r = Query(R"(gen_ai_client_operation_duration_seconds_bucket{le="0.64",error_type=""})");
  EXPECT_THAT(r.body, HasSubstr("\"1\"]")) << r.body;
  r = Query(
      "histogram_quantile(0.5, sum by (le) (gen_ai_client_operation_duration_seconds_bucket))");
  EXPECT_THAT(r.body, HasSubstr("\"result\":[{")) << r.body;
  r = Query("sum(astrolabe_genai_cost_total)");
  EXPECT_THAT(r.body, HasSubstr("\"0.00137")) << r.body;

  server_.Signal(SIGTERM);
  EXPECT_EQ(server_.Wait(std::chrono::seconds(30)), 0) << server_.Stderr();
}

}  // namespace
}  // namespace astrolabe::e2e
