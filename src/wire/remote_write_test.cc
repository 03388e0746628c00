#include "wire/remote_write.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <string>

#include "wire/proto_wire.h"
#include "wire/snappy.h"
#include "wire/test_util.h"

namespace astrolabe::wire::prw {
namespace {

using test::Hex;
using test::Unhex;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The body of a captured request, snappy-decompressed.
std::string Captured(const std::string& name) {
  std::string z = ReadFile("testdata/remote_write/" + name);
  EXPECT_FALSE(z.empty()) << name;
  auto body = SnappyDecompress(z, 1 << 20);
  EXPECT_TRUE(body.ok()) << body.status().ToString();
  return body.ok() ? *body : "";
}

std::string Encode(const WriteRequest& r) {
  std::string out;
  AppendWriteRequest(r, &out);
  return out;
}
std::string EncodeV2(const WriteRequest& r) {
  std::string out;
  AppendWriteRequestV2(r, &out);
  return out;
}

WriteRequest Example() {
  WriteRequest r;
  TimeSeries ts;
  ts.labels = {{"__name__", "http_requests_total"}, {"job", "api"}, {"code", "200"}};
  ts.samples = {{1.5, 1700000000000}, {2.5, 1700000001000}};
  Exemplar e;
  e.labels = {{"trace_id", "4bf92f3577b34da6a3ce929d0e0e4736"}};
  e.value = 0.25;
  e.timestamp_ms = 1700000000500;
  ts.exemplars.push_back(e);
  ts.metadata = {MetricType::kCounter, "Requests served.", ""};
  ts.created_timestamp_ms = 1699999999000;
  r.timeseries.push_back(ts);

  TimeSeries h;
  h.labels = {{"__name__", "latency_seconds"}, {"job", "api"}};
  Histogram nh;
  nh.count_int = 12;
  nh.sum = 3.5;
  nh.schema = 3;
  nh.zero_threshold = 1e-128;
  nh.zero_count_int = 2;
  nh.negative_spans = {{-2, 1}};
  nh.negative_deltas = {1};
  nh.positive_spans = {{0, 2}, {3, 1}};
  nh.positive_deltas = {4, -1, 2};
  nh.reset_hint = Histogram::ResetHint::kNo;
  nh.timestamp_ms = 1700000000000;
  h.histograms.push_back(nh);
  Histogram fh;
  fh.float_counts = true;
  fh.count_float = 4.5;
  fh.schema = -53;
  fh.positive_spans = {{0, 3}};
  fh.positive_counts = {1, 2.5, 1};
  fh.custom_values = {0.1, 1};
  fh.timestamp_ms = 1700000001000;
  h.histograms.push_back(fh);
  h.metadata = {MetricType::kHistogram, "", "seconds"};
  r.timeseries.push_back(h);
  r.metadata.push_back({MetricType::kCounter, "http_requests_total", "Requests served.", ""});
  return r;
}

TEST(RemoteWriteTest, HandBuiltV1BytesDecode) {
  // WriteRequest{timeseries: [{labels: [{__name__, up}], samples: [{1, 1000}]}]}, written
  // field by field with the primitives.
  std::string label, sample, series, req;
  AppendLengthDelimited(&label, 1, "__name__");
  AppendLengthDelimited(&label, 2, "up");
  AppendTag(&sample, 1, WireType::kFixed64);
  AppendFixed64(&sample, std::bit_cast<uint64_t>(1.0));
  AppendTag(&sample, 2, WireType::kVarint);
  AppendVarint(&sample, 1000);
  AppendLengthDelimited(&series, 1, label);
  AppendLengthDelimited(&series, 2, sample);
  AppendLengthDelimited(&req, 1, series);
  EXPECT_EQ(Hex(req),
            "0a 1e 0a 0e 0a 08 5f 5f 6e 61 6d 65 5f 5f 12 02 75 70 12 0c 09 00 00 00 00 00 00 "
            "f0 3f 10 e8 07");
  auto r = DecodeWriteRequest(req);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->timeseries.size(), 1u);
  EXPECT_EQ(r->timeseries[0].LabelValue("__name__"), "up");
  ASSERT_EQ(r->timeseries[0].samples.size(), 1u);
  EXPECT_EQ(r->timeseries[0].samples[0].value, 1.0);
  EXPECT_EQ(r->timeseries[0].samples[0].timestamp_ms, 1000);
  // And our encoder writes exactly these bytes.
  EXPECT_EQ(Encode(*r), req);
}

TEST(RemoteWriteTest, V1RoundTrip) {
  WriteRequest in = Example();
  std::string bytes = Encode(in);
  auto out = DecodeWriteRequest(bytes);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->timeseries.size(), 2u);
  const TimeSeries& a = out->timeseries[0];
  EXPECT_EQ(a.labels, in.timeseries[0].labels);
  ASSERT_EQ(a.samples.size(), 2u);
  EXPECT_EQ(a.samples[1].value, 2.5);
  EXPECT_EQ(a.samples[1].timestamp_ms, 1700000001000);
  ASSERT_EQ(a.exemplars.size(), 1u);
  EXPECT_EQ(a.exemplars[0].labels[0].value, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(a.exemplars[0].timestamp_ms, 1700000000500);
  // 1.0 has no per-series metadata or created timestamp.
  EXPECT_EQ(a.metadata.type, MetricType::kUnknown);
  EXPECT_EQ(a.created_timestamp_ms, 0);
  const TimeSeries& h = out->timeseries[1];
  ASSERT_EQ(h.histograms.size(), 2u);
  const Histogram& nh = h.histograms[0];
  EXPECT_FALSE(nh.float_counts);
  EXPECT_EQ(nh.count_int, 12u);
  EXPECT_EQ(nh.schema, 3);
  EXPECT_EQ(nh.zero_count_int, 2u);
  EXPECT_EQ(nh.negative_spans, (std::vector<BucketSpan>{{-2, 1}}));
  EXPECT_EQ(nh.positive_spans, (std::vector<BucketSpan>{{0, 2}, {3, 1}}));
  EXPECT_EQ(nh.positive_deltas, (std::vector<int64_t>{4, -1, 2}));
  EXPECT_EQ(nh.reset_hint, Histogram::ResetHint::kNo);
  const Histogram& fh = h.histograms[1];
  EXPECT_TRUE(fh.float_counts);
  EXPECT_EQ(fh.count_float, 4.5);
  EXPECT_EQ(fh.schema, -53);
  EXPECT_EQ(fh.positive_counts, (std::vector<double>{1, 2.5, 1}));
  EXPECT_EQ(fh.custom_values, (std::vector<double>{0.1, 1}));
  ASSERT_EQ(out->metadata.size(), 1u);
  EXPECT_EQ(out->metadata[0].type, MetricType::kCounter);
  EXPECT_EQ(out->metadata[0].metric_family_name, "http_requests_total");
  EXPECT_EQ(out->metadata[0].help, "Requests served.");
  EXPECT_EQ(out->SampleCount(), 2u);
  EXPECT_EQ(out->HistogramCount(), 2u);
  EXPECT_EQ(out->ExemplarCount(), 1u);
  // Stable: encode(decode(bytes)) == bytes.
  EXPECT_EQ(Encode(*out), bytes);
}

TEST(RemoteWriteTest, V2RoundTripResolvesSymbols) {
  WriteRequest in = Example();
  std::string bytes = EncodeV2(in);
  auto out = DecodeWriteRequestV2(bytes);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->timeseries.size(), 2u);
  const TimeSeries& a = out->timeseries[0];
  EXPECT_EQ(a.labels, in.timeseries[0].labels);
  EXPECT_EQ(a.metadata.type, MetricType::kCounter);
  EXPECT_EQ(a.metadata.help, "Requests served.");
  EXPECT_EQ(a.metadata.unit, "");
  EXPECT_EQ(a.created_timestamp_ms, 1699999999000);
  ASSERT_EQ(a.exemplars.size(), 1u);
  EXPECT_EQ(a.exemplars[0].labels, in.timeseries[0].exemplars[0].labels);
  EXPECT_EQ(out->timeseries[1].metadata.unit, "seconds");
  EXPECT_EQ(out->timeseries[1].histograms.size(), 2u);
  EXPECT_TRUE(out->metadata.empty());
  EXPECT_EQ(EncodeV2(*out), bytes);

