#include "config/expand.h"

#include <gtest/gtest.h>

#include <map>

namespace astrolabe::config {
namespace {

EnvLookup FakeEnv() {
  static const std::map<std::string, std::string, std::less<>> kEnv = {
      {"HOST", "example.com"},
      {"PORT", "4318"},
      {"EMPTY", ""},
      {"LIST", "[a, b]"},
      {"LOOP", "${env:LOOP}"},
      {"NESTED", "${env:HOST}"},
      {"DOLLAR", "a$$b"},
      {"BOOL", "true"},
      {"MAP", "k: ${env:PORT}"},
      {"SELFLIST", "[${env:SELFLIST}]"},
      {"QUOTED", "\"123\""},
  };
  return [](std::string_view name) -> std::optional<std::string> {
    auto it = kEnv.find(name);
    if (it == kEnv.end()) return std::nullopt;
    return it->second;
  };
}

struct Case {
  const char* name;
  const char* input;
  bool input_quoted;
  // Expected result: kind and, for scalars, value and quoted flag; for sequences the
  // items joined by ",".
  Node::Kind kind;
  const char* value;
  bool quoted;
  const char* error;    // exact message of the single error, or ""
  const char* warning;  // exact message of the single warning, or ""
};

const Case kCases[] = {
    {"env_scheme", "${env:HOST}", false, Node::Kind::kScalar, "example.com", false, "", ""},
    {"default_scheme", "${HOST}", false, Node::Kind::kScalar, "example.com", false, "", ""},
    {"default_used", "${env:MISSING:-fallback}", false, Node::Kind::kScalar, "fallback", false, "",
     ""},
    {"default_empty", "${env:MISSING:-}", false, Node::Kind::kNull, "", false, "", ""},
    {"default_not_used_when_empty", "x${env:EMPTY:-fallback}", false, Node::Kind::kScalar, "x",
     false, "", "references empty environment variable \"EMPTY\""},
    {"bare_dollar_literal", "$HOST", false, Node::Kind::kScalar, "$HOST", false, "", ""},
    {"escaped_reference", "$${env:HOST}", false, Node::Kind::kScalar, "${env:HOST}", false, "", ""},
    {"double_dollar", "a$$b", true, Node::Kind::kScalar, "a$b", true, "", ""},
    {"three_dollars", "$$${env:HOST}", false, Node::Kind::kScalar, "$example.com", false, "", ""},
    {"four_dollars", "$$$${env:HOST}", false, Node::Kind::kScalar, "$${env:HOST}", false, "", ""},
    {"escape_stops_scan", "$${env:HOST} ${env:HOST}", false, Node::Kind::kScalar,
     "${env:HOST} ${env:HOST}", false, "", ""},
    {"invalid_name", "${1}", false, Node::Kind::kScalar, "${1}", false,
     "environment variable \"1\" has invalid name: must match regex ^[a-zA-Z_][a-zA-Z0-9_]*$", ""},
    {"empty_name", "${}", false, Node::Kind::kScalar, "${}", false,
     "environment variable \"\" has invalid name: must match regex ^[a-zA-Z_][a-zA-Z0-9_]*$", ""},
    {"dollar_in_uri", "${env:A$B}", false, Node::Kind::kScalar, "${env:A$B}", false,
     "the uri \"env:A$B\" contains unsupported characters ('$')", ""},
    {"unsupported_scheme", "${file:/etc/passwd}", false, Node::Kind::kScalar, "${file:/etc/passwd}",
     false, "scheme \"file\" is not supported for uri \"file:/etc/passwd\"", ""},
    {"invalid_uri", "${1x:y}", false, Node::Kind::kScalar, "${1x:y}", false,
     "invalid uri: \"1x:y\"", ""},
    {"unset_whole", "${env:UNSET}", false, Node::Kind::kNull, "", false, "",
     "references unset environment variable \"UNSET\"; its value is empty"},
    {"unset_inline", "Api-Token ${env:UNSET}", true, Node::Kind::kScalar, "Api-Token ", true, "",
     "references unset environment variable \"UNSET\"; its value is empty"},
    {"empty_whole", "${env:EMPTY}", false, Node::Kind::kNull, "", false, "",
     "references empty environment variable \"EMPTY\""},
    {"typed_whole", "${env:PORT}", true, Node::Kind::kScalar, "4318", false, "", ""},
    {"typed_bool", "${env:BOOL}", false, Node::Kind::kScalar, "true", false, "", ""},
    {"quoted_env_value", "${env:QUOTED}", false, Node::Kind::kScalar, "123", true, "", ""},
    {"inline_string", "port ${env:PORT}", false, Node::Kind::kScalar, "port 4318", false, "", ""},
    {"two_references", "${env:HOST}:${env:PORT}", false, Node::Kind::kScalar, "example.com:4318",
     false, "", ""},
    {"list_whole", "${env:LIST}", false, Node::Kind::kSequence, "a,b", false, "", ""},
    {"recursive", "${env:NESTED}", false, Node::Kind::kScalar, "example.com", false, "", ""},
    {"loop", "${env:LOOP}", false, Node::Kind::kScalar, "${env:LOOP}", false,
     "too many recursive expansions", ""},
    // "[${env:SELFLIST}]" is not valid YAML ('{' in a flow sequence), so it stays a string
    // and grows by one "[" per round until the limit.
    {"loop_through_string", "${env:SELFLIST}", false, Node::Kind::kScalar, nullptr, true,
     "too many recursive expansions", ""},
    {"env_value_unescaped", "${env:DOLLAR}", false, Node::Kind::kScalar, "a$b", false, "", ""},
    {"no_close", "${env:HOST", false, Node::Kind::kScalar, "${env:HOST", false, "", ""},
    {"close_only", "a}b", false, Node::Kind::kScalar, "a}b", false, "", ""},
    {"plain", "plain", false, Node::Kind::kScalar, "plain", false, "", ""},
};

class ExpandTableTest : public testing::TestWithParam<Case> {};

std::string Joined(const Node& seq) {
  std::string out;
  for (const auto& item : seq.items()) {
    if (!out.empty()) out += ",";
    out += item.IsScalar() ? item.scalar() : std::string(item.KindName());
  }
  return out;
}

TEST_P(ExpandTableTest, Expands) {
  const Case& c = GetParam();
  auto file = std::make_shared<const std::string>("t.yaml");
  Node root = Node::Map({file, 1, 1});
  root.Set("key", Node::Scalar(c.input, {file, 1, 6}, c.input_quoted), {file, 1, 1});
  Diagnostics diag;
  Expand(root, FakeEnv(), diag);
  const Node& v = *root.Find("key");
  ASSERT_EQ(v.kind(), c.kind) << v.KindName();
  if (c.kind == Node::Kind::kScalar && c.value != nullptr) {
    EXPECT_EQ(v.scalar(), c.value);
    EXPECT_EQ(v.quoted(), c.quoted);
  }
  if (c.kind == Node::Kind::kSequence && std::string(c.error).empty()) {
    EXPECT_EQ(Joined(v), c.value);
  }
  EXPECT_EQ(v.mark().line, 1);
  EXPECT_EQ(v.mark().column, 6);
  if (std::string(c.error).empty()) {
    EXPECT_FALSE(diag.has_errors()) << diag.ToStatus().ToString();
  } else {
    ASSERT_EQ(diag.errors().size(), 1u) << diag.ToStatus().ToString();
    EXPECT_EQ(diag.errors()[0].message, c.error);
    EXPECT_EQ(diag.errors()[0].path, "key");
    EXPECT_EQ(diag.errors()[0].mark.ToString(), "t.yaml:1:6");
  }
  if (std::string(c.warning).empty()) {
    EXPECT_TRUE(diag.warnings().empty()) << diag.warnings()[0].ToString();
  } else {
    ASSERT_EQ(diag.warnings().size(), 1u);
    EXPECT_EQ(diag.warnings()[0].message, c.warning);
    EXPECT_EQ(diag.warnings()[0].ToString(), std::string("t.yaml:1:6: key: ") + c.warning);
  }
}

INSTANTIATE_TEST_SUITE_P(Section6, ExpandTableTest, testing::ValuesIn(kCases),
                         [](const testing::TestParamInfo<Case>& info) {
                           return std::string(info.param.name);
                         });

TEST(ExpandTest, KeysAreNotExpanded) {
  Node root = Node::Map({});
  root.Set("${env:HOST}", Node::Scalar("$$", {}));
  Diagnostics diag;
  Expand(root, FakeEnv(), diag);
  ASSERT_EQ(root.entries().size(), 1u);
  EXPECT_EQ(root.entries()[0].first, "${env:HOST}");
  EXPECT_EQ(root.entries()[0].second.scalar(), "$");
}

TEST(ExpandTest, WholeValueMapIsExpandedInside) {
  Node root = Node::Map({});
  root.Set("m", Node::Scalar("${env:MAP}", {}));
  Diagnostics diag;
  Expand(root, FakeEnv(), diag);
  const Node& m = *root.Find("m");
  ASSERT_TRUE(m.IsMap());
  ASSERT_NE(m.Find("k"), nullptr);
  EXPECT_EQ(m.Find("k")->scalar(), "4318");
}

TEST(ExpandTest, NestedValuesGetPaths) {
  Node root = Node::Map({});
  Node seq = Node::Sequence({});
  seq.Append(Node::Scalar("ok", {}));
  seq.Append(Node::Scalar("${1}", {}));
  Node inner = Node::Map({});
  inner.Set("list", std::move(seq));
  root.Set("outer", std::move(inner));
  Diagnostics diag;
  Expand(root, FakeEnv(), diag);
  ASSERT_EQ(diag.errors().size(), 1u);
  EXPECT_EQ(diag.errors()[0].path, "outer.list[1]");
}

TEST(ExpandTest, NullLookupMeansEverythingUnset) {
  Node root = Node::Map({});
  root.Set("a", Node::Scalar("${env:HOST:-d}", {}));
  Diagnostics diag;
  Expand(root, EnvLookup(), diag);
  EXPECT_EQ(root.Find("a")->scalar(), "d");
}

}  // namespace
}  // namespace astrolabe::config
