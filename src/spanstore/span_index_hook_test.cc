#include "spanstore/span_index_hook.h"

#include <gtest/gtest.h>

#include <cmath>

namespace astrolabe::spanstore {
namespace {

GenAiFields Hook(pdata::Attributes attrs) {
  pdata::Span span;
  span.attributes = std::move(attrs);
  GenAiFields f;
  DefaultSpanIndexHook({}, {}, span, &f);
  return f;
}

TEST(SpanIndexHookTest, ReadsTheOtelGenAiConventions) {
  GenAiFields f = Hook({{"gen_ai.operation.name", "chat"},
                        {"gen_ai.provider.name", "openai"},
                        {"gen_ai.request.model", "meta/llama-3.1-8b-instruct"},
                        {"gen_ai.response.model", "llama-3.1-8b"},
                        {"gen_ai.usage.input_tokens", 25},
                        {"gen_ai.usage.output_tokens", 12},
                        {"gen_ai.response.finish_reasons",
                         pdata::ArrayValue{pdata::AnyValue("stop"), pdata::AnyValue("length")}}});
  EXPECT_EQ(f.model, "meta/llama-3.1-8b-instruct");
  EXPECT_EQ(f.provider, "openai");
  EXPECT_EQ(f.operation, "chat");
  EXPECT_EQ(f.input_tokens, 25);
  EXPECT_EQ(f.output_tokens, 12);
  EXPECT_EQ(f.finish_reason, "stop,length");
  EXPECT_TRUE(std::isnan(f.cost));
}

TEST(SpanIndexHookTest, FallsBackToOlderKeys) {
  GenAiFields f = Hook({{"gen_ai.system", "Azure"},
                        {"gen_ai.response.model", "gpt-4o-2024-08-06"},
                        {"gen_ai.usage.prompt_tokens", 33},
                        {"gen_ai.usage.completion_tokens", 61},
                        {"gen_ai.response.finish_reasons", "stop"},
                        {"gen_ai.usage.cost", 0.0042}});
  EXPECT_EQ(f.model, "gpt-4o-2024-08-06");
  EXPECT_EQ(f.provider, "Azure");
  EXPECT_EQ(f.input_tokens, 33);
  EXPECT_EQ(f.output_tokens, 61);
  EXPECT_EQ(f.finish_reason, "stop");
  EXPECT_DOUBLE_EQ(f.cost, 0.0042);
}

TEST(SpanIndexHookTest, GenAiProcessorCostFirst) {
  EXPECT_DOUBLE_EQ(Hook({{"gen_ai.usage.cost", 0.5}, {"astrolabe.genai.cost", 0.25}}).cost, 0.25);
  EXPECT_DOUBLE_EQ(Hook({{"astrolabe.genai.cost", 3}}).cost, 3.0);
  // Not a number: the next key is used.
  EXPECT_DOUBLE_EQ(Hook({{"astrolabe.genai.cost", "x"}, {"gen_ai.usage.cost", 0.5}}).cost, 0.5);
}

TEST(SpanIndexHookTest, TokenCountsOfOtherTypes) {
  EXPECT_EQ(Hook({{"gen_ai.usage.input_tokens", 12.0}}).input_tokens, 12);
  EXPECT_EQ(Hook({{"gen_ai.usage.input_tokens", "17"}}).input_tokens, 17);
  EXPECT_EQ(Hook({{"gen_ai.usage.input_tokens", 12.5}}).input_tokens, -1);
  EXPECT_EQ(Hook({{"gen_ai.usage.input_tokens", -3}}).input_tokens, -1);
  EXPECT_EQ(Hook({{"gen_ai.usage.input_tokens", "12 tokens"}}).input_tokens, -1);
  EXPECT_EQ(Hook({{"gen_ai.usage.input_tokens", true}}).input_tokens, -1);
  EXPECT_EQ(Hook({{"gen_ai.usage.input_tokens", 1e300}}).input_tokens, -1);
}

TEST(SpanIndexHookTest, NonStringsAndEmptyStringsAreIgnored) {
  GenAiFields f = Hook({{"gen_ai.request.model", 7},
                        {"gen_ai.provider.name", ""},
                        {"gen_ai.system", "openai"},
                        {"gen_ai.response.finish_reasons",
                         pdata::ArrayValue{pdata::AnyValue(1), pdata::AnyValue("stop")}}});
  EXPECT_EQ(f.model, "");
  EXPECT_EQ(f.provider, "openai");
  EXPECT_EQ(f.finish_reason, "stop");
}

}  // namespace
// OTLP forbids repeated keys, but senders repeat them: the first counts, as everywhere else
// attributes are looked up (pdata::FindAttribute).
TEST(SpanIndexHookTest, TheFirstOfRepeatedKeysCounts) {
  GenAiFields f = Hook({{"service.name", "x"},
                        {"gen_ai.request.model", "first"},
                        {"gen_ai.usage.input_tokens", 5},
                        {"gen_ai.request.model", "second"},
                        {"gen_ai.usage.input_tokens", 6},
                        {"gen_ai.operation.name", "chat"},
                        {"gen_ai.operation.name", "embeddings"}});
  EXPECT_EQ(f.model, "first");
  EXPECT_EQ(f.input_tokens, 5);
  EXPECT_EQ(f.operation, "chat");
}

}  // namespace astrolabe::spanstore
