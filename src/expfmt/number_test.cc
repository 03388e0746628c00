#include "expfmt/number.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <string>

namespace astrolabe::expfmt {
namespace {

double Parse(std::string_view s, bool strict = true) {
  double v = -12345;
  EXPECT_TRUE(ParseValue(s, strict, &v)) << s;
  return v;
}

bool Rejects(std::string_view s) {
  double v;
  return !ParseValue(s, false, &v);
}

TEST(ParseValueTest, DecimalForms) {
  EXPECT_EQ(Parse("0"), 0);
  EXPECT_EQ(Parse("1"), 1);
  EXPECT_EQ(Parse("-1"), -1);
  EXPECT_EQ(Parse("+1.5"), 1.5);
  EXPECT_EQ(Parse("5."), 5);
  EXPECT_EQ(Parse(".5"), 0.5);
  EXPECT_EQ(Parse("1e3"), 1000);
  EXPECT_EQ(Parse("1E+05"), 1e5);
  EXPECT_EQ(Parse("1.1e-4"), 1.1e-4);
  EXPECT_EQ(Parse("0000000000000000000000000000000000000000001.2e-1"), 0.12);
  EXPECT_EQ(Parse("0.013300656000000001"), 0.013300656000000001);
  EXPECT_EQ(Parse("9223372036854775808"), 9223372036854775808.0);
  EXPECT_EQ(Parse("2.478268416e+09"), 2.478268416e+09);
  EXPECT_EQ(Parse("123456789012345678901234567890"), 123456789012345678901234567890.0);
}

TEST(ParseValueTest, Specials) {
  EXPECT_TRUE(std::isnan(Parse("NaN")));
  EXPECT_TRUE(std::isnan(Parse("nan")));
  EXPECT_EQ(Parse("+Inf"), std::numeric_limits<double>::infinity());
  EXPECT_EQ(Parse("-Inf"), -std::numeric_limits<double>::infinity());
  EXPECT_EQ(Parse("inf"), std::numeric_limits<double>::infinity());
  EXPECT_EQ(Parse("Infinity"), std::numeric_limits<double>::infinity());
  EXPECT_EQ(Parse("-INFINITY"), -std::numeric_limits<double>::infinity());
}

TEST(ParseValueTest, RejectsWhatPrometheusRejects) {
  for (const char* s : {"",     "+",    "-",    ".",   "e5",    "1e", "1e+", "1_000", "0x1p-3",
                        "0x1",  "0X1",  "0b1",  "0o1", "1.1.1", "1 ", " 1",  "1\t",   "abc",
                        "+NaN", "-nan", "Info", "in",  "nana",  "1f", "--1", "1e5.0"}) {
    EXPECT_TRUE(Rejects(s)) << s;
  }
}

TEST(ParseValueTest, Range) {
  double v;
  EXPECT_FALSE(ParseValue("1e400", /*overflow_is_error=*/true, &v));
  ASSERT_TRUE(ParseValue("1e400", /*overflow_is_error=*/false, &v));
  EXPECT_EQ(v, std::numeric_limits<double>::infinity());
  ASSERT_TRUE(ParseValue("-1e400", false, &v));
  EXPECT_EQ(v, -std::numeric_limits<double>::infinity());
  ASSERT_TRUE(ParseValue("1e-400", true, &v));
  EXPECT_EQ(v, 0);
}

TEST(ParseValueTest, CorrectlyRoundedAgainstFromChars) {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 20000; ++i) {
    double d = std::ldexp(static_cast<double>(rng() >> 11), static_cast<int>(rng() % 120) - 80);
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%.*g", static_cast<int>(1 + rng() % 17), d);
    double want = std::strtod(buf, nullptr);
    EXPECT_EQ(Parse(buf), want) << buf;
  }
}

// The one-pass path for plain literals (digits, an optional point, at most 19 digits) and the
// general path it hands everything else to agree with strtod bit for bit, at and around the
// 19-digit and 2^53 limits, with leading zeros, signs and zeros.
TEST(ParseValueTest, PlainDecimalsAgainstStrtod) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 50000; ++i) {
    std::string s;
    if (rng() % 4 == 0) s += rng() % 2 ? '-' : '+';
    const int int_digits = 1 + static_cast<int>(rng() % 21);
    const int frac_digits = rng() % 3 == 0 ? -1 : static_cast<int>(rng() % 21);  // -1: no point
    const bool leading_zeros = rng() % 5 == 0;
    for (int d = 0; d < int_digits; ++d) {
      s += leading_zeros && d < int_digits / 2 ? '0' : static_cast<char>('0' + rng() % 10);
    }
    if (frac_digits >= 0) {
      s += '.';
      for (int d = 0; d < frac_digits; ++d) s += static_cast<char>('0' + rng() % 10);
    }
    const double want = std::strtod(s.c_str(), nullptr);
    const double got = Parse(s);
    EXPECT_EQ(std::memcmp(&got, &want, sizeof got), 0) << s << " " << got << " " << want;
  }
  for (const char* s : {"9007199254740992", "9007199254740993", "9007199254740993.0",
                        "1234567890123456789", "12345678901234567890", "0.1234567890123456789",
                        "-0", "-0.0", "+0.", "0.000", "100000.0", "0.7919"}) {
    const double want = std::strtod(s, nullptr);
    const double got = Parse(s);
    EXPECT_EQ(std::memcmp(&got, &want, sizeof got), 0) << s;
  }
}

