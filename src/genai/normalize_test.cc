#include "genai/normalize.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "wire/otlp_json.h"

namespace astrolabe::genai {
namespace {

using pdata::AnyValue;
using pdata::Attributes;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Normalizer WithBuiltInPrices(NormalizerOptions options = {}) {
  PriceBook book;
  book.Add(std::shared_ptr<const PriceTable>(&PriceTable::BuiltIn(), [](const PriceTable*) {}));
  return Normalizer(options, std::move(book));
}

const AnyValue* Get(const pdata::Span& s, std::string_view key) {
  return pdata::FindAttribute(s.attributes, key);
}
std::string Str(const pdata::Span& s, std::string_view key) {
  const AnyValue* v = Get(s, key);
  return v != nullptr && v->type() == AnyValue::Type::kString ? v->string_value() : "<absent>";
}
int64_t Int(const pdata::Span& s, std::string_view key) {
  const AnyValue* v = Get(s, key);
  return v != nullptr && v->type() == AnyValue::Type::kInt ? v->int_value() : -1;
}
std::string Reasons(const pdata::Span& s) {
  const AnyValue* v = Get(s, "gen_ai.response.finish_reasons");
  return v == nullptr ? "<absent>" : pdata::AnyValueToString(*v);
}

pdata::Span SpanWith(Attributes attrs) {
  pdata::Span s;
  s.name = "test";
  s.start_time_unix_nano = 1'795'000'000'000'000'000ull;
  s.attributes = std::move(attrs);
  return s;
}

TEST(Normalize, SampleSpanOfTheNoteThroughTheJsonDecoder) {
  Result<pdata::Traces> traces = wire::DecodeTracesJson(ReadFile("testdata/sample_span_3_5.json"));
  ASSERT_TRUE(traces.ok()) << traces.status().ToString();
  pdata::Span& span = traces->resource_spans[0].scope_spans[0].spans[0];
  size_t before = span.attributes.size();
  Outcome o = WithBuiltInPrices().NormalizeSpan(span);
  EXPECT_TRUE(o.recognised);
  EXPECT_EQ(o.dialect, Dialect::kOpenLlmetry);
  EXPECT_EQ(o.malformed, 0);
  EXPECT_TRUE(o.cost_applied);
  EXPECT_EQ(Str(span, "astrolabe.genai.dialect"), "openllmetry");
  EXPECT_EQ(Str(span, "gen_ai.operation.name"), "chat");
  EXPECT_EQ(Str(span, "gen_ai.provider.name"), "azure.ai.openai");
  EXPECT_EQ(Int(span, "gen_ai.usage.input_tokens"), 33);
  EXPECT_EQ(Int(span, "gen_ai.usage.output_tokens"), 61);
  EXPECT_EQ(Reasons(span), "[\"stop\"]");
  EXPECT_EQ(
      Str(span, "gen_ai.input.messages"),
      R"([{"role":"system","parts":[{"type":"text","content":"You are a helpful support assistant."}]},)"
      R"({"role":"user","parts":[{"type":"text","content":"How do I reset my password?"}]}])");
  EXPECT_EQ(
      Str(span, "gen_ai.output.messages"),
      R"([{"role":"assistant","parts":[{"type":"text","content":"Open Settings > Security and choose Reset password."}],"finish_reason":"stop"}])");
  ASSERT_NE(Get(span, "gen_ai.request.stream"), nullptr);
  EXPECT_FALSE(Get(span, "gen_ai.request.stream")->bool_value());
  EXPECT_EQ(Str(span, "server.address"), "contoso.openai.azure.com");
  EXPECT_EQ(Int(span, "server.port"), 443);
  EXPECT_EQ(Str(span, "openai.response.system_fingerprint"), "fp_5f20662549");
  ASSERT_NE(Get(span, "astrolabe.genai.cost"), nullptr);
  // gpt-4o-2024-08-06 priced as gpt-4o (2.50 / 10.00 per 1M): 33 × 2.5e-6 + 61 × 1e-5.
  EXPECT_NEAR(Get(span, "astrolabe.genai.cost")->double_value(), 0.0006925, 1e-12);
  EXPECT_EQ(Str(span, "astrolabe.genai.cost.currency"), "USD");
  // Originals kept; the filter results are no message index.
  EXPECT_EQ(Str(span, "gen_ai.system"), "Azure");
  EXPECT_EQ(Str(span, "gen_ai.prompt.1.content"), "How do I reset my password?");
  EXPECT_NE(Get(span, "gen_ai.prompt.prompt_filter_results"), nullptr);
  EXPECT_GT(span.attributes.size(), before);

  // Idempotent: a second pass adds nothing (every key is present).
  size_t after = span.attributes.size();
  WithBuiltInPrices().NormalizeSpan(span);
  EXPECT_EQ(span.attributes.size(), after);
}

TEST(Normalize, DropsMappedOriginalsWhenAsked) {
  Result<pdata::Traces> traces = wire::DecodeTracesJson(ReadFile("testdata/sample_span_3_5.json"));
  ASSERT_TRUE(traces.ok());
  pdata::Span& span = traces->resource_spans[0].scope_spans[0].spans[0];
  NormalizerOptions opts;
  opts.keep_original_attributes = false;
  WithBuiltInPrices(opts).NormalizeSpan(span);
  for (std::string_view gone :
       {"gen_ai.system", "llm.request.type", "gen_ai.usage.prompt_tokens",
        "gen_ai.usage.completion_tokens", "gen_ai.prompt.0.role", "gen_ai.completion.0.content",
        "llm.is_streaming", "gen_ai.openai.system_fingerprint"}) {
    EXPECT_EQ(Get(span, gone), nullptr) << gone;
  }
  // Kept: no canonical counterpart.
  for (std::string_view kept :
       {"gen_ai.completion.0.content_filter_results", "gen_ai.prompt.prompt_filter_results",
        "gen_ai.openai.api_version", "llm.usage.total_tokens", "gen_ai.input.messages"}) {
    EXPECT_NE(Get(span, kept), nullptr) << kept;
  }
}

TEST(Normalize, LegacyIndicesInNumericOrderSparseAndToolCalls) {
  // Pitfall 17: gen_ai.prompt.10 sorts before gen_ai.prompt.2 as text.
  Attributes a = {{"llm.request.type", "chat"},
                  {"gen_ai.system", "OpenAI"},
                  {"gen_ai.request.model", "gpt-4o-mini"}};
  a.push_back({"gen_ai.prompt.10.role", "user"});
  a.push_back({"gen_ai.prompt.10.content", "ten"});
  a.push_back({"gen_ai.prompt.2.role", "assistant"});
  a.push_back({"gen_ai.prompt.2.content", "two"});
  a.push_back({"gen_ai.prompt.3.role", "tool"});
  a.push_back({"gen_ai.prompt.3.content", "18C"});
  a.push_back({"gen_ai.prompt.3.tool_call_id", "call_9"});
  a.push_back({"gen_ai.completion.0.role", "assistant"});
  a.push_back({"gen_ai.completion.0.finish_reason", "tool_calls"});
  a.push_back({"gen_ai.completion.0.tool_calls.1.name", "second"});
  a.push_back({"gen_ai.completion.0.tool_calls.0.id", "call_1"});
  a.push_back({"gen_ai.completion.0.tool_calls.0.name", "get_weather"});
  a.push_back({"gen_ai.completion.0.tool_calls.0.arguments", "{\"city\": \"Paris\"}"});
  a.push_back({"gen_ai.completion.0.tool_calls.1.arguments", "{broken"});
  a.push_back({"gen_ai.usage.prompt_tokens", 100});
  a.push_back({"gen_ai.usage.completion_tokens", 20});
  pdata::Span s = SpanWith(a);
  Outcome o = WithBuiltInPrices().NormalizeSpan(s);
  ASSERT_TRUE(o.recognised);
  EXPECT_EQ(Str(s, "gen_ai.provider.name"), "openai");  // legacy JS "OpenAI" (pitfall 16)
  EXPECT_EQ(
      Str(s, "gen_ai.input.messages"),
      R"([{"role":"assistant","parts":[{"type":"text","content":"two"}]},)"
      R"({"role":"tool","parts":[{"type":"tool_call_response","id":"call_9","response":"18C"}]},)"
      R"({"role":"user","parts":[{"type":"text","content":"ten"}]}])");
  EXPECT_EQ(
      Str(s, "gen_ai.output.messages"),
      R"([{"role":"assistant","parts":[{"type":"tool_call","id":"call_1","name":"get_weather","arguments":{"city":"Paris"}},)"
      R"({"type":"tool_call","name":"second","arguments":"{broken"}],"finish_reason":"tool_calls"}])");
  EXPECT_EQ(Reasons(s), "[\"tool_calls\"]");
  EXPECT_NEAR(Get(s, "astrolabe.genai.cost")->double_value(), (100 * 0.15 + 20 * 0.6) / 1e6, 1e-15);
}

TEST(Normalize, LegacyEmbeddingAndCompletionOperations) {
  // Pitfall 22: embedding → embeddings, completion → text_completion.
  for (auto [type, want] : {std::pair{"embedding", "embeddings"},
                            {"completion", "text_completion"},
                            {"rerank", "rerank"},
                            {"chat", "chat"}}) {
    pdata::Span s = SpanWith({{"llm.request.type", type}, {"gen_ai.request.model", "m"}});
    Normalizer().NormalizeSpan(s);
    EXPECT_EQ(Str(s, "gen_ai.operation.name"), want) << type;
  }
}

TEST(Normalize, MixedLegacyAndNewKeysPreferNew) {
  // Pitfall 15: Python OpenLLMetry 0.48–0.54 mixed gen_ai.system with the new usage keys.
  pdata::Span s = SpanWith({{"llm.request.type", "chat"},
                            {"gen_ai.system", "openai"},
                            {"gen_ai.provider.name", "custom"},
                            {"gen_ai.request.model", "gpt-4o"},
                            {"gen_ai.usage.input_tokens", 10},
                            {"gen_ai.usage.prompt_tokens", 99},
                            {"gen_ai.usage.output_tokens", 5},
                            {"gen_ai.usage.cache_read_input_tokens", 4}});
  Outcome o = WithBuiltInPrices().NormalizeSpan(s);
  EXPECT_EQ(o.dialect, Dialect::kOpenLlmetry);
  EXPECT_EQ(Str(s, "gen_ai.provider.name"), "custom");  // never overwritten
  EXPECT_EQ(Int(s, "gen_ai.usage.input_tokens"), 10);
  EXPECT_EQ(Int(s, "gen_ai.usage.cache_read.input_tokens"), 4);
  // 6 uncached × 2.5 + 4 cached × 1.25 + 5 × 10.
  EXPECT_NEAR(Get(s, "astrolabe.genai.cost")->double_value(), (15 + 5 + 50) / 1e6, 1e-15);
}

TEST(Normalize, OpenInferenceLlmSpan) {
  pdata::Span s = SpanWith({
      {"openinference.span.kind", "LLM"},
      {"llm.model_name", "claude-3-5-sonnet-20241022"},
      {"llm.provider", "anthropic"},
      {"llm.system", "anthropic"},
      {"llm.token_count.prompt", 1200},
      {"llm.token_count.completion", 300},
      {"llm.token_count.total", 1500},
      {"llm.token_count.prompt_details.cache_read", 1000},
      {"llm.token_count.prompt_details.cache_write", 100},
      {"llm.invocation_parameters", R"({"max_tokens": 512, "temperature": 0.2, "stream": true})"},
      {"llm.input_messages.0.message.role", "system"},
      {"llm.input_messages.0.message.content", "Be brief."},
      {"llm.input_messages.1.message.role", "user"},
      {"llm.input_messages.1.message.contents.0.message_content.type", "text"},
      {"llm.input_messages.1.message.contents.0.message_content.text", "Weather?"},
      {"llm.output_messages.0.message.role", "assistant"},
      {"llm.output_messages.0.message.tool_calls.0.tool_call.id", "toolu_1"},
      {"llm.output_messages.0.message.tool_calls.0.tool_call.function.name", "weather"},
      {"llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments",
       "{\"c\":\"Oslo\"}"},
      {"input.value", "{\"messages\": []}"},
      {"output.value", "ignored: indexed messages win"},
  });
  Outcome o = WithBuiltInPrices().NormalizeSpan(s);
  ASSERT_TRUE(o.recognised);
  EXPECT_EQ(o.dialect, Dialect::kOpenInference);
  EXPECT_EQ(o.malformed, 0);
  EXPECT_EQ(Str(s, "astrolabe.genai.dialect"), "openinference");
  EXPECT_EQ(Str(s, "gen_ai.operation.name"), "chat");
  EXPECT_EQ(Str(s, "gen_ai.provider.name"), "anthropic");
  EXPECT_EQ(Str(s, "gen_ai.request.model"), "claude-3-5-sonnet-20241022");
  EXPECT_EQ(Int(s, "gen_ai.usage.input_tokens"), 1200);
  EXPECT_EQ(Int(s, "gen_ai.usage.output_tokens"), 300);
  EXPECT_EQ(Int(s, "gen_ai.usage.cache_read.input_tokens"), 1000);
  EXPECT_EQ(Int(s, "gen_ai.usage.cache_creation.input_tokens"), 100);
  EXPECT_EQ(Int(s, "gen_ai.request.max_tokens"), 512);
  EXPECT_TRUE(Get(s, "gen_ai.request.stream")->bool_value());
  EXPECT_EQ(Str(s, "gen_ai.input.messages"),
            R"([{"role":"system","parts":[{"type":"text","content":"Be brief."}]},)"
            R"({"role":"user","parts":[{"type":"text","content":"Weather?"}]}])");
  EXPECT_EQ(
      Str(s, "gen_ai.output.messages"),
      R"([{"role":"assistant","parts":[{"type":"tool_call","id":"toolu_1","name":"weather","arguments":{"c":"Oslo"}}]}])");
  // 100 uncached × 3 + 1000 × 0.30 + 100 × 3.75 + 300 × 15, per 1M.
  EXPECT_NEAR(Get(s, "astrolabe.genai.cost")->double_value(), (300 + 300 + 375 + 4500) / 1e6,
              1e-15);
}

TEST(Normalize, OpenInferenceValuesAndSpanKinds) {
  pdata::Span s = SpanWith({
      {"openinference.span.kind", "LLM"},
      {"llm.model_name", "gpt-4o-mini"},
      {"input.value", R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}]})"},
      {"input.mime_type", "application/json"},
      {"output.value",
       R"({"choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"Hello"}}]})"},
  });
  Normalizer().NormalizeSpan(s);
  EXPECT_EQ(Str(s, "gen_ai.input.messages"),
            R"([{"role":"user","parts":[{"type":"text","content":"Hi"}]}])");
  EXPECT_EQ(
      Str(s, "gen_ai.output.messages"),
      R"([{"role":"assistant","parts":[{"type":"text","content":"Hello"}],"finish_reason":"stop"}])");
  EXPECT_EQ(Reasons(s), "[\"stop\"]");

  pdata::Span text = SpanWith({{"openinference.span.kind", "LLM"},
                               {"llm.model_name", "m"},
                               {"input.value", "plain question"},
                               {"output.value", "plain answer"}});
  Normalizer().NormalizeSpan(text);
  EXPECT_EQ(Str(text, "gen_ai.output.messages"),
            R"([{"role":"assistant","parts":[{"type":"text","content":"plain answer"}]}])");

  pdata::Span emb = SpanWith({{"openinference.span.kind", "EMBEDDING"},
                              {"embedding.model_name", "text-embedding-3-small"},
                              {"llm.token_count.prompt", 8}});
  Normalizer().NormalizeSpan(emb);
  EXPECT_EQ(Str(emb, "gen_ai.operation.name"), "embeddings");
  EXPECT_EQ(Str(emb, "gen_ai.request.model"), "text-embedding-3-small");

  // A chain or tool span is no LLM call: untouched.
  pdata::Span chain = SpanWith({{"openinference.span.kind", "CHAIN"}, {"input.value", "x"}});
  EXPECT_FALSE(Normalizer().NormalizeSpan(chain).recognised);
  EXPECT_EQ(chain.attributes.size(), 2u);
}

