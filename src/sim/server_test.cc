// The simulators over real loopback HTTP (in-process servers on ephemeral ports).

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "net/http_client.h"
#include "sim/kong.h"
#include "sim/llm_server.h"
#include "sim/test_util.h"

namespace astrolabe::sim {
namespace {

using testing::ParseText;

struct Reply {
  int status = 0;
  std::string content_type;
  std::string body;
};

Reply Call(net::HttpClient& client, const std::string& method, const std::string& url,
           const std::string& body = "", const std::string& extra_header = "") {
  net::HttpRequest req;
  req.method = method;
  req.url = url;
  req.body = body;
  req.timeout = std::chrono::seconds(30);
  if (!body.empty()) req.headers.Add("Content-Type", "application/json");
  if (!extra_header.empty()) {
    auto colon = extra_header.find(':');
    req.headers.Add(extra_header.substr(0, colon), extra_header.substr(colon + 1));
  }
  auto r = client.Send(std::move(req)).get();
  if (!r.ok()) return {0, "", r.status().ToString()};
  return {r->status, std::string(r->headers.Get("Content-Type").value_or("")), r->body};
}

LlmSimulatorOptions Fast(Flavor f) {
  LlmSimulatorOptions o;
  o.flavor = f;
  o.listen_address = "127.0.0.1:0";
  o.traffic.rate = 0;  // only the test's requests
  o.time_scale = 50;   // a 3 s generation takes 60 ms
  o.api_error_probability = 0;
  o.io_threads = 8;
  return o;
}

std::string Base(int port) { return "http://127.0.0.1:" + std::to_string(port); }

const char* kChat =
    R"({"model":"meta/llama-3.1-8b-instruct","max_tokens":40,
        "messages":[{"role":"user","content":"Name three uses of a KV cache."}]})";

TEST(NimSimulator, ChatCompletionDrivesTheMetrics) {
  LlmSimulator sim(Fast(Flavor::kNim));
  ASSERT_TRUE(sim.Start().ok());
  net::HttpClient client;
  Reply r = Call(client, "POST", Base(sim.port()) + "/v1/chat/completions", kChat);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_NE(r.body.find(R"("object":"chat.completion")"), std::string::npos);
  EXPECT_NE(r.body.find(R"("model":"meta/llama-3.1-8b-instruct")"), std::string::npos);
  EXPECT_NE(r.body.find(R"("message":{"role":"assistant","content":")"), std::string::npos);
  auto usage = ExtractUsage(r.body, false);
  ASSERT_TRUE(usage.has_value());
  EXPECT_GT(usage->completion_tokens, 0);
  EXPECT_LE(usage->completion_tokens, 40);

  Reply m = Call(client, "GET", Base(sim.port()) + "/v1/metrics");
  ASSERT_EQ(m.status, 200);
  EXPECT_EQ(m.content_type, "text/plain; version=0.0.4; charset=utf-8");
  auto p = ParseText(m.body);
  ASSERT_EQ(p.error, "");
  const std::string l = "{model_name=\"meta/llama-3.1-8b-instruct\"}";
  EXPECT_EQ(p.Get("request_success_total" + l), 1);
  EXPECT_EQ(p.Get("request_failure_total" + l), 0);
  EXPECT_EQ(p.Get("prompt_tokens_total" + l), usage->prompt_tokens);
  EXPECT_EQ(p.Get("generation_tokens_total" + l), usage->completion_tokens);
  EXPECT_EQ(p.Get("num_requests_running" + l), 0);
  // /metrics is the early NIM path, same body.
  EXPECT_EQ(Call(client, "GET", Base(sim.port()) + "/metrics").status, 200);
  EXPECT_EQ(Call(client, "GET", Base(sim.port()) + "/v1/health/ready").status, 200);
  sim.Shutdown();
}

TEST(NimSimulator, StreamingEndsWithUsageAndDone) {
  LlmSimulator sim(Fast(Flavor::kNim));
  ASSERT_TRUE(sim.Start().ok());
  net::HttpClient client;
  Reply r = Call(client, "POST", Base(sim.port()) + "/v1/chat/completions",
                 R"({"model":"meta/llama-3.1-8b-instruct","max_tokens":12,"stream":true,
                     "stream_options":{"include_usage":true},
                     "messages":[{"role":"user","content":"hi"}]})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "text/event-stream; charset=utf-8");
  EXPECT_NE(r.body.find(R"("object":"chat.completion.chunk")"), std::string::npos);
  EXPECT_EQ(r.body.substr(r.body.size() - 14), "data: [DONE]\n\n");
  auto usage = ExtractUsage(r.body, true);
  ASSERT_TRUE(usage.has_value());
  // One content chunk per generated token.
  size_t chunks = 0;
  for (size_t pos = 0; (pos = r.body.find(R"("delta":{"content":)", pos)) != std::string::npos;
       ++pos) {
    ++chunks;
  }
  EXPECT_EQ(static_cast<int64_t>(chunks), usage->completion_tokens);

  // Text completions stream too, without usage unless asked.
  Reply c = Call(
      client, "POST", Base(sim.port()) + "/v1/completions",
      R"({"model":"meta/llama-3.1-8b-instruct","prompt":"Once","max_tokens":5,"stream":true})");
  ASSERT_EQ(c.status, 200) << c.body;
  EXPECT_NE(c.body.find(R"("object":"text_completion")"), std::string::npos);
  EXPECT_FALSE(ExtractUsage(c.body, true).has_value());
  sim.Shutdown();
}

