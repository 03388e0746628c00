#include "storage/matcher.h"

#include <gtest/gtest.h>
#include <re2/re2.h>

namespace astrolabe::storage {
namespace {

struct Case {
  MatchType type;
  std::string value;
  std::string input;
  bool want;
};

TEST(MatcherTest, PrometheusSemantics) {
  const Case cases[] = {
      {MatchType::kEqual, "a", "a", true},
      {MatchType::kEqual, "a", "", false},
      {MatchType::kEqual, "", "", true},
      {MatchType::kNotEqual, "a", "", true},
      {MatchType::kNotEqual, "a", "a", false},
      {MatchType::kRegexMatch, "a.*", "abc", true},
      {MatchType::kRegexMatch, "a.*", "xabc", false},  // anchored at the start
      {MatchType::kRegexMatch, "b", "abc", false},     // and at the end
      {MatchType::kRegexMatch, ".*", "", true},
      {MatchType::kRegexMatch, ".+", "", false},
      {MatchType::kRegexMatch, ".+", "x", true},
      {MatchType::kRegexMatch, "a|b|c", "b", true},
      {MatchType::kRegexMatch, "a|b|c", "ab", false},
      {MatchType::kRegexMatch, "(a|b)", "a", true},
      {MatchType::kRegexMatch, "(?:foo|bar)", "bar", true},
      {MatchType::kRegexMatch, "x|", "", true},
      {MatchType::kRegexMatch, "foo\\.bar", "foo.bar", true},
      {MatchType::kRegexMatch, "foo\\.bar", "fooxbar", false},
      {MatchType::kRegexMatch, "foo.bar", "fooxbar", true},
      {MatchType::kRegexMatch, ".*suffix", "a_suffix", true},
      {MatchType::kRegexMatch, ".*mid.*", "amidb", true},
      {MatchType::kRegexMatch, ".*mid.*", "amdb", false},
      {MatchType::kRegexMatch, "a.*", "a\nb", true},  // (?s): dot matches newline
      {MatchType::kRegexMatch, "(?i)GPT-4o", "gpt-4o", true},
      {MatchType::kRegexMatch, "[0-9]+ms", "250ms", true},
      {MatchType::kRegexMatch, "\\d+", "12a", false},
      {MatchType::kRegexMatch, "", "", true},
      {MatchType::kRegexMatch, "", "a", false},
      {MatchType::kRegexNoMatch, "a|b", "a", false},
      {MatchType::kRegexNoMatch, "a|b", "", true},
      {MatchType::kRegexNoMatch, ".*", "", false},
      {MatchType::kRegexNoMatch, "time_.*", "e2e", true},
  };
  for (const Case& c : cases) {
    Matcher m = Matcher::MustMake(c.type, "l", c.value);
    EXPECT_EQ(m.Matches(c.input), c.want) << m.ToString() << " on \"" << c.input << "\"";
    EXPECT_EQ(m.MatchesEmpty(), m.Matches("")) << m.ToString();
  }
}

// Every fast path must agree with RE2 itself on the anchored, dot-all regex.
TEST(MatcherTest, FastPathsAgreeWithRe2) {
  const std::string regexes[] = {"abc", "a|bc|", "(a|b)", "(?:x|y|z)", "pre.*", ".*suf", ".*in.*",
                                 ".*", ".+", "a\\.b", "a\\|b", "a\\*", ".*\\.", "(a)|(b)", "a.*|b",
                                 "(a|b).*", "", "\\.*",
                                 // storage_matcher_fuzz: a `)` closing the wrapping group and a
                                 // trailing `\` (the last alternative went unchecked: "" matched)
                                 "H||||o|)\\", "a|)\\"};
  const std::string inputs[] = {"",     "a",      "b",    "abc", "bc",  "x",   "pre", "prefix",
                                "asuf", "suf",    "xiny", "in",  "a.b", "a|b", "a*",  "aaa",
                                "\n",   "pre\nx", ".",    "..",  "ab",  ")",   "H)",  "o)"};
  for (const std::string& re : regexes) {
    re2::RE2::Options opts;
    opts.set_dot_nl(true);
    re2::RE2 ref("(?s:" + re + ")", opts);
    ASSERT_TRUE(ref.ok()) << re;
    Matcher m = Matcher::MustMake(MatchType::kRegexMatch, "l", re);
    for (const std::string& in : inputs) {
      EXPECT_EQ(m.Matches(in), re2::RE2::FullMatch(in, ref))
          << "regex " << re << " on \"" << in << "\"";
    }
  }
}

TEST(MatcherTest, InvalidRegexIsAClearError) {
  auto m = Matcher::Make(MatchType::kRegexMatch, "model", "gpt-(4");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(m.status().message().find("model=~\"gpt-(4\""), std::string::npos)
      << m.status().message();
  EXPECT_NE(m.status().message().find("missing )"), std::string::npos) << m.status().message();
}

TEST(MatcherTest, LiteralSet) {
  auto set = [](MatchType t, const std::string& v) -> std::vector<std::string> {
    Matcher m = Matcher::MustMake(t, "l", v);
    const auto* s = m.LiteralSet();
    return s ? *s : std::vector<std::string>{"<none>"};
  };
  EXPECT_EQ(set(MatchType::kEqual, "x"), (std::vector<std::string>{"x"}));
  EXPECT_EQ(set(MatchType::kNotEqual, "x"), (std::vector<std::string>{"x"}));
  EXPECT_EQ(set(MatchType::kRegexMatch, "b|a|b"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(set(MatchType::kRegexNoMatch, "(x|y)"), (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(set(MatchType::kRegexMatch, "x.*"), (std::vector<std::string>{"<none>"}));
}

TEST(MatcherTest, ToStringQuotes) {
  EXPECT_EQ(Matcher::MustMake(MatchType::kRegexNoMatch, "a", "x\"y").ToString(), "a!~\"x\\\"y\"");
}

}  // namespace
}  // namespace astrolabe::storage