TEST(Normalize, CurrentConventionSpanKeepsEverythingAndGetsCost) {
  pdata::Span s = SpanWith({
      {"gen_ai.operation.name", "chat"},
      {"gen_ai.provider.name", "openai"},
      {"gen_ai.request.model", "gpt-4o"},
      {"gen_ai.usage.input_tokens", 25},
      {"gen_ai.usage.output_tokens", 12},
      {"gen_ai.usage.reasoning.output_tokens", 2},
      {"gen_ai.response.finish_reasons", pdata::ArrayValue{AnyValue("length")}},
      {"gen_ai.output.messages", R"([{"role":"assistant","parts":[],"finish_reason":"stop"}])"},
      {"gen_ai.response.time_to_first_chunk", 0.125},
  });
  Outcome o = WithBuiltInPrices().NormalizeSpan(s);
  EXPECT_EQ(o.dialect, Dialect::kOtel);
  EXPECT_EQ(Reasons(s), "[\"length\"]");  // present: not rebuilt from the messages
  EXPECT_EQ(Str(s, "gen_ai.output.messages"),
            R"([{"role":"assistant","parts":[],"finish_reason":"stop"}])");
  EXPECT_EQ(Get(s, "astrolabe.genai.time_to_first_token")->double_value(), 0.125);
  EXPECT_NEAR(Get(s, "astrolabe.genai.cost")->double_value(), (25 * 2.5 + 12 * 10) / 1e6, 1e-15);
}