// ParsePlainDecimal reads a literal's plain prefix: where it stops and its value agree with
// ParseValue on that prefix, and anything that is not plain from the start is left to it.
TEST(ParsePlainDecimalTest, AgreesWithParseValueAndStopsAfterThePrefix) {
  std::mt19937_64 rng(11);
  const std::string tails[] = {"", " ", "\t", "e5", ".3", "x", "}"};
  for (int i = 0; i < 20000; ++i) {
    std::string literal;
    const int int_digits = 1 + static_cast<int>(rng() % 20);
    for (int d = 0; d < int_digits; ++d) literal += static_cast<char>('0' + rng() % 10);
    if (rng() % 2) {
      literal += '.';
      const int frac_digits = static_cast<int>(rng() % 20);
      for (int d = 0; d < frac_digits; ++d) literal += static_cast<char>('0' + rng() % 10);
    }
    const std::string& tail = tails[rng() % std::size(tails)];
    const std::string text = literal + tail;
    double got = -1;
    const char* stop = ParsePlainDecimal(text.data(), text.data() + text.size(), &got);
    // A '.' tail after a literal without a point continues it ("12" + ".3" is "12.3").
    const bool continues = tail == ".3" && literal.find('.') == std::string::npos;
    const std::string read = continues ? literal + ".3" : literal;
    if (stop == nullptr) {
      // Only a literal beyond the plain limits: more than 19 digits or a mantissa above 2^53.
      size_t digits = 0;
      uint64_t m = 0;
      for (char c : read) {
        if (c == '.') continue;
        if (++digits <= 19) m = m * 10 + static_cast<uint64_t>(c - '0');
      }
      EXPECT_TRUE(digits > 19 || m > (uint64_t{1} << 53)) << text;
      continue;
    }
    EXPECT_EQ(std::string_view(text.data(), static_cast<size_t>(stop - text.data())), read);
    double want;
    ASSERT_TRUE(ParseValue(read, true, &want)) << read;
    EXPECT_EQ(std::memcmp(&got, &want, sizeof got), 0) << text;
  }
  for (const char* s : {"", ".5", "-1", "+1", "inf", "NaN", "e5"}) {
    double v = 42;
    EXPECT_EQ(ParsePlainDecimal(s, s + std::strlen(s), &v), nullptr) << s;
    EXPECT_EQ(v, 42) << s;
  }
}

TEST(TimestampTest, Text) {
  int64_t ms;
  ASSERT_TRUE(ParseTextTimestamp("1395066363000", &ms));
  EXPECT_EQ(ms, 1395066363000);
  ASSERT_TRUE(ParseTextTimestamp("-5", &ms));
  EXPECT_EQ(ms, -5);
  ASSERT_TRUE(ParseTextTimestamp("-9223372036854775808", &ms));
  EXPECT_EQ(ms, std::numeric_limits<int64_t>::min());
  EXPECT_FALSE(ParseTextTimestamp("9223372036854775808", &ms));
  EXPECT_FALSE(ParseTextTimestamp("1.5", &ms));
  EXPECT_FALSE(ParseTextTimestamp("", &ms));
  EXPECT_FALSE(ParseTextTimestamp("-", &ms));
  EXPECT_FALSE(ParseTextTimestamp("1e3", &ms));
}