TEST(NimSimulator, FailsLikeARealServer) {
  LlmSimulatorOptions o = Fast(Flavor::kNim);
  LlmSimulator sim(o);
  ASSERT_TRUE(sim.Start().ok());
  net::HttpClient client;
  const std::string url = Base(sim.port()) + "/v1/chat/completions";
  Reply bad = Call(client, "POST", url, "{\"model\":");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.body.find(R"({"error":{"message":"We could not parse the JSON body)"), 0u)
      << bad.body;
  Reply no_messages = Call(client, "POST", url, R"({"model":"meta/llama-3.1-8b-instruct"})");
  EXPECT_EQ(no_messages.status, 400);
  EXPECT_NE(no_messages.body.find(R"("param":"messages")"), std::string::npos);
  Reply unknown =
      Call(client, "POST", url, R"({"model":"nope","messages":[{"role":"user","content":"x"}]})");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_NE(unknown.body.find(R"("code":"model_not_found")"), std::string::npos);
  Reply too_long = Call(client, "POST", url,
                        R"({"model":"meta/llama-3.1-8b-instruct","max_tokens":200000,
                            "messages":[{"role":"user","content":"x"}]})");
  EXPECT_EQ(too_long.status, 400);
  EXPECT_NE(too_long.body.find("maximum context length is 131072 tokens"), std::string::npos);
  Reply boom = Call(client, "POST", url, kChat, "x-sim-fail:error");
  EXPECT_EQ(boom.status, 500);
  EXPECT_NE(boom.body.find(R"("type":"server_error")"), std::string::npos);
  EXPECT_EQ(Call(client, "GET", url).status, 405);

  auto p = ParseText(Call(client, "GET", Base(sim.port()) + "/v1/metrics").body);
  const std::string l = "model_name=\"meta/llama-3.1-8b-instruct\"";
  // Rejected requests never reach the engine; the failed one is finished with reason error.
  EXPECT_EQ(p.Get("request_failure_total{" + l + "}"), 1);
  EXPECT_EQ(p.Get("request_finish_total{finished_reason=\"error\"," + l + "}"), 1);
  EXPECT_EQ(p.Get("request_success_total{" + l + "}"), 0);
  sim.Shutdown();
}

TEST(NimSimulator, FullQueueAnswers429) {
  LlmSimulatorOptions o = Fast(Flavor::kNim);
  o.max_waiting = 0;
  LlmSimulator sim(o);
  ASSERT_TRUE(sim.Start().ok());
  net::HttpClient client;
  Reply r = Call(client, "POST", Base(sim.port()) + "/v1/chat/completions", kChat);
  EXPECT_EQ(r.status, 429);
  EXPECT_NE(r.body.find(R"("type":"rate_limit_error")"), std::string::npos);
  sim.Shutdown();
}

