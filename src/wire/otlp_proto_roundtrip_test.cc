// pdata -> encode -> decode == pdata, and bytes -> decode -> encode == bytes, for rich payloads
// of every kind; plus robustness: every truncation and every single-byte corruption of a valid
// message decodes to an error or to some message, never to a crash (run under ASan/UBSan).

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "pdata/logs.h"
#include "pdata/metrics.h"
#include "pdata/traces.h"
#include "wire/otlp_proto.h"
#include "wire/otlp_testdata.h"
#include "wire/proto_wire.h"

#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace astrolabe::wire {
namespace {

using namespace pdata;

TEST(RoundTripTest, RichMetrics) {
  Metrics original = testdata::RichMetrics();
  std::string bytes = EncodeMetricsRequest(original);
  auto decoded = DecodeMetricsRequest(bytes, {.validate_utf8 = true});
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_TRUE(*decoded == original);
  EXPECT_EQ(EncodeMetricsRequest(*decoded), bytes);
  EXPECT_EQ(decoded->DataPointCount(), original.DataPointCount());
}

TEST(RoundTripTest, RichTraces) {
  Traces original = testdata::RichTraces();
  std::string bytes = EncodeTracesRequest(original);
  auto decoded = DecodeTracesRequest(bytes, {.validate_utf8 = true});
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_TRUE(*decoded == original);
  EXPECT_EQ(EncodeTracesRequest(*decoded), bytes);
}

TEST(RoundTripTest, RichLogs) {
  Logs original = testdata::RichLogs();
  std::string bytes = EncodeLogsRequest(original);
  auto decoded = DecodeLogsRequest(bytes, {.validate_utf8 = true});
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_TRUE(*decoded == original);
  EXPECT_EQ(EncodeLogsRequest(*decoded), bytes);
}

// A record alone is the bytes it has inside a request of one empty resource and scope (they
// end that request), written in place to exactly the size Size gave: one encoder, reused for
// spans and log records alike.
TEST(RoundTripTest, RecordEncoderWritesWhatARequestHoldsInPlace) {
  RecordEncoder encoder;
  auto check = [&](const auto& record, const std::string& request) {
    const size_t size = encoder.Size(record);
    std::string buf(size + 8, '#');
    char* end = encoder.Write(record, buf.data());
    ASSERT_EQ(end, buf.data() + size);
    EXPECT_EQ(buf.substr(size), std::string(8, '#'));
    buf.resize(size);
    ASSERT_LT(buf.size(), request.size());
    EXPECT_EQ(request.substr(request.size() - size), buf);
  };
  size_t records = 0;
  for (const auto& rs : testdata::RichTraces().resource_spans) {
    for (const auto& ss : rs.scope_spans) {
      for (const Span& span : ss.spans) {
        Traces one;
        one.resource_spans.emplace_back().scope_spans.emplace_back().spans.push_back(span);
        check(span, EncodeTracesRequest(one));
        ++records;
      }
    }
  }
  for (const auto& rl : testdata::RichLogs().resource_logs) {
    for (const auto& sl : rl.scope_logs) {
      for (const LogRecord& record : sl.log_records) {
        Logs one;
        one.resource_logs.emplace_back().scope_logs.emplace_back().log_records.push_back(record);
        check(record, EncodeLogsRequest(one));
        ++records;
      }
    }
  }
  EXPECT_GE(records, 4u);
}

// Without its keys, a record is exactly the whole record of the same span (log record) with
// those fields, and only those, empty: the encoder writes no empty field.
TEST(RoundTripTest, RecordEncoderLeavesOutTheKeysWhenAsked) {
  RecordEncoder whole, keyless(RecordEncoder::Fields::kWithoutKeys);
  auto encode = [](RecordEncoder& e, const auto& record) {
    std::string buf(e.Size(record), '\0');
    EXPECT_EQ(e.Write(record, buf.data()), buf.data() + buf.size());
    return buf;
  };
  size_t spans = 0;
  for (const auto& rs : testdata::RichTraces().resource_spans) {
    for (const auto& ss : rs.scope_spans) {
      for (const Span& span : ss.spans) {
        Span want = span;
        want.trace_id = {};
        want.span_id = {};
        want.parent_span_id = {};
        want.name.clear();
        want.start_time_unix_nano = want.end_time_unix_nano = 0;
        EXPECT_EQ(encode(keyless, span), encode(whole, want));
        ++spans;
      }
    }
  }
  size_t logs = 0;
  for (const auto& rl : testdata::RichLogs().resource_logs) {
    for (const auto& sl : rl.scope_logs) {
      for (const LogRecord& record : sl.log_records) {
        LogRecord want = record;
        want.trace_id = {};
        want.span_id = {};
        want.event_name.clear();
        EXPECT_EQ(encode(keyless, record), encode(whole, want));
        ++logs;
      }
    }
  }
  EXPECT_GE(spans, 2u);
  EXPECT_GE(logs, 2u);
}

TEST(RoundTripTest, NimShapedRequest) {
  Metrics original = testdata::NimMetrics(3000);
  ASSERT_GE(original.DataPointCount(), 3000u);
  std::string bytes = EncodeMetricsRequest(original);
  auto decoded = DecodeMetricsRequest(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_TRUE(*decoded == original);
}

TEST(RoundTripTest, SpecialDoublesKeepTheirBits) {
  const double kValues[] = {std::numeric_limits<double>::quiet_NaN(),
                            -std::numeric_limits<double>::quiet_NaN(),
                            std::numeric_limits<double>::infinity(),
                            -std::numeric_limits<double>::infinity(),
                            -0.0,
                            std::numeric_limits<double>::denorm_min(),
                            std::numeric_limits<double>::max()};
  Metric m{.name = "x"};
  Gauge g;
  Summary s;
  for (double v : kValues) {
    g.data_points.push_back(NumberDataPoint{.value = v});
    s.data_points.push_back(SummaryDataPoint{.sum = v, .quantile_values = {{v, v}}});
  }
  m.data = g;
  Metric sm{.name = "s"};
  sm.data = s;
  Metrics metrics;
  metrics.resource_metrics.emplace_back();
  metrics.resource_metrics[0].scope_metrics.emplace_back();
  metrics.resource_metrics[0].scope_metrics[0].metrics = {m, sm};
  std::string bytes = EncodeMetricsRequest(metrics);
  auto decoded = DecodeMetricsRequest(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(EncodeMetricsRequest(*decoded), bytes);
  const auto& points =
      std::get<Gauge>(decoded->resource_metrics[0].scope_metrics[0].metrics[0].data).data_points;
  ASSERT_EQ(points.size(), std::size(kValues));
  for (size_t i = 0; i < points.size(); ++i) {
    EXPECT_EQ(std::bit_cast<uint64_t>(std::get<double>(points[i].value)),
              std::bit_cast<uint64_t>(kValues[i]))
        << i;
  }
}

TEST(RoundTripTest, ExtremeIntegers) {
  Metric m{.name = "x"};
  ExponentialHistogramDataPoint p;
  p.scale = std::numeric_limits<int32_t>::min();
  p.positive.offset = std::numeric_limits<int32_t>::max();
  p.negative.offset = std::numeric_limits<int32_t>::min();
  p.positive.bucket_counts = {std::numeric_limits<uint64_t>::max(), 0, 1};
  p.count = std::numeric_limits<uint64_t>::max();
  p.flags = std::numeric_limits<uint32_t>::max();
  m.data = ExponentialHistogram{.data_points = {p},
                                .aggregation_temporality = static_cast<AggregationTemporality>(-5)};
  Metric g{.name = "g"};
  g.data = Gauge{{NumberDataPoint{.value = std::numeric_limits<int64_t>::min()},
                  NumberDataPoint{.value = int64_t{0}}}};
  Metrics metrics;
  metrics.resource_metrics.emplace_back();
  metrics.resource_metrics[0].scope_metrics.emplace_back();
  metrics.resource_metrics[0].scope_metrics[0].metrics = {m, g};
  metrics.resource_metrics[0].resource.attributes = {
      {"min", AnyValue(std::numeric_limits<int64_t>::min())}};
  std::string bytes = EncodeMetricsRequest(metrics);
  auto decoded = DecodeMetricsRequest(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_TRUE(*decoded == metrics);
}

TEST(RoundTripTest, ResponsesAndStatus) {
  for (const ExportResponse& r :
       {ExportResponse{}, ExportResponse{ExportPartialSuccess{}},
        ExportResponse{ExportPartialSuccess{-3, "warn"}},
        ExportResponse{ExportPartialSuccess{std::numeric_limits<int64_t>::max(), ""}}}) {
    auto decoded = DecodeExportResponse(EncodeExportResponse(r));
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(*decoded, r);
  }
  RpcStatus st{.code = -2, .message = "m", .details = {{"type.googleapis.com/x", "\x08\x01"}, {}}};
  auto decoded = DecodeRpcStatus(EncodeRpcStatus(st));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, st);
}

// Offsets at which a top-level field ends: a prefix cut there is itself a valid request.
std::vector<size_t> TopLevelBoundaries(const std::string& bytes) {
  std::vector<size_t> out = {0};
  ProtoReader r(bytes);
  uint32_t field;
  WireType type;
  while (!r.done()) {
    EXPECT_TRUE(r.ReadTag(&field, &type));
    EXPECT_TRUE(r.SkipField(type));
    out.push_back(r.offset());
  }
  return out;
}

template <typename Decode>
void CheckEveryTruncation(const std::string& bytes, Decode decode) {
  std::vector<size_t> ok_at = TopLevelBoundaries(bytes);
  for (size_t n = 0; n < bytes.size(); ++n) {
    // Copy so that ASan sees a read past the prefix.
    std::string prefix = bytes.substr(0, n);
    bool ok = decode(prefix);
    bool boundary = std::find(ok_at.begin(), ok_at.end(), n) != ok_at.end();
    EXPECT_EQ(ok, boundary) << "prefix of " << n << " of " << bytes.size() << " bytes";
  }
}

TEST(RobustnessTest, EveryTruncationIsAnError) {
  CheckEveryTruncation(EncodeMetricsRequest(testdata::RichMetrics()),
                       [](const std::string& b) { return DecodeMetricsRequest(b).ok(); });
  CheckEveryTruncation(EncodeTracesRequest(testdata::RichTraces()),
                       [](const std::string& b) { return DecodeTracesRequest(b).ok(); });
  CheckEveryTruncation(EncodeLogsRequest(testdata::RichLogs()),
                       [](const std::string& b) { return DecodeLogsRequest(b).ok(); });
}

TEST(RobustnessTest, EveryByteCorruptionIsHandled) {
  std::string bytes = EncodeMetricsRequest(testdata::RichMetrics());
  size_t errors = 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (uint8_t x : {0x01, 0x80, 0xff}) {
      std::string corrupt = bytes;
      corrupt[i] = static_cast<char>(corrupt[i] ^ x);
      auto m = DecodeMetricsRequest(corrupt);
      if (!m.ok()) {
        ++errors;
        EXPECT_EQ(m.status().code(), StatusCode::kInvalidArgument);
        EXPECT_NE(m.status().message().find(" at offset "), std::string::npos);
      } else {
        // Whatever decodes must encode again.
        (void)EncodeMetricsRequest(*m);
      }
      (void)DecodeTracesRequest(corrupt);
      (void)DecodeLogsRequest(corrupt);
    }
  }
  EXPECT_GT(errors, 0u);
}

// Writes the encoded rich payloads to $ASTROLABE_WIRE_DUMP_DIR so that they can be checked
// against libprotobuf by hand (docs/design/wire.md, "Checking against libprotobuf").
TEST(RoundTripTest, DumpForExternalCheck) {
  const char* dir = std::getenv("ASTROLABE_WIRE_DUMP_DIR");
  if (dir == nullptr) GTEST_SKIP() << "set ASTROLABE_WIRE_DUMP_DIR to write the payloads";
  auto write = [&](const std::string& name, const std::string& bytes) {
    std::ofstream(std::string(dir) + "/" + name, std::ios::binary) << bytes;
  };
  write("metrics.bin", EncodeMetricsRequest(testdata::RichMetrics()));
  write("traces.bin", EncodeTracesRequest(testdata::RichTraces()));
  write("logs.bin", EncodeLogsRequest(testdata::RichLogs()));
  write("nim.bin", EncodeMetricsRequest(testdata::NimMetrics(3000)));
  write("nim_small.bin", EncodeMetricsRequest(testdata::NimMetrics(40)));
  write("response.bin", EncodeExportResponse(ExportResponse{ExportPartialSuccess{7, "dropped"}}));
  write("status.bin", EncodeRpcStatus(RpcStatus{.code = 3, .message = "bad request"}));
}

}  // namespace
}  // namespace astrolabe::wire