  // The symbols table starts with "" and holds each string once.
  std::vector<std::string_view> symbols;
  ProtoReader r(bytes);
  uint32_t f;
  WireType wt;
  while (!r.done()) {
    ASSERT_TRUE(r.ReadTag(&f, &wt));
    if (f == 4) {
      std::string_view s;
      ASSERT_TRUE(r.ReadLengthDelimited(&s));
      symbols.push_back(s);
    } else {
      ASSERT_TRUE(r.SkipField(wt));
    }
  }
  ASSERT_FALSE(symbols.empty());
  EXPECT_EQ(symbols[0], "");
  EXPECT_EQ(std::set<std::string_view>(symbols.begin(), symbols.end()).size(), symbols.size());
}

TEST(RemoteWriteTest, V2SymbolsAfterSeriesStillResolve) {
  // Protobuf fields may come in any order: series first, symbols last.
  std::string series, req;
  std::string refs;
  for (uint32_t ref : {1u, 2u}) AppendVarint(&refs, ref);
  AppendLengthDelimited(&series, 1, refs);
  AppendLengthDelimited(&req, 5, series);
  for (std::string_view s : {"", "__name__", "up"}) {
    AppendTag(&req, 4, WireType::kLengthDelimited);
    AppendVarint(&req, s.size());
    req.append(s);
  }
  auto out = DecodeWriteRequestV2(req);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->timeseries[0].LabelValue("__name__"), "up");
}