TEST(NimSimulator, ModelsEmbeddingsAndTwoModels) {
  LlmSimulatorOptions o = Fast(Flavor::kNim);
  o.models = {"meta/llama-3.1-8b-instruct", "meta/llama-3.1-70b-instruct"};
  LlmSimulator sim(o);
  ASSERT_TRUE(sim.Start().ok());
  net::HttpClient client;
  Reply models = Call(client, "GET", Base(sim.port()) + "/v1/models");
  ASSERT_EQ(models.status, 200);
  EXPECT_NE(models.body.find(R"({"id":"meta/llama-3.1-70b-instruct","object":"model")"),
            std::string::npos);
  Reply e = Call(client, "POST", Base(sim.port()) + "/v1/embeddings",
                 R"({"model":"meta/llama-3.1-8b-instruct","input":["a","b"]})");
  ASSERT_EQ(e.status, 200) << e.body;
  EXPECT_NE(e.body.find(R"("index":1)"), std::string::npos);
  Reply huge =
      Call(client, "POST", Base(sim.port()) + "/v1/embeddings",
           R"({"model":"meta/llama-3.1-8b-instruct","input":["a","b","c"],"dimensions":8192})");
  EXPECT_EQ(huge.status, 200) << huge.body;
  std::string many = R"({"model":"meta/llama-3.1-8b-instruct","dimensions":8192,"input":[)";
  for (int i = 0; i < 300; ++i) many += i ? ",\"x\"" : "\"x\"";
  many += "]}";
  Reply too_big = Call(client, "POST", Base(sim.port()) + "/v1/embeddings", many);
  EXPECT_EQ(too_big.status, 400);
  EXPECT_NE(too_big.body.find("must not exceed"), std::string::npos);
  auto p = ParseText(Call(client, "GET", Base(sim.port()) + "/v1/metrics").body);
  EXPECT_EQ(p.Get("num_request_max{model_name=\"meta/llama-3.1-70b-instruct\"}"), 64);
  sim.Shutdown();
}

TEST(VllmAndOpenAi, PathsAndNames) {
  LlmSimulatorOptions vo = Fast(Flavor::kVllm);
  vo.traffic.rate = 5;
  LlmSimulator vllm(vo);
  ASSERT_TRUE(vllm.Start().ok());
  net::HttpClient client;
  Reply m = Call(client, "GET", Base(vllm.port()) + "/metrics");
  ASSERT_EQ(m.status, 200);
  EXPECT_NE(m.body.find("vllm:num_requests_running{engine=\"0\",model_name=\"meta-llama/"
                        "Llama-3.1-8B-Instruct\"}"),
            std::string::npos);
  EXPECT_EQ(Call(client, "GET", Base(vllm.port()) + "/v1/metrics").status, 404);
  Reply chat = Call(client, "POST", Base(vllm.port()) + "/v1/chat/completions",
                    R"({"model":"meta-llama/Llama-3.1-8B-Instruct","max_tokens":4,
                        "messages":[{"role":"user","content":"hi"}]})");
  EXPECT_EQ(chat.status, 200) << chat.body;
  vllm.Shutdown();

  LlmSimulator openai(Fast(Flavor::kOpenAI));
  ASSERT_TRUE(openai.Start().ok());
  EXPECT_EQ(Call(client, "GET", Base(openai.port()) + "/metrics").status, 404);
  Reply c =
      Call(client, "POST", Base(openai.port()) + "/v1/chat/completions",
           R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"max_tokens":3})");
  EXPECT_EQ(c.status, 200) << c.body;
  openai.Shutdown();
}

TEST(NimSimulator, ListenErrorNamesTheAddress) {
  LlmSimulator a(Fast(Flavor::kNim));
  ASSERT_TRUE(a.Start().ok());
  LlmSimulatorOptions o = Fast(Flavor::kNim);
  o.listen_address = a.address();
  LlmSimulator b(o);
  Status st = b.Start();
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find(a.address()), std::string::npos) << st.message();
}

