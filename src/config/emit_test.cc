#include "config/emit.h"

#include <gtest/gtest.h>

#include "config/parse.h"

namespace astrolabe::config {
namespace {

std::optional<Node> Parse(const std::string& text) {
  Diagnostics d;
  return ParseYaml(text, {}, d);
}

// Structural equality: kinds, keys, order, scalar values, quoted flags of strings.
bool Same(const Node& a, const Node& b) {
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Node::Kind::kNull:
      return true;
    case Node::Kind::kScalar:
      return a.scalar() == b.scalar() && a.quoted() == b.quoted();
    case Node::Kind::kSequence:
      if (a.items().size() != b.items().size()) return false;
      for (size_t i = 0; i < a.items().size(); ++i) {
        if (!Same(a.items()[i], b.items()[i])) return false;
      }
      return true;
    case Node::Kind::kMap:
      if (a.entries().size() != b.entries().size()) return false;
      for (size_t i = 0; i < a.entries().size(); ++i) {
        if (a.entries()[i].first != b.entries()[i].first) return false;
        if (!Same(a.entries()[i].second, b.entries()[i].second)) return false;
      }
      return true;
  }
  return false;
}

const char* kRoundTrips[] = {
    "a: 1\nb: [x, y]\nc: {k: v}\nd:\n  - e: 1\n    f: 2\n  - - g\n    - h\n  -\ne:\n",
    "s: \"quoted\"\nt: plain words\nu: \"\"\nv: \"123\"\nw: \"true\"\nx: \"null\"\n",
    "weird: \"a: b\"\nhash: \"a #b\"\nlead: \" x\"\nctl: \"a\\tb\\nc\"\ndash: \"-x\"\n",
    "flow: [\"a,b\", \"[x]\", \"{y}\"]\nkeys: {\"a b\": 1, \"1\": 2, \"\": 3}\n",
    "empty_map: {}\nempty_seq: []\nnested: [[1, 2], {a: [b]}]\n",
    "unicode: \"имя\\u00a0x\"\nendpoint: ${env:DT_ENDPOINT}\n",
    "- 1\n- a\n",
    "scalar\n",
    "literal: |\n  line1\n  line2\n",
};

class EmitRoundTripTest : public testing::TestWithParam<const char*> {};

TEST_P(EmitRoundTripTest, ParsesBackToTheSameTree) {
  auto n = Parse(GetParam());
  ASSERT_TRUE(n.has_value());
  std::string text = Emit(*n);
  auto again = Parse(text);
  ASSERT_TRUE(again.has_value()) << text;
  EXPECT_TRUE(Same(*n, *again)) << text;
  EXPECT_EQ(Emit(*again), text);
}

INSTANTIATE_TEST_SUITE_P(Documents, EmitRoundTripTest, testing::ValuesIn(kRoundTrips));

TEST(EmitTest, BlockStyleKeepsOrderAndFlowNodes) {
  auto n = Parse("z: 1\na:\n  list: [x, y]\n  block:\n    - p\n    - q: 1\n      r: 2\n");
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(Emit(*n), "z: 1\na:\n  list: [x, y]\n  block:\n    - p\n    - q: 1\n      r: 2\n");
}

TEST(EmitTest, Scalars) {
  EXPECT_EQ(EmitScalar("plain", false), "plain");
  EXPECT_EQ(EmitScalar("plain", true), "\"plain\"");
  EXPECT_EQ(EmitScalar("", false), "\"\"");
  EXPECT_EQ(EmitScalar("a: b", false), "\"a: b\"");
  EXPECT_EQ(EmitScalar("say \"hi\"\\", true), "\"say \\\"hi\\\"\\\\\"");
  EXPECT_EQ(EmitScalar("\x01", false), "\"\\x01\"");
  EXPECT_EQ(Emit(Node()), "null\n");
  // Unquoted null words are strings only when made so (by env expansion): keep them strings.
  EXPECT_EQ(EmitScalar("NULL", false), "\"NULL\"");
  EXPECT_EQ(EmitScalar("~", false), "\"~\"");
  EXPECT_EQ(EmitScalar("true", false), "true");
  EXPECT_EQ(EmitEntry("k", Node::Scalar("v", {})), "k: v\n");
}

// YAML caps implicit keys at 1024 characters; longer keys must come back as the same tree
// (found by config_fuzz: `validate --fix` wrote a 1,100-character key that did not reparse).
TEST(EmitTest, KeysLongerThanAnImplicitKeyRoundTrip) {
  const std::string long_key(1100, 'k');
  const std::string quoted_key = std::string(600, 'q') + ": " + std::string(600, 'r');
  // The input itself must use explicit keys: an implicit key this long does not parse.
  const std::string doc = "a:\n  ? " + long_key + "\n  : 1\n  ? \"" + quoted_key +
                          "\"\n  :\n    - x\n  m:\n    ? " + long_key +
                          "\n    :\n      y: 2\nflow: {? " + long_key + " : [1]}\n? " +
                          long_key + "\n: top\n";
  auto n = Parse(doc);
  ASSERT_TRUE(n.has_value()) << doc;
  std::string text = Emit(*n);
  EXPECT_NE(text.find("? " + long_key), std::string::npos);
  auto again = Parse(text);
  ASSERT_TRUE(again.has_value()) << text;
  EXPECT_TRUE(Same(*n, *again)) << text;
  EXPECT_EQ(Emit(*again), text);
  EXPECT_EQ(EmitEntry(long_key, Node::Scalar("v", {})), "? " + long_key + "\n: v\n");
}

}  // namespace
}  // namespace astrolabe::config
