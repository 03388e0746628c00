#include "genai/prices.h"

#include <gtest/gtest.h>

#include <cmath>

namespace astrolabe::genai {
namespace {

constexpr uint64_t kNov2026 = 1795000000ull * 1'000'000'000ull;  // 2026-11-18

LlmCall Call(std::string model, int64_t in, int64_t out) {
  LlmCall c;
  c.request_model = std::move(model);
  c.input_tokens = in;
  c.output_tokens = out;
  c.time_unix_nano = kNov2026;
  return c;
}

PriceTable Table(std::string_view yaml) {
  Result<PriceTable> t = PriceTable::FromYaml(yaml, "test.yaml");
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  return t.ok() ? std::move(*t) : PriceTable();
}

TEST(ComputeCost, KongCrossCheck) {
  // Kong's own test: input_cost 10, output_cost 10 per 1M tokens; 25 prompt + 12 completion
  // tokens cost 0.00037.
  PriceTable t = Table("prices: [{model: kong-model, input: 10, output: 10}]");
  const PriceEntry* e = t.Find("", "kong-model", kNov2026);
  ASSERT_NE(e, nullptr);
  std::optional<Cost> c = ComputeCost(*e, Call("kong-model", 25, 12));
  ASSERT_TRUE(c);
  EXPECT_NEAR(c->amount, 0.00037, 1e-12);
  EXPECT_EQ(c->currency, "USD");
}

TEST(ComputeCost, NoteSampleSpanWithBuiltInGpt4o) {
  // Reference note §3.5: gpt-4o-2024-08-06 answering, 33 prompt + 61 completion tokens; the
  // built-in gpt-4o price is 2.50 / 10.00 per 1M (the note's §4.1: 2.5e-06 / 1e-05 per token).
  LlmCall c = Call("gpt-4o", 33, 61);
  c.response_model = "gpt-4o-2024-08-06";
  c.provider = "azure.ai.openai";
  const PriceEntry* e = PriceTable::BuiltIn().Find(c.provider, c.response_model, kNov2026);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->model, "gpt-4o");
  EXPECT_NEAR(ComputeCost(*e, c)->amount, 33 * 2.5e-6 + 61 * 1e-5, 1e-15);  // 0.0006925
}

TEST(ComputeCost, NoteFiguresForGpt4oMiniAndEmbeddings) {
  const PriceTable& b = PriceTable::BuiltIn();
  const PriceEntry* mini = b.Find("openai", "gpt-4o-mini-2024-07-18", kNov2026);
  ASSERT_NE(mini, nullptr);
  EXPECT_EQ(mini->model, "gpt-4o-mini");  // not gpt-4o's "gpt-4o-20*" pattern
  EXPECT_NEAR(ComputeCost(*mini, Call("x", 1'000'000, 1'000'000))->amount, 0.15 + 0.60, 1e-12);
  const PriceEntry* emb = b.Find("openai", "text-embedding-3-small", kNov2026);
  ASSERT_NE(emb, nullptr);
  LlmCall c = Call("text-embedding-3-small", 500, 0);
  c.output_tokens.reset();
  EXPECT_NEAR(ComputeCost(*emb, c)->amount, 500 * 2e-8, 1e-18);
}

TEST(ComputeCost, CachedTokensBilledOnceAtCachedPrice) {
  PriceTable t = Table("prices: [{model: m, input: 2.5, output: 10, cached_input: 1.25}]");
  LlmCall c = Call("m", 1000, 100);
  c.cache_read_input_tokens = 400;  // inside the 1000 (OTel convention)
  // 600 uncached × 2.5 + 400 cached × 1.25 + 100 × 10, per 1M.
  EXPECT_NEAR(ComputeCost(*t.Find("", "m", kNov2026), c)->amount, (1500 + 500 + 1000) / 1e6, 1e-15);
  // Reported separately (more cache tokens than input): input is billed whole.
  c.cache_read_input_tokens = 2000;
  EXPECT_NEAR(ComputeCost(*t.Find("", "m", kNov2026), c)->amount,
              (1000 * 2.5 + 2000 * 1.25 + 100 * 10) / 1e6, 1e-15);
}

TEST(ComputeCost, CacheCreationAndReasoning) {
  PriceTable t = Table(
      "prices: [{model: m, input: 3, output: 15, cached_input: 0.3, cache_creation_input: 3.75,"
      " reasoning: 20}, {model: n, input: 1, output: 4}]");
  LlmCall c = Call("m", 1000, 500);
  c.cache_read_input_tokens = 100;
  c.cache_creation_input_tokens = 200;
  c.reasoning_output_tokens = 300;
  double want = (700 * 3 + 100 * 0.3 + 200 * 3.75 + 200 * 15 + 300 * 20) / 1e6;
  EXPECT_NEAR(ComputeCost(*t.Find("", "m", kNov2026), c)->amount, want, 1e-15);
  // Without separate prices: cache at input, reasoning at output (all tokens billed once).
  EXPECT_NEAR(ComputeCost(*t.Find("", "n", kNov2026), c)->amount, (1000 * 1 + 500 * 4) / 1e6,
              1e-15);
}

TEST(ComputeCost, NoTokensNoCost) {
  PriceTable t = Table("prices: [{model: m, input: 1, output: 1}]");
  LlmCall c;
  c.request_model = "m";
  EXPECT_FALSE(ComputeCost(*t.Find("", "m", 0), c));
}

TEST(PriceTable, EffectiveDates) {
  PriceTable t = Table(R"(prices:
  - {model: m, from: 2024-01-01, input: 10, output: 30}
  - {model: m, from: 2025-06-01, input: 5, output: 15}
  - {model: m, from: "2026-01-01T12:00:00Z", input: 1, output: 3, currency: EUR}
)");
  auto at = [&](int64_t y_m_d_seconds) {
    return t.Find("", "m", static_cast<uint64_t>(y_m_d_seconds) * 1'000'000'000ull);
  };
  EXPECT_EQ(at(1672531200), nullptr);        // 2023-01-01: before every entry
  EXPECT_EQ(at(1704067200)->input, 10);      // 2024-01-01 00:00:00 exactly
  EXPECT_EQ(at(1748736000 - 1)->input, 10);  // 2025-05-31 23:59:59
  EXPECT_EQ(at(1748736000)->input, 5);       // 2025-06-01
  EXPECT_EQ(at(1767268800 - 1)->input, 5);   // 2026-01-01 11:59:59
  EXPECT_EQ(at(1767268800)->input, 1);       // 2026-01-01 12:00:00
  EXPECT_EQ(at(1767268800)->currency, "EUR");
}

TEST(PriceTable, MatchingRules) {
  PriceTable t = Table(R"(prices:
  - {model: gpt-4o, provider: openai, match: ["gpt-4o-20*"], input: 2.5, output: 10}
  - {model: gpt-4o, provider: azure.ai.openai, input: 2.75, output: 11}
  - {model: meta/llama-3.1-8b-instruct, input: 0.1, output: 0.1}
  - {model: Mistral-Large, input: 2, output: 6}
)");
  EXPECT_EQ(t.Find("openai", "gpt-4o", 0)->input, 2.5);
  EXPECT_EQ(t.Find("azure.ai.openai", "gpt-4o", 0)->input, 2.75);            // provider wins
  EXPECT_EQ(t.Find("", "GPT-4O-2024-08-06", 0)->input, 2.5);                 // glob, any case
  EXPECT_EQ(t.Find("openai", "openai/gpt-4o", 0)->input, 2.5);               // prefix stripped
  EXPECT_EQ(t.Find("openai", "meta/llama-3.1-8b-instruct", 0)->input, 0.1);  // NIM says openai
  EXPECT_EQ(t.Find("", "mistral-large", 0)->output, 6);
  EXPECT_EQ(t.Find("openai", "gpt-4o-mini", 0), nullptr);  // unknown model
  EXPECT_EQ(t.Find("openai", "", 0), nullptr);
}

// Find narrows the entries (by case-folded name and glob first byte) and caches candidates
// per model: the answers must stay those of the definition — every entry whose name or glob
// matches, ranked by provider then date, the first of equals.
TEST(PriceTable, IndexedFindKeepsTheRules) {
  PriceTable t = Table(R"(prices:
  - {model: Alpha, input: 1, output: 1}
  - {model: alpha, provider: p1, input: 2, output: 2}
  - {model: other, match: ["*pha"], input: 3, output: 3}
  - {model: later, provider: p1, match: ["ALP?A"], from: 2026-01-01, input: 4, output: 4}
  - {model: beta, match: ["b*", "x"], input: 5, output: 5}
  - {model: beta, input: 6, output: 6}
)");
  const auto& e = t.entries();
  auto idx = [&](const PriceEntry* p) { return p == nullptr ? -1 : int(p - e.data()); };
  constexpr uint64_t k2025 = 1'740'000'000ull * 1'000'000'000ull;
  for (int round = 0; round < 2; ++round) {              // the second round answers from the cache
    EXPECT_EQ(idx(t.Find("p1", "ALPHA", kNov2026)), 3);  // p1, latest from
    EXPECT_EQ(idx(t.Find("p1", "alpha", k2025)), 1);     // `later` not yet in force
    EXPECT_EQ(idx(t.Find("p2", "alpha", kNov2026)), 0);  // no provider: Alpha (first of equals)
    EXPECT_EQ(idx(t.Find("", "vendor/alpha", kNov2026)), 0);
    EXPECT_EQ(idx(t.Find("", "gamma", kNov2026)), -1);
    EXPECT_EQ(idx(t.Find("", "xalpha", kNov2026)), 2);  // only the wildcard glob
    EXPECT_EQ(idx(t.Find("", "Bx", kNov2026)), 4);      // glob, case-folded first byte
    EXPECT_EQ(idx(t.Find("", "beta", kNov2026)), 4);    // name and glob: first of equals
    EXPECT_EQ(idx(t.Find("", "x", kNov2026)), 4);
    EXPECT_EQ(idx(t.Find("", "", kNov2026)), -1);
  }
  // Another table with the same models gets its own answers (the cache is per table).
  PriceTable u =
      Table("prices: [{model: zeta, input: 1, output: 1}, {model: ALPHA, input: 1, output: 1}]");
  EXPECT_EQ(u.Find("p1", "ALPHA", kNov2026), &u.entries()[1]);
  EXPECT_EQ(idx(t.Find("p1", "ALPHA", kNov2026)), 3);
  // More than a cache slot holds (8) and more than the candidate buffer (64).
  std::string yaml = "prices:\n";
  for (int i = 0; i < 70; ++i) {
    yaml += "  - {model: m, provider: p" + std::to_string(i) + ", input: 1, output: 1}\n";
  }
  PriceTable many = Table(yaml);
  for (int round = 0; round < 2; ++round) {
    EXPECT_EQ(many.Find("p69", "M", kNov2026), &many.entries()[69]);
    EXPECT_EQ(many.Find("p7", "m", kNov2026), &many.entries()[7]);
    EXPECT_EQ(many.Find("q", "m", kNov2026), &many.entries()[0]);
  }
}

TEST(PriceTable, BadFilesNameTheProblem) {
  struct Case {
    std::string_view yaml, want;
  } cases[] = {
      {"prices: [{model: m, input: -1, output: 1}]", "model m: input must be a number >= 0"},
      {"prices: [{model: m, output: 1}]", "model m: input must be a number >= 0"},
      {"prices: [{input: 1, output: 1}]", "prices[0]: a price entry has no model"},
      {"prices: [{model: m, input: 1, output: 1, from: 2024-13-01}]", "from: bad date"},
      // Past the int64_t nanoseconds (genai_normalize_fuzz: a signed overflow), and before 1970.
      {"prices: [{model: m, input: 1, output: 1, from: 6024-01-01}]", "years 1970 to 2261"},
      {"prices: [{model: m, input: 1, output: 1, from: 1969-12-31}]", "from: bad date"},
      {"prices: [{model: m, input: 1, output: 1, inptu: 3}]", "unknown key"},
      {"prices: [{model: m, input: x, output: 1}]", "expected a number"},
      {"prices: [{model: m, input: 1, output: 1, currency: \"\"}]", "currency must not be empty"},
      {"prices: [", "test.yaml"},
  };
  for (const Case& c : cases) {
    Result<PriceTable> t = PriceTable::FromYaml(c.yaml, "test.yaml");
    ASSERT_FALSE(t.ok()) << c.yaml;
    EXPECT_NE(t.status().message().find(c.want), std::string::npos)
        << c.yaml << " → " << t.status().message();
  }
  EXPECT_FALSE(PriceTable::FromFile("/nonexistent/prices.yaml").ok());
}

TEST(PriceTable, BuiltInLoadsAndCoversTheDocumentedModels) {
  const PriceTable& b = PriceTable::BuiltIn();
  ASSERT_GE(b.entries().size(), 30u);
  for (std::string_view m :
       {"gpt-4o", "claude-3-5-sonnet-20241022", "gemini-2.0-flash", "mistral-large-latest",
        "meta/llama-3.1-8b-instruct", "claude-sonnet-4-20250514", "o3-mini"}) {
    EXPECT_NE(b.Find("", m, kNov2026), nullptr) << m;
  }
}

TEST(PriceBook, UserTableFirstResponseModelFirst) {
  auto user = std::make_shared<PriceTable>(Table("prices: [{model: gpt-4o, input: 1, output: 1}]"));
  auto builtin = std::make_shared<PriceTable>(
      Table("prices: [{model: gpt-4o, input: 2.5, output: 10}, {model: gpt-4o-mini, input: 0.15, "
            "output: 0.6}]"));
  PriceBook book;
  book.Add(user);
  book.Add(builtin);
  LlmCall c = Call("gpt-4o", 1, 1);
  EXPECT_EQ(book.Find(c)->input, 1);
  c.response_model = "gpt-4o-mini";  // what answered is what is billed
  EXPECT_EQ(book.Find(c)->input, 0.15);
  c.request_model = c.response_model = "nope";
  EXPECT_EQ(book.Find(c), nullptr);
}

TEST(GlobMatch, Basics) {
  EXPECT_TRUE(GlobMatch("gpt-4o-20*", "gpt-4o-2024-08-06"));
  EXPECT_FALSE(GlobMatch("gpt-4o-20*", "gpt-4o-mini-2024-07-18"));
  EXPECT_TRUE(GlobMatch("a?c*", "ABCdef"));
  EXPECT_TRUE(GlobMatch("*", ""));
  EXPECT_FALSE(GlobMatch("a*b*c", std::string(10000, 'a')));
}

}  // namespace
}  // namespace astrolabe::genai
