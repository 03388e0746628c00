#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "pdata/logs.h"
#include "pdata/metrics.h"
#include "pdata/spares.h"
#include "pdata/traces.h"
#include "wire/otlp_proto.h"
#include "wire/proto_wire.h"
#include "wire/otlp_testdata.h"
#include "wire/test_util.h"

#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace astrolabe::wire {
namespace {

using namespace pdata;
using test::Unhex;

// Builds messages field by field for inputs the encoder would never write.
class Msg {
 public:
  Msg& Varint(uint32_t field, uint64_t v) {
    AppendTag(&s_, field, WireType::kVarint);
    AppendVarint(&s_, v);
    return *this;
  }
  Msg& Fixed64(uint32_t field, uint64_t v) {
    AppendTag(&s_, field, WireType::kFixed64);
    AppendFixed64(&s_, v);
    return *this;
  }
  Msg& Double(uint32_t field, double v) { return Fixed64(field, std::bit_cast<uint64_t>(v)); }
  Msg& Fixed32(uint32_t field, uint32_t v) {
    AppendTag(&s_, field, WireType::kFixed32);
    AppendFixed32(&s_, v);
    return *this;
  }
  Msg& Bytes(uint32_t field, std::string_view v) {
    AppendLengthDelimited(&s_, field, v);
    return *this;
  }
  Msg& Sub(uint32_t field, const Msg& m) { return Bytes(field, m.s_); }
  Msg& Raw(std::string_view hex) {
    s_ += Unhex(hex);
    return *this;
  }
  Msg& Append(const Msg& m) {
    s_ += m.s_;
    return *this;
  }
  const std::string& str() const { return s_; }

 private:
  std::string s_;
};

// request{resource_metrics{scope_metrics{metrics = m}}}
std::string WrapMetric(const Msg& metric) {
  return Msg().Sub(1, Msg().Sub(2, Msg().Sub(2, metric))).str();
}

TEST(DecodeMetricsTest, EmptyInputIsAnEmptyRequest) {
  auto r = DecodeMetricsRequest("");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->empty());
}

TEST(DecodeMetricsTest, GoldenGauge) {
  std::string bytes = Unhex(
      "0a 1d 12 1b 12 19 0a 01 6d 2a 14 0a 12 19 01 00 00 00 00 00 00 00 21 00 00 00 00 00 00 "
      "f0 3f");
  auto r = DecodeMetricsRequest(bytes);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Metric& m = r->resource_metrics.at(0).scope_metrics.at(0).metrics.at(0);
  EXPECT_EQ(m.name, "m");
  ASSERT_EQ(m.type(), MetricType::kGauge);
  const auto& p = std::get<Gauge>(m.data).data_points.at(0);
  EXPECT_EQ(p.time_unix_nano, 1u);
  EXPECT_EQ(p.AsDouble(), 1.0);
  EXPECT_FALSE(p.is_int());
}

