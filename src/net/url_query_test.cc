#include "net/url_query.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace astrolabe::net {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<QueryParam> Parse(std::string_view text) {
  auto r = ParseQueryString(text);
  EXPECT_TRUE(r.ok()) << text << ": " << r.status().ToString();
  return r.ok() ? *r : std::vector<QueryParam>{};
}

TEST(UrlQuery, DecodesPairsAsGoParseQueryDoes) {
  EXPECT_THAT(Parse("service=chat&attr.user.id=u%2D42&q=a+b%20c"),
              ElementsAre(QueryParam{"service", "chat"}, QueryParam{"attr.user.id", "u-42"},
                          QueryParam{"q", "a b c"}));
  // Empty pairs are skipped, a bare name has an empty value, '=' may appear in the value.
  EXPECT_THAT(Parse("&a&&b=&c==x&"),
              ElementsAre(QueryParam{"a", ""}, QueryParam{"b", ""}, QueryParam{"c", "=x"}));
  EXPECT_THAT(Parse("%41%62=%e2%82%AC"), ElementsAre(QueryParam{"Ab", "\xe2\x82\xac"}));
  EXPECT_THAT(Parse("k=%00"), ElementsAre(QueryParam{"k", std::string(1, '\0')}));
  EXPECT_TRUE(Parse("").empty());
}

TEST(UrlQuery, RejectsBadEscapesAndSemicolonsNamingThePair) {
  auto bad = ParseQueryString("a=1&b=%zz");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("query parameter 2 (b)"));
  EXPECT_THAT(bad.status().message(), HasSubstr("invalid percent escape \"%zz\""));
  EXPECT_FALSE(ParseQueryString("a=%4").ok());
  EXPECT_FALSE(ParseQueryString("a=%").ok());
  EXPECT_FALSE(ParseQueryString("%g0=1").ok());
  auto semi = ParseQueryString("a=1;b=2");
  ASSERT_FALSE(semi.ok());
  EXPECT_THAT(semi.status().message(), HasSubstr("semicolon"));
}

TEST(UrlQuery, LimitsTheNumberOfPairs) {
  EXPECT_TRUE(ParseQueryString("a&b&c", 3).ok());
  auto many = ParseQueryString("a&b&c&d", 3);
  ASSERT_FALSE(many.ok());
  EXPECT_THAT(many.status().message(), HasSubstr("more than 3 query parameters"));
  EXPECT_FALSE(QueryParams::Parse("a&b", std::string_view("c&d"), 3).ok());
}

TEST(UrlQuery, EncodeDecodeRoundTrip) {
  std::string all;
  for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
  const std::string encoded = PercentEncode(all);
  EXPECT_EQ(encoded.find_first_not_of(
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~%"),
            std::string::npos);
  auto decoded = PercentDecode(encoded);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, all);
  EXPECT_EQ(PercentEncode("a b+c"), "a%20b%2Bc");
  EXPECT_EQ(*PercentDecode("a+b", /*plus_is_space=*/false), "a+b");
}

TEST(UrlQuery, ParamsLookups) {
  auto p = QueryParams::Parse("limit=5&attr.k=1&attr.k=2&x=q", std::string_view("x=body"));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->First("x"), "body");  // the body first, as Go's FormValue
  EXPECT_THAT(p->Values("attr.k"), ElementsAre("1", "2"));
  EXPECT_TRUE(p->Has("limit"));
  EXPECT_FALSE(p->Has("cursor"));
  auto limit = p->Single("limit");
  ASSERT_TRUE(limit.ok());
  EXPECT_EQ(*limit, "5");
  auto absent = p->Single("cursor");
  ASSERT_TRUE(absent.ok());
  EXPECT_FALSE(absent->has_value());
  auto twice = p->Single("attr.k");
  ASSERT_FALSE(twice.ok());
  EXPECT_THAT(twice.status().message(), HasSubstr("parameter \"attr.k\" is given 2 times"));
  auto bad_body = QueryParams::Parse("a=1", std::string_view("b=%"));
  ASSERT_FALSE(bad_body.ok());
  EXPECT_THAT(bad_body.status().message(), HasSubstr("form body"));
}

}  // namespace
}  // namespace astrolabe::net