TEST(RemoteWriteTest, V2BadReferencesAreErrors) {
  std::string series, req;
  std::string refs;
  for (uint32_t ref : {1u, 7u}) AppendVarint(&refs, ref);
  AppendLengthDelimited(&series, 1, refs);
  AppendLengthDelimited(&req, 4, "");
  AppendLengthDelimited(&req, 4, "__name__");
  AppendLengthDelimited(&req, 5, series);
  auto out = DecodeWriteRequestV2(req);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(out.status().message().find("timeseries[0].labels_refs[0]: symbol reference 7 is out "
                                        "of bounds of the 2-entry symbols table"),
            std::string::npos)
      << out.status().message();

  std::string odd_series, odd_req, odd_refs;
  AppendVarint(&odd_refs, 1);
  AppendLengthDelimited(&odd_series, 1, odd_refs);
  AppendLengthDelimited(&odd_req, 4, "");
  AppendLengthDelimited(&odd_req, 4, "__name__");
  AppendLengthDelimited(&odd_req, 5, odd_series);
  out = DecodeWriteRequestV2(odd_req);
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("odd number of label references (1)"), std::string::npos)
      << out.status().message();

  std::string meta, meta_series, meta_req;
  AppendTag(&meta, 4, WireType::kVarint);
  AppendVarint(&meta, 9);
  AppendLengthDelimited(&meta_series, 5, meta);
  AppendLengthDelimited(&meta_req, 4, "");
  AppendLengthDelimited(&meta_req, 5, meta_series);
  out = DecodeWriteRequestV2(meta_req);
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("timeseries[0].metadata.unit_ref: symbol reference 9"),
            std::string::npos)
      << out.status().message();
}

TEST(RemoteWriteTest, MalformedBytesNameTheField) {
  std::string good = Encode(Example());
  // Truncated inside the first series.
  auto r = DecodeWriteRequest(std::string_view(good).substr(0, 20));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(
      r.status().message().find("timeseries[0]: truncated length-delimited field at offset 0"),
      std::string::npos)
      << r.status().message();

  // A sample value with the wrong wire type.
  std::string sample, series, req;
  AppendTag(&sample, 1, WireType::kVarint);
  AppendVarint(&sample, 5);
  AppendLengthDelimited(&series, 2, sample);
  AppendLengthDelimited(&req, 1, series);
  r = DecodeWriteRequest(req);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("timeseries[0].samples[0].value: wire type varint, want "
                                      "fixed64 at offset 4"),
            std::string::npos)
      << r.status().message();

  // Garbage and the empty body.
  EXPECT_FALSE(DecodeWriteRequest("\xff\xff\xff").ok());
  auto empty = DecodeWriteRequest("");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->timeseries.empty());
}

