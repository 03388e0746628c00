// Spans and logs captured from the real npm clients (scripts/capture_genai_spans:
// openai@6 + @opentelemetry/instrumentation-openai, and OpenLLMetry
// @traceloop/node-server-sdk 0.27.0, against `astrolabe sim nim`), decoded from the
// OTLP/protobuf bodies they sent, then normalised.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "genai/normalize.h"
#include "wire/otlp_proto.h"

namespace astrolabe::genai {
namespace {

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<pdata::Span> SpansIn(const std::string& dir) {
  std::vector<pdata::Span> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().filename().string().rfind("traces-", 0) != 0) continue;
    Result<pdata::Traces> t = wire::DecodeTracesRequest(ReadFile(e.path()));
    EXPECT_TRUE(t.ok()) << e.path() << ": " << t.status().ToString();
    if (!t.ok()) continue;
    for (auto& rs : t->resource_spans) {
      for (auto& ss : rs.scope_spans) {
        for (auto& s : ss.spans) out.push_back(std::move(s));
      }
    }
  }
  return out;
}

std::vector<pdata::LogRecord> LogsIn(const std::string& dir) {
  std::vector<pdata::LogRecord> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().filename().string().rfind("logs-", 0) != 0) continue;
    Result<pdata::Logs> l = wire::DecodeLogsRequest(ReadFile(e.path()));
    EXPECT_TRUE(l.ok()) << e.path() << ": " << l.status().ToString();
    if (!l.ok()) continue;
    for (auto& rl : l->resource_logs) {
      for (auto& sl : rl.scope_logs) {
        for (auto& r : sl.log_records) out.push_back(std::move(r));
      }
    }
  }
  return out;
}

// A figure of the client's printed `facts` object.
int64_t Fact(const std::string& dir, const std::string& name) {
  std::smatch m;
  std::string out = ReadFile(dir + "/client_output.json");
  return std::regex_search(out, m, std::regex("\"" + name + "\":(-?[0-9]+)")) ? std::stoll(m[1])
                                                                              : -2;
}

Normalizer WithBuiltInPrices() {
  PriceBook book;
  book.Add(std::shared_ptr<const PriceTable>(&PriceTable::BuiltIn(), [](const PriceTable*) {}));
  return Normalizer({}, std::move(book));
}

const pdata::AnyValue* Get(const pdata::Attributes& a, std::string_view key) {
  return pdata::FindAttribute(a, key);
}
int64_t Int(const pdata::Attributes& a, std::string_view key) {
  const pdata::AnyValue* v = Get(a, key);
  return v != nullptr && v->type() == pdata::AnyValue::Type::kInt ? v->int_value() : -1;
}
std::string Str(const pdata::Attributes& a, std::string_view key) {
  const pdata::AnyValue* v = Get(a, key);
  return v != nullptr && v->type() == pdata::AnyValue::Type::kString ? v->string_value()
                                                                     : "<absent>";
}
// meta/llama-3.1-8b-instruct in the built-in table: 0.20 per 1M input and output tokens.
constexpr double kLlamaPrice = 0.20 / 1e6;