TEST(LlmCall, ResetIsADefaultCall) {
  LlmCall c;
  c.dialect = Dialect::kOpenInference;
  c.operation = "chat";
  c.provider = "openai";
  c.request_model = "meta/llama-3.1-8b-instruct";
  c.response_model = "meta/llama-3.1-8b-instruct-0125";
  c.input_tokens = c.output_tokens = c.total_tokens = 1;
  c.cache_read_input_tokens = c.cache_creation_input_tokens = c.reasoning_output_tokens = 2;
  c.finish_reasons = {"stop"};
  MessagePart part;
  part.content = "hi";
  Message message;
  message.role = "user";
  message.parts = {part};
  c.input_messages = {message};
  c.output_messages = c.input_messages;
  c.system_instructions = "be terse";
  c.stream = true;
  c.time_to_first_token = 0.5;
  c.time_unix_nano = 7;
  ASSERT_FALSE(c == LlmCall());
  c.Reset();
  EXPECT_TRUE(c == LlmCall());
}

// NormalizeSpan reuses one LlmCall per thread: a span normalized after a richer one gets only
// what it would alone (here: alone, on a thread of its own).
TEST(Normalize, ASpanAfterARicherOneGetsWhatItWouldAlone) {
  const Normalizer n = WithBuiltInPrices();
  pdata::Span rich = SpanWith({
      {"gen_ai.operation.name", "chat"},
      {"gen_ai.provider.name", "openai"},
      {"gen_ai.request.model", "gpt-4o"},
      {"gen_ai.response.model", "gpt-4o-2024-08-06"},
      {"gen_ai.usage.input_tokens", 25},
      {"gen_ai.usage.output_tokens", 12},
      {"gen_ai.usage.cache_read.input_tokens", 3},
      {"gen_ai.request.stream", true},
      {"gen_ai.response.time_to_first_chunk", 0.125},
      {"gen_ai.system_instructions", "be terse"},
      {"gen_ai.output.messages", R"([{"role":"assistant","parts":[],"finish_reason":"stop"}])"},
  });
  const pdata::Span plain = SpanWith({{"llm.request.type", "completion"}});
  pdata::Span alone = plain;
  std::thread([&] { n.NormalizeSpan(alone); }).join();
  pdata::Span after = plain;
  n.NormalizeSpan(rich);
  n.NormalizeSpan(after);
  EXPECT_TRUE(after.attributes == alone.attributes);
  EXPECT_EQ(Str(after, "gen_ai.response.model"), "<absent>");
  EXPECT_EQ(Str(after, "gen_ai.operation.name"), "text_completion");
}