TEST(DecodeMetricsTest, AcceptsUnpackedRepeatedScalars) {
  Msg point;
  point.Fixed64(6, 1)
      .Fixed64(6, 2)                                         // unpacked bucket_counts
      .Bytes(6, Msg().Raw("03 00 00 00 00 00 00 00").str())  // then a packed run
      .Double(7, 0.5)                                        // unpacked bound
      .Bytes(7, Msg().Double(1, 0).str().substr(1));         // packed bound 0.0
  std::string bytes = WrapMetric(Msg().Sub(9, Msg().Sub(1, point)));
  auto r = DecodeMetricsRequest(bytes);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const auto& p = std::get<Histogram>(r->resource_metrics[0].scope_metrics[0].metrics[0].data)
                      .data_points.at(0);
  EXPECT_EQ(p.bucket_counts, (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(p.explicit_bounds, (std::vector<double>{0.5, 0.0}));
  EXPECT_FALSE(p.sum.has_value());
  EXPECT_FALSE(p.min.has_value());
}

TEST(DecodeMetricsTest, AcceptsUnpackedExponentialBuckets) {
  Msg buckets;
  buckets.Varint(1, 3).Varint(2, 7).Bytes(2, Unhex("01 ac 02")).Varint(2, 9);
  std::string bytes = WrapMetric(Msg().Sub(10, Msg().Sub(1, Msg().Sub(9, buckets))));
  auto r = DecodeMetricsRequest(bytes);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const auto& p =
      std::get<ExponentialHistogram>(r->resource_metrics[0].scope_metrics[0].metrics[0].data)
          .data_points.at(0);
  EXPECT_EQ(p.negative.offset, -2);
  EXPECT_EQ(p.negative.bucket_counts, (std::vector<uint64_t>{7, 1, 300, 9}));
}

TEST(DecodeMetricsTest, SkipsUnknownFieldsOfEveryWireType) {
  Msg unknown;
  unknown.Varint(100, 5).Fixed64(101, 6).Fixed32(102, 7).Bytes(103, "x").Raw("ab 06 08 01 ac 06");
  // ^ then a group: field 101 start-group (tag 811 = "ab 06"), one varint, end-group ("ac 06").
  Msg resource;
  resource.Append(unknown)
      .Sub(1, Msg().Bytes(1, "k").Sub(2, Msg().Bytes(1, "v").Varint(8, 3)))  // strindex skipped
      .Sub(3, Msg().Bytes(2, "entity"));                                     // entity_refs
  Msg metric;
  metric.Append(unknown).Bytes(1, "n").Append(unknown);
  std::string bytes =
      Msg()
          .Append(unknown)
          .Sub(1, Msg().Sub(1, resource).Append(unknown).Sub(2, Msg().Sub(2, metric)))
          .str();
  auto r = DecodeMetricsRequest(bytes);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const ResourceMetrics& rm = r->resource_metrics.at(0);
  ASSERT_EQ(rm.resource.attributes.size(), 1u);
  EXPECT_EQ(rm.resource.attributes[0].key, "k");
  EXPECT_EQ(rm.resource.attributes[0].value, AnyValue("v"));
  EXPECT_EQ(rm.scope_metrics.at(0).metrics.at(0).name, "n");
}

TEST(DecodeMetricsTest, MergesRepeatedOccurrencesAsProtobufDoes) {
  Msg point1 = Msg().Double(4, 1);
  Msg point2 = Msg().Double(4, 2);
  Msg metric;
  metric.Bytes(1, "first")
      .Sub(5, Msg().Sub(1, point1))
      .Sub(5, Msg().Sub(1, point2))  // second gauge occurrence merges: two points
      .Bytes(1, "last");             // last scalar wins
  auto r = DecodeMetricsRequest(WrapMetric(metric));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Metric& m = r->resource_metrics[0].scope_metrics[0].metrics[0];
  EXPECT_EQ(m.name, "last");
  ASSERT_EQ(m.type(), MetricType::kGauge);
  EXPECT_EQ(std::get<Gauge>(m.data).data_points.size(), 2u);

  // A later member of the oneof replaces an earlier one.
  Msg switched;
  switched.Sub(5, Msg().Sub(1, point1)).Sub(7, Msg().Varint(2, 1));
  r = DecodeMetricsRequest(WrapMetric(switched));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Metric& s = r->resource_metrics[0].scope_metrics[0].metrics[0];
  ASSERT_EQ(s.type(), MetricType::kSum);
  EXPECT_EQ(std::get<Sum>(s.data).aggregation_temporality, AggregationTemporality::kDelta);
  EXPECT_TRUE(std::get<Sum>(s.data).data_points.empty());

  // as_int after as_double: the int wins.
  Msg point3 = Msg().Double(4, 1.5).Fixed64(6, static_cast<uint64_t>(-7));
  r = DecodeMetricsRequest(WrapMetric(Msg().Sub(5, Msg().Sub(1, point3))));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const auto& p =
      std::get<Gauge>(r->resource_metrics[0].scope_metrics[0].metrics[0].data).data_points[0];
  ASSERT_TRUE(p.is_int());
  EXPECT_EQ(std::get<int64_t>(p.value), -7);
}

TEST(DecodeMetricsTest, ErrorNamesFieldPathAndOffset) {
  // resource_metrics[0].scope_metrics[1].metrics[3] holds a truncated string field.
  Msg bad_metric;
  bad_metric.Bytes(1, "ok").Raw("12 05 61");  // description: length 5, 1 byte present
  Msg sm1;
  for (int i = 0; i < 3; ++i) sm1.Sub(2, Msg().Bytes(1, "m"));
  sm1.Sub(2, bad_metric);
  std::string bytes = Msg().Sub(1, Msg().Sub(2, Msg()).Sub(2, sm1)).str();
  // Offsets: request 0a 1c (2) | rm: 12 00 (2) 12 18 (2) | sm1: 3 metrics of 5 bytes (15),
  // 12 07 (2) | metric: 0a 02 6f 6b (4) | the bad field's tag at 2+2+2+15+2+4 = 27.
  auto r = DecodeMetricsRequest(bytes);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(),
            "resource_metrics[0].scope_metrics[1].metrics[3].description: truncated "
            "length-delimited field at offset 27");
}

TEST(DecodeMetricsTest, RejectsWrongWireTypeForKnownField) {
  auto r = DecodeMetricsRequest(WrapMetric(Msg().Varint(1, 5)));  // name as varint
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "resource_metrics[0].scope_metrics[0].metrics[0].name: wire type varint, want "
            "length-delimited at offset 6");
}

TEST(DecodeMetricsTest, RejectsBadPackedLengths) {
  Msg point = Msg().Bytes(6, "1234567");  // 7 bytes of fixed64
  auto r = DecodeMetricsRequest(WrapMetric(Msg().Sub(9, Msg().Sub(1, point))));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("histogram.data_points[0].bucket_counts: packed fixed64"),
            std::string::npos)
      << r.status().message();
  Msg buckets = Msg().Bytes(2, Unhex("01 80"));  // unterminated varint in a packed run
  r = DecodeMetricsRequest(WrapMetric(Msg().Sub(10, Msg().Sub(1, Msg().Sub(8, buckets)))));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("positive.bucket_counts: truncated packed varint"),
            std::string::npos)
      << r.status().message();
}

