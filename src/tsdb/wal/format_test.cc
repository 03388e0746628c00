#include "tsdb/wal/format.h"

#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace astrolabe::tsdb::wal {
namespace {

std::string Record(size_t size, uint32_t seed) {
  std::string r(size, '\0');
  std::mt19937 rng(seed);
  for (auto& c : r) c = static_cast<char>(rng());
  return r;
}

std::vector<std::string> ReadAll(std::string_view data, RecordReader* reader) {
  std::vector<std::string> out;
  std::string_view rec;
  while (reader->Next(&rec)) out.emplace_back(rec);
  return out;
}

TEST(FormatTest, SegmentNames) {
  EXPECT_EQ(SegmentName(0), "00000000");
  EXPECT_EQ(SegmentName(12), "00000012");
  EXPECT_EQ(ParseSegmentName("00000012"), 12u);
  EXPECT_EQ(ParseSegmentName("0000012"), std::nullopt);
  EXPECT_EQ(ParseSegmentName("0000001a"), std::nullopt);
  EXPECT_EQ(ParseSegmentName("00000012.tmp"), std::nullopt);
}

TEST(FormatTest, RoundTripsRecordsOfEverySizeClass) {
  // Sizes around the page and fragment limits, so records land as full, first/middle/last.
  std::vector<size_t> sizes = {0,
                               1,
                               7,
                               100,
                               kMaxFragmentData - 1,
                               kMaxFragmentData,
                               kMaxFragmentData + 1,
                               kPageSize,
                               3 * kPageSize + 5,
                               200000};
  std::vector<std::string> records;
  std::string data;
  uint64_t offset = 0;
  for (int round = 0; round < 3; ++round) {
    for (size_t s : sizes) {
      records.push_back(Record(s, static_cast<uint32_t>(records.size())));
      uint64_t before = offset;
      size_t appended = data.size();
      uint64_t want = FramedSize(s, offset);
      FrameRecord(records.back(), &offset, &data);
      EXPECT_EQ(offset - before, want) << "size " << s;
      EXPECT_EQ(data.size() - appended, want);
    }
  }
  RecordReader reader(data);
  auto got = ReadAll(data, &reader);
  EXPECT_TRUE(reader.ok()) << reader.error();
  EXPECT_EQ(reader.valid_end(), data.size());
  EXPECT_EQ(got, records);
}

TEST(FormatTest, NoFragmentCrossesAPage) {
  std::string data;
  uint64_t offset = 0;
  for (int i = 0; i < 400; ++i) FrameRecord(Record(37 + i * 13, i), &offset, &data);
  // Walk the fragments: each header+data stays inside its page; pads only at page tails.
  uint64_t pos = 0;
  while (pos < data.size()) {
    uint64_t left = kPageSize - pos % kPageSize;
    if (left <= kFragmentHeaderSize) {
      for (uint64_t i = 0; i < left && pos + i < data.size(); ++i) ASSERT_EQ(data[pos + i], 0);
      pos += left;
      continue;
    }
    ASSERT_NE(data[pos], 0) << "padding inside a page at " << pos;
    uint64_t len = static_cast<uint8_t>(data[pos + 1]) | (static_cast<uint8_t>(data[pos + 2]) << 8);
    ASSERT_LE(kFragmentHeaderSize + len, left) << "fragment at " << pos;
    pos += kFragmentHeaderSize + len;
  }
}

TEST(FormatTest, EveryByteFlipIsDetected) {
  std::string data;
  uint64_t offset = 0;
  std::vector<std::string> records;
  for (int i = 0; i < 5; ++i) {
    records.push_back(Record(40 + i, i));
    FrameRecord(records.back(), &offset, &data);
  }
  for (size_t i = 0; i < data.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string bad = data;
      bad[i] = static_cast<char>(bad[i] ^ (1 << bit));
      RecordReader reader(bad);
      auto got = ReadAll(bad, &reader);
      ASSERT_FALSE(reader.ok()) << "flip at byte " << i << " bit " << bit;
      // What was read before the damage is intact, and the damage offset is a record start.
      ASSERT_LE(got.size(), records.size());
      for (size_t k = 0; k < got.size(); ++k) ASSERT_EQ(got[k], records[k]);
      ASSERT_LE(reader.error_offset(), i);
    }
  }
}

TEST(FormatTest, EveryTruncationEndsAtARecordBoundaryOrIsFlaggedTorn) {
  std::string data;
  uint64_t offset = 0;
  std::vector<uint64_t> ends;
  for (int i = 0; i < 4; ++i) {
    FrameRecord(Record(i == 2 ? 2 * kPageSize : 50, i), &offset, &data);
    ends.push_back(offset);
  }
  for (size_t cut = 0; cut <= data.size(); ++cut) {
    RecordReader reader(std::string_view(data).substr(0, cut));
    auto got = ReadAll(data, &reader);
    size_t complete = 0;
    while (complete < ends.size() && ends[complete] <= cut) ++complete;
    ASSERT_EQ(got.size(), complete) << "cut " << cut;
    bool at_boundary = cut == 0 || (complete > 0 && ends[complete - 1] == cut);
    // Cuts inside the page padding after a record read as a clean end too.
    if (!reader.ok()) {
      ASSERT_TRUE(reader.truncated()) << "cut " << cut << ": " << reader.error();
      ASSERT_EQ(reader.error_offset(), complete == 0 ? 0 : ends[complete - 1]);
      ASSERT_FALSE(at_boundary);
    }
  }
}

TEST(FormatTest, ZerosAfterTheLastRecordAreDamage) {
  std::string data;
  uint64_t offset = 0;
  FrameRecord("hello", &offset, &data);
  uint64_t end = data.size();
  data.append(4096, '\0');  // what a crash during a file extension leaves behind
  RecordReader reader(data);
  auto got = ReadAll(data, &reader);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_FALSE(reader.ok());
  EXPECT_EQ(reader.error_offset(), end);
  EXPECT_NE(reader.error().find("bad fragment type 0"), std::string::npos) << reader.error();
}

TEST(FormatTest, ResyncFindsRecordsOnLaterPages) {
  std::string data;
  uint64_t offset = 0;
  for (int i = 0; i < 200; ++i) FrameRecord(Record(1000, i), &offset, &data);
  data[10] ^= 1;  // damage the first record
  RecordReader reader(data);
  std::string_view rec;
  EXPECT_FALSE(reader.Next(&rec));
  ASSERT_FALSE(reader.ok());
  int after = 0;
  while (reader.Resync()) {
    while (reader.Next(&rec)) ++after;
  }
  // Every record after the damaged one is found again.
  EXPECT_EQ(after, 199);
}

}  // namespace
}  // namespace astrolabe::tsdb::wal