TEST(Normalize, FinishReasonsFromOutputMessagesWhenAbsent) {
  pdata::Span s = SpanWith({
      {"gen_ai.operation.name", "chat"},
      {"gen_ai.output.messages",
       R"([{"role":"assistant","parts":[{"type":"text","content":"a"}],"finish_reason":"stop"},)"
       R"({"role":"assistant","parts":[],"finish_reason":"length"}])"},
  });
  Normalizer().NormalizeSpan(s);
  EXPECT_EQ(Reasons(s), "[\"stop\",\"length\"]");
}

TEST(Normalize, UnknownModelCountsAndWritesNoCost) {
  pdata::Span s = SpanWith({{"gen_ai.operation.name", "chat"},
                            {"gen_ai.request.model", "my-private-model"},
                            {"gen_ai.usage.input_tokens", 5}});
  Outcome o = WithBuiltInPrices().NormalizeSpan(s);
  EXPECT_TRUE(o.unknown_model);
  EXPECT_FALSE(o.cost_applied);
  EXPECT_EQ(Get(s, "astrolabe.genai.cost"), nullptr);
  // No token counts: nothing to price, so not "unknown" either.
  pdata::Span no_tokens =
      SpanWith({{"gen_ai.operation.name", "chat"}, {"gen_ai.request.model", "x"}});
  EXPECT_FALSE(WithBuiltInPrices().NormalizeSpan(no_tokens).unknown_model);
}

