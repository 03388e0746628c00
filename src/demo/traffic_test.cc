// The traffic generator against real simulators over loopback: a NIM simulator behind the Kong
// simulator, an OTLP/HTTP sink decoding what it receives. The spans must count exactly the
// tokens the simulators counted, in both dialects.

#include "demo/traffic.h"

#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "net/http_server.h"
#include "sim/kong.h"
#include "sim/llm_server.h"
#include "sim/test_util.h"
#include "wire/otlp_proto.h"

namespace astrolabe::demo {
namespace {

constexpr const char* kNimModel = "meta/llama-3.1-8b-instruct";
constexpr const char* kKongModel = "gpt-4o-mini";
constexpr const char* kEmbeddingModel = "text-embedding-3-small";

// Receives OTLP/HTTP protobuf and keeps the decoded data.
class OtlpSink {
 public:
  OtlpSink() : server_(Options()) {
    server_.Handle("POST", "/v1/traces", [this](net::ServerRequest& req, net::ServerResponse& res) {
      if (req.header("Authorization").value_or("") != "Api-Token secret") {
        res.Set(401, "text/plain", "no token");
        return;
      }
      auto t = wire::DecodeTracesRequest(req.body());
      if (!t.ok()) {
        res.Set(400, "text/plain", t.status().message());
        return;
      }
      std::lock_guard<std::mutex> lock(mu_);
      for (auto& rs : t->resource_spans) traces_.resource_spans.push_back(std::move(rs));
      res.Set(200, "application/x-protobuf", "");
    });
    server_.Handle("POST", "/v1/logs", [this](net::ServerRequest& req, net::ServerResponse& res) {
      auto l = wire::DecodeLogsRequest(req.body());
      if (!l.ok()) {
        res.Set(400, "text/plain", l.status().message());
        return;
      }
      std::lock_guard<std::mutex> lock(mu_);
      for (auto& rl : l->resource_logs) logs_.resource_logs.push_back(std::move(rl));
      res.Set(200, "application/x-protobuf", "");
    });
  }
  Status Start() { return server_.Start(); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_.port()); }
  pdata::Traces traces() {
    std::lock_guard<std::mutex> lock(mu_);
    return traces_.Clone();
  }
  pdata::Logs logs() {
    std::lock_guard<std::mutex> lock(mu_);
    return logs_.Clone();
  }

 private:
  static net::HttpServerOptions Options() {
    net::HttpServerOptions o;
    o.listen_address = "127.0.0.1:0";
    return o;
  }
  net::HttpServer server_;
  std::mutex mu_;
  pdata::Traces traces_;
  pdata::Logs logs_;
};

// The sum of every sample of `name` whose labels contain each of `parts`.
double Sum(const sim::testing::Parsed& parsed, const std::string& name,
           const std::vector<std::string>& parts) {
  double sum = 0;
  for (const auto& [key, value] : parsed.values) {
    if (key.rfind(name + "{", 0) != 0 && key != name) continue;
    bool all = true;
    for (const auto& p : parts) all &= key.find(p) != std::string::npos;
    if (all) sum += value;
  }
  return sum;
}

int64_t Int(const pdata::Span& s, std::string_view key) {
  const pdata::AnyValue* v = pdata::FindAttribute(s.attributes, key);
  return v != nullptr && v->type() == pdata::AnyValue::Type::kInt ? v->int_value() : -1;
}
std::string Str(const pdata::Span& s, std::string_view key) {
  const pdata::AnyValue* v = pdata::FindAttribute(s.attributes, key);
  return v != nullptr ? pdata::AnyValueToString(*v) : "";
}

class TrafficTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sim::LlmSimulatorOptions n;
    n.flavor = sim::Flavor::kNim;
    n.listen_address = "127.0.0.1:0";
    n.models = {kNimModel};
    n.traffic.rate = 0;  // only the generator's requests
    n.time_scale = 100;
    n.api_error_probability = 0;
    n.io_threads = 4;
    nim_ = std::make_unique<sim::LlmSimulator>(n);
    ASSERT_TRUE(nim_->Start().ok());
    sim::KongSimulatorOptions k;
    k.listen_address = "127.0.0.1:0";
    k.time_scale = 100;
    k.api_error_probability = 0;
    k.io_threads = 4;
    k.routes = {{"openai", kKongModel, 0.15, 0.6, ""}, {"openai", kEmbeddingModel, 0.02, 0, ""}};
    auto upstream = sim::ParseUpstreamRoute(std::string(kNimModel) +
                                            "=http://127.0.0.1:" + std::to_string(nim_->port()));
    ASSERT_TRUE(upstream.ok());
    k.routes.push_back(*upstream);
    kong_ = std::make_unique<sim::KongSimulator>(k);
    ASSERT_TRUE(kong_->Start().ok());
    ASSERT_TRUE(sink_.Start().ok());
  }
  void TearDown() override {
    if (kong_) kong_->Shutdown();
    if (nim_) nim_->Shutdown();
  }

  TrafficOptions Options() {
    TrafficOptions o;
    o.gateway_url = "http://127.0.0.1:" + std::to_string(kong_->port());
    o.chat_models = {kNimModel, kKongModel};
    o.embedding_model = kEmbeddingModel;
    o.otlp_url = sink_.url();
    o.api_token = "secret";
    o.seed = 11;
    return o;
  }

  OtlpSink sink_;
  std::unique_ptr<sim::LlmSimulator> nim_;
  std::unique_ptr<sim::KongSimulator> kong_;
};

