#include "config/component_id.h"

#include <gtest/gtest.h>

namespace astrolabe::config {
namespace {

struct IdCase {
  const char* text;
  const char* type;  // nullptr: error expected
  const char* name;
  const char* error;
};

const IdCase kIdCases[] = {
    {"otlphttp", "otlphttp", "", ""},
    {"otlphttp/dynatrace", "otlphttp", "dynatrace", ""},
    {"prometheus/nim-metrics.v2", "prometheus", "nim-metrics.v2", ""},
    {" otlp / a ", "otlp", "a", ""},
    {"otlp/a/b", "otlp", "a/b", ""},
    {"otlp/имя", "otlp", "имя", ""},
    {"", nullptr, "", "id must not be empty"},
    {"   ", nullptr, "", "id must not be empty"},
    {"otlp/", nullptr, "", "in \"otlp/\" id: the part after / should not be empty"},
    {"/x", nullptr, "", "in \"/x\" id: the part before / should not be empty"},
    {"1otlp", nullptr, "", "invalid character(s) in type \"1otlp\""},
    {"otlp-http", nullptr, "", "invalid character(s) in type \"otlp-http\""},
    {"otlp/a b", nullptr, "", "invalid character(s) in name \"a b\""},
    {"otlp/a+b", nullptr, "", "invalid character(s) in name \"a+b\""},
    {"otlp/a\xC2\xA0"
     "b",
     nullptr, "",
     "invalid character(s) in name \"a\xC2\xA0"
     "b\""},
    {"a23456789012345678901234567890123456789012345678901234567890123",
     "a2345678901234567890123"
     "4567890123456789012345678901234567890123",
     "", ""},
    {"a234567890123456789012345678901234567890123456789012345678901234", nullptr, "",
     "invalid character(s) in type "
     "\"a234567890123456789012345678901234567890123456789012345678901234\""},
};

class ComponentIdTest : public testing::TestWithParam<IdCase> {};

TEST_P(ComponentIdTest, Parses) {
  const IdCase& c = GetParam();
  auto id = ComponentId::Parse(c.text);
  if (c.type == nullptr) {
    ASSERT_FALSE(id.ok());
    EXPECT_EQ(id.status().message(), c.error);
    return;
  }
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(id->type, c.type);
  EXPECT_EQ(id->name, c.name);
}

INSTANTIATE_TEST_SUITE_P(Upstream, ComponentIdTest, testing::ValuesIn(kIdCases));

TEST(ComponentIdTest, ToStringAndOrder) {
  EXPECT_EQ((ComponentId{"otlp", ""}).ToString(), "otlp");
  EXPECT_EQ((ComponentId{"otlp", "x"}).ToString(), "otlp/x");
  EXPECT_LT((ComponentId{"a", "z"}), (ComponentId{"b", ""}));
}

}  // namespace
}  // namespace astrolabe::config