TEST(Normalize, OtlpJsonInt64AsStringAndDoubles) {
  // Pitfall 23: int64 as a JSON string, and counts some SDKs send as doubles.
  pdata::Span s = SpanWith({{"gen_ai.operation.name", "chat"},
                            {"gen_ai.usage.input_tokens", "42"},
                            {"gen_ai.usage.output_tokens", 7.0}});
  Outcome o = Normalizer().NormalizeSpan(s);
  EXPECT_EQ(o.malformed, 0);
  EXPECT_EQ(Get(s, "gen_ai.usage.input_tokens")->string_value(), "42");  // kept as sent
  LlmCall call = *Normalizer().Extract(s);
  EXPECT_EQ(call.input_tokens, 42);
  EXPECT_EQ(call.output_tokens, 7);
}

TEST(Normalize, GarbageIsCountedNeverFatal) {
  pdata::Span s = SpanWith({
      {"llm.request.type", 17},
      {"gen_ai.system", pdata::ArrayValue{AnyValue(1)}},
      {"gen_ai.request.model", true},
      {"gen_ai.usage.prompt_tokens", "lots"},
      {"gen_ai.usage.completion_tokens", -5},
      {"llm.usage.total_tokens", 1.5},
      {"llm.is_streaming", "maybe"},
      {"gen_ai.response.finish_reasons", pdata::ArrayValue{AnyValue(3), AnyValue("stop")}},
      {"gen_ai.input.messages", "[{not json"},
      {"gen_ai.output.messages", 12},
      {"gen_ai.openai.api_base", "not a url"},
      {"gen_ai.prompt.999999999.role", "user"},
      {"gen_ai.prompt.x.role", "user"},
      {"gen_ai.completion.0.tool_calls.zz.name", "f"},
  });
  Outcome o = WithBuiltInPrices().NormalizeSpan(s);
  EXPECT_TRUE(o.recognised);
  // One per bad value above, except: gen_ai.input.messages and gen_ai.output.messages are
  // present (if unreadable), so the legacy indices are not read, and the input JSON is not
  // parsed by NormalizeSpan (nothing is read from it). Extract parses it, but does not read
  // the base URL (a vendor key NormalizeSpan maps).
  EXPECT_EQ(o.malformed, 10);
  Outcome extracted;
  Normalizer().Extract(s, &extracted);
  EXPECT_EQ(extracted.malformed, 10);
  EXPECT_EQ(Get(s, "gen_ai.usage.input_tokens"), nullptr);
  EXPECT_EQ(Get(s, "gen_ai.usage.output_tokens"), nullptr);
  EXPECT_EQ(Reasons(s), "[3,\"stop\"]");  // present: never overwritten
  EXPECT_FALSE(o.cost_applied);
}

