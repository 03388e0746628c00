// Real GenAI clients end to end: openai@6 calling `astrolabe sim nim` THROUGH `astrolabe sim
// kong` (chat, streamed chat, embeddings, a request the NIM fails), traced by
//   a. @opentelemetry/instrumentation-openai 0.22.0 with the OpenTelemetry JS SDK 3.x
//      (tests/js/genai_otel_client.js; traces, metrics and logs over OTLP/protobuf), and
//   b. OpenLLMetry, @traceloop/node-server-sdk 0.27.0 (tests/js/traceloop/; its own
//      node_modules, OpenTelemetry JS 0.203; loopback only),
// both exporting to `astrolabe server --auth none`. After the server stops, its span store
// (<data>/spans, read with src/spanstore) must hold the spans those clients reported, with
// the model, the token counts the client was told and the error.

#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <regex>
#include <string>
#include <thread>

#include "process.h"
#include "spanstore/span_store.h"

namespace astrolabe::e2e {
namespace {

using namespace std::chrono_literals;

constexpr const char* kModel = "meta/llama-3.1-8b-instruct";

bool Eventually(const std::function<bool()>& condition, std::chrono::milliseconds limit = 30s) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (condition()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return condition();
}

// A flat figure of the clients' `facts` object ({"facts":{"chat_in":11,...},...}); -2 when
// absent.
int64_t Fact(const std::string& out, const std::string& name) {
  std::smatch m;
  std::regex re("\"" + name + "\":(-?[0-9]+)");
  return std::regex_search(out, m, re) ? std::stoll(m[1]) : -2;
}

// `astrolabe sim ...` on a free loopback port, ready when `ready_path` answers 200.
struct Sim {
  Subprocess proc;
  int port = 0;
  bool Start(std::vector<std::string> args, const std::string& ready_path) {
    port = FreePort();
    std::vector<std::string> argv = {AstrolabeBinary(), "sim"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--listen", "127.0.0.1:" + std::to_string(port)});
    if (!proc.Start(argv)) return false;
    return Eventually([&] { return HttpGet(port, ready_path).status == 200; });
  }
  ~Sim() {
    if (proc.running()) {
      proc.Signal(SIGTERM);
      proc.Wait(10s);
    }
  }
};

class GenAiE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(std::filesystem::exists("node_modules/@opentelemetry/instrumentation-openai"))
        << "tests/node_modules is missing or old: run scripts/setup (npm ci in tests/)";
    ASSERT_TRUE(std::filesystem::exists("js/traceloop/node_modules/@traceloop/node-server-sdk"))
        << "tests/js/traceloop/node_modules is missing: run scripts/setup (npm ci there)";
    data_ = std::filesystem::path(WriteTempFile("x", "")).parent_path().string() + "/data";
    otlp_ = FreePort();
    health_ = FreePort();
    ASSERT_TRUE(server_.Start({AstrolabeBinary(), "server", "--auth", "none", "--data", data_,
                               "--http", "127.0.0.1:" + std::to_string(FreePort()), "--otlp-http",
                               "127.0.0.1:" + std::to_string(otlp_), "--otlp-grpc",
                               "127.0.0.1:" + std::to_string(FreePort()), "--health",
                               "127.0.0.1:" + std::to_string(health_)}));
    ASSERT_TRUE(Eventually([&] { return HttpGet(health_, "/").status == 200; }))
        << server_.Stderr();
    // Real time (time scale 1): a 16-token stream takes about a quarter of a second, token
    // by token, so the clients see a stream that is really streamed.
    ASSERT_TRUE(nim_.Start({"nim", "--rate", "0", "--error-rate", "0"}, "/v1/metrics"));
    ASSERT_TRUE(kong_.Start({"kong", "--rate", "0", "--upstream",
                             "http://127.0.0.1:" + std::to_string(nim_.port) + "/v1"},
                            "/metrics"));
  }

  void TearDown() override {
    if (server_.running()) {
      server_.Signal(SIGTERM);
      server_.Wait(30s);
    }
  }

  // Runs a client script against Kong; its stdout.
  std::string RunClient(const std::string& script) {
    RunResult run =
        RunProcess({"node", script, "http://127.0.0.1:" + std::to_string(kong_.port) + "/v1",
                    "http://127.0.0.1:" + std::to_string(otlp_), kModel},
                   120s);
    EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
    return run.out;
  }

