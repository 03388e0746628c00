#include "tsdb/chunk.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <random>

namespace astrolabe::tsdb {
namespace {

struct S {
  int64_t t;
  double v;
};

std::vector<uint8_t> Encode(const std::vector<S>& samples) {
  ChunkAppender a;
  for (const S& s : samples) a.Append(s.t, s.v);
  return std::vector<uint8_t>(a.data(), a.data() + a.size());
}

void ExpectRoundTrip(const std::vector<S>& samples) {
  auto bytes = Encode(samples);
  ChunkIterator it(bytes.data(), bytes.size(), samples.empty() ? 0 : samples[0].t);
  ASSERT_EQ(it.count(), samples.size());
  for (size_t i = 0; i < samples.size(); ++i) {
    ASSERT_TRUE(it.Next()) << "sample " << i;
    EXPECT_EQ(it.t(), samples[i].t) << "sample " << i;
    EXPECT_EQ(std::bit_cast<uint64_t>(it.v()), std::bit_cast<uint64_t>(samples[i].v))
        << "sample " << i << " want " << samples[i].v << " got " << it.v();
  }
  EXPECT_FALSE(it.Next());
  EXPECT_FALSE(it.error());
}

TEST(ChunkTest, EmptyChunk) {
  ChunkAppender a;
  ChunkIterator it(a.data(), a.size(), 0);
  EXPECT_FALSE(it.Next());
  EXPECT_FALSE(it.error());
}

TEST(ChunkTest, SpecialValuesRoundTripBitExactly) {
  const double kStale =
      std::bit_cast<double>(uint64_t{0x7ff0000000000002});  // Prometheus stale NaN
  ExpectRoundTrip({{1, 0.0},
                   {2, -0.0},
                   {3, kStale},
                   {4, std::numeric_limits<double>::quiet_NaN()},
                   {5, std::numeric_limits<double>::infinity()},
                   {6, -std::numeric_limits<double>::infinity()},
                   {7, 9007199254740992.0},
                   {8, -9007199254740992.0},
                   {9, 9007199254740994.0},
                   {10, std::numeric_limits<double>::denorm_min()},
                   {11, 1e308},
                   {12, 0.1},
                   {13, 3},
                   {14, -0.0},
                   {15, 0}});
}

TEST(ChunkTest, ExtremeTimestamps) {
  ExpectRoundTrip({{std::numeric_limits<int64_t>::min() + 1, 1},
                   {-5, 2},
                   {0, 3},
                   {std::numeric_limits<int64_t>::max() - 1, 4},
                   {std::numeric_limits<int64_t>::max(), 5}});
  ExpectRoundTrip({{-1000000, 1}, {-999990, 1}, {-999980, 2}});
}

TEST(ChunkTest, RandomShapesRoundTrip) {
  std::mt19937_64 rng(42);
  for (int round = 0; round < 300; ++round) {
    std::vector<S> samples;
    int64_t t = static_cast<int64_t>(rng() % 2000000000000ULL);
    double v = 0;
    int shape = round % 8;
    int n = 1 + static_cast<int>(rng() % 300);
    for (int i = 0; i < n; ++i) {
      if (shape == 0 || shape >= 5) {
        t += 10000 + (shape == 6 && rng() % 3 == 0 ? static_cast<int64_t>(rng() % 21) - 10 : 0);
      } else {
        t += 1 + static_cast<int64_t>(rng() % (uint64_t{1} << (rng() % 40)));
      }
      switch (shape) {
        case 0:
          v += static_cast<double>(rng() % 50);
          break;  // counter
        case 1:
          v = static_cast<double>(rng() % 1000) / 1000.0;
          break;  // fraction gauge
        case 2:
          v = std::bit_cast<double>(rng());
          break;  // any bits
        case 3:
          v = static_cast<double>(static_cast<int64_t>(rng()) >> (rng() % 64));
          break;
        case 4:
          v = (rng() % 3 == 0) ? v : v + 0.25 * static_cast<double>(rng() % 8);
          break;
        case 5:
          v += static_cast<double>(static_cast<int>(rng() % 9) - 4);
          break;  // int gauge walk
        case 6:   // counter with idle stretches, occasional reset and huge jumps
          if (rng() % 50 == 0)
            v = 0;
          else if (rng() % 40 == 0)
            v += static_cast<double>(rng() % (uint64_t{1} << 50));
          else if (rng() % 2 == 0)
            v += static_cast<double>(rng() % 5000);
          break;
        case 7:
          v = static_cast<double>(static_cast<int64_t>(rng() % 2000) - 1000) *
              (rng() % 5 == 0 ? 0.5 : 1);
          break;
      }
      samples.push_back({t, v});
    }
    ExpectRoundTrip(samples);
  }
}

TEST(ChunkTest, SeekNeverMovesBackwards) {
  std::vector<S> samples;
  for (int i = 0; i < 100; ++i) samples.push_back({i * 10, static_cast<double>(i)});
  auto bytes = Encode(samples);
  ChunkIterator it(bytes.data(), bytes.size(), samples.empty() ? 0 : samples[0].t);
  ASSERT_TRUE(it.Seek(55));
  EXPECT_EQ(it.t(), 60);
  ASSERT_TRUE(it.Seek(10));
  EXPECT_EQ(it.t(), 60);
  ASSERT_TRUE(it.Seek(60));
  EXPECT_EQ(it.t(), 60);
  ASSERT_TRUE(it.Next());
  EXPECT_EQ(it.t(), 70);
  EXPECT_FALSE(it.Seek(991));
}

TEST(ChunkTest, RegularCounterCostsAboutOneByte) {
  // 10 s interval, integer increments 0..20: the common case of a NIM/Kong counter.
  std::mt19937_64 rng(7);
  std::vector<S> samples;
  double v = 1000;
  for (int i = 0; i < 120; ++i) {
    v += static_cast<double>(rng() % 21);
    samples.push_back({1700000000000 + i * 10000, v});
  }
  auto bytes = Encode(samples);
  // delta-of-delta 0 costs 1 bit; an increment < 64 costs 11 bits: ~1.6 B/sample with headers.
  EXPECT_LT(bytes.size(), 120u * 16 / 10) << bytes.size();
  // Constant series (idle bucket): 2 bits per sample after the first.
  std::vector<S> idle;
  for (int i = 0; i < 120; ++i) idle.push_back({1700000000000 + i * 10000, 42});
  EXPECT_LT(Encode(idle).size(), 45u);
}

TEST(ChunkTest, CorruptBytesFailCleanly) {
  std::mt19937_64 rng(3);
  std::vector<S> samples;
  for (int i = 0; i < 120; ++i)
    samples.push_back({i * 1000 + static_cast<int64_t>(rng() % 7), std::bit_cast<double>(rng())});
  auto good = Encode(samples);
  for (int round = 0; round < 2000; ++round) {
    auto bytes = good;
    if (round % 2 == 0) {
      bytes.resize(rng() % bytes.size());  // truncated
    } else {
      for (int k = 0; k < 3; ++k)
        bytes[rng() % bytes.size()] ^= static_cast<uint8_t>(1 + rng() % 255);
    }
    ChunkIterator it(bytes.data(), bytes.size(), samples.empty() ? 0 : samples[0].t);
    int n = 0;
    while (it.Next()) ++n;
    EXPECT_LE(n, 65535);
    if (round % 2 == 0 && bytes.size() < good.size()) {
      // A truncated chunk can never decode all samples.
      EXPECT_TRUE(it.error() || n < 120);
    }
  }
}

}  // namespace
}  // namespace astrolabe::tsdb