TEST(Normalize, OversizeMessagesAreNotWritten) {
  NormalizerOptions opts;
  opts.max_message_bytes = 64;
  pdata::Span s = SpanWith({{"llm.request.type", "chat"},
                            {"gen_ai.prompt.0.role", "user"},
                            {"gen_ai.prompt.0.content", std::string(100, 'x')}});
  Outcome o = Normalizer(opts, {}).NormalizeSpan(s);
  EXPECT_TRUE(o.oversize);
  EXPECT_EQ(Get(s, "gen_ai.input.messages"), nullptr);
  EXPECT_EQ(Str(s, "gen_ai.operation.name"), "chat");
}

TEST(Normalize, DisabledDialectsAreLeftAlone) {
  NormalizerOptions opts;
  opts.openllmetry = false;
  pdata::Span s = SpanWith({{"llm.request.type", "chat"}, {"gen_ai.usage.prompt_tokens", 1}});
  EXPECT_FALSE(Normalizer(opts, {}).NormalizeSpan(s).recognised);
  EXPECT_EQ(s.attributes.size(), 2u);
  pdata::Span plain = SpanWith({{"http.method", "GET"}});
  EXPECT_FALSE(Normalizer().NormalizeSpan(plain).recognised);
  EXPECT_EQ(plain.attributes.size(), 1u);
}