TEST(KongSimulator, ProxiesToNimAndCountsWhatItSaw) {
  LlmSimulator nim(Fast(Flavor::kNim));
  ASSERT_TRUE(nim.Start().ok());
  KongSimulatorOptions ko;
  ko.listen_address = "127.0.0.1:0";
  ko.time_scale = 50;
  ko.api_error_probability = 0;
  ko.io_threads = 8;
  auto route = ParseUpstreamRoute(Base(nim.port()) + "/v1");
  ASSERT_TRUE(route.ok());
  ko.routes = DefaultKongRoutes();
  ko.routes.push_back(*route);
  KongSimulator kong(ko);
  ASSERT_TRUE(kong.Start().ok());
  net::HttpClient client;
  Reply r = Call(client, "POST", Base(kong.port()) + "/v1/chat/completions", kChat);
  ASSERT_EQ(r.status, 200) << r.body;
  auto u1 = ExtractUsage(r.body, false);
  ASSERT_TRUE(u1.has_value());
  Reply s = Call(client, "POST", Base(kong.port()) + "/v1/chat/completions",
                 R"({"model":"meta/llama-3.1-8b-instruct","max_tokens":9,"stream":true,
                     "stream_options":{"include_usage":true},
                     "messages":[{"role":"user","content":"stream please"}]})");
  ASSERT_EQ(s.status, 200) << s.body;
  auto u2 = ExtractUsage(s.body, true);
  ASSERT_TRUE(u2.has_value());
  Reply gpt =
      Call(client, "POST", Base(kong.port()) + "/v1/chat/completions",
           R"({"model":"gpt-4o","max_tokens":20,"messages":[{"role":"user","content":"hello"}]})");
  ASSERT_EQ(gpt.status, 200) << gpt.body;
  auto u3 = ExtractUsage(gpt.body, false);
  ASSERT_TRUE(u3.has_value());
  Reply boom =
      Call(client, "POST", Base(kong.port()) + "/v1/chat/completions", kChat, "x-sim-fail:error");
  EXPECT_EQ(boom.status, 500);

  auto p = ParseText(kong.Metrics());
  ASSERT_EQ(p.error, "");
  const std::string nim_labels =
      "ai_provider=\"openai\",ai_model=\"meta/llama-3.1-8b-instruct\",cache_status=\"\","
      "vector_db=\"\",embeddings_provider=\"\",embeddings_model=\"\"";
  EXPECT_EQ(p.Get("kong_ai_llm_requests_total{" + nim_labels + ",workspace=\"default\"}"), 3);
  EXPECT_EQ(p.Get("kong_ai_llm_tokens_total{" + nim_labels +
                  ",token_type=\"prompt_tokens\",workspace=\"default\"}"),
            u1->prompt_tokens + u2->prompt_tokens);
  EXPECT_EQ(p.Get("kong_ai_llm_tokens_total{" + nim_labels +
                  ",token_type=\"total_tokens\",workspace=\"default\"}"),
            u1->total_tokens + u2->total_tokens);
  EXPECT_NEAR(p.Get("kong_ai_llm_cost_total{" + nim_labels + ",workspace=\"default\"}"),
              (u1->total_tokens + u2->total_tokens) * 0.2 / 1e6, 1e-12);
  EXPECT_EQ(
      p.Get("kong_ai_llm_provider_latency_ms_count{" + nim_labels + ",workspace=\"default\"}"), 3);
  const std::string gpt_labels =
      "ai_provider=\"openai\",ai_model=\"gpt-4o\",cache_status=\"\",vector_db=\"\","
      "embeddings_provider=\"\",embeddings_model=\"\",workspace=\"default\"";
  EXPECT_NEAR(p.Get("kong_ai_llm_cost_total{" + gpt_labels + "}"),
              (u3->prompt_tokens * 2.5 + u3->completion_tokens * 10.0) / 1e6, 1e-12);
  // The NIM behind Kong saw the same traffic.
  auto n = ParseText(nim.Metrics());
  EXPECT_EQ(n.Get("request_success_total{model_name=\"meta/llama-3.1-8b-instruct\"}"), 2);
  EXPECT_EQ(n.Get("request_failure_total{model_name=\"meta/llama-3.1-8b-instruct\"}"), 1);
  // The failed request (same body as the first) counts its prompt too, as NIM does.
  EXPECT_EQ(n.Get("prompt_tokens_total{model_name=\"meta/llama-3.1-8b-instruct\"}"),
            2 * u1->prompt_tokens + u2->prompt_tokens);
  kong.Shutdown();
  nim.Shutdown();
}

TEST(KongSimulator, UnroutedModelAndDeadUpstream) {
  KongSimulatorOptions ko;
  ko.listen_address = "127.0.0.1:0";
  ko.io_threads = 2;
  ko.routes = {{"openai", "local", 0, 0, "http://127.0.0.1:1"}};
  KongSimulator kong(ko);
  ASSERT_TRUE(kong.Start().ok());
  net::HttpClient client;
  Reply none = Call(client, "POST", Base(kong.port()) + "/v1/chat/completions",
                    R"({"model":"other","messages":[{"role":"user","content":"x"}]})");
  EXPECT_EQ(none.status, 404);
  EXPECT_NE(none.body.find("no Route matched"), std::string::npos);
  Reply dead = Call(client, "POST", Base(kong.port()) + "/v1/chat/completions",
                    R"({"model":"local","messages":[{"role":"user","content":"x"}]})");
  EXPECT_EQ(dead.status, 502);
  EXPECT_FALSE(ParseUpstreamRoute("ftp://x").ok());
  auto named = ParseUpstreamRoute("meta/llama-3.1-8b-instruct=http://127.0.0.1:8000/v1/");
  ASSERT_TRUE(named.ok());
  EXPECT_EQ(named->model, "meta/llama-3.1-8b-instruct");
  EXPECT_EQ(named->upstream, "http://127.0.0.1:8000");
  kong.Shutdown();
}

