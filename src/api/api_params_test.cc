#include "api/api_params.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace astrolabe::api {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kS = 1'000'000'000;

int64_t Parse(std::string_view text) {
  auto t = ParseTimeParam(text);
  EXPECT_TRUE(t.ok()) << text << ": " << t.status().ToString();
  return t.ok() ? *t : -1;
}

TEST(ParseTimeParam, UnixSeconds) {
  EXPECT_EQ(Parse("0"), 0);
  EXPECT_EQ(Parse("1763859723"), 1763859723 * kS);
  EXPECT_EQ(Parse("1763859723.5"), 1763859723 * kS + 500'000'000);
  EXPECT_EQ(Parse("1763859723.000000001"), 1763859723 * kS + 1);
}

TEST(ParseTimeParam, Rfc3339) {
  // 2025-11-23T01:02:03Z = 1763859723.
  EXPECT_EQ(Parse("2025-11-23T01:02:03Z"), 1763859723 * kS);
  EXPECT_EQ(Parse("2025-11-23t01:02:03z"), 1763859723 * kS);
  EXPECT_EQ(Parse("2025-11-23T01:02:03.25Z"), 1763859723 * kS + 250'000'000);
  EXPECT_EQ(Parse("2025-11-23T02:02:03.123456789+01:00"), 1763859723 * kS + 123'456'789);
  EXPECT_EQ(Parse("2025-11-22T23:32:03-01:30"), 1763859723 * kS);
  EXPECT_EQ(Parse("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(Parse("2024-02-29T00:00:00Z"), 1709164800 * kS);
}

TEST(ParseTimeParam, RejectsWhatIsNeither) {
  for (std::string_view bad :
       {"", "yesterday", "-1", "1e9", "1763859723.", "1763859723.1234567891", "12:00", "2025-11-23",
        "2025-11-23T01:02:03", "2025-11-23 01:02:03Z", "2025-02-30T00:00:00Z",
        "2025-11-23T24:00:00Z", "2025-11-23T01:02:03+1:00", "2025-11-23T01:02:03Zjunk",
        "2025-11-23T01:02:03.Z", "1969-12-31T23:59:59Z", "99999999999999999999",
        "9999-12-31T23:59:59Z"}) {
    auto t = ParseTimeParam(bad);
    EXPECT_FALSE(t.ok()) << "accepted \"" << bad << "\" as " << *t;
  }
  EXPECT_THAT(ParseTimeParam("yesterday").status().message(),
              HasSubstr("invalid time \"yesterday\": expected RFC 3339"));
  EXPECT_THAT(ParseTimeParam("1969-12-31T23:59:59Z").status().message(), HasSubstr("out of range"));
}

}  // namespace
}  // namespace astrolabe::api