// openai@6 + @opentelemetry/instrumentation-openai (OTel GenAI conventions ≤ v1.36:
// gen_ai.system, usage input/output tokens, messages as log events).
TEST(Captured, OtelContribInstrumentation) {
  const std::string dir = "testdata/captured/otel";
  std::vector<pdata::Span> spans = SpansIn(dir);
  ASSERT_EQ(spans.size(), 4u);  // chat, streamed chat, embeddings, failed chat
  int chats = 0, embeddings = 0, errors = 0;
  for (pdata::Span& s : spans) {
    Outcome o = WithBuiltInPrices().NormalizeSpan(s);
    const pdata::Attributes& a = s.attributes;
    ASSERT_TRUE(o.recognised) << s.name;
    EXPECT_EQ(o.dialect, Dialect::kOtel);
    EXPECT_EQ(o.malformed, 0);
    EXPECT_EQ(Str(a, "gen_ai.provider.name"), "openai");  // from gen_ai.system
    EXPECT_EQ(Str(a, "gen_ai.system"), "openai");         // original kept
    if (Get(a, "error.type") != nullptr) {
      ++errors;
      EXPECT_FALSE(o.cost_applied);
      EXPECT_FALSE(o.unknown_model);  // nothing to price
      continue;
    }
    ASSERT_TRUE(o.cost_applied) << s.name;
    double cost = Get(a, "astrolabe.genai.cost")->double_value();
    if (Str(a, "gen_ai.operation.name") == "embeddings") {
      ++embeddings;
      EXPECT_EQ(Int(a, "gen_ai.usage.input_tokens"), Fact(dir, "emb_in"));
      EXPECT_NEAR(cost, Fact(dir, "emb_in") * kLlamaPrice, 1e-15);
      continue;
    }
    ++chats;
    int64_t in = Int(a, "gen_ai.usage.input_tokens"), out = Int(a, "gen_ai.usage.output_tokens");
    bool streamed = in == Fact(dir, "stream_in");
    EXPECT_EQ(in, Fact(dir, streamed ? "stream_in" : "chat_in"));
    EXPECT_EQ(out, Fact(dir, streamed ? "stream_out" : "chat_out"));
    EXPECT_NEAR(cost, (in + out) * kLlamaPrice, 1e-15);
    EXPECT_EQ(pdata::AnyValueToString(*Get(a, "gen_ai.response.finish_reasons")), "[\"length\"]");
  }
  EXPECT_EQ(chats, 2);
  EXPECT_EQ(embeddings, 1);
  EXPECT_EQ(errors, 1);

  // Its message events are log records named by the attribute event.name (event_name empty).
  std::vector<pdata::LogRecord> logs = LogsIn(dir);
  ASSERT_EQ(logs.size(), 5u);
  int inputs = 0, outputs = 0;
  for (pdata::LogRecord& r : logs) {
    EXPECT_TRUE(r.event_name.empty());
    Outcome o = WithBuiltInPrices().NormalizeLog(r);
    ASSERT_TRUE(o.recognised);
    EXPECT_EQ(o.malformed, 0);
    EXPECT_EQ(Str(r.attributes, "gen_ai.provider.name"), "openai");
    if (Get(r.attributes, "gen_ai.output.messages") != nullptr) {
      ++outputs;
      EXPECT_EQ(Str(r.attributes, "gen_ai.output.messages")
                    .rfind(R"([{"role":"assistant","parts":[{"type":"text","content":")", 0),
                0u);
      EXPECT_NE(Str(r.attributes, "gen_ai.output.messages").find(R"("finish_reason":"length"})"),
                std::string::npos);
    } else {
      ++inputs;
      EXPECT_EQ(Str(r.attributes, "gen_ai.input.messages")
                    .rfind(R"([{"role":"user","parts":[{"type":"text","content":")", 0),
                0u);
    }
  }
  EXPECT_EQ(inputs, 3);   // chat, stream, failed chat
  EXPECT_EQ(outputs, 2);  // chat, stream
}

// OpenLLMetry-JS 0.27.0: already the current conventions (semconv 1.40); no usage on the
// streamed span (pitfall 20), so no cost there; messages kept exactly as sent.
TEST(Captured, TraceloopSdk) {
  const std::string dir = "testdata/captured/traceloop";
  std::vector<pdata::Span> spans = SpansIn(dir);
  ASSERT_EQ(spans.size(), 3u);
  int priced = 0, unpriced = 0;
  for (pdata::Span& s : spans) {
    std::string input_before = Str(s.attributes, "gen_ai.input.messages");
    Outcome o = WithBuiltInPrices().NormalizeSpan(s);
    const pdata::Attributes& a = s.attributes;
    ASSERT_TRUE(o.recognised) << s.name;
    EXPECT_EQ(o.dialect, Dialect::kOtel);
    EXPECT_EQ(o.malformed, 0);
    EXPECT_EQ(Str(a, "gen_ai.input.messages"), input_before);
    if (Get(a, "gen_ai.usage.input_tokens") == nullptr) {
      ++unpriced;
      EXPECT_FALSE(o.cost_applied);
      continue;
    }
    ++priced;
    EXPECT_EQ(Int(a, "gen_ai.usage.input_tokens"), Fact(dir, "chat_in"));
    EXPECT_EQ(Int(a, "gen_ai.usage.output_tokens"), Fact(dir, "chat_out"));
    EXPECT_NEAR(Get(a, "astrolabe.genai.cost")->double_value(),
                (Fact(dir, "chat_in") + Fact(dir, "chat_out")) * kLlamaPrice, 1e-15);
    EXPECT_EQ(Str(a, "astrolabe.genai.cost.currency"), "USD");
  }
  EXPECT_EQ(priced, 1);
  EXPECT_EQ(unpriced, 2);  // the stream (no usage) and the application's failed-call span
}

}  // namespace
}  // namespace astrolabe::genai