TEST(KongSimulator, SyntheticTrafficFillsTheSeries) {
  KongSimulatorOptions ko;
  ko.listen_address = "127.0.0.1:0";
  ko.time_scale = 100;
  ko.traffic.rate = 2;
  ko.io_threads = 2;
  KongSimulator kong(ko);
  ASSERT_TRUE(kong.Start().ok());
  testing::Parsed p;
  for (int i = 0; i < 100; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    p = ParseText(kong.Metrics());
    if (p.Get("kong_ai_llm_requests_total{ai_provider=\"anthropic\",ai_model=\"claude-3-5-"
              "sonnet-20241022\",cache_status=\"\",vector_db=\"\",embeddings_provider=\"\","
              "embeddings_model=\"\",workspace=\"default\"}") >= 5) {
      break;
    }
  }
  ASSERT_EQ(p.error, "");
  EXPECT_GE(p.Get("kong_ai_llm_requests_total{ai_provider=\"anthropic\",ai_model=\"claude-3-5-"
                  "sonnet-20241022\",cache_status=\"\",vector_db=\"\",embeddings_provider=\"\","
                  "embeddings_model=\"\",workspace=\"default\"}"),
            5);
  EXPECT_GT(p.Get("kong_ai_llm_cost_total{ai_provider=\"mistral\",ai_model=\"mistral-large-"
                  "latest\",cache_status=\"\",vector_db=\"\",embeddings_provider=\"\","
                  "embeddings_model=\"\",workspace=\"default\"}"),
            0);
  kong.Shutdown();
}

}  // namespace
}  // namespace astrolabe::sim

namespace astrolabe::sim {
namespace {

// A streamed request read piece by piece: what arrived and when.
struct Streamed {
  int status = 0;
  std::string body;
  std::vector<std::pair<std::chrono::steady_clock::duration, std::string>> pieces;
  std::string error;
};

// Reads a streamed POST with HttpClient's on_body; `stop_after` > 0 abandons the transfer
// after that many pieces.
Streamed Stream(net::HttpClient& client, const std::string& url, const std::string& body,
                int stop_after = 0) {
  auto out = std::make_shared<Streamed>();
  auto mu = std::make_shared<std::mutex>();
  const auto start = std::chrono::steady_clock::now();
  net::HttpRequest req;
  req.method = "POST";
  req.url = url;
  req.body = body;
  req.timeout = std::chrono::seconds(30);
  req.headers.Add("Content-Type", "application/json");
  req.on_head = [out, mu](const net::HttpResponse& h) {
    std::lock_guard lock(*mu);
    out->status = h.status;
  };
  req.on_body = [out, mu, start, stop_after](std::string_view piece) {
    std::lock_guard lock(*mu);
    out->body += piece;
    out->pieces.emplace_back(std::chrono::steady_clock::now() - start, std::string(piece));
    return stop_after == 0 || static_cast<int>(out->pieces.size()) < stop_after;
  };
  auto r = client.Send(std::move(req)).get();
  std::lock_guard lock(*mu);
  if (!r.ok()) out->error = r.status().ToString();
  return *out;
}

// The arrival time of the first piece holding `needle`.
std::chrono::milliseconds ArrivalOf(const Streamed& s, std::string_view needle) {
  for (const auto& [at, piece] : s.pieces) {
    if (piece.find(needle) != std::string::npos) {
      return std::chrono::duration_cast<std::chrono::milliseconds>(at);
    }
  }
  return std::chrono::milliseconds(-1);
}

size_t Count(std::string_view hay, std::string_view needle) {
  size_t n = 0;
  for (size_t pos = 0; (pos = hay.find(needle, pos)) != std::string_view::npos; ++pos) ++n;
  return n;
}

const char* kStreamChat =
    R"({"model":"meta/llama-3.1-8b-instruct","max_tokens":30,"stream":true,
        "stream_options":{"include_usage":true},
        "messages":[{"role":"user","content":"Explain continuous batching in a few words."}]})";

