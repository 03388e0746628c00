#include "pdata/spares.h"

#include <gtest/gtest.h>

#include <string>

#include "pdata/traces.h"

namespace astrolabe::pdata {
namespace {

Traces TwoSpans() {
  Traces t;
  ResourceSpans rs;
  rs.resource.attributes = {{"service.name", "a-service-name-longer-than-sso"}};
  rs.schema_url = "https://opentelemetry.io/schemas/1.21.0";
  ScopeSpans ss;
  ss.scope.name = "@traceloop/instrumentation-openai";
  for (int i = 0; i < 2; ++i) {
    Span s;
    s.span_id.bytes[0] = 1;
    s.name = "chat meta/llama-3.1-8b-instruct";
    s.kind = SpanKind::kClient;
    s.start_time_unix_nano = 5;
    s.attributes = {{"gen_ai.request.model", "meta/llama-3.1-8b-instruct"},
                    {"gen_ai.usage.input_tokens", 12},
                    {"gen_ai.response.finish_reasons", ArrayValue{AnyValue("stop")}}};
    s.events.push_back(SpanEvent{});
    s.status.code = SpanStatus::Code::kError;
    s.status.message = "upstream returned 429 too many requests";
    ss.spans.push_back(std::move(s));
  }
  rs.scope_spans.push_back(std::move(ss));
  t.resource_spans.push_back(std::move(rs));
  return t;
}

TEST(TracesSparesTest, HarvestEmptiesTheTracesAndKeepsClearedObjects) {
  Traces t = TwoSpans();
  TracesSpares spares;
  spares.Harvest(t);
  EXPECT_TRUE(t.empty());
  // 1 resource, 1 scope, 2 spans (their attributes stay inside them), the resource's
  // key-value and its heap string value.
  EXPECT_EQ(spares.size(), 1u + 1u + 2u + 1u + 1u);
  EXPECT_GT(spares.kept_bytes(), 0u);

  // Every spare equals a default object but for a span's attributes, which the decoder
  // writes over (RecycleValue) or cuts (TakeBack): then it equals what a decoder builds anew.
  EXPECT_EQ(spares.TakeResourceSpans(), ResourceSpans());
  EXPECT_EQ(spares.TakeScopeSpans(), ScopeSpans());
  Span s = spares.TakeSpan();
  ASSERT_EQ(s.attributes.size(), 3u);
  EXPECT_GE(s.name.capacity(), std::string("chat meta/llama-3.1-8b-instruct").size());
  s.attributes[0].key.clear();
  spares.RecycleValue(s.attributes[0].value);
  EXPECT_EQ(s.attributes[0], KeyValue());
  spares.TakeBack(s.attributes, 1);
  Span one_empty_attribute;
  one_empty_attribute.attributes = {KeyValue()};
  EXPECT_EQ(s, one_empty_attribute);
  spares.TakeBack(s.attributes, 0);
  EXPECT_EQ(s, Span());
  EXPECT_GE(s.attributes.capacity(), 3u);  // the capacity is what it is kept for
  // The recycled and taken-back values: 2 heap strings ("meta/llama..." and the resource's),
  // the array of the third attribute, and 4 key-values (the resource's and three taken back).
  Span s2 = spares.TakeSpan();
  EXPECT_EQ(s2.attributes.size(), 3u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(spares.TakeKeyValue(), KeyValue()) << i;
  EXPECT_EQ(spares.TakeArray(), ArrayValue());
  for (int i = 0; i < 2; ++i) {
    std::string str = spares.TakeString();
    EXPECT_TRUE(str.empty());
    EXPECT_GT(str.capacity(), std::string().capacity());
  }
  EXPECT_EQ(spares.size(), 0u);
  EXPECT_EQ(spares.kept_bytes(), 0u);  // what was taken is no longer counted
  // Empty spares make new objects.
  EXPECT_EQ(spares.TakeSpan(), Span());
  EXPECT_EQ(spares.TakeString(), "");
}

TEST(TracesSparesTest, LargeStringsAreFreedNotKept) {
  Traces t = TwoSpans();
  t.resource_spans[0].scope_spans[0].spans[0].attributes.push_back(
      {"big", std::string(TracesSpares::kMaxKeptString + 1, 'x')});
  TracesSpares spares;
  spares.Harvest(t);
  // Hand every span's attributes back (TakeBack), as the decoder does with those it does not
  // write over.
  for (int i = 0; i < 2; ++i) {
    Span s = spares.TakeSpan();
    spares.TakeBack(s.attributes, 0);
  }
  // The big value is not among the spare strings: 3 of them (two model names, the service).
  size_t strings = 0;
  while (true) {
    std::string s = spares.TakeString();
    if (s.capacity() == std::string().capacity()) break;
    EXPECT_LE(s.capacity(), TracesSpares::kMaxKeptString);
    ++strings;
  }
  EXPECT_EQ(strings, 3u);
}

TEST(TracesSparesTest, InPlaceReuseKeepsLittleMoreThanTheValue) {
  std::string small;  // the inline buffer: anything may be written over it
  EXPECT_TRUE(TracesSpares::ReusesInPlace(small, 0));
  EXPECT_TRUE(TracesSpares::ReusesInPlace(small, 1 << 20));  // grows as a new string would
  std::string kib(1024, 'x');
  EXPECT_TRUE(TracesSpares::ReusesInPlace(kib, 1024));
  EXPECT_TRUE(TracesSpares::ReusesInPlace(kib, 200));
  EXPECT_FALSE(TracesSpares::ReusesInPlace(kib, 100));  // would keep 1 KiB for 100 bytes
  EXPECT_FALSE(TracesSpares::ReusesInPlace(kib, 0));
  std::string big(TracesSpares::kMaxKeptString + 1, 'x');
  EXPECT_FALSE(TracesSpares::ReusesInPlace(big, big.size()));  // freed, as Harvest would
}

TEST(TracesSparesTest, SpansComeBackInTheOrderHarvestFoundThem) {
  Traces t;
  t.resource_spans.emplace_back();
  t.resource_spans[0].scope_spans.emplace_back();
  for (size_t n : {1u, 5u, 2u, 0u, 3u}) {
    Span s;
    for (size_t a = 0; a < n; ++a) s.attributes.push_back({"k" + std::to_string(a), int64_t(a)});
    t.resource_spans[0].scope_spans[0].spans.push_back(std::move(s));
  }
  TracesSpares spares;
  spares.Harvest(t);
  EXPECT_EQ(spares.size(), 1u + 1u + 5u);
  // A request of the same shape decoded next meets spans with its own attributes' count.
  for (size_t n : {1u, 5u, 2u, 0u, 3u}) EXPECT_EQ(spares.TakeSpan().attributes.size(), n);
  EXPECT_EQ(spares.size(), 1u + 1u);
  EXPECT_EQ(spares.TakeSpan(), Span());  // none left: a new one
}

TEST(TracesSparesTest, HarvestDropsTheSparesLeftFromBefore) {
  TracesSpares spares;
  Traces a = TwoSpans();
  spares.Harvest(a);
  const size_t one = spares.size();
  Traces b = TwoSpans();
  spares.Harvest(b);
  EXPECT_EQ(spares.size(), one);  // not 2 * one: the unused spares of `a` are gone
}

TEST(TracesSparesTest, KeptBytesStayWithinBudget) {
  TracesSpares spares;
  for (int round = 0; round < 3; ++round) {
    Traces t;
    t.resource_spans.emplace_back();
    t.resource_spans[0].scope_spans.emplace_back();
    auto& spans = t.resource_spans[0].scope_spans[0].spans;
    // 8 MiB of 8 KiB values: twice the budget.
    for (int i = 0; i < 1024; ++i) {
      Span s;
      s.attributes = {{"gen_ai.input.messages", std::string(8 << 10, 'm')}};
      spans.push_back(std::move(s));
    }
    spares.Harvest(t);
    for (int i = 0; i < 1024; ++i) {
      Span s = spares.TakeSpan();
      spares.TakeBack(s.attributes, 0);  // as the decoder does with attributes it does not need
    }
    EXPECT_GT(spares.kept_bytes(), TracesSpares::kMaxKeptBytes / 2);
    EXPECT_LE(spares.kept_bytes(), TracesSpares::kMaxKeptBytes);
  }
  spares.Clear();
  EXPECT_EQ(spares.size(), 0u);
  EXPECT_EQ(spares.kept_bytes(), 0u);
}

}  // namespace
}  // namespace astrolabe::pdata
