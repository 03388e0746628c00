#include "api/query_params.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace astrolabe::api {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(ParseForm, DecodesLikeGo) {
  FormValues form;
  ASSERT_TRUE(ParseForm("query=sum(rate(x%5B5m%5D))&match%5B%5D=a+b&&match[]=c&flag&e=", &form).ok());
  EXPECT_EQ(form.Value("query"), "sum(rate(x[5m]))");
  EXPECT_THAT(form.All("match[]"), ElementsAre("a b", "c"));
  EXPECT_EQ(form.Get("flag").value_or("absent"), "");
  EXPECT_EQ(form.Get("e").value_or("absent"), "");
  EXPECT_FALSE(form.Get("missing").has_value());
  EXPECT_EQ(form.Value("missing"), "");
  EXPECT_EQ(form.size(), 5u);
}

TEST(ParseForm, BadEscapesAndSemicolonsFailButKeepTheRest) {
  FormValues form;
  Status s = ParseForm("a=1&b=%zz&c=%4&d=%&e;x=2&f=3", &form);
  EXPECT_EQ(s.message(), "invalid URL escape \"%zz\"");
  EXPECT_EQ(form.Value("a"), "1");
  EXPECT_EQ(form.Value("f"), "3");
  EXPECT_FALSE(form.Get("b").has_value());
  EXPECT_FALSE(form.Get("c").has_value());
  FormValues semi;
  EXPECT_EQ(ParseForm("a;b=1", &semi).message(), "invalid semicolon separator in query");
  // A semicolon in a value is data.
  FormValues value;
  EXPECT_TRUE(ParseForm("a=1;2", &value).ok());
  EXPECT_EQ(value.Value("a"), "1;2");
}

TEST(PathUnescape, KeepsPlus) {
  EXPECT_EQ(*PathUnescape("a+b%2Fc"), "a+b/c");
  EXPECT_FALSE(PathUnescape("%g0").ok());
}

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

TEST(IsValidUtf8, RejectsBadSequences) {
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xFF"));
  EXPECT_FALSE(IsValidUtf8("\xC3"));
  EXPECT_FALSE(IsValidUtf8("\xC0\x80"));          // overlong
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // past U+10FFFF
}

}  // namespace
}  // namespace astrolabe::api