// Real time (time_scale 1): an iteration with one request takes 14.25 ms, so 30 tokens take
// about 430 ms, and the client must see them arrive over that time, not at the end.
void ExpectPaced(const Streamed& s, int64_t completion_tokens) {
  ASSERT_GE(completion_tokens, 10) << "the seed gave too short an answer to see pacing";
  auto first = ArrivalOf(s, R"("delta":{"content":)");
  auto done = ArrivalOf(s, "data: [DONE]");
  ASSERT_GE(first.count(), 0);
  ASSERT_GE(done.count(), 0);
  // (completion_tokens - 1) decode iterations of >= 14 ms between the first and last token;
  // half of that leaves room for a loaded machine delivering late, never for all at once.
  EXPECT_GE((done - first).count(), (completion_tokens - 1) * 14 / 2)
      << "first token at " << first.count() << " ms, [DONE] at " << done.count() << " ms";
  // Many separate arrivals (a token per decode iteration; a slow reader may merge some).
  EXPECT_GE(static_cast<int64_t>(s.pieces.size()), completion_tokens / 3);
}

TEST(NimSimulator, StreamsTokenByTokenAtTheSimulatedPace) {
  LlmSimulatorOptions o = Fast(Flavor::kNim);
  o.time_scale = 1;
  LlmSimulator sim(o);
  ASSERT_TRUE(sim.Start().ok());
  net::HttpClient client;
  Streamed s = Stream(client, Base(sim.port()) + "/v1/chat/completions", kStreamChat);
  ASSERT_EQ(s.error, "");
  ASSERT_EQ(s.status, 200) << s.body;
  ASSERT_TRUE(s.body.ends_with("data: [DONE]\n\n")) << s.body;
  auto usage = ExtractUsage(s.body, true);
  ASSERT_TRUE(usage.has_value()) << s.body;
  EXPECT_EQ(static_cast<int64_t>(Count(s.body, R"("delta":{"content":)")),
            usage->completion_tokens);
  EXPECT_EQ(Count(s.body, R"("delta":{"role":"assistant")"), 1u);
  EXPECT_EQ(
      Count(s.body, R"("finish_reason":"length")") + Count(s.body, R"("finish_reason":"stop")"),
      1u);
  ExpectPaced(s, usage->completion_tokens);
  auto p = ParseText(sim.Metrics());
  const std::string l = "{model_name=\"meta/llama-3.1-8b-instruct\"}";
  EXPECT_EQ(p.Get("request_success_total" + l), 1);
  EXPECT_EQ(p.Get("generation_tokens_total" + l), usage->completion_tokens);
  sim.Shutdown();
}