TEST(ReadModelAnswer, UsageIdsErrorsAndBadBodies) {
  LlmCall chat;
  ReadModelAnswer(R"({"id":"chatcmpl-1","model":"m","choices":[{"finish_reason":"length"}],)"
                  R"("usage":{"prompt_tokens":12,"completion_tokens":3}})",
                  chat);
  EXPECT_FALSE(chat.failed());
  EXPECT_EQ(chat.response_id, "chatcmpl-1");
  EXPECT_EQ(chat.response_model, "m");
  EXPECT_EQ(chat.finish_reason, "length");
  EXPECT_EQ(chat.input_tokens, 12);
  EXPECT_EQ(chat.output_tokens, 3);
  LlmCall negative;
  ReadModelAnswer(R"({"usage":{"prompt_tokens":-5,"completion_tokens":"7"}})", negative);
  EXPECT_EQ(negative.input_tokens, -1);
  EXPECT_EQ(negative.output_tokens, -1);
  LlmCall garbage;
  ReadModelAnswer("<html>bad gateway</html>", garbage);
  EXPECT_EQ(garbage.http_status, 0);
  EXPECT_EQ(garbage.error_message, "the answer is not JSON");
  LlmCall kong;
  kong.http_status = 404;
  ReadModelAnswer(R"({"message":"no Route matched with those values"})", kong);
  EXPECT_EQ(kong.error_message, "no Route matched with those values");
  LlmCall openai;
  openai.http_status = 429;
  ReadModelAnswer(R"({"error":{"message":"slow down","type":"rate_limit_error"}})", openai);
  EXPECT_EQ(openai.error_message, "slow down");
  LlmCall embeddings;
  embeddings.operation = Operation::kEmbeddings;
  ReadModelAnswer(R"({"data":[{"embedding":[0.1,0.2]}],"usage":{"prompt_tokens":4}})", embeddings);
  EXPECT_EQ(embeddings.embedding_dimensions, 2);
  EXPECT_EQ(embeddings.input_tokens, 4);
}

