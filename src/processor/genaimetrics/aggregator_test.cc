#include "processor/genaimetrics/aggregator.h"

#include <gtest/gtest.h>

#include <random>

namespace astrolabe::processor::genaimetrics {
namespace {

pdata::Resource Res(std::string service) {
  pdata::Resource r;
  r.attributes = {{"service.name", service}, {"host.name", "h1"}};
  return r;
}

pdata::Span Call(std::string model, int64_t in, int64_t out, double seconds, double cost = -1) {
  pdata::Span s;
  s.start_time_unix_nano = 1'000'000'000;
  s.end_time_unix_nano = s.start_time_unix_nano + static_cast<uint64_t>(seconds * 1e9);
  s.attributes = {{"gen_ai.operation.name", "chat"},
                  {"gen_ai.provider.name", "openai"},
                  {"gen_ai.request.model", model},
                  {"gen_ai.usage.input_tokens", in},
                  {"gen_ai.usage.output_tokens", out}};
  if (cost >= 0) s.attributes.push_back({"astrolabe.genai.cost", cost});
  return s;
}

const pdata::Metric* Find(const pdata::Metrics& m, size_t rm, std::string_view name) {
  for (const auto& metric : m.resource_metrics[rm].scope_metrics[0].metrics) {
    if (metric.name == name) return &metric;
  }
  return nullptr;
}

std::string Attr(const pdata::Attributes& a, std::string_view k) {
  const pdata::AnyValue* v = pdata::FindAttribute(a, k);
  return v ? pdata::AnyValueToString(*v) : "<absent>";
}

TEST(Aggregator, HistogramsWithTheConventionsBuckets) {
  Aggregator agg;
  EXPECT_TRUE(agg.Add(Res("bot"), Call("gpt-4o", 25, 12, 0.5, 0.00037)));
  EXPECT_TRUE(agg.Add(Res("bot"), Call("gpt-4o", 300, 100, 3.0, 0.001)));
  pdata::Metrics m = agg.Take(10, 20);
  ASSERT_EQ(m.resource_metrics.size(), 1u);
  // Only identifying resource attributes travel.
  EXPECT_EQ(Attr(m.resource_metrics[0].resource.attributes, "service.name"), "bot");
  EXPECT_EQ(Attr(m.resource_metrics[0].resource.attributes, "host.name"), "<absent>");

  const pdata::Metric* tokens = Find(m, 0, "gen_ai.client.token.usage");
  ASSERT_NE(tokens, nullptr);
  EXPECT_EQ(tokens->unit, "{token}");
  const auto& th = std::get<pdata::Histogram>(tokens->data);
  EXPECT_EQ(th.aggregation_temporality, pdata::AggregationTemporality::kDelta);
  ASSERT_EQ(th.data_points.size(), 2u);
  const auto& input = th.data_points[0];
  EXPECT_EQ(Attr(input.attributes, "gen_ai.token.type"), "input");
  EXPECT_EQ(Attr(input.attributes, "gen_ai.request.model"), "gpt-4o");
  EXPECT_EQ(Attr(input.attributes, "service.name"), "bot");
  EXPECT_EQ(input.explicit_bounds, kTokenBuckets);
  EXPECT_EQ(input.count, 2u);
  EXPECT_EQ(*input.sum, 325);
  // 25 in (16, 64], 300 in (256, 1024].
  EXPECT_EQ(input.bucket_counts[3], 1u);
  EXPECT_EQ(input.bucket_counts[5], 1u);
  EXPECT_EQ(input.start_time_unix_nano, 10u);
  EXPECT_EQ(input.time_unix_nano, 20u);

  const pdata::Metric* duration = Find(m, 0, "gen_ai.client.operation.duration");
  ASSERT_NE(duration, nullptr);
  EXPECT_EQ(duration->unit, "s");
  const auto& dp = std::get<pdata::Histogram>(duration->data).data_points.at(0);
  EXPECT_EQ(dp.explicit_bounds, kDurationBuckets);
  EXPECT_EQ(dp.count, 2u);
  EXPECT_DOUBLE_EQ(*dp.sum, 3.5);
  EXPECT_EQ(dp.bucket_counts[6], 1u);  // 0.5 in (0.32, 0.64]
  EXPECT_EQ(dp.bucket_counts[9], 1u);  // 3.0 in (2.56, 5.12]

  const pdata::Metric* cost = Find(m, 0, "astrolabe.genai.cost");
  ASSERT_NE(cost, nullptr);
  const auto& cs = std::get<pdata::Sum>(cost->data);
  EXPECT_TRUE(cs.is_monotonic);
  EXPECT_DOUBLE_EQ(cs.data_points.at(0).AsDouble(), 0.00137);
  const pdata::Metric* requests = Find(m, 0, "astrolabe.genai.requests");
  ASSERT_NE(requests, nullptr);
  EXPECT_EQ(std::get<pdata::Sum>(requests->data).data_points.at(0).AsDouble(), 2);

  // Delta: the next Take starts empty.
  EXPECT_TRUE(agg.empty());
  EXPECT_TRUE(agg.Take(20, 30).empty());
}

TEST(Aggregator, SeriesByModelServiceAndError) {
  Aggregator agg;
  agg.Add(Res("a"), Call("m1", 1, 1, 0.1));
  agg.Add(Res("a"), Call("m2", 1, 1, 0.1));
  agg.Add(Res("b"), Call("m1", 1, 1, 0.1));
  pdata::Span failed = Call("m1", 1, 0, 0.1);
  failed.status.code = pdata::SpanStatus::Code::kError;
  agg.Add(Res("a"), failed);
  pdata::Span timeout = Call("m1", 1, 0, 0.1);
  timeout.attributes.push_back({"error.type", "timeout"});
  agg.Add(Res("a"), timeout);
  EXPECT_EQ(agg.series(), 5u);
  pdata::Metrics m = agg.Take(1, 2);
  ASSERT_EQ(m.resource_metrics.size(), 2u);
  std::vector<std::string> errors;
  for (const auto& p :
       std::get<pdata::Sum>(Find(m, 0, "astrolabe.genai.requests")->data).data_points) {
    errors.push_back(Attr(p.attributes, "error.type"));
  }
  EXPECT_EQ(errors.size(), 4u);
  EXPECT_NE(std::find(errors.begin(), errors.end(), "_OTHER"), errors.end());
  EXPECT_NE(std::find(errors.begin(), errors.end(), "timeout"), errors.end());
  // Token usage carries no error.type: failed calls add to the same points (one series per
  // model and token type, else the store would see two points of one series at one time).
  size_t m1_input = 0;
  for (const auto& p :
       std::get<pdata::Histogram>(Find(m, 0, "gen_ai.client.token.usage")->data).data_points) {
    EXPECT_EQ(Attr(p.attributes, "error.type"), "<absent>");
    if (Attr(p.attributes, "gen_ai.request.model") == "m1" &&
        Attr(p.attributes, "gen_ai.token.type") == "input") {
      m1_input += p.count;
      EXPECT_EQ(p.count, 3u);
    }
  }
  EXPECT_EQ(m1_input, 3u);
  // No cost on any span: no cost metric.
  EXPECT_EQ(Find(m, 0, "astrolabe.genai.cost"), nullptr);
}

// Add over many spans remembers the last few series by their values; each span must still
// land where it would alone. More series than it remembers, interleaved, with the values
// that tell series apart one at a time (absent provider, error by status or by attribute).
TEST(Aggregator, SpansAddedTogetherLandWhereTheyWouldOneByOne) {
  std::mt19937 rng(7);
  std::vector<pdata::Span> spans;
  for (int i = 0; i < 2000; ++i) {
    pdata::Span s =
        Call("m" + std::to_string(rng() % 7), int64_t(rng() % 5000), int64_t(rng() % 900),
             double(rng() % 3000) / 1000, double(rng() % 10) / 1e4);
    if (rng() % 3 == 0) s.attributes[0].value = pdata::AnyValue(std::string("embeddings"));
    switch (rng() % 8) {
      case 0:  // no model
        s.attributes.erase(s.attributes.begin() + 2);
        break;
      case 1:  // an empty provider: as none
        s.attributes[1].value = pdata::AnyValue(std::string());
        break;
      case 2:  // no provider
        s.attributes.erase(s.attributes.begin() + 1);
        break;
      default:
        break;
    }
    switch (rng() % 7) {
      case 0:
        s.status.code = pdata::SpanStatus::Code::kError;
        break;
      case 1:
        s.attributes.push_back({"error.type", rng() % 2 ? "timeout" : "429"});
        break;
      case 2:  // empty: as none
        s.attributes.push_back({"error.type", ""});
        break;
      case 3:  // both: the attribute's
        s.status.code = pdata::SpanStatus::Code::kError;
        s.attributes.push_back({"error.type", rng() % 2 ? "_OTHER" : "timeout"});
        break;
      default:
        break;
    }
    if (rng() % 10 == 0) s.attributes = {{"http.request.method", "GET"}};  // not a call
    spans.push_back(std::move(s));
  }
  Aggregator together, one_by_one;
  size_t counted = 0;
  for (const pdata::Span& s : spans) counted += one_by_one.Add(Res("a"), s);
  EXPECT_EQ(together.Add(Res("a"), spans), counted);
  EXPECT_GT(together.series(), 20u);
  EXPECT_EQ(together.series(), one_by_one.series());
  EXPECT_TRUE(together.Take(1, 2) == one_by_one.Take(1, 2));
}

TEST(Aggregator, IgnoresSpansThatAreNotLlmCalls) {
  Aggregator agg;
  pdata::Span http;
  http.attributes = {{"http.request.method", "GET"}};
  EXPECT_FALSE(agg.Add(Res("a"), http));
  pdata::Span legacy;  // the genai processor's job to normalise; not counted raw
  legacy.attributes = {{"gen_ai.system", "openai"}};
  EXPECT_FALSE(agg.Add(Res("a"), legacy));
  EXPECT_TRUE(agg.empty());
}

}  // namespace
}  // namespace astrolabe::processor::genaimetrics
