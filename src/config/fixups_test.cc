#include "config/fixups.h"

#include <gtest/gtest.h>

#include "config/emit.h"

namespace astrolabe::config {
namespace {

const auto kFile = std::make_shared<const std::string>("f.yaml");

Node Parse(const std::string& text) {
  Diagnostics d;
  auto n = ParseYaml(text, {kFile, {}}, d);
  EXPECT_TRUE(n.has_value()) << d.ToStatus().ToString();
  return n.value_or(Node());
}

TEST(FixNbspTest, OnlyIndentationIsChanged) {
  std::string text =
      "a:\n\xC2\xA0 b: \"x\xC2\xA0y\"\n\xC2\xA0\xC2\xA0"
      "c: 1\n";
  Diagnostics d;
  EXPECT_TRUE(FixNbspIndentation(text, kFile, d));
  EXPECT_EQ(text, "a:\n  b: \"x\xC2\xA0y\"\n  c: 1\n");
  ASSERT_EQ(d.warnings().size(), 1u);
  EXPECT_EQ(d.warnings()[0].ToString(),
            "f.yaml:2:1: indentation uses no-break spaces (U+00A0) on 2 lines; read as spaces\n"
            "    line 2 read as:\n      b: \"x\xC2\xA0y\"");
  std::string clean = "a: \xC2\xA0\n";
  Diagnostics none;
  EXPECT_FALSE(FixNbspIndentation(clean, kFile, none));
  EXPECT_TRUE(none.warnings().empty());
}

struct OverIndentCase {
  const char* name;
  const char* in;
  const char* out;  // nullptr: not fixable, text unchanged
  size_t warnings;
};

const OverIndentCase kOverIndent[] = {
    {"seed_shape",
     "service:\n  extensions: [h]\n    metrics:\n      receivers: [r]\n\n      exporters: [e]\n",
     "service:\n  extensions: [h]\n  metrics:\n    receivers: [r]\n\n    exporters: [e]\n", 1},
    {"scalar_value", "a:\n  b: 1\n     c: 2\nd: 3\n", "a:\n  b: 1\n  c: 2\nd: 3\n", 1},
    {"two_places", "a: 1\n  b: 2\nc:\n  d: x\n      e: y\n", "a: 1\nb: 2\nc:\n  d: x\n  e: y\n", 2},
    {"in_sequence_item", "l:\n  - a: 1\n      b: 2\n", "l:\n  - a: 1\n    b: 2\n", 1},
    {"block_scalar_not_touched", "a: |\n    text: here\n  b: [\n", nullptr, 0},
    {"unfixable", "a: 1\n  b: [\n", nullptr, 0},
    {"valid_left_alone", "a:\n  b: 1\n", nullptr, 0},
};

class FixOverIndentationTest : public testing::TestWithParam<OverIndentCase> {};

TEST_P(FixOverIndentationTest, Fixes) {
  const OverIndentCase& c = GetParam();
  std::string text = c.in;
  ParseOptions opts{kFile, {}};
  Diagnostics d;
  bool fixed = FixOverIndentation(text, &opts, d);
  EXPECT_EQ(fixed, c.out != nullptr);
  EXPECT_EQ(text, c.out != nullptr ? c.out : c.in);
  EXPECT_EQ(d.warnings().size(), c.warnings);
  EXPECT_FALSE(d.has_errors());
}

INSTANTIATE_TEST_SUITE_P(Cases, FixOverIndentationTest, testing::ValuesIn(kOverIndent),
                         [](const testing::TestParamInfo<OverIndentCase>& i) {
                           return std::string(i.param.name);
                         });

TEST(FixOverIndentationTest, MarksNameTheOriginalColumns) {
  std::string text = "s:\n  x: [h]\n    m:\n      r: 1\n";
  ParseOptions opts{kFile, {}};
  Diagnostics d;
  ASSERT_TRUE(FixOverIndentation(text, &opts, d));
  EXPECT_EQ(d.warnings()[0].mark.ToString(), "f.yaml:3:5");
  Diagnostics pd;
  auto n = ParseYaml(text, opts, pd);
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(n->Find("s")->KeyMark("m").ToString(), "f.yaml:3:5");
  EXPECT_EQ(n->Find("s")->Find("m")->KeyMark("r").ToString(), "f.yaml:4:7");
}

TEST(FixNestedTargetsTest, FlattensOnlyPrometheusTargets) {
  Node root = Parse(
      "receivers:\n"
      "  prometheus/a:\n    config:\n      scrape_configs:\n"
      "        - static_configs:\n            - targets: [[\"h:1\", h2], h3, [h4]]\n"
      "  otlp:\n    config:\n      scrape_configs:\n"
      "        - static_configs:\n            - targets: [[x]]\n");
  Diagnostics d;
  EXPECT_TRUE(FixNestedTargets(root, d));
  ASSERT_EQ(d.warnings().size(), 1u);
  EXPECT_EQ(d.warnings()[0].path,
            "receivers.prometheus/a.config.scrape_configs[0].static_configs[0].targets[0]");
  EXPECT_EQ(d.warnings()[0].mark.ToString(), "f.yaml:6:25");
  const Node& t = *root.Find("receivers")
                       ->Find("prometheus/a")
                       ->Find("config")
                       ->Find("scrape_configs")
                       ->items()[0]
                       .Find("static_configs")
                       ->items()[0]
                       .Find("targets");
  ASSERT_EQ(t.items().size(), 4u);
  EXPECT_EQ(t.items()[3].scalar(), "h4");
  EXPECT_EQ(d.warnings()[0].detail, "targets: [\"h:1\", h2, h3, h4]\n");
  // otlp is not a prometheus receiver: untouched.
  EXPECT_TRUE(root.Find("receivers")
                  ->Find("otlp")
                  ->Find("config")
                  ->Find("scrape_configs")
                  ->items()[0]
                  .Find("static_configs")
                  ->items()[0]
                  .Find("targets")
                  ->items()[0]
                  .IsSequence());
  Diagnostics again;
  EXPECT_FALSE(FixNestedTargets(root, again));
}

TEST(FixBarePipelinesTest, MovesUnderPipelines) {
  Node root = Parse(
      "service:\n  extensions: [h]\n  metrics:\n    receivers: [r]\n  traces/x:\n"
      "    receivers: [t]\n  telemetry: {}\n");
  Diagnostics d;
  EXPECT_TRUE(FixBarePipelines(root, d));
  EXPECT_EQ(d.warnings().size(), 2u);
  EXPECT_EQ(d.warnings()[1].ToString().substr(0, 50),
            "f.yaml:5:3: service.traces/x: pipeline written dir");
  EXPECT_EQ(Emit(*root.Find("service")),
            "extensions: [h]\npipelines:\n  metrics:\n    receivers: [r]\n  traces/x:\n"
            "    receivers: [t]\ntelemetry: {}\n");
  EXPECT_EQ(root.Find("service")->KeyMark("pipelines").ToString(), "f.yaml:3:3");
}

TEST(FixBarePipelinesTest, JoinsExistingPipelinesButNeverOverwrites) {
  Node root = Parse(
      "service:\n  pipelines:\n    logs: {receivers: [a]}\n  metrics: {receivers: [b]}\n"
      "  logs: {receivers: [c]}\n");
  Diagnostics d;
  EXPECT_TRUE(FixBarePipelines(root, d));
  EXPECT_EQ(d.warnings().size(), 1u);
  const Node& s = *root.Find("service");
  EXPECT_EQ(Emit(s),
            "pipelines:\n  logs: {receivers: [a]}\n  metrics: {receivers: [b]}\n"
            "logs: {receivers: [c]}\n");
  Node scalar_pipelines = Parse("service:\n  pipelines: 3\n  metrics: {}\n");
  Diagnostics d2;
  EXPECT_FALSE(FixBarePipelines(scalar_pipelines, d2));
}

}  // namespace
}  // namespace astrolabe::config