TEST(Normalize, MessageEventsOnTheSpan) {
  // OTel v1.28–v1.36: one span event per message.
  pdata::Span s = SpanWith({{"gen_ai.operation.name", "chat"}, {"gen_ai.system", "az.ai.openai"}});
  s.events.push_back({1, "gen_ai.system.message", {{"content", "Be kind."}}, 0});
  s.events.push_back({2, "gen_ai.user.message", {{"content", "Hi"}}, 0});
  pdata::KeyValueList fn = {{"name", "lookup"}, {"arguments", "{\"q\":1}"}};
  pdata::KeyValueList call = {{"id", "c1"}, {"type", "function"}, {"function", fn}};
  pdata::KeyValueList message = {{"role", "assistant"},
                                 {"tool_calls", pdata::ArrayValue{AnyValue(call)}}};
  s.events.push_back({3,
                      "gen_ai.choice",
                      {{"index", 0}, {"finish_reason", "tool_calls"}, {"message", message}},
                      0});
  Normalizer().NormalizeSpan(s);
  EXPECT_EQ(Str(s, "gen_ai.provider.name"), "azure.ai.openai");
  EXPECT_EQ(Str(s, "gen_ai.input.messages"),
            R"([{"role":"system","parts":[{"type":"text","content":"Be kind."}]},)"
            R"({"role":"user","parts":[{"type":"text","content":"Hi"}]}])");
  EXPECT_EQ(
      Str(s, "gen_ai.output.messages"),
      R"([{"role":"assistant","parts":[{"type":"tool_call","id":"c1","name":"lookup","arguments":{"q":1}}],"finish_reason":"tool_calls"}])");
  EXPECT_EQ(Reasons(s), "[\"tool_calls\"]");

  // OTel v1.26: gen_ai.content.prompt / gen_ai.content.completion with JSON attributes.
  pdata::Span old = SpanWith({{"gen_ai.system", "openai"}, {"gen_ai.request.model", "gpt-4"}});
  old.events.push_back(
      {1, "gen_ai.content.prompt", {{"gen_ai.prompt", R"([{"role":"user","content":"Q"}])"}}, 0});
  old.events.push_back({2,
                        "gen_ai.content.completion",
                        {{"gen_ai.completion", R"([{"role":"assistant","content":"A"}])"}},
                        0});
  Normalizer().NormalizeSpan(old);
  EXPECT_EQ(Str(old, "gen_ai.input.messages"),
            R"([{"role":"user","parts":[{"type":"text","content":"Q"}]}])");
  EXPECT_EQ(Str(old, "gen_ai.output.messages"),
            R"([{"role":"assistant","parts":[{"type":"text","content":"A"}]}])");
}

