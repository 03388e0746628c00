#include "receiver/prometheus/relabel.h"

#include <gtest/gtest.h>

namespace astrolabe::receiver::prometheus {
namespace {

std::string Hex(const std::array<uint8_t, 16>& d) {
  static const char* kDigits = "0123456789abcdef";
  std::string s;
  for (uint8_t b : d) {
    s += kDigits[b >> 4];
    s += kDigits[b & 15];
  }
  return s;
}

TEST(Md5, KnownVectors) {
  EXPECT_EQ(Hex(Md5("")), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(Hex(Md5("abc")), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(Hex(Md5("The quick brown fox jumps over the lazy dog")),
            "9e107d9d372bb6826bd81d3542a419d6");
  // Crosses the 56-byte padding boundary.
  EXPECT_EQ(Hex(Md5(std::string(64, 'a'))), "014842d480b571495a4a0363793f7367");
}

TEST(Labels, SortedUniqueAndCompact) {
  Labels l({{"b", "2"}, {"a", "1"}, {"b", "3"}, {"c", ""}});
  EXPECT_EQ(l.ToString(), "{a=\"1\", b=\"3\", c=\"\"}");
  l.Compact();
  EXPECT_EQ(l.ToString(), "{a=\"1\", b=\"3\"}");
  l.Set("0", "x");
  EXPECT_EQ(l.items().front().name, "0");
  EXPECT_EQ(l.Get("missing"), "");
  l.Del("a");
  EXPECT_FALSE(l.Has("a"));
  EXPECT_NE(Labels(std::vector<Label>{{"a", "bc"}}).Hash(),
            Labels(std::vector<Label>{{"ab", "c"}}).Hash());
}

TEST(Regex, AnchoredDotAllAndTranslations) {
  auto re = Regex::Compile("foo.*");
  ASSERT_TRUE(re.ok());
  EXPECT_TRUE(re->Match("foobar"));
  EXPECT_FALSE(re->Match("xfoobar"));  // anchored at the start
  EXPECT_TRUE(re->Match("foo\nbar"));  // `.` matches a newline, as (?s)
  auto alt = Regex::Compile("a|b");
  ASSERT_TRUE(alt.ok());
  EXPECT_FALSE(alt->Match("ab"));  // ^(?:a|b)$, not ^a|b$
  auto icase = Regex::Compile("(?i)GPU_.*");
  ASSERT_TRUE(icase.ok());
  EXPECT_TRUE(icase->Match("gpu_util"));
  auto named = Regex::Compile("(?P<host>[^:]+):(\\d+)");
  ASSERT_TRUE(named.ok());
  EXPECT_EQ(named->MatchAndExpand("nim:8000", "$2/${1}"), "8000/nim");
  auto bad = Regex::Compile("a(b");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("error parsing regexp"), std::string::npos);
  EXPECT_NE(bad.status().message().find("`a(b`"), std::string::npos);
}

TEST(Regex, ExpandFollowsGo) {
  auto re = Regex::Compile("(a)(b)");
  ASSERT_TRUE(re.ok());
  EXPECT_EQ(re->MatchAndExpand("ab", "$1-$2"), "a-b");
  EXPECT_EQ(re->MatchAndExpand("ab", "${1}x"), "ax");
  EXPECT_EQ(re->MatchAndExpand("ab", "$1x"), "");           // group "1x" does not exist
  EXPECT_EQ(re->MatchAndExpand("ab", "$$1"), "$1");         // escaped dollar
  EXPECT_EQ(re->MatchAndExpand("ab", "cost $"), "cost $");  // malformed: kept
  EXPECT_EQ(re->MatchAndExpand("ab", "$9"), "");            // missing group
  EXPECT_EQ(re->MatchAndExpand("xy", "$1"), std::nullopt);
}

struct RelabelCase {
  const char* name;
  std::vector<Label> input;
  RelabelConfig config;
  std::optional<std::vector<Label>> output;  // nullopt: dropped
};

RelabelConfig Rc(std::string action, std::vector<std::string> source, std::string regex,
                 std::string target = "", std::string replacement = "$1", int64_t modulus = 0) {
  RelabelConfig c;
  c.action = std::move(action);
  c.source_labels = std::move(source);
  c.regex = std::move(regex);
  c.target_label = std::move(target);
  c.replacement = std::move(replacement);
  c.modulus = modulus;
  return c;
}

class RelabelTable : public ::testing::TestWithParam<RelabelCase> {};

TEST_P(RelabelTable, Apply) {
  const RelabelCase& c = GetParam();
  auto rules = CompileRelabelRules({c.config}, "relabel_configs");
  ASSERT_TRUE(rules.ok()) << rules.status().ToString();
  Labels labels(c.input);
  bool kept = Relabel(*rules, labels);
  if (!c.output) {
    EXPECT_FALSE(kept);
    return;
  }
  ASSERT_TRUE(kept);
  EXPECT_EQ(labels.ToString(), Labels(*c.output).ToString());
}

INSTANTIATE_TEST_SUITE_P(
    Actions, RelabelTable,
    ::testing::Values(
        RelabelCase{"replace",
                    {{"__address__", "nim:8000"}},
                    Rc("replace", {"__address__"}, "([^:]+):(\\d+)", "host", "$1"),
                    std::vector<Label>{{"__address__", "nim:8000"}, {"host", "nim"}}},
        RelabelCase{"replace_default_regex_copies",
                    {{"a", "x"}, {"b", "y"}},
                    Rc("replace", {"a", "b"}, "(.*)", "c"),
                    std::vector<Label>{{"a", "x"}, {"b", "y"}, {"c", "x;y"}}},
        RelabelCase{"replace_no_match_keeps",
                    {{"a", "x"}},
                    Rc("replace", {"a"}, "y", "c", "z"),
                    std::vector<Label>{{"a", "x"}}},
        RelabelCase{"replace_empty_result_deletes",
                    {{"a", "x"}, {"c", "old"}},
                    Rc("replace", {"missing"}, "(.*)", "c"),
                    std::vector<Label>{{"a", "x"}}},
        RelabelCase{"replace_templated_target",
                    {{"k", "model"}, {"v", "gpt"}},
                    Rc("replace", {"k", "v"}, "(.*);(.*)", "x_${1}", "$2"),
                    std::vector<Label>{{"k", "model"}, {"v", "gpt"}, {"x_model", "gpt"}}},
        RelabelCase{"keep_match",
                    {{"__name__", "up"}},
                    Rc("keep", {"__name__"}, "up|x"),
                    std::vector<Label>{{"__name__", "up"}}},
        RelabelCase{
            "keep_no_match", {{"__name__", "go_gc"}}, Rc("keep", {"__name__"}, "up"), std::nullopt},
        RelabelCase{
            "drop_match", {{"__name__", "go_gc"}}, Rc("drop", {"__name__"}, "go_.*"), std::nullopt},
        RelabelCase{"drop_no_match",
                    {{"__name__", "up"}},
                    Rc("drop", {"__name__"}, "go_.*"),
                    std::vector<Label>{{"__name__", "up"}}},
        RelabelCase{"keepequal_equal",
                    {{"a", "1"}, {"b", "1"}},
                    Rc("keepequal", {"a"}, "(.*)", "b"),
                    std::vector<Label>{{"a", "1"}, {"b", "1"}}},
        RelabelCase{"keepequal_differs",
                    {{"a", "1"}, {"b", "2"}},
                    Rc("keepequal", {"a"}, "(.*)", "b"),
                    std::nullopt},
        RelabelCase{"dropequal_equal",
                    {{"a", "1"}, {"b", "1"}},
                    Rc("dropequal", {"a"}, "(.*)", "b"),
                    std::nullopt},
        RelabelCase{"hashmod",
                    {{"a", "abc"}},
                    Rc("hashmod", {"a"}, "(.*)", "shard", "$1", 1000),
                    std::vector<Label>{{"a", "abc"}, {"shard", "458"}}},
        RelabelCase{"hashmod_joined",
                    {{"a", "foo"}, {"b", "bar"}},
                    Rc("hashmod", {"a", "b"}, "(.*)", "shard", "$1", 16),
                    std::vector<Label>{{"a", "foo"}, {"b", "bar"}, {"shard", "14"}}},
        RelabelCase{"labelmap",
                    {{"__meta_kubernetes_pod_label_app", "nim"}, {"x", "1"}},
                    Rc("labelmap", {}, "__meta_kubernetes_pod_label_(.+)", "", "$1"),
                    std::vector<Label>{
                        {"__meta_kubernetes_pod_label_app", "nim"}, {"app", "nim"}, {"x", "1"}}},
        RelabelCase{"labeldrop",
                    {{"engine", "0"}, {"model_name", "m"}},
                    Rc("labeldrop", {}, "engine"),
                    std::vector<Label>{{"model_name", "m"}}},
        RelabelCase{"labelkeep",
                    {{"__name__", "x"}, {"engine", "0"}, {"model_name", "m"}},
                    Rc("labelkeep", {}, "__name__|model_name"),
                    std::vector<Label>{{"__name__", "x"}, {"model_name", "m"}}},
        RelabelCase{"lowercase",
                    {{"a", "GPU-A"}},
                    Rc("lowercase", {"a"}, "(.*)", "b"),
                    std::vector<Label>{{"a", "GPU-A"}, {"b", "gpu-a"}}},
        RelabelCase{"uppercase",
                    {{"a", "gpu-a"}},
                    Rc("uppercase", {"a"}, "(.*)", "a"),
                    std::vector<Label>{{"a", "GPU-A"}}}),
    [](const ::testing::TestParamInfo<RelabelCase>& info) { return info.param.name; });

TEST(Relabel, RulesRunInOrder) {
  auto rules = CompileRelabelRules(
      {Rc("replace", {"__address__"}, "(.*):.*", "node"), Rc("keep", {"node"}, "gpu-.*")},
      "relabel_configs");
  ASSERT_TRUE(rules.ok());
  Labels a(std::vector<Label>{{"__address__", "gpu-1:9400"}});
  EXPECT_TRUE(Relabel(*rules, a));
  EXPECT_EQ(a.Get("node"), "gpu-1");
  Labels b(std::vector<Label>{{"__address__", "cpu-1:9400"}});
  EXPECT_FALSE(Relabel(*rules, b));
}

TEST(Relabel, CompileNamesTheRule) {
  auto rules = CompileRelabelRules({Rc("keep", {"a"}, "x"), Rc("replace", {"a"}, "(.*)")},
                                   "metric_relabel_configs");
  ASSERT_FALSE(rules.ok());
  EXPECT_EQ(rules.status().message(),
            "metric_relabel_configs[1]: relabel configuration for replace action requires "
            "'target_label' value");
}

}  // namespace
}  // namespace astrolabe::receiver::prometheus
