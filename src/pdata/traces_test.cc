#include "pdata/traces.h"

#include <gtest/gtest.h>

#include <memory>

#include "pdata/spares.h"

// Tests build data with designated initializers that name only the fields they care
// about; g++ 12 warns about the rest under -Wextra.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace astrolabe::pdata {
namespace {

Traces SampleTraces() {
  Span a;
  TraceId::FromHex("0102030405060708090a0b0c0d0e0f10", &a.trace_id);
  SpanId::FromHex("1112131415161718", &a.span_id);
  a.name = "chat gpt-4o";
  a.kind = SpanKind::kClient;
  a.start_time_unix_nano = 1000;
  a.end_time_unix_nano = 3000;
  a.attributes = {{"gen_ai.request.model", "gpt-4o"}, {"gen_ai.usage.input_tokens", 12}};
  a.events.push_back(SpanEvent{.time_unix_nano = 2000, .name = "token"});
  a.links.push_back(SpanLink{.trace_state = "ot=th:0", .dropped_attributes_count = 1});
  a.status = {.message = "boom", .code = SpanStatus::Code::kError};
  Span b = a;
  b.parent_span_id = a.span_id;
  b.name = "child";

  ResourceSpans rs;
  rs.resource.attributes = {{"service.name", "app"}};
  rs.scope_spans.push_back(ScopeSpans{.scope = {.name = "openllmetry"}, .spans = {a, b}});
  rs.scope_spans.push_back(ScopeSpans{.spans = {a}});
  Traces td;
  td.resource_spans.push_back(rs);
  td.resource_spans.push_back(ResourceSpans{});
  return td;
}

TEST(TracesTest, Counts) {
  EXPECT_EQ(SampleTraces().SpanCount(), 3u);
  EXPECT_EQ(Traces().SpanCount(), 0u);
}

TEST(TracesTest, CloneIsDeepAndEqual) {
  Traces td = SampleTraces();
  Traces copy = td.Clone();
  EXPECT_EQ(copy, td);
  copy.resource_spans[0].scope_spans[0].spans[1].events[0].name = "other";
  EXPECT_NE(copy, td);
  EXPECT_EQ(td.resource_spans[0].scope_spans[0].spans[1].events[0].name, "token");
}

TEST(TracesTest, EqualitySeesIdsAndStatus) {
  Traces a = SampleTraces();
  Traces b = a.Clone();
  b.resource_spans[0].scope_spans[0].spans[0].trace_id.bytes[15] ^= 1;
  EXPECT_NE(a, b);
  Traces c = a.Clone();
  c.resource_spans[0].scope_spans[0].spans[0].status.code = SpanStatus::Code::kOk;
  EXPECT_NE(a, c);
}

TEST(TracesTest, SparesMoveWithTheDataButAreNotData) {
  Traces a = SampleTraces();
  a.spares = std::make_unique<TracesSpares>();
  a.spares->TakeBack(a.resource_spans[0].scope_spans[0].spans[0].attributes, 1);
  TracesSpares* spares = a.spares.get();
  Traces copy = a.Clone();
  EXPECT_EQ(copy.spares, nullptr);  // a clone's objects are its own; it has no spares
  EXPECT_EQ(copy, a);               // and equality is about the data only
  Traces moved = std::move(a);
  EXPECT_EQ(moved.spares.get(), spares);
  EXPECT_EQ(moved.spares->size(), 1u);
  Traces assigned;
  assigned = std::move(moved);
  EXPECT_EQ(assigned.spares.get(), spares);
}

TEST(TracesTest, Names) {
  EXPECT_EQ(SpanKindName(SpanKind::kServer), "Server");
  EXPECT_EQ(SpanKindName(SpanKind::kUnspecified), "Unspecified");
  EXPECT_EQ(SpanStatusCodeName(SpanStatus::Code::kError), "Error");
  EXPECT_EQ(SpanStatusCodeName(SpanStatus::Code::kUnset), "Unset");
}

}  // namespace
}  // namespace astrolabe::pdata
