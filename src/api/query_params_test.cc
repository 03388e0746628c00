#include "api/query_params.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace astrolabe::api {
namespace {

using ::testing::HasSubstr;

TEST(ParseTimeMs, FloatSecondsAndRfc3339) {
  EXPECT_EQ(*ParseTimeMs("1795392000"), 1795392000000);
  EXPECT_EQ(*ParseTimeMs("1795392000.1234"), 1795392000123);
  EXPECT_EQ(*ParseTimeMs("1795392000.1235"), 1795392000124);  // rounded to the millisecond
  EXPECT_EQ(*ParseTimeMs("-1.5"), -1500);
  EXPECT_EQ(*ParseTimeMs("+2"), 2000);
  EXPECT_EQ(*ParseTimeMs("1e3"), 1000000);
  EXPECT_EQ(*ParseTimeMs("2026-11-23T00:00:00Z"), 1795392000000);
  EXPECT_EQ(*ParseTimeMs("2026-11-23T00:00:00.5Z"), 1795392000500);
  EXPECT_EQ(*ParseTimeMs("2026-11-23T00:00:00.123456789Z"), 1795392000123);
  EXPECT_EQ(*ParseTimeMs("2026-11-23T02:00:00+02:00"), 1795392000000);
  EXPECT_EQ(*ParseTimeMs("2026-11-22T19:30:00-04:30"), 1795392000000);
  EXPECT_EQ(*ParseTimeMs("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(*ParseTimeMs("1969-12-31T23:59:59Z"), -1000);
  EXPECT_EQ(*ParseTimeMs("2024-02-29T00:00:00Z"), 1709164800000);
  EXPECT_EQ(*ParseTimeMs("-292273086-05-16T16:47:06Z"), kMinApiTimeMs);
  EXPECT_EQ(*ParseTimeMs("292277025-08-18T07:12:54.999999999Z"), kMaxApiTimeMs);
  for (const char* bad : {"", "now", "2026-11-23", "2026-11-23T00:00:00", "2026-13-01T00:00:00Z",
                          "2025-02-29T00:00:00Z", "2026-11-23T24:00:00Z", "2026-11-23T00:00:60Z",
                          "2026-11-23T00:00:00.Z", "2026-11-23T00:00:00Zx", "nan", "inf", "-inf",
                          "1e300", "--1", "1.2.3", "0x10", " 1"}) {
    Result<int64_t> t = ParseTimeMs(bad);
    EXPECT_FALSE(t.ok()) << bad;
    if (!t.ok()) {
      EXPECT_EQ(t.status().message(),
                "cannot parse \"" + std::string(bad) + "\" to a valid timestamp");
    }
  }
}

TEST(ParseDurationParamMs, FloatSecondsOrPrometheusDuration) {
  EXPECT_EQ(*ParseDurationParamMs("15"), 15000);
  EXPECT_EQ(*ParseDurationParamMs("0.5"), 500);
  EXPECT_EQ(*ParseDurationParamMs("1m30s"), 90000);
  EXPECT_EQ(*ParseDurationParamMs("1d"), 86400000);
  EXPECT_EQ(*ParseDurationParamMs("250ms"), 250);
  EXPECT_EQ(*ParseDurationParamMs("-1"), -1000);
  EXPECT_EQ(ParseDurationParamMs("abc").status().message(),
            "cannot parse \"abc\" to a valid duration");
  EXPECT_EQ(ParseDurationParamMs("").status().message(), "cannot parse \"\" to a valid duration");
  EXPECT_THAT(ParseDurationParamMs("1e300").status().message(), HasSubstr("valid duration"));
}

TEST(ParseLimit, NonNegativeIntegers) {
  EXPECT_EQ(*ParseLimit(""), 0);
  EXPECT_EQ(*ParseLimit("10"), 10);
  EXPECT_EQ(*ParseLimit("+3"), 3);
  EXPECT_EQ(ParseLimit("-1").status().message(), "limit must be non-negative");
  EXPECT_FALSE(ParseLimit("1.5").ok());
  EXPECT_FALSE(ParseLimit("x").ok());
  EXPECT_FALSE(ParseLimit("+-1").ok());
  EXPECT_FALSE(ParseLimit("99999999999999999999").ok());
}

TEST(UnescapeLabelName, PrometheusValueEncoding) {
  EXPECT_EQ(UnescapeLabelName("job"), "job");
  EXPECT_EQ(UnescapeLabelName("U__a_2e_b"), "a.b");
  EXPECT_EQ(UnescapeLabelName("U__a__b"), "a_b");
  EXPECT_EQ(UnescapeLabelName("U___1f600_"), "\xF0\x9F\x98\x80");
  // Malformed encodings stay as they are.
  EXPECT_EQ(UnescapeLabelName("U__a_zz_"), "U__a_zz_");
  EXPECT_EQ(UnescapeLabelName("U__a_2e"), "U__a_2e");
  EXPECT_EQ(UnescapeLabelName("U___d800_"), "U___d800_");
  EXPECT_EQ(UnescapeLabelName("U__a.b"), "U__a.b");
  EXPECT_EQ(UnescapeLabelName("U__"), "U__");
}

}  // namespace
}  // namespace astrolabe::api