TEST(DecodeMetricsTest, RejectsTopLevelGarbage) {
  auto r = DecodeMetricsRequest(Unhex("0a 05 12"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "resource_metrics[0]: truncated length-delimited field at offset 0");
  r = DecodeMetricsRequest(Unhex("07"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "invalid field number at offset 0");
}

TEST(DecodeMetricsTest, NestingDepthIsLimited) {
  // An attribute whose value is an array nested n deep.
  auto nested = [](int n) {
    Msg v = Msg().Varint(2, 1);  // bool leaf
    for (int i = 0; i < n; ++i) v = Msg().Sub(5, Msg().Sub(1, v));
    Msg resource = Msg().Sub(1, Msg().Bytes(1, "k").Sub(2, v));
    return Msg().Sub(1, Msg().Sub(1, resource)).str();
  };
  // request(1) rm(2) resource(3) kv(4) value(5) + 2 per array level.
  EXPECT_TRUE(DecodeMetricsRequest(nested(47)).ok());  // depth 99
  auto r = DecodeMetricsRequest(nested(48));           // depth 101
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("messages nested deeper than 100"), std::string::npos)
      << r.status().message();
  EXPECT_TRUE(DecodeMetricsRequest(nested(1000), {.max_depth = 3000}).ok());
  EXPECT_FALSE(DecodeMetricsRequest(nested(1), {.max_depth = 5}).ok());
}

TEST(DecodeMetricsTest, InvalidUtf8PassesByDefaultAndIsRejectedOnRequest) {
  Msg resource = Msg().Sub(1, Msg().Bytes(1, "ok").Sub(2, Msg().Bytes(1, "bad\xff")));
  std::string bytes = Msg().Sub(1, Msg().Sub(1, resource)).str();
  auto r = DecodeMetricsRequest(bytes);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->resource_metrics[0].resource.attributes[0].value.string_value(), "bad\xff");
  r = DecodeMetricsRequest(bytes, {.validate_utf8 = true});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "resource_metrics[0].resource.attributes[0].value.string_value: invalid UTF-8 at "
            "offset 12");
  // bytes_value is not a string: never checked.
  Msg bytes_attr = Msg().Sub(1, Msg().Bytes(1, "b").Sub(2, Msg().Bytes(7, "\xff")));
  EXPECT_TRUE(
      DecodeMetricsRequest(Msg().Sub(1, Msg().Sub(1, bytes_attr)).str(), {.validate_utf8 = true})
          .ok());
}

TEST(DecodeTracesTest, IdsMustHaveTheirSize) {
  auto span_with = [](Msg span) { return Msg().Sub(1, Msg().Sub(2, Msg().Sub(2, span))).str(); };
  auto r = DecodeTracesRequest(span_with(Msg().Bytes(1, "short")));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "resource_spans[0].scope_spans[0].spans[0].trace_id: must be 16 bytes, got 5 at "
            "offset 6");
  r = DecodeTracesRequest(span_with(Msg().Bytes(4, std::string(9, 'x'))));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("parent_span_id: must be 8 bytes, got 9"), std::string::npos);
  r = DecodeTracesRequest(span_with(Msg().Bytes(1, "").Bytes(2, std::string(8, '\0'))));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->resource_spans[0].scope_spans[0].spans[0].trace_id.empty());
  EXPECT_TRUE(r->resource_spans[0].scope_spans[0].spans[0].span_id.empty());
}

