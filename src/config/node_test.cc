#include "config/node.h"

#include <gtest/gtest.h>

#include "config/diagnostics.h"

namespace astrolabe::config {
namespace {

TEST(MarkTest, ToString) {
  EXPECT_EQ(Mark().ToString(), "<unknown>");
  auto f = std::make_shared<const std::string>("nim.yaml");
  EXPECT_EQ((Mark{f, 12, 5}).ToString(), "nim.yaml:12:5");
  EXPECT_EQ((Mark{f, 0, 0}).ToString(), "nim.yaml");
}

TEST(NodeTest, MapKeepsOrderAndKeyMarks) {
  auto f = std::make_shared<const std::string>("a.yaml");
  Node m = Node::Map({f, 1, 1});
  m.Set("b", Node::Scalar("1", {f, 1, 4}), {f, 1, 1});
  m.Set("a", Node::Scalar("2", {f, 2, 4}), {f, 2, 1});
  m.Set("b", Node::Scalar("3", {f, 3, 4}));  // replaces, keeps position and key mark
  ASSERT_EQ(m.entries().size(), 2u);
  EXPECT_EQ(m.entries()[0].first, "b");
  EXPECT_EQ(m.Find("b")->scalar(), "3");
  EXPECT_EQ(m.KeyMark("b").ToString(), "a.yaml:1:1");
  EXPECT_EQ(m.KeyMark("a").ToString(), "a.yaml:2:1");
  EXPECT_EQ(m.KeyMark("zz").ToString(), "a.yaml:1:1");  // unknown key: the map's mark
  EXPECT_TRUE(m.Erase("b"));
  EXPECT_FALSE(m.Erase("b"));
  EXPECT_EQ(m.KeyMark("a").ToString(), "a.yaml:2:1");
  EXPECT_EQ(m.Find("b"), nullptr);
  EXPECT_EQ(Node::Scalar("x", {}).Find("x"), nullptr);
}

TEST(NodeTest, KindsAndNames) {
  EXPECT_EQ(Node().KindName(), "null");
  EXPECT_EQ(Node::Scalar("x", {}, true).KindName(), "scalar");
  EXPECT_TRUE(Node::Scalar("x", {}, true).quoted());
  EXPECT_EQ(Node::Sequence({}, Node::Style::kFlow).style(), Node::Style::kFlow);
  EXPECT_EQ(Node::Map({}).KindName(), "map");
}

TEST(DiagnosticsTest, FormatAndStatus) {
  auto f = std::make_shared<const std::string>("nim.yaml");
  Diagnostics d;
  EXPECT_TRUE(d.ToStatus().ok());
  d.Warning({f, 3, 1}, "", "slip", "line one\nline two");
  d.Error({f, 32, 9}, "receivers.prometheus.config.scrape_configs[0].scrape_intervall",
          "unknown key (did you mean scrape_interval?)");
  d.Error({f, 1, 1}, "", "empty configuration file");
  EXPECT_EQ(d.warnings()[0].ToString(), "nim.yaml:3:1: slip\n    line one\n    line two");
  EXPECT_EQ(d.errors()[0].ToString(),
            "nim.yaml:32:9: receivers.prometheus.config.scrape_configs[0].scrape_intervall: "
            "unknown key (did you mean scrape_interval?)");
  Status s = d.ToStatus();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), d.errors()[0].ToString() + "\nnim.yaml:1:1: empty configuration file");
  Diagnostics other;
  other.Merge(d);
  EXPECT_EQ(other.errors().size(), 2u);
  EXPECT_EQ(other.warnings().size(), 1u);
}

}  // namespace
}  // namespace astrolabe::config