TEST_F(TrafficTest, SpansCountWhatTheSimulatorsCounted) {
  TrafficOptions o = Options();
  o.server_error_share = 0.1;
  o.bad_request_share = 0.05;
  o.unknown_model_share = 0.05;
  TrafficGenerator gen(o);
  gen.RunWorkflows(60);
  ASSERT_TRUE(gen.Flush().ok());
  const TrafficStats stats = gen.stats();
  EXPECT_EQ(stats.workflows, 60u);
  EXPECT_GT(stats.failed_calls, 0u);
  EXPECT_LT(stats.failed_calls, stats.calls);
  EXPECT_EQ(stats.export_errors, 0u);

  pdata::Traces traces = sink_.traces();
  EXPECT_EQ(stats.spans_exported, traces.SpanCount());
  // Per model: tokens of successful chat spans, whichever dialect carries them.
  std::map<std::string, int64_t> prompt, completion, embedded;
  std::map<std::string, int> dialect_calls, ok_chats;
  std::map<std::string, int> errors;
  std::set<std::string> services;
  int roots = 0;
  for (const auto& rs : traces.resource_spans) {
    for (const auto& kv : rs.resource.attributes) {
      if (kv.key == "service.name") services.insert(pdata::AnyValueToString(kv.value));
    }
    for (const auto& ss : rs.scope_spans) {
      for (const auto& s : ss.spans) {
        if (s.parent_span_id.empty()) ++roots;
        if (s.kind != pdata::SpanKind::kClient) continue;
        const bool legacy = !Str(s, "llm.request.type").empty();
        const std::string model = Str(s, "gen_ai.request.model");
        if (s.status.code == pdata::SpanStatus::Code::kError) {
          ++errors[Str(s, "error.type")];
          continue;
        }
        const bool chat = legacy ? Str(s, "llm.request.type") == "chat"
                                 : Str(s, "gen_ai.operation.name") == "chat";
        const int64_t in =
            legacy ? Int(s, "gen_ai.usage.prompt_tokens") : Int(s, "gen_ai.usage.input_tokens");
        EXPECT_GT(in, 0) << s.name;
        if (chat) {
          ++dialect_calls[legacy ? "legacy" : "current"];
          ++ok_chats[model];
          prompt[model] += in;
          const int64_t out = legacy ? Int(s, "gen_ai.usage.completion_tokens")
                                     : Int(s, "gen_ai.usage.output_tokens");
          EXPECT_GT(out, 0) << s.name;
          completion[model] += out;
        } else {
          embedded[model] += in;
        }
      }
    }
  }
  EXPECT_EQ(roots, 60);
  EXPECT_EQ(services.size(), 4u);
  EXPECT_GT(dialect_calls["legacy"], 5);
  EXPECT_GT(dialect_calls["current"], 5);
  EXPECT_GT(errors["InternalServerError"], 0);
  EXPECT_GT(errors["BadRequestError"] + errors["NotFoundError"], 0);

  // The gateway counted exactly these tokens per model...
  auto k = sim::testing::ParseText(kong_->Metrics());
  ASSERT_TRUE(k.error.empty()) << k.error;
  for (const std::string model : {kNimModel, kKongModel}) {
    EXPECT_GT(prompt[model], 0) << model;
    EXPECT_EQ(Sum(k, "kong_ai_llm_tokens_total",
                  {"ai_model=\"" + model + "\"", "token_type=\"prompt_tokens\""}),
              prompt[model] + embedded[model])
        << model;
    EXPECT_EQ(Sum(k, "kong_ai_llm_tokens_total",
                  {"ai_model=\"" + model + "\"", "token_type=\"completion_tokens\""}),
              completion[model])
        << model;
  }
  EXPECT_GT(embedded[kEmbeddingModel], 0);
  EXPECT_EQ(Sum(k, "kong_ai_llm_tokens_total",
                {std::string("ai_model=\"") + kEmbeddingModel + "\"", "prompt_tokens"}),
            embedded[kEmbeddingModel]);
  // ... and so did the NIM behind it: every generated token and every successful request. (Its
  // prompt_tokens_total also holds the prefill of the requests that failed afterwards, which
  // no span can count: the app never learns their usage.)
  auto n = sim::testing::ParseText(nim_->Metrics());
  ASSERT_TRUE(n.error.empty()) << n.error;
  EXPECT_EQ(Sum(n, "generation_tokens_total", {}), completion[kNimModel]);
  EXPECT_EQ(Sum(n, "request_success_total", {}), ok_chats[kNimModel]);
  EXPECT_GE(Sum(n, "prompt_tokens_total", {}), prompt[kNimModel]);

  // Message logs: both current-dialect styles, each linked to a span of the export.
  pdata::Logs logs = sink_.logs();
  EXPECT_EQ(stats.logs_exported, logs.LogRecordCount());
  int details = 0, per_message = 0;
  for (const auto& rl : logs.resource_logs) {
    for (const auto& sl : rl.scope_logs) {
      for (const auto& r : sl.log_records) {
        EXPECT_FALSE(r.trace_id.empty());
        EXPECT_FALSE(r.span_id.empty());
        if (r.event_name == "gen_ai.client.inference.operation.details") ++details;
        if (pdata::FindAttribute(r.attributes, "event.name") != nullptr) ++per_message;
      }
    }
  }
  EXPECT_GT(details, 0);
  EXPECT_GT(per_message, 0);
}

TEST_F(TrafficTest, WorkersRunAtTheRateAndShutdownIsQuick) {
  TrafficOptions o = Options();
  o.rate = 20;
  o.concurrency = 4;
  o.export_interval = std::chrono::milliseconds(100);
  TrafficGenerator gen(o);
  gen.Start();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (gen.stats().spans_exported < 30 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const auto stop = std::chrono::steady_clock::now();
  gen.Shutdown();
  EXPECT_LT(std::chrono::steady_clock::now() - stop, std::chrono::seconds(3));
  EXPECT_GE(gen.stats().spans_exported, 30u);
  EXPECT_EQ(gen.stats().export_errors, 0u);
  EXPECT_EQ(gen.stats().spans_exported, sink_.traces().SpanCount());
}

TEST_F(TrafficTest, RefusedExportIsCountedAndReported) {
  TrafficOptions o = Options();
  o.api_token = "wrong";
  TrafficGenerator gen(o);
  gen.RunWorkflows(2);
  Status s = gen.Flush();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("HTTP 401"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find(sink_.url() + "/v1/traces"), std::string::npos) << s.message();
  EXPECT_GE(gen.stats().export_errors, 1u);
  EXPECT_EQ(gen.stats().spans_exported, 0u);
}

}  // namespace
}  // namespace astrolabe::demo