TEST(NimSimulator, ClientLeavingMidStreamAbortsTheRequest) {
  LlmSimulatorOptions o = Fast(Flavor::kNim);
  o.time_scale = 1;
  LlmSimulator sim(o);
  ASSERT_TRUE(sim.Start().ok());
  net::HttpClient client;
  Streamed s = Stream(client, Base(sim.port()) + "/v1/chat/completions", kStreamChat, 3);
  EXPECT_NE(s.error.find("Cancelled"), std::string::npos) << s.error;
  EXPECT_FALSE(s.body.ends_with("data: [DONE]\n\n"));
  const std::string l = "{model_name=\"meta/llama-3.1-8b-instruct\"}";
  double failures = 0;
  for (int i = 0; i < 300 && failures == 0; ++i) {  // at most 3 s
    failures = ParseText(sim.Metrics()).Get("request_failure_total" + l);
    if (failures == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  auto p = ParseText(sim.Metrics());
  EXPECT_EQ(failures, 1);
  EXPECT_EQ(p.Get("request_success_total" + l), 0);
  EXPECT_EQ(p.Get("num_requests_running" + l), 0);
  // Fewer tokens than asked for: the engine stopped generating when the client left.
  EXPECT_LT(p.Get("generation_tokens_total" + l), 30);
  sim.Shutdown();
}

TEST(KongSimulator, ProxiesAStreamAsAStream) {
  LlmSimulatorOptions o = Fast(Flavor::kNim);
  o.time_scale = 1;
  LlmSimulator nim(o);
  ASSERT_TRUE(nim.Start().ok());
  KongSimulatorOptions ko;
  ko.listen_address = "127.0.0.1:0";
  ko.api_error_probability = 0;
  ko.io_threads = 8;
  ko.routes = DefaultKongRoutes();
  ko.routes.push_back(*ParseUpstreamRoute(Base(nim.port())));
  KongSimulator kong(ko);
  ASSERT_TRUE(kong.Start().ok());
  net::HttpClient client;
  Streamed s = Stream(client, Base(kong.port()) + "/v1/chat/completions", kStreamChat);
  ASSERT_EQ(s.error, "");
  ASSERT_EQ(s.status, 200) << s.body;
  ASSERT_TRUE(s.body.ends_with("data: [DONE]\n\n")) << s.body;
  auto usage = ExtractUsage(s.body, true);
  ASSERT_TRUE(usage.has_value());
  ExpectPaced(s, usage->completion_tokens);
  // The in-process providers stream too.
  Streamed g = Stream(client, Base(kong.port()) + "/v1/chat/completions",
                      R"({"model":"gpt-4o","max_tokens":30,"stream":true,
                          "stream_options":{"include_usage":true},
                          "messages":[{"role":"user","content":"Explain continuous batching."}]})");
  ASSERT_EQ(g.status, 200) << g.body;
  auto gu = ExtractUsage(g.body, true);
  ASSERT_TRUE(gu.has_value()) << g.body;
  EXPECT_GE(g.pieces.size(), 3u);

  auto p = ParseText(kong.Metrics());
  ASSERT_EQ(p.error, "");
  const std::string nim_labels =
      "ai_provider=\"openai\",ai_model=\"meta/llama-3.1-8b-instruct\",cache_status=\"\","
      "vector_db=\"\",embeddings_provider=\"\",embeddings_model=\"\"";
  EXPECT_EQ(p.Get("kong_ai_llm_tokens_total{" + nim_labels +
                  ",token_type=\"completion_tokens\",workspace=\"default\"}"),
            usage->completion_tokens);
  EXPECT_EQ(p.Get("kong_ai_llm_tokens_total{" + nim_labels +
                  ",token_type=\"prompt_tokens\",workspace=\"default\"}"),
            usage->prompt_tokens);
  // Latency counts the whole stream: at least the time from first token to [DONE].
  EXPECT_GE(p.Get("kong_ai_llm_provider_latency_ms_sum{" + nim_labels + ",workspace=\"default\"}"),
            static_cast<double>((ArrivalOf(s, "[DONE]") - ArrivalOf(s, "content")).count()));
  const std::string gpt_labels =
      "ai_provider=\"openai\",ai_model=\"gpt-4o\",cache_status=\"\",vector_db=\"\","
      "embeddings_provider=\"\",embeddings_model=\"\"";
  EXPECT_EQ(p.Get("kong_ai_llm_tokens_total{" + gpt_labels +
                  ",token_type=\"completion_tokens\",workspace=\"default\"}"),
            gu->completion_tokens);

  // A client leaving Kong mid-stream: Kong abandons the upstream, and the NIM aborts.
  Streamed cut = Stream(client, Base(kong.port()) + "/v1/chat/completions", kStreamChat, 3);
  EXPECT_NE(cut.error.find("Cancelled"), std::string::npos) << cut.error;
  const std::string l = "{model_name=\"meta/llama-3.1-8b-instruct\"}";
  double failures = 0;
  for (int i = 0; i < 300 && failures == 0; ++i) {
    failures = ParseText(nim.Metrics()).Get("request_failure_total" + l);
    if (failures == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(failures, 1);
  kong.Shutdown();
  nim.Shutdown();
}

TEST(Lifecycle, ShutdownWithoutStartAndTwice) {
  {
    LlmSimulator never(Fast(Flavor::kVllm));
    never.Shutdown();
    never.Shutdown();
  }
  LlmSimulator sim(Fast(Flavor::kNim));
  ASSERT_TRUE(sim.Start().ok());
  sim.Shutdown();
  sim.Shutdown();
  // Metrics stay readable after the stop.
  EXPECT_EQ(ParseText(sim.Metrics()).error, "");
  KongSimulatorOptions ko;
  ko.listen_address = "127.0.0.1:0";
  KongSimulator kong(ko);
  kong.Shutdown();
  kong.Shutdown();
}

}  // namespace
}  // namespace astrolabe::sim
