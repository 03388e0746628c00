#include "pdata/key_set.h"

#include <gtest/gtest.h>

namespace astrolabe::pdata {
namespace {

// Three keys of one length (20 bytes), told apart by their tails, and one of another.
constexpr KeySet<4> kKeys({"gen_ai.request.model", "gen_ai.provider.name", "astrolabe.genai.cost",
                           "gen_ai.usage.input_tokens"});

TEST(KeySetTest, FindsTheFirstValueOfEachKeyInOnePass) {
  Attributes attrs = {{"service.name", "x"},
                      {"gen_ai.provider.name", "openai"},
                      {"gen_ai.request.modeL", "near miss"},  // same length and tail but one byte
                      {"gen_ai.request.model", "first"},
                      {"gen_ai.request.model", "second"},
                      {"astrolabe.genai.cost", 0.5},
                      {"short", 1}};
  const AnyValue* found[4];
  kKeys.FindFirst(attrs, found);
  ASSERT_NE(found[0], nullptr);
  EXPECT_EQ(found[0]->string_value(), "first");
  ASSERT_NE(found[1], nullptr);
  EXPECT_EQ(found[1]->string_value(), "openai");
  ASSERT_NE(found[2], nullptr);
  EXPECT_EQ(found[2]->double_value(), 0.5);
  EXPECT_EQ(found[3], nullptr);
  // The same answers as FindAttribute, key by key.
  for (std::string_view key : {"gen_ai.request.model", "gen_ai.provider.name",
                               "astrolabe.genai.cost", "gen_ai.usage.input_tokens"}) {
    const AnyValue* want = FindAttribute(attrs, key);
    bool same = false;
    for (const AnyValue* f : found) same = same || (f == want && want != nullptr);
    EXPECT_TRUE(same || want == nullptr) << key;
  }
}

TEST(KeySetTest, ClearsWhatAnEarlierCallFound) {
  const AnyValue* found[4];
  kKeys.FindFirst({{"gen_ai.usage.input_tokens", 3}}, found);
  ASSERT_NE(found[3], nullptr);
  kKeys.FindFirst({}, found);
  for (const AnyValue* f : found) EXPECT_EQ(f, nullptr);
}

}  // namespace
}  // namespace astrolabe::pdata