TEST(RemoteWriteTest, UnknownFieldsAndUnpackedScalarsAccepted) {
  std::string h, series, req;
  // positive_deltas unpacked, custom_values unpacked, an unknown field 99.
  AppendTag(&h, 12, WireType::kVarint);
  AppendVarint(&h, ZigZagEncode64(-3));
  AppendTag(&h, 12, WireType::kVarint);
  AppendVarint(&h, ZigZagEncode64(5));
  AppendTag(&h, 16, WireType::kFixed64);
  AppendFixed64(&h, std::bit_cast<uint64_t>(0.5));
  AppendLengthDelimited(&h, 99, "future");
  AppendLengthDelimited(&series, 4, h);
  AppendLengthDelimited(&req, 1, series);
  AppendTag(&req, 2, WireType::kVarint);  // reserved field 2 in 1.0: skipped
  AppendVarint(&req, 1);
  auto r = DecodeWriteRequest(req);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->timeseries[0].histograms[0].positive_deltas, (std::vector<int64_t>{-3, 5}));
  EXPECT_EQ(r->timeseries[0].histograms[0].custom_values, (std::vector<double>{0.5}));
}

TEST(RemoteWriteTest, StaleNaN) {
  EXPECT_TRUE(IsStaleNaN(std::bit_cast<double>(kStaleNaNBits)));
  EXPECT_FALSE(IsStaleNaN(std::numeric_limits<double>::quiet_NaN()));
  EXPECT_FALSE(IsStaleNaN(1.0));
  // The bit pattern survives the codec.
  WriteRequest in;
  in.timeseries.emplace_back();
  in.timeseries[0].labels = {{"__name__", "x"}};
  in.timeseries[0].samples = {{std::bit_cast<double>(kStaleNaNBits), 5}};
  auto out = DecodeWriteRequest(Encode(in));
  ASSERT_TRUE(out.ok());
  EXPECT_TRUE(IsStaleNaN(out->timeseries[0].samples[0].value));
}

// Requests captured from real senders scraping prometheus-node-exporter 1.5.0 (cpu,
// meminfo, loadavg collectors); see testdata/README.md.
TEST(RemoteWriteTest, VmagentRequestDecodes) {
  std::string body = Captured("vmagent_1.79_node_exporter.snappy");
  auto r = DecodeWriteRequest(body);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_GT(r->timeseries.size(), 20u);
  bool saw_load1 = false;
  for (const TimeSeries& ts : r->timeseries) {
    EXPECT_FALSE(ts.LabelValue("__name__").empty());
    EXPECT_EQ(ts.LabelValue("job"), "node");
    EXPECT_EQ(ts.LabelValue("instance"), "127.0.0.1:19403");
    ASSERT_EQ(ts.samples.size(), 1u);
    EXPECT_GT(ts.samples[0].timestamp_ms, 1700000000000);
    if (ts.LabelValue("__name__") == "node_load1") saw_load1 = true;
  }
  EXPECT_TRUE(saw_load1);
  EXPECT_EQ(Encode(*r), body);  // vmagent writes canonical protobuf too
}

TEST(RemoteWriteTest, PrometheusRequestsDecode) {
  std::string body = Captured("prometheus_2.42_node_exporter.snappy");
  auto r = DecodeWriteRequest(body);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_GT(r->timeseries.size(), 20u);
  for (const TimeSeries& ts : r->timeseries) {
    EXPECT_EQ(ts.LabelValue("job"), "node");
    EXPECT_FALSE(ts.samples.empty());
  }
  EXPECT_EQ(Encode(*r), body);

  std::string meta = Captured("prometheus_2.42_metadata.snappy");
  auto m = DecodeWriteRequest(meta);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  bool saw_counter = false;
  for (const MetricMetadata& md : m->metadata) {
    if (md.metric_family_name == "node_cpu_seconds_total") {
      EXPECT_EQ(md.type, MetricType::kCounter);
      EXPECT_FALSE(md.help.empty());
      saw_counter = true;
    }
  }
  EXPECT_TRUE(saw_counter) << m->metadata.size() << " metadata entries, " << m->timeseries.size()
                           << " series";
}

// Writes the hand-built fuzz seeds (fuzz/corpus/remote_write/example_v{1,2}) when
// ASTROLABE_WRITE_SEEDS names a folder; otherwise skipped, saying so.
TEST(RemoteWriteTest, WriteFuzzSeeds) {
  const char* dir = std::getenv("ASTROLABE_WRITE_SEEDS");
  if (dir == nullptr) GTEST_SKIP() << "set ASTROLABE_WRITE_SEEDS=<folder> to write the seeds";
  std::ofstream(std::string(dir) + "/example_v1", std::ios::binary) << Encode(Example());
  std::ofstream(std::string(dir) + "/example_v2", std::ios::binary) << EncodeV2(Example());
}

}  // namespace
}  // namespace astrolabe::wire::prw