TEST(DecodeTracesTest, GoldenSpan) {
  auto r =
      DecodeTracesRequest(Unhex("0a 13 12 11 12 0f 2a 01 73 30 02 7a 02 18 02 85 01 01 00 00 00"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Span& s = r->resource_spans.at(0).scope_spans.at(0).spans.at(0);
  EXPECT_EQ(s.name, "s");
  EXPECT_EQ(s.kind, SpanKind::kServer);
  EXPECT_EQ(s.flags, 1u);
  EXPECT_EQ(s.status.code, SpanStatus::Code::kError);
}

// GenAI-shaped spans of varying size: `n` spans, span i with i % 7 attributes, long string
// values, arrays and an int or two, so that reuse meets objects of every other shape.
Traces VaryingTraces(int n, int salt) {
  Traces t;
  t.resource_spans.emplace_back();
  t.resource_spans[0].resource.attributes = {{"service.name", "svc-" + std::to_string(salt)}};
  t.resource_spans[0].scope_spans.emplace_back();
  auto& spans = t.resource_spans[0].scope_spans[0].spans;
  for (int i = 0; i < n; ++i) {
    Span s;
    s.span_id.bytes[0] = uint8_t(i + 1);
    s.name = i % 2 ? "chat meta/llama-3.1-8b-instruct" : "w";
    s.start_time_unix_nano = uint64_t(salt * 1000 + i);
    for (int a = 0; a < (i + salt) % 7; ++a) {
      const std::string key = "gen_ai.attribute.number." + std::to_string(a);
      if (a % 3 == 0) {
        s.attributes.push_back({key, std::string(size_t(10 + 40 * a + salt), char('a' + a))});
      } else if (a % 3 == 1) {
        s.attributes.push_back({key, int64_t(a * salt)});
      } else {
        s.attributes.push_back({key, ArrayValue{AnyValue("stop"), AnyValue(std::string(40, 'z'))}});
      }
    }
    if (i % 5 == salt % 5) s.status = {"upstream returned 429, retry later please", SpanStatus::Code::kError};
    spans.push_back(std::move(s));
  }
  return t;
}

TEST(DecodeTracesTest, DecodingIntoSparesEqualsAFreshDecode) {
  pdata::TracesSpares spares;
  Traces reused;
  // Shapes in an order that grows, shrinks and changes every object's contents.
  std::vector<Traces> inputs;
  inputs.push_back(VaryingTraces(50, 1));
  inputs.push_back(testdata::RichTraces());
  inputs.push_back(VaryingTraces(10, 2));
  inputs.push_back(VaryingTraces(80, 3));
  inputs.push_back(Traces());
  inputs.push_back(VaryingTraces(80, 4));
  inputs.push_back(testdata::RichTraces());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const std::string bytes = EncodeTracesRequest(inputs[i]);
    spares.Harvest(reused);
    ASSERT_TRUE(reused.empty());
    Status s = DecodeTracesRequest(bytes, &reused, &spares);
    ASSERT_TRUE(s.ok()) << s.ToString();
    auto fresh = DecodeTracesRequest(bytes);
    ASSERT_TRUE(fresh.ok());
    EXPECT_EQ(reused, *fresh) << "input " << i;
    EXPECT_EQ(reused, inputs[i]) << "input " << i;
  }
}

// Attributes written over the ones a spare span kept (KeptKeyValueMsg): every shape a
// KeyValue can take on the wire ends as a fresh decode's, whatever value was there before.
TEST(DecodeTracesTest, AttributesWrittenOverKeptOnesEqualAFreshDecode) {
  auto request = [](const std::vector<Msg>& attributes) {
    Msg span;
    span.Bytes(5, "chat");
    for (const Msg& kv : attributes) span.Sub(9, kv);
    return Msg().Sub(1, Msg().Sub(2, Msg().Sub(2, span))).str();
  };
  auto str = [](std::string_view v) { return Msg().Bytes(1, v); };
  const std::string long_value(300, 'v');
  std::vector<Msg> before;
  for (int i = 0; i < 9; ++i) {
    before.push_back(Msg().Bytes(1, "k" + std::to_string(i)).Sub(2, str(long_value)));
  }
  const std::vector<Msg> after = {
      Msg().Bytes(1, "no value"),
      Msg().Bytes(1, "empty value").Sub(2, Msg()),
      Msg().Bytes(1, "int").Sub(2, Msg().Varint(3, 7)),
      Msg().Bytes(1, "string, then an empty value: merged").Sub(2, str("abc")).Sub(2, Msg()),
      Msg().Bytes(1, "string, then a bool: the bool").Sub(2, str("abc")).Sub(2, Msg().Varint(2, 1)),
      Msg().Bytes(1, "string and an unknown field").Sub(2, str("x").Bytes(8, "?")),
      Msg().Sub(2, str(std::string(250, 'w'))).Bytes(1, "value before key, in place"),
      Msg().Bytes(1, "short: not in place").Sub(2, str("s")),
      Msg().Bytes(1, "longer than before").Sub(2, str(std::string(5000, 'l'))),
      Msg().Bytes(1, "one more than the span had").Sub(2, str("new")),
  };
  for (const auto& second : {after, std::vector<Msg>(after.begin(), after.begin() + 3)}) {
    pdata::TracesSpares spares;
    Traces reused;
    ASSERT_TRUE(DecodeTracesRequest(request(before), &reused, &spares).ok());
    const char* kept_buffer =
        reused.resource_spans[0].scope_spans[0].spans[0].attributes[6].value.string_value().data();
    spares.Harvest(reused);
    const std::string bytes = request(second);
    Status s = DecodeTracesRequest(bytes, &reused, &spares);
    ASSERT_TRUE(s.ok()) << s.ToString();
    auto fresh = DecodeTracesRequest(bytes);
    ASSERT_TRUE(fresh.ok());
    EXPECT_EQ(reused, *fresh);
    const auto& attributes = reused.resource_spans.at(0).scope_spans.at(0).spans.at(0).attributes;
    ASSERT_EQ(attributes.size(), second.size());
    EXPECT_EQ(attributes[0].value, AnyValue());
    EXPECT_EQ(attributes[1].value, AnyValue());
    EXPECT_EQ(attributes[2].value, AnyValue(int64_t(7)));
    if (second.size() > 3) {
      EXPECT_EQ(attributes[3].value, AnyValue("abc"));
      EXPECT_EQ(attributes[4].value, AnyValue(true));
      EXPECT_EQ(attributes[5].value, AnyValue("x"));
      EXPECT_EQ(attributes[6].value, AnyValue(std::string(250, 'w')));
      EXPECT_EQ(attributes[6].value.string_value().data(), kept_buffer);  // written in place
      EXPECT_EQ(attributes[7].value, AnyValue("s"));
      // Not written over the old 300-byte buffer: that would keep 300 bytes for one.
      EXPECT_LT(attributes[7].value.string_value().capacity(), 300u);
    }
  }
}

// Malformed values over kept string values fail exactly as a fresh decode does (the in-place
// path gives up on anything but one valid string field).
TEST(DecodeTracesTest, BadValuesOverKeptOnesFailAsAFreshDecode) {
  auto request = [](const Msg& kv) {
    return Msg().Sub(1, Msg().Sub(2, Msg().Sub(2, Msg().Bytes(5, "chat").Sub(9, kv)))).str();
  };
  const std::string kept =
      request(Msg().Bytes(1, "gen_ai.prompt").Sub(2, Msg().Bytes(1, std::string(100, 'p'))));
  const std::vector<std::string> bad = {
      request(Msg().Bytes(1, "k").Sub(2, Msg().Varint(1, 5))),          // string_value as a varint
      request(Msg().Bytes(1, "k").Sub(2, Msg().Raw("0a 05 61"))),       // length past the end
      request(Msg().Bytes(1, "k").Sub(2, Msg().Raw("02 00"))),          // field 0
      request(Msg().Bytes(1, "k").Sub(2, Msg().Bytes(1, "\xff\xfe"))),  // not UTF-8
      request(Msg().Bytes(1, "k").Sub(2, Msg().Bytes(1, "ok").Raw("0f"))),  // bad tag after
  };
  for (const bool utf8 : {false, true}) {
    for (const int depth : {3, 4, 5, 6, 100}) {
      const DecodeOptions options{.max_depth = depth, .validate_utf8 = utf8};
      for (size_t i = 0; i < bad.size(); ++i) {
        pdata::TracesSpares spares;
        Traces reused;
        ASSERT_TRUE(DecodeTracesRequest(kept, &reused, &spares).ok());
        spares.Harvest(reused);
        Status s = DecodeTracesRequest(bad[i], &reused, &spares, options);
        auto fresh = DecodeTracesRequest(bad[i], options);
        SCOPED_TRACE("input " + std::to_string(i) + ", depth " + std::to_string(depth) +
                     (utf8 ? ", UTF-8 checked" : ""));
        ASSERT_EQ(s.ok(), fresh.ok()) << s.ToString();
        if (s.ok()) {
          EXPECT_EQ(reused, *fresh);
        } else {
          EXPECT_EQ(s.message(), fresh.status().message());
        }
      }
    }
  }
}

// The attribute shapes the decoder reads without its general loop, {1: key, 2: {one string,
// bool, int or double}}, at the edges of that fast path: one- and two-byte lengths, the first
// three-byte one, non-minimal varints, nine- and ten-byte ints, an empty key, and shapes next to
// them that must take the general path. Each decodes to what protobuf says it is, fresh and
// into spares (over a kept string value and over a kept int).
TEST(DecodeTracesTest, PlainAttributesAtTheFastPathEdges) {
  auto request = [](const Msg& kv) {
    return Msg().Sub(1, Msg().Sub(2, Msg().Sub(2, Msg().Bytes(5, "chat").Sub(9, kv)))).str();
  };
  auto plain = [](std::string_view key, std::string_view value) {
    return Msg().Bytes(1, key).Sub(2, Msg().Bytes(1, value));
  };
  struct Case {
    std::string name;
    Msg kv;
    std::string key;
    AnyValue value;
  };
  std::vector<Case> cases;
  for (size_t n : {0, 1, 127, 128, 16383, 16384, 70000}) {
    const std::string key(n % 300, 'k'), value(n, 'v');
    cases.push_back({"length " + std::to_string(n), plain(key, value), key, AnyValue(value)});
  }
  cases.push_back({"non-minimal key length", Msg().Raw("0a 81 00 61").Sub(2, Msg().Bytes(1, "v")),
                   "a", AnyValue("v")});
  cases.push_back({"non-minimal string length",
                   Msg().Bytes(1, "k").Sub(2, Msg().Raw("0a 82 00 68 69")), "k", AnyValue("hi")});
  cases.push_back({"three-byte key length", Msg().Raw("0a 81 80 00 61").Sub(2, Msg().Bytes(1, "v")),
                   "a", AnyValue("v")});
  cases.push_back({"two keys: the last",
                   Msg().Bytes(1, "a").Bytes(1, "b").Sub(2, Msg().Bytes(1, "v")), "b",
                   AnyValue("v")});
  cases.push_back({"trailing unknown field", plain("k", "v").Varint(9, 1), "k", AnyValue("v")});
  cases.push_back({"string then int: the int",
                   Msg().Bytes(1, "k").Sub(2, Msg().Bytes(1, "s").Varint(3, 4)), "k",
                   AnyValue(int64_t(4))});
  cases.push_back({"bytes value", Msg().Bytes(1, "k").Sub(2, Msg().Bytes(7, "b")), "k",
                   AnyValue(pdata::Bytes{"b"})});
  auto scalar = [](const Msg& value) { return Msg().Bytes(1, "k").Sub(2, value); };
  cases.push_back({"bool true", scalar(Msg().Varint(2, 1)), "k", AnyValue(true)});
  cases.push_back({"bool false", scalar(Msg().Varint(2, 0)), "k", AnyValue(false)});
  cases.push_back(
      {"bool from a large varint", scalar(Msg().Varint(2, 1ull << 40)), "k", AnyValue(true)});
  cases.push_back(
      {"bool non-minimal zero", scalar(Msg().Raw("10 80 80 00")), "k", AnyValue(false)});
  cases.push_back({"int 0", scalar(Msg().Varint(3, 0)), "k", AnyValue(int64_t(0))});
  cases.push_back({"int 300", scalar(Msg().Varint(3, 300)), "k", AnyValue(int64_t(300))});
  cases.push_back(
      {"int max (nine bytes)", scalar(Msg().Varint(3, INT64_MAX)), "k", AnyValue(INT64_MAX)});
  cases.push_back(
      {"int -1 (ten bytes)", scalar(Msg().Varint(3, uint64_t(-1))), "k", AnyValue(int64_t(-1))});
  cases.push_back({"int min (ten bytes)", scalar(Msg().Varint(3, uint64_t(INT64_MIN))), "k",
                   AnyValue(INT64_MIN)});
  cases.push_back({"int then string: the string", scalar(Msg().Varint(3, 1).Bytes(1, "s")), "k",
                   AnyValue("s")});
  cases.push_back({"double", scalar(Msg().Double(4, 0.25)), "k", AnyValue(0.25)});
  cases.push_back({"double -0", scalar(Msg().Double(4, -0.0)), "k", AnyValue(-0.0)});
  cases.push_back(
      {"double then unknown", scalar(Msg().Double(4, 2.5).Varint(20, 1)), "k", AnyValue(2.5)});
  const std::vector<std::string> kept = {
      request(plain("gen_ai.prompt", std::string(200, 'p'))),
      request(Msg().Bytes(1, "gen_ai.usage.input_tokens").Sub(2, Msg().Varint(3, 77))),
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string bytes = request(c.kv);
    auto fresh = DecodeTracesRequest(bytes);
    ASSERT_TRUE(fresh.ok()) << fresh.status().ToString();
    const auto& kv = fresh->resource_spans.at(0).scope_spans.at(0).spans.at(0).attributes.at(0);
    EXPECT_EQ(kv.key, c.key);
    EXPECT_EQ(kv.value, c.value);
    for (const std::string& before : kept) {
      pdata::TracesSpares spares;
      Traces reused;
      ASSERT_TRUE(DecodeTracesRequest(before, &reused, &spares).ok());
      spares.Harvest(reused);
      ASSERT_TRUE(DecodeTracesRequest(bytes, &reused, &spares).ok());
      EXPECT_EQ(reused, *fresh);
    }
  }
  // Errors keep their place and reason: a key or value not UTF-8, and a value too deep.
  const DecodeOptions utf8{.validate_utf8 = true};
  auto bad_key = DecodeTracesRequest(request(plain("\xff", "v")), utf8);
  ASSERT_FALSE(bad_key.ok());
  EXPECT_NE(bad_key.status().message().find("attributes[0].key"), std::string::npos)
      << bad_key.status().ToString();
  EXPECT_NE(bad_key.status().message().find("invalid UTF-8"), std::string::npos)
      << bad_key.status().ToString();
  auto bad_value = DecodeTracesRequest(request(plain("k", "\xc0\x80")), utf8);
  ASSERT_FALSE(bad_value.ok());
  EXPECT_NE(bad_value.status().message().find("attributes[0].value.string_value"),
            std::string::npos)
      << bad_value.status().ToString();
  EXPECT_TRUE(DecodeTracesRequest(request(plain("\xff", "\xc0\x80"))).ok());  // not checked
  auto short_double =
      DecodeTracesRequest(request(Msg().Bytes(1, "k").Sub(2, Msg().Raw("21 00 00"))));
  ASSERT_FALSE(short_double.ok());
  EXPECT_NE(short_double.status().message().find("attributes[0].value"), std::string::npos)
      << short_double.status().ToString();
  // A length past the end of the attribute: an error at its place, never a read past it.
  for (const char* raw : {"0a 05 61 62", "0a 01 61 12 04 0a 02 68", "0a 01 61 12 03 0a 85 01"}) {
    SCOPED_TRACE(raw);
    auto cut = DecodeTracesRequest(request(Msg().Raw(raw)));
    ASSERT_FALSE(cut.ok());
    EXPECT_NE(cut.status().message().find("attributes[0]"), std::string::npos)
        << cut.status().ToString();
  }
  // Request > resource_spans > scope_spans > spans > attributes > value: six levels.
  EXPECT_TRUE(DecodeTracesRequest(request(plain("k", "v")), DecodeOptions{.max_depth = 6}).ok());
  auto deep = DecodeTracesRequest(request(plain("k", "v")), DecodeOptions{.max_depth = 5});
  ASSERT_FALSE(deep.ok());
  EXPECT_NE(deep.status().message().find("nested deeper than 5"), std::string::npos)
      << deep.status().ToString();
  EXPECT_NE(deep.status().message().find("attributes[0].value"), std::string::npos)
      << deep.status().ToString();
  // The same limits over kept attributes, which SpanMsg writes in its own loop.
  for (int max_depth : {5, 6}) {
    SCOPED_TRACE(max_depth);
    pdata::TracesSpares spares;
    Traces reused;
    ASSERT_TRUE(DecodeTracesRequest(kept[0], &reused, &spares).ok());
    spares.Harvest(reused);
    Status st = DecodeTracesRequest(request(plain("k", "v")), &reused, &spares,
                                    DecodeOptions{.max_depth = max_depth});
    EXPECT_EQ(st.ok(), max_depth == 6) << st.ToString();
    if (!st.ok()) {
      EXPECT_NE(st.message().find("attributes[0].value"), std::string::npos) << st.ToString();
    }
  }
}

TEST(DecodeTracesTest, DecodingIntoSparesReportsErrorsAsAFreshDecode) {
  pdata::TracesSpares spares;
  Traces reused = VaryingTraces(20, 1);
  spares.Harvest(reused);
  std::string bytes = EncodeTracesRequest(VaryingTraces(20, 2));
  bytes.resize(bytes.size() - 3);
  Status s = DecodeTracesRequest(bytes, &reused, &spares);
  auto fresh = DecodeTracesRequest(bytes);
  ASSERT_FALSE(s.ok());
  ASSERT_FALSE(fresh.ok());
  EXPECT_EQ(s.message(), fresh.status().message());
}

TEST(DecodeLogsTest, GoldenRecordWithNegativeEnum) {
  auto r = DecodeLogsRequest(
      Unhex("0a 18 12 16 12 14 10 ff ff ff ff ff ff ff ff ff 01 2a 04 0a 02 68 69 62 01 65"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const LogRecord& l = r->resource_logs.at(0).scope_logs.at(0).log_records.at(0);
  EXPECT_EQ(static_cast<int32_t>(l.severity_number), -1);
  EXPECT_EQ(l.body, AnyValue("hi"));
  EXPECT_EQ(l.event_name, "e");
}

TEST(DecodeResponseTest, PartialSuccessAndStatus) {
  auto r = DecodeExportResponse("");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->partial_success.has_value());
  r = DecodeExportResponse(Unhex("0a 00"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->partial_success, ExportPartialSuccess{});
  r = DecodeExportResponse(Unhex("0a 07 08 05 12 03 62 61 64"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->partial_success, (ExportPartialSuccess{5, "bad"}));
  EXPECT_FALSE(DecodeExportResponse(Unhex("0a 07 08")).ok());

  auto s = DecodeRpcStatus(Unhex("08 03 12 03 62 61 64 1a 06 0a 01 74 12 01 01"));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(*s, (RpcStatus{.code = 3, .message = "bad", .details = {{"t", "\x01"}}}));
  // A plain-text error body is not a Status.
  EXPECT_FALSE(DecodeRpcStatus("Internal Server Error").ok());
}

// ---- Payloads produced by a real SDK: @opentelemetry/otlp-transformer 0.223.1 with
// sdk-metrics / sdk-trace-base 2.12.1 and sdk-logs 0.223.1 (protobufjs encoding, which writes
// fields in declaration order, not number order, and sends empty sub-messages). Generated once
// by hand; see testdata/README.md.

std::string ReadTestdata(const std::string& name) {
  std::ifstream in("testdata/" + name, std::ios::binary);
  EXPECT_TRUE(in.good()) << "testdata/" << name << " (tests run from src/wire)";
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

const Metric* FindMetric(const Metrics& m, std::string_view name) {
  for (const auto& rm : m.resource_metrics) {
    for (const auto& sm : rm.scope_metrics) {
      for (const auto& metric : sm.metrics) {
        if (metric.name == name) return &metric;
      }
    }
  }
  return nullptr;
}

TEST(RealSdkPayloadTest, JsSdkMetrics) {
  std::string bytes = ReadTestdata("js_sdk_metrics.binpb");
  auto r = DecodeMetricsRequest(bytes, {.validate_utf8 = true});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->resource_metrics.size(), 1u);
  const ResourceMetrics& rm = r->resource_metrics[0];
  EXPECT_EQ(*FindAttribute(rm.resource.attributes, "service.name"), AnyValue("js-sdk-sample"));
  EXPECT_EQ(*FindAttribute(rm.resource.attributes, "host.cpu.count"), AnyValue(int64_t{8}));
  EXPECT_EQ(*FindAttribute(rm.resource.attributes, "tags"),
            AnyValue(ArrayValue{AnyValue("a"), AnyValue("b")}));
  ASSERT_EQ(rm.scope_metrics.size(), 1u);
  EXPECT_EQ(rm.scope_metrics[0].scope.name, "sample-meter");
  EXPECT_EQ(rm.scope_metrics[0].scope.version, "0.1.0");
  EXPECT_EQ(rm.scope_metrics[0].schema_url, "https://opentelemetry.io/schemas/1.26.0");
  EXPECT_EQ(r->MetricCount(), 6u);

  const Metric* requests = FindMetric(*r, "requests");
  ASSERT_NE(requests, nullptr);
  EXPECT_EQ(requests->description, "requests served");
  EXPECT_EQ(requests->unit, "{request}");
  const Sum& sum = std::get<Sum>(requests->data);
  EXPECT_EQ(sum.aggregation_temporality, AggregationTemporality::kDelta);
  EXPECT_TRUE(sum.is_monotonic);
  ASSERT_EQ(sum.data_points.size(), 2u);
  EXPECT_EQ(sum.data_points[0].AsDouble() + sum.data_points[1].AsDouble(), 7.5);

  const Metric* inflight = FindMetric(*r, "inflight");
  ASSERT_NE(inflight, nullptr);
  const Sum& updown = std::get<Sum>(inflight->data);
  EXPECT_FALSE(updown.is_monotonic);
  EXPECT_EQ(updown.aggregation_temporality, AggregationTemporality::kCumulative);
  EXPECT_EQ(updown.data_points.at(0).value, (std::variant<double, int64_t>(int64_t{2})));

  const Metric* latency = FindMetric(*r, "latency");
  ASSERT_NE(latency, nullptr);
  const HistogramDataPoint& h = std::get<Histogram>(latency->data).data_points.at(0);
  EXPECT_EQ(h.count, 5u);
  EXPECT_EQ(h.explicit_bounds, (std::vector<double>{0.1, 0.5, 1, 5}));
  EXPECT_EQ(h.bucket_counts, (std::vector<uint64_t>{1, 1, 1, 1, 1}));
  EXPECT_EQ(h.min, 0.05);
  EXPECT_EQ(h.max, 9);
  EXPECT_NE(h.start_time_unix_nano, 0u);
  EXPECT_GE(h.time_unix_nano, h.start_time_unix_nano);

  const Metric* exp = FindMetric(*r, "exp_latency");
  ASSERT_NE(exp, nullptr);
  const ExponentialHistogramDataPoint& e =
      std::get<ExponentialHistogram>(exp->data).data_points.at(0);
  EXPECT_EQ(e.count, 6u);
  EXPECT_EQ(e.scale, 3);
  EXPECT_EQ(e.zero_count, 1u);
  EXPECT_EQ(e.positive.offset, -80);
  EXPECT_EQ(e.positive.bucket_counts.size(), 160u);
  EXPECT_TRUE(e.negative.bucket_counts.empty());  // sent as an empty message
  EXPECT_EQ(e.max, 1000);

  const Metric* temperature = FindMetric(*r, "temperature");
  ASSERT_NE(temperature, nullptr);
  EXPECT_EQ(std::get<Gauge>(temperature->data).data_points.size(), 2u);
  const Metric* depth = FindMetric(*r, "queue_depth");
  ASSERT_NE(depth, nullptr);
  EXPECT_EQ(std::get<Gauge>(depth->data).data_points.at(0).value,
            (std::variant<double, int64_t>(int64_t{42})));

  // Our canonical re-encoding decodes to the same data (byte equality is not expected: the
  // SDK writes fields in declaration order and an empty `negative {}`).
  auto again = DecodeMetricsRequest(EncodeMetricsRequest(*r));
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(*again == *r);
}

TEST(RealSdkPayloadTest, JsSdkTraces) {
  std::string bytes = ReadTestdata("js_sdk_traces.binpb");
  auto r = DecodeTracesRequest(bytes, {.validate_utf8 = true});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->SpanCount(), 2u);
  const ScopeSpans& ss = r->resource_spans.at(0).scope_spans.at(0);
  EXPECT_EQ(ss.scope.name, "sample-tracer");
  const Span* root = nullptr;
  const Span* child = nullptr;
  for (const Span& s : ss.spans) (s.parent_span_id.empty() ? root : child) = &s;
  ASSERT_NE(root, nullptr);
  ASSERT_NE(child, nullptr);
  EXPECT_EQ(root->name, "POST /v1/chat/completions");
  EXPECT_EQ(root->kind, SpanKind::kServer);
  EXPECT_EQ(root->status.code, SpanStatus::Code::kOk);
  EXPECT_EQ(*FindAttribute(root->attributes, "gen_ai.usage.input_tokens"), AnyValue(int64_t{12}));
  EXPECT_FALSE(root->trace_id.empty());
  EXPECT_EQ(child->trace_id, root->trace_id);
  EXPECT_EQ(child->parent_span_id, root->span_id);
  EXPECT_EQ(child->kind, SpanKind::kClient);
  EXPECT_EQ(child->status.code, SpanStatus::Code::kError);
  EXPECT_EQ(child->status.message, "upstream timeout");
  ASSERT_EQ(child->events.size(), 1u);
  EXPECT_EQ(child->events[0].name, "gen_ai.content.prompt");
  EXPECT_EQ(child->events[0].attributes.at(0).value, AnyValue("hello \xc3\xa9 \xe2\x9c\x93"));
  ASSERT_EQ(child->links.size(), 1u);
  EXPECT_EQ(child->links[0].span_id, root->span_id);
  EXPECT_EQ(child->flags & 0xff, 1u);  // sampled
  EXPECT_GT(child->end_time_unix_nano, child->start_time_unix_nano);

  auto again = DecodeTracesRequest(EncodeTracesRequest(*r));
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(*again == *r);
}

TEST(RealSdkPayloadTest, JsSdkLogs) {
  std::string bytes = ReadTestdata("js_sdk_logs.binpb");
  auto r = DecodeLogsRequest(bytes, {.validate_utf8 = true});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->LogRecordCount(), 2u);
  const auto& records = r->resource_logs.at(0).scope_logs.at(0).log_records;
  EXPECT_EQ(records[0].severity_number, SeverityNumber::kWarn);
  EXPECT_EQ(records[0].severity_text, "WARN");
  EXPECT_EQ(records[0].body, AnyValue("disk almost full"));
  EXPECT_EQ(*FindAttribute(records[0].attributes, "pct"), AnyValue(97.5));
  EXPECT_EQ(records[1].event_name, "device.disk.check");
  ASSERT_EQ(records[1].body.type(), AnyValue::Type::kKvList);
  EXPECT_EQ(records[1].body.kvlist_value().size(), 4u);
  EXPECT_NE(records[1].observed_time_unix_nano, 0u);

  auto again = DecodeLogsRequest(EncodeLogsRequest(*r));
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(*again == *r);
}

}  // namespace
}  // namespace astrolabe::wire
