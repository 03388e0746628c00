#include "tsdb/wal/records.h"

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace astrolabe::tsdb::wal {
namespace {

TEST(RecordsTest, SeriesRoundTrip) {
  std::vector<LabelView> a = {{"__name__", "nim_requests_total"}, {"model", "llama-3"}};
  std::vector<LabelView> b = {};
  std::vector<LabelView> c = {{"", ""}, {"k", std::string_view("v\0x", 3)}};
  std::vector<SeriesRecord> in = {{5, a}, {3, b}, {UINT64_MAX, c}, {0, a}};
  std::string rec;
  EncodeSeries(in, &rec);
  EXPECT_EQ(*PeekRecordType(rec), RecordType::kSeries);
  std::vector<SeriesRecord> out;
  std::vector<LabelView> labels;
  ASSERT_TRUE(DecodeSeries(rec, &out, &labels).ok());
  ASSERT_EQ(out.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    EXPECT_EQ(out[i].ref, in[i].ref);
    ASSERT_EQ(out[i].labels.size(), in[i].labels.size());
    for (size_t j = 0; j < in[i].labels.size(); ++j) EXPECT_EQ(out[i].labels[j], in[i].labels[j]);
  }
  OwnedSeries owned = ToOwned(out[0]);
  EXPECT_EQ(owned.labels[1].second, "llama-3");
}

TEST(RecordsTest, SamplesRoundTripBitExact) {
  const double nan_payload = std::bit_cast<double>(uint64_t{0x7ff8000000000123});
  std::vector<SampleRecord> in = {
      {1, 1700000000000, 1.5},
      {2, 1700000000000, -0.0},
      {1000000, 1699999999000, std::numeric_limits<double>::infinity()},
      {0, std::numeric_limits<int64_t>::min(), nan_payload},
      {UINT64_MAX, std::numeric_limits<int64_t>::max(), std::numeric_limits<double>::denorm_min()},
  };
  std::string rec;
  EncodeSamples(in, &rec);
  std::vector<SampleRecord> out;
  ASSERT_TRUE(DecodeSamples(rec, &out).ok());
  ASSERT_EQ(out.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    EXPECT_EQ(out[i].ref, in[i].ref);
    EXPECT_EQ(out[i].t_ms, in[i].t_ms);
    EXPECT_EQ(std::bit_cast<uint64_t>(out[i].v), std::bit_cast<uint64_t>(in[i].v)) << i;
  }
}

TEST(RecordsTest, SamplesOfOneScrapeAreCompact) {
  // 1,000 series scraped at one timestamp: refs ascend by one, timestamps repeat.
  std::vector<SampleRecord> in;
  for (uint64_t r = 1; r <= 1000; ++r) in.push_back({r, 1700000000000, static_cast<double>(r)});
  std::string rec;
  EncodeSamples(in, &rec);
  // 1 (dref) + 1 (dt) + 8 (value) per sample after the first.
  EXPECT_LE(rec.size(), 1000u * 10 + 16);
}

TEST(RecordsTest, TombstonesAndMetadataRoundTrip) {
  std::vector<TombstoneRecord> t = {{7, -5, 100}, {3, 100, -5}, {9, INT64_MIN, INT64_MAX}};
  std::string rec;
  EncodeTombstones(t, &rec);
  std::vector<TombstoneRecord> tout;
  ASSERT_TRUE(DecodeTombstones(rec, &tout).ok());
  ASSERT_EQ(tout.size(), t.size());
  for (size_t i = 0; i < t.size(); ++i) {
    EXPECT_EQ(tout[i].ref, t[i].ref);
    EXPECT_EQ(tout[i].mint, t[i].mint);
    EXPECT_EQ(tout[i].maxt, t[i].maxt);
  }
  std::vector<MetadataRecord> m = {{1, MetricType::kCounter, "seconds", "Time spent.", ""},
                                   {2, MetricType::kStateSet, "", "", ""},
                                   {0, MetricType::kHistogram, "s", "Latency.", "nim_latency"}};
  EncodeMetadata(m, &rec);
  std::vector<MetadataRecord> mout;
  ASSERT_TRUE(DecodeMetadata(rec, &mout).ok());
  ASSERT_EQ(mout.size(), 3u);
  EXPECT_EQ(mout[0].type, MetricType::kCounter);
  EXPECT_EQ(mout[0].unit, "seconds");
  EXPECT_EQ(mout[0].help, "Time spent.");
  EXPECT_EQ(mout[0].family, "");
  EXPECT_EQ(mout[1].ref, 2u);
  EXPECT_EQ(mout[2].family, "nim_latency");
  EXPECT_EQ(mout[2].type, MetricType::kHistogram);
}

TEST(RecordsTest, EmptyBatches) {
  std::string rec;
  EncodeSamples({}, &rec);
  std::vector<SampleRecord> out = {{1, 1, 1}};
  ASSERT_TRUE(DecodeSamples(rec, &out).ok());
  EXPECT_TRUE(out.empty());
}

TEST(RecordsTest, EveryPrefixOfARecordIsRejected) {
  std::vector<LabelView> labels = {{"job", "nim"}, {"instance", "10.0.0.1:8000"}};
  std::vector<SeriesRecord> series = {{1, labels}, {2, labels}};
  std::vector<SampleRecord> samples = {{1, 1000, 2.5}, {2, 1000, 3.5}};
  std::vector<TombstoneRecord> tombstones = {{1, 0, 10}};
  std::vector<MetadataRecord> metadata = {{1, MetricType::kGauge, "bytes", "Bytes used.", ""}};
  std::string s, x, t, m;
  EncodeSeries(series, &s);
  EncodeSamples(samples, &x);
  EncodeTombstones(tombstones, &t);
  EncodeMetadata(metadata, &m);
  std::vector<SeriesRecord> so;
  std::vector<LabelView> lo;
  std::vector<SampleRecord> xo;
  std::vector<TombstoneRecord> to;
  std::vector<MetadataRecord> mo;
  for (size_t n = 0; n < s.size(); ++n)
    EXPECT_FALSE(DecodeSeries(s.substr(0, n), &so, &lo).ok()) << n;
  for (size_t n = 0; n < x.size(); ++n) EXPECT_FALSE(DecodeSamples(x.substr(0, n), &xo).ok()) << n;
  for (size_t n = 0; n < t.size(); ++n)
    EXPECT_FALSE(DecodeTombstones(t.substr(0, n), &to).ok()) << n;
  for (size_t n = 0; n < m.size(); ++n) EXPECT_FALSE(DecodeMetadata(m.substr(0, n), &mo).ok()) << n;
  // Trailing bytes and the wrong type are errors too.
  EXPECT_FALSE(DecodeSamples(x + "z", &xo).ok());
  auto st = DecodeSamples(s, &xo);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("not a samples record"), std::string::npos) << st.message();
}

TEST(RecordsTest, ForgedCountsAreRejectedBeforeAllocating) {
  // type=samples, count = 2^62: far more entries than the 3 bytes that follow could hold.
  std::string rec = "\x02";
  uint64_t n = uint64_t{1} << 62;
  while (n >= 0x80) {
    rec.push_back(static_cast<char>(n | 0x80));
    n >>= 7;
  }
  rec.push_back(static_cast<char>(n));
  rec += "abc";
  std::vector<SampleRecord> out;
  auto st = DecodeSamples(rec, &out);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("larger than the record can hold"), std::string::npos)
      << st.message();
  EXPECT_FALSE(PeekRecordType("").ok());
  EXPECT_FALSE(PeekRecordType("\x09").ok());
}

}  // namespace
}  // namespace astrolabe::tsdb::wal