TEST(TimestampTest, OpenMetrics) {
  double s;
  int64_t ms;
  ASSERT_TRUE(ParseOpenMetricsTimestamp("1.5", &s, &ms));
  EXPECT_EQ(s, 1.5);
  EXPECT_EQ(ms, 1500);
  ASSERT_TRUE(ParseOpenMetricsTimestamp("1234567890.123", &s, &ms));
  EXPECT_EQ(ms, 1234567890123);  // exact, where int64(ts*1000) would give ...122
  ASSERT_TRUE(ParseOpenMetricsTimestamp("-1.0019", &s, &ms));
  EXPECT_EQ(ms, -1001);
  ASSERT_TRUE(ParseOpenMetricsTimestamp("1.5e3", &s, &ms));
  EXPECT_EQ(ms, 1500000);
  ASSERT_TRUE(ParseOpenMetricsTimestamp("12345678901234567890.1234567890", &s, &ms));
  EXPECT_EQ(ms, std::numeric_limits<int64_t>::max());
  EXPECT_FALSE(ParseOpenMetricsTimestamp("NaN", &s, &ms));
  EXPECT_FALSE(ParseOpenMetricsTimestamp("Inf", &s, &ms));
  EXPECT_FALSE(ParseOpenMetricsTimestamp("-Inf", &s, &ms));
  EXPECT_FALSE(ParseOpenMetricsTimestamp("", &s, &ms));
  EXPECT_FALSE(ParseOpenMetricsTimestamp("1_0", &s, &ms));
}

std::string Fmt(double v) {
  std::string s;
  AppendFloat(&s, v);
  return s;
}

TEST(AppendFloatTest, MatchesGoFormatFloatG) {
  EXPECT_EQ(Fmt(0), "0");
  EXPECT_EQ(Fmt(-0.0), "0");
  EXPECT_EQ(Fmt(1), "1");
  EXPECT_EQ(Fmt(-1), "-1");
  EXPECT_EQ(Fmt(42), "42");
  EXPECT_EQ(Fmt(123456), "123456");
  EXPECT_EQ(Fmt(1234567), "1.234567e+06");
  EXPECT_EQ(Fmt(1e6), "1e+06");
  EXPECT_EQ(Fmt(2.478268416e+09), "2.478268416e+09");
  EXPECT_EQ(Fmt(0.5), "0.5");
  EXPECT_EQ(Fmt(0.0001), "0.0001");
  EXPECT_EQ(Fmt(0.00001), "1e-05");
  EXPECT_EQ(Fmt(1.5e-7), "1.5e-07");
  EXPECT_EQ(Fmt(0.1), "0.1");
  EXPECT_EQ(Fmt(0.013300656000000001), "0.013300656000000001");
  EXPECT_EQ(Fmt(1e100), "1e+100");
  EXPECT_EQ(Fmt(5e-324), "5e-324");
  EXPECT_EQ(Fmt(std::numeric_limits<double>::quiet_NaN()), "NaN");
  EXPECT_EQ(Fmt(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(Fmt(-std::numeric_limits<double>::infinity()), "-Inf");
}

TEST(AppendFloatTest, RoundTripsThroughParseValue) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 20000; ++i) {
    uint64_t bits = rng();
    double d;
    std::memcpy(&d, &bits, sizeof(d));
    if (std::isnan(d)) continue;
    double back;
    ASSERT_TRUE(ParseValue(Fmt(d), true, &back)) << Fmt(d);
    EXPECT_EQ(back, d) << Fmt(d);
  }
}

TEST(AppendSecondsFromMillisTest, Exact) {
  auto f = [](int64_t ms) {
    std::string s;
    AppendSecondsFromMillis(&s, ms);
    return s;
  };
  EXPECT_EQ(f(0), "0");
  EXPECT_EQ(f(1000), "1");
  EXPECT_EQ(f(1500), "1.5");
  EXPECT_EQ(f(1), "0.001");
  EXPECT_EQ(f(-1500), "-1.5");
  EXPECT_EQ(f(1234567890123), "1234567890.123");
  EXPECT_EQ(f(std::numeric_limits<int64_t>::min()), "-9223372036854775.808");
}

}  // namespace
}  // namespace astrolabe::expfmt