TEST(NormalizeLog, MessageEventsAsLogRecords) {
  // As observed from @opentelemetry/instrumentation-openai (note §3.3): the name in the
  // attribute event.name, body a kvlist.
  pdata::LogRecord user;
  user.attributes = {{"event.name", "gen_ai.user.message"}, {"gen_ai.system", "openai"}};
  user.body = pdata::KeyValueList{{"content", "Capital of France?"}};
  Outcome o = Normalizer().NormalizeLog(user);
  EXPECT_TRUE(o.recognised);
  EXPECT_EQ(pdata::FindAttribute(user.attributes, "gen_ai.input.messages")->string_value(),
            R"([{"role":"user","parts":[{"type":"text","content":"Capital of France?"}]}])");
  EXPECT_EQ(pdata::FindAttribute(user.attributes, "gen_ai.provider.name")->string_value(),
            "openai");
  EXPECT_EQ(pdata::FindAttribute(user.attributes, "astrolabe.genai.dialect")->string_value(),
            "otel");

  // The name in the LogRecord's event_name field instead (pitfall 19).
  pdata::LogRecord choice;
  choice.event_name = "gen_ai.choice";
  choice.body = pdata::KeyValueList{
      {"finish_reason", "stop"},
      {"index", 0},
      {"message", pdata::KeyValueList{{"content", "The capital of France is Paris."}}}};
  Normalizer().NormalizeLog(choice);
  EXPECT_EQ(
      pdata::FindAttribute(choice.attributes, "gen_ai.output.messages")->string_value(),
      R"([{"role":"assistant","parts":[{"type":"text","content":"The capital of France is Paris."}],"finish_reason":"stop"}])");
  EXPECT_EQ(pdata::AnyValueToString(
                *pdata::FindAttribute(choice.attributes, "gen_ai.response.finish_reasons")),
            "[\"stop\"]");

  pdata::LogRecord tool;
  tool.event_name = "gen_ai.tool.message";
  tool.body = pdata::KeyValueList{{"id", "c1"}, {"content", "42"}};
  Normalizer().NormalizeLog(tool);
  EXPECT_EQ(
      pdata::FindAttribute(tool.attributes, "gen_ai.input.messages")->string_value(),
      R"([{"role":"tool","parts":[{"type":"tool_call_response","id":"c1","response":"42"}]}])");

  pdata::LogRecord other;
  other.event_name = "http.request";
  other.body = "x";
  EXPECT_FALSE(Normalizer().NormalizeLog(other).recognised);
  EXPECT_TRUE(other.attributes.empty());

  pdata::LogRecord bad;
  bad.attributes = {{"event.name", "gen_ai.choice"}};
  bad.body = pdata::KeyValueList{{"message", 5}, {"tool_calls", 3}};
  Outcome ob = Normalizer().NormalizeLog(bad);
  EXPECT_TRUE(ob.recognised);
  EXPECT_GE(ob.malformed, 1);
}

TEST(ProviderFromSystem, MappingTable) {
  for (auto [in, want] : {std::pair{"OpenAI", "openai"},
                          {"Azure", "azure.ai.openai"},
                          {"az.ai.openai", "azure.ai.openai"},
                          {"az.ai.inference", "azure.ai.inference"},
                          {"AWS", "aws.bedrock"},
                          {"Google", "gcp.gen_ai"},
                          {"vertex_ai", "gcp.vertex_ai"},
                          {"gemini", "gcp.gemini"},
                          {"OpenRouter", "openrouter"},
                          {"xai", "x_ai"},
                          {"mistralai", "mistral_ai"},
                          {"anthropic", "anthropic"}}) {
    EXPECT_EQ(ProviderFromSystem(in), want) << in;
  }
}

}  // namespace
}  // namespace astrolabe::genai
