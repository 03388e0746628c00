#include "genai/key_index.h"

#include <gtest/gtest.h>

#include <string>

#include "pdata/spares.h"

namespace astrolabe::genai {
namespace {

TEST(KeyIndex, EveryKnownKeyIsFoundAndNothingElse) {
  for (size_t i = 0; i < kKnownKeyCount; ++i) {
    KeyId id = 255;
    ASSERT_TRUE(LookupKey(kKnownKeys[i], &id)) << kKnownKeys[i];
    EXPECT_EQ(id, i);
    EXPECT_EQ(KeyName(id), kKnownKeys[i]);
    // One byte more, one byte less, one byte changed: not known.
    std::string k(kKnownKeys[i]);
    EXPECT_FALSE(LookupKey(k + "x", &id)) << k;
    EXPECT_FALSE(LookupKey(k.substr(0, k.size() - 1), &id)) << k;
    // Any one byte changed, at the start, in the middle or in the last eight.
    for (size_t at = 0; at < k.size(); ++at) {
      std::string changed = k;
      changed[at] = static_cast<char>(changed[at] ^ 0x20);
      EXPECT_FALSE(LookupKey(changed, &id)) << changed;
    }
  }
  KeyId id;
  for (std::string_view k : {"", "a", "server", "http.response.status_code", "gen_ai.prompt",
                             "gen_ai.prompt.0.content", "llm.input_messages.0.message.role"}) {
    EXPECT_FALSE(LookupKey(k, &id)) << k;
  }
  static_assert(K("gen_ai.request.model") == 3);
}

TEST(KeyIndex, FirstOccurrenceLikeFindAttribute) {
  pdata::Attributes a = {{"server.address", "h"},
                         {"gen_ai.request.model", "first"},
                         {"gen_ai.request.model", "second"},
                         {"gen_ai.usage.input_tokens", 3}};
  KeyIndex index(a);
  ASSERT_NE(index.Find(K("gen_ai.request.model")), nullptr);
  EXPECT_EQ(index.Find(K("gen_ai.request.model")), pdata::FindAttribute(a, "gen_ai.request.model"));
  EXPECT_EQ(index.Find(K("gen_ai.request.model"))->string_value(), "first");
  EXPECT_EQ(index.Find(K("server.address")), &a[0].value);
  EXPECT_EQ(index.Find(K("gen_ai.response.model")), nullptr);
  EXPECT_FALSE(index.Has(K("gen_ai.system")));
}

TEST(KeyIndex, PutIfAbsentAppendsOnceAndSurvivesReallocation) {
  pdata::Attributes a = {{"gen_ai.request.model", "m"}};
  a.shrink_to_fit();
  KeyIndex index(a);
  index.PutIfAbsent(a, K("gen_ai.request.model"), "other");
  EXPECT_EQ(a.size(), 1u);
  for (size_t i = 0; i < kKnownKeyCount; ++i) {
    index.PutIfAbsent(a, static_cast<KeyId>(i), static_cast<int64_t>(i));
  }
  EXPECT_EQ(a.size(), kKnownKeyCount);
  for (size_t i = 0; i < kKnownKeyCount; ++i) {
    const pdata::AnyValue* v = index.Find(static_cast<KeyId>(i));
    ASSERT_NE(v, nullptr);
    EXPECT_EQ(v, pdata::FindAttribute(a, kKnownKeys[i]));
  }
  EXPECT_EQ(index.Find(K("gen_ai.request.model"))->string_value(), "m");
}

TEST(KeyIndex, PutIfAbsentTakesItsKeyValueFromTheSpares) {
  // What a decoder hands back when a span lands on a spare that had more attributes: a
  // key-value with a long key and a value that holds a buffer.
  pdata::Attributes old = {{"astrolabe.genai.cost.currency", std::string(100, 'v')}};
  const char* buffer = old[0].key.data();
  pdata::TracesSpares spares;
  spares.TakeBack(old, 0);
  ASSERT_EQ(spares.size(), 2u);  // the key-value and the value's string

  pdata::Attributes a = {{"gen_ai.request.model", "m"}};
  KeyIndex index(a);
  index.PutIfAbsent(a, K("astrolabe.genai.dialect"), "otel", &spares);
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[1], (pdata::KeyValue{"astrolabe.genai.dialect", "otel"}));
  EXPECT_EQ(a[1].key.data(), buffer);  // the spare's key buffer, not a new one
  EXPECT_EQ(spares.size(), 1u);
  EXPECT_EQ(index.Find(K("astrolabe.genai.dialect")), &a[1].value);
  // Present: nothing taken. Spares used up: a new key-value.
  index.PutIfAbsent(a, K("astrolabe.genai.dialect"), "other", &spares);
  EXPECT_EQ(spares.size(), 1u);
  pdata::TracesSpares empty;
  index.PutIfAbsent(a, K("astrolabe.genai.cost"), 0.5, &empty);
  EXPECT_EQ(a.back(), (pdata::KeyValue{"astrolabe.genai.cost", 0.5}));
}

TEST(KeyIndex, Prefixes) {
  pdata::Attributes a = {{"gen_ai.prompt.0.content", "x"},
                         {"llm.output_messages.1.message.role", "assistant"},
                         {"gen_ai.completion", "not a prefix match"},
                         {"llm.request.functions", "nor this"}};
  KeyIndex index(a);
  EXPECT_TRUE(index.HasPrefix(Prefix::kGenAiPrompt));
  EXPECT_TRUE(index.HasPrefix(Prefix::kLlmOutputMessages));
  EXPECT_FALSE(index.HasPrefix(Prefix::kGenAiCompletion));
  EXPECT_FALSE(index.HasPrefix(Prefix::kLlmInputMessages));
  EXPECT_FALSE(index.HasPrefix(Prefix::kLlmRequestFunctions));
  pdata::Attributes b = {{"gen_ai.completion.", ""}, {"llm.request.functions.0.name", "f"}};
  KeyIndex ib(b);
  EXPECT_TRUE(ib.HasPrefix(Prefix::kGenAiCompletion));
  EXPECT_TRUE(ib.HasPrefix(Prefix::kLlmRequestFunctions));
  EXPECT_EQ(PrefixText(Prefix::kLlmInputMessages), "llm.input_messages.");
}

}  // namespace
}  // namespace astrolabe::genai
