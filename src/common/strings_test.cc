#include "common/strings.h"

#include <gtest/gtest.h>

namespace astrolabe {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

TEST(StringsTest, EditDistanceAndClosestMatch) {
  EXPECT_EQ(EditDistance("scrape_intervall", "scrape_interval"), 1u);
  EXPECT_EQ(EditDistance("", "abc"), 3u);
  std::vector<std::string> keys = {"scrape_interval", "scrape_timeout", "job_name"};
  EXPECT_EQ(ClosestMatch("scrape_intervall", keys), "scrape_interval");
  EXPECT_EQ(ClosestMatch("jobname", keys), "job_name");
  EXPECT_EQ(ClosestMatch("completely_different", keys), std::nullopt);
}

TEST(StringsTest, ParseDurationGoSyntax) {
  EXPECT_EQ(*ParseDuration("10s"), seconds(10));
  EXPECT_EQ(*ParseDuration("25h"), hours(25));
  EXPECT_EQ(*ParseDuration("1m30s"), seconds(90));
  EXPECT_EQ(*ParseDuration("250ms"), milliseconds(250));
  EXPECT_EQ(*ParseDuration("1.5h"), minutes(90));
  EXPECT_EQ(*ParseDuration("0"), Duration(0));
  EXPECT_EQ(*ParseDuration("1d"), hours(24));
  EXPECT_FALSE(ParseDuration("10").ok());
  EXPECT_FALSE(ParseDuration("10x").ok());
  EXPECT_FALSE(ParseDuration("").ok());
  EXPECT_EQ(ParseDuration("5parsecs").status().message(),
            "unknown unit \"parsecs\" in duration \"5parsecs\"");
}

TEST(StringsTest, FormatDurationLikeGo) {
  EXPECT_EQ(FormatDuration(Duration(0)), "0s");
  EXPECT_EQ(FormatDuration(milliseconds(150)), "150ms");
  EXPECT_EQ(FormatDuration(seconds(3723) + milliseconds(500)), "1h2m3.5s");
  EXPECT_EQ(FormatDuration(seconds(61)), "1m1s");
  EXPECT_EQ(FormatDuration(Duration(42)), "42ns");
}

TEST(StringsTest, ParseBytes) {
  EXPECT_EQ(*ParseBytes("512KiB"), 512u * 1024);
  EXPECT_EQ(*ParseBytes("4MB"), 4'000'000u);
  EXPECT_EQ(*ParseBytes("100"), 100u);
  EXPECT_FALSE(ParseBytes("lots").ok());
}

TEST(StringsTest, Rfc3339) {
  EXPECT_EQ(FormatRfc3339(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(1'500'000'000'000'000'000 + 500'000'000), "2017-07-14T02:40:00.5Z");
}

TEST(StringsTest, SplitAndTrim) {
  auto parts = Split("a,b,,c", ',');
  ASSERT_EQ(parts.size(), 4u);
  EXPECT_EQ(parts[2], "");
  EXPECT_EQ(TrimSpace("  x \n"), "x");
}

}  // namespace
}  // namespace astrolabe

namespace astrolabe {
namespace {

TEST(AsciiLowerTest, LowersOnlyAsciiLetters) {
  EXPECT_EQ(AsciiLower("Content-Type: APPLICATION/JSON 42"), "content-type: application/json 42");
  EXPECT_EQ(AsciiLower(""), "");
  EXPECT_EQ(AsciiLower("\xC3\x84Z"), "\xC3\x84z");  // UTF-8 bytes untouched
}

}  // namespace
}  // namespace astrolabe
