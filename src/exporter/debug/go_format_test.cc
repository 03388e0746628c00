#include "exporter/debug/go_format.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace astrolabe::exporter::debug {
namespace {

TEST(GoFloatVTest, MatchesGoPercentV) {
  EXPECT_EQ(GoFloatV(123.456), "123.456");
  EXPECT_EQ(GoFloatV(78.901234567), "78.901234567");
  EXPECT_EQ(GoFloatV(0.125), "0.125");
  EXPECT_EQ(GoFloatV(1), "1");
  EXPECT_EQ(GoFloatV(0), "0");
  EXPECT_EQ(GoFloatV(-2.5), "-2.5");
  EXPECT_EQ(GoFloatV(100000), "100000");
  EXPECT_EQ(GoFloatV(1e6), "1e+06");
  EXPECT_EQ(GoFloatV(1234567), "1.234567e+06");
  EXPECT_EQ(GoFloatV(9.223372036854776e18), "9.223372036854776e+18");
  EXPECT_EQ(GoFloatV(0.0001), "0.0001");
  EXPECT_EQ(GoFloatV(0.00001), "1e-05");
  EXPECT_EQ(GoFloatV(1.5e-300), "1.5e-300");
  EXPECT_EQ(GoFloatV(94.17542094619048), "94.17542094619048");
  EXPECT_EQ(GoFloatV(std::nan("")), "NaN");
  EXPECT_EQ(GoFloatV(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(GoFloatV(-std::numeric_limits<double>::infinity()), "-Inf");
}

TEST(GoFloatFTest, SixDecimals) {
  EXPECT_EQ(GoFloatF(1.23), "1.230000");
  EXPECT_EQ(GoFloatF(15), "15.000000");
  EXPECT_EQ(GoFloatF(-0.7071067811865476), "-0.707107");
  EXPECT_EQ(GoFloatF(1e20), "100000000000000000000.000000");
  EXPECT_EQ(GoFloatF(std::nan("")), "NaN");
  EXPECT_EQ(GoFloatF(-std::numeric_limits<double>::infinity()), "-Inf");
}

TEST(GoTimestampTest, MatchesGoTimeString) {
  EXPECT_EQ(GoTimestamp(0), "1970-01-01 00:00:00 +0000 UTC");
  EXPECT_EQ(GoTimestamp(1581452773'000000789), "2020-02-11 20:26:13.000000789 +0000 UTC");
  EXPECT_EQ(GoTimestamp(1581452773'500000000), "2020-02-11 20:26:13.5 +0000 UTC");
  EXPECT_EQ(GoTimestamp(946684799'000000000), "1999-12-31 23:59:59 +0000 UTC");
  // Above int64 the value wraps, as Go's time.Unix(0, int64(ts)) does.
  EXPECT_EQ(GoTimestamp(static_cast<uint64_t>(-1'000'000'000LL)), "1969-12-31 23:59:59 +0000 UTC");
}

}  // namespace
}  // namespace astrolabe::exporter::debug