  // Stops the server (it flushes and closes its store) and opens the span store.
  std::unique_ptr<spanstore::SpanStore> StopAndOpenStore() {
    server_.Signal(SIGTERM);
    auto code = server_.Wait(30s);
    EXPECT_EQ(code, std::optional<int>(0)) << server_.Stderr();
    auto store = spanstore::SpanStore::Open(data_ + "/spans");
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(*store) : nullptr;
  }

  // Every span of `service`, with its whole record.
  static std::vector<spanstore::StoredSpan> SpansOf(spanstore::SpanStore& store,
                                                    const std::string& service) {
    spanstore::SpanQuery q;
    q.service = service;
    q.limit = 1000;
    auto found = store.Search(q);
    EXPECT_TRUE(found.ok()) << found.status().ToString();
    std::vector<spanstore::StoredSpan> out;
    if (!found.ok()) return out;
    for (const auto& summary : found->spans) {
      auto trace = store.GetTrace(summary.trace_id);
      if (!trace.ok()) continue;
      for (auto& s : trace->spans) {
        if (s.span.span_id == summary.span_id) out.push_back(std::move(s));
      }
    }
    return out;
  }

  std::string data_;
  int otlp_ = 0, health_ = 0;
  Subprocess server_;
  Sim nim_, kong_;
};

std::string Describe(const std::vector<spanstore::StoredSpan>& spans) {
  std::string out;
  for (const auto& s : spans) {
    out += "  " + s.span.name + " op=" + s.genai.operation + " model=" + s.genai.model +
           " in=" + std::to_string(s.genai.input_tokens) +
           " out=" + std::to_string(s.genai.output_tokens) +
           " status=" + std::to_string(static_cast<int>(s.span.status.code)) + "\n";
  }
  return out;
}

TEST_F(GenAiE2e, OpenTelemetryInstrumentationAndOpenLLMetryThroughKongToNim) {
  const std::string otel = RunClient("js/genai_otel_client.js");
  const std::string traceloop = RunClient("js/traceloop/genai_traceloop_client.js");
  for (const std::string* out : {&otel, &traceloop}) {
    EXPECT_GT(Fact(*out, "chat_out"), 0) << *out;
    EXPECT_GT(Fact(*out, "stream_out"), 0) << *out;
    EXPECT_GT(Fact(*out, "stream_chunks"), 3) << *out;
    EXPECT_GT(Fact(*out, "emb_in"), 0) << *out;
    EXPECT_EQ(Fact(*out, "error_status"), 500) << *out;
  }
  EXPECT_NE(traceloop.find(R"("outside":[])"), std::string::npos) << traceloop;
  // Streamed through Kong token by token: the stream took its decode time after the first
  // chunk (16 tokens of >= 14 ms; half of that, for a loaded machine).
  EXPECT_GE(Fact(otel, "stream_ms") - Fact(otel, "first_chunk_ms"),
            (Fact(otel, "stream_out") - 1) * 14 / 2)
      << otel;
  // Kong counted the eight requests of the two clients.
  HttpResult km = HttpGet(kong_.port, "/metrics");
  EXPECT_NE(km.body.find("kong_ai_llm_requests_total{ai_provider=\"openai\",ai_model=\"" +
                         std::string(kModel) +
                         "\",cache_status=\"\",vector_db=\"\",embeddings_provider=\"\","
                         "embeddings_model=\"\",workspace=\"default\"} 8"),
            std::string::npos)
      << km.body;

  auto store = StopAndOpenStore();
  ASSERT_NE(store, nullptr);

  // a. instrumentation-openai: chat, streamed chat, embeddings and the failed chat, each a
  // CLIENT span with the model and the exact usage the client was told.
  auto spans = SpansOf(*store, "genai-e2e-otel");
  ASSERT_EQ(spans.size(), 4u) << Describe(spans);
  std::map<std::string, int> seen;
  for (const auto& s : spans) {
    SCOPED_TRACE(Describe({s}));
    EXPECT_EQ(s.genai.model, kModel);
    EXPECT_EQ(s.span.kind, pdata::SpanKind::kClient);
    if (s.genai.operation == "embeddings") {
      ++seen["embeddings"];
      EXPECT_EQ(s.genai.input_tokens, Fact(otel, "emb_in"));
    } else if (s.span.status.code == pdata::SpanStatus::Code::kError) {
      ++seen["error"];
      EXPECT_EQ(s.genai.operation, "chat");
      EXPECT_EQ(s.genai.output_tokens, -1);
    } else if (s.genai.output_tokens == Fact(otel, "stream_out") &&
               s.genai.input_tokens == Fact(otel, "stream_in")) {
      ++seen["stream"];
      EXPECT_EQ(s.genai.operation, "chat");
    } else {
      ++seen["chat"];
      EXPECT_EQ(s.genai.operation, "chat");
      EXPECT_EQ(s.genai.input_tokens, Fact(otel, "chat_in"));
      EXPECT_EQ(s.genai.output_tokens, Fact(otel, "chat_out"));
    }
  }
  EXPECT_EQ(seen, (std::map<std::string, int>{
                      {"chat", 1}, {"embeddings", 1}, {"error", 1}, {"stream", 1}}))
      << Describe(spans);
  // The server's genai processor normalised them before the store indexed them: the
  // canonical keys next to the originals, and the cost at the built-in
  // meta/llama-3.1-8b-instruct price (0.20 per 1M input and output tokens).
  for (const auto& s : spans) {
    SCOPED_TRACE(Describe({s}));
    const pdata::AnyValue* dialect =
        pdata::FindAttribute(s.span.attributes, "astrolabe.genai.dialect");
    ASSERT_NE(dialect, nullptr);
    EXPECT_EQ(dialect->string_value(), "otel");
    const pdata::AnyValue* provider = pdata::FindAttribute(s.span.attributes, "gen_ai.provider.name");
    ASSERT_NE(provider, nullptr);  // from the instrumentation's gen_ai.system
    EXPECT_EQ(provider->string_value(), "openai");
    if (s.span.status.code == pdata::SpanStatus::Code::kError) {
      EXPECT_TRUE(std::isnan(s.genai.cost));
      continue;
    }
    int64_t tokens = s.genai.input_tokens + std::max<int64_t>(s.genai.output_tokens, 0);
    EXPECT_NEAR(s.genai.cost, tokens * 0.20e-6, 1e-15);
    const pdata::AnyValue* currency =
        pdata::FindAttribute(s.span.attributes, "astrolabe.genai.cost.currency");
    ASSERT_NE(currency, nullptr);
    EXPECT_EQ(currency->string_value(), "USD");
  }

  // b. OpenLLMetry: its chat and streamed-chat spans, and the application's span for the
  // failed call (OpenLLMetry 0.27 ends its own span only on success, and makes no embeddings
  // span). Its streamed span carries its own tiktoken estimate, not the usage chunk (0 for a
  // model tiktoken does not know), so only the non-streamed chat's tokens are exact.
  auto tl = SpansOf(*store, "genai-e2e-traceloop");
  ASSERT_EQ(tl.size(), 3u) << Describe(tl);
  seen.clear();
  for (const auto& s : tl) {
    SCOPED_TRACE(Describe({s}));
    EXPECT_EQ(s.genai.model, kModel);
    EXPECT_EQ(s.genai.operation, "chat");
    if (s.span.status.code == pdata::SpanStatus::Code::kError) {
      ++seen["error"];
      EXPECT_EQ(s.span.name, "failing chat");
      EXPECT_EQ(s.scope.name, "genai-e2e-app");
      ASSERT_FALSE(s.span.events.empty());
      EXPECT_EQ(s.span.events[0].name, "exception");
    } else if (s.genai.input_tokens == Fact(traceloop, "chat_in") &&
               s.genai.output_tokens == Fact(traceloop, "chat_out")) {
      ++seen["chat"];
      EXPECT_EQ(s.span.kind, pdata::SpanKind::kClient);
    } else {
      ++seen["stream"];
      EXPECT_EQ(s.span.kind, pdata::SpanKind::kClient);
    }
  }
  EXPECT_EQ(seen, (std::map<std::string, int>{{"chat", 1}, {"error", 1}, {"stream", 1}}))
      << Describe(tl);
}

}  // namespace
}  // namespace astrolabe::e2e
