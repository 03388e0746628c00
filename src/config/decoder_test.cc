#include "config/decoder.h"

#include <gtest/gtest.h>

#include <cmath>

#include "config/emit.h"
#include "config/encoder.h"
#include "config/parse.h"

namespace astrolabe::config {
namespace {

struct Inner {
  std::string name = "default";
  int64_t count = 3;
  void Visit(Visitor& v) {
    v.Field("name", name);
    v.Field("count", count);
  }
};

struct Sample {
  std::string endpoint = "localhost:4318";
  std::string token;
  bool enabled = true;
  int64_t retries = 5;
  double ratio = 0.5;
  Duration timeout = std::chrono::seconds(5);
  uint64_t limit = 1024;
  std::vector<std::string> tags;
  std::map<std::string, std::string> headers;
  Inner inner;
  std::vector<Inner> items;
  Node raw;
  const Node* raw_seen = nullptr;
  void Visit(Visitor& v) {
    v.Field("endpoint", endpoint);
    v.Field("token", token, {.secret = true});
    v.Field("enabled", enabled);
    v.Field("retries", retries);
    v.Field("ratio", ratio);
    v.Field("timeout", timeout);
    v.ByteSize("limit", limit);
    v.Field("tags", tags);
    v.Field("headers", headers, {.secret = true});
    v.Object("inner", inner);
    v.List("items", items);
    raw_seen = v.Raw("extra", &raw);
    if (v.decoding() && retries < 0) v.Error("retries", "must not be negative");
  }
};

Node Parse(const std::string& text) {
  Diagnostics d;
  ParseOptions o{std::make_shared<const std::string>("t.yaml"), {}};
  auto n = ParseYaml(text, o, d);
  EXPECT_TRUE(n.has_value()) << d.ToStatus().ToString();
  return n.value_or(Node());
}

std::string Errors(const Diagnostics& d) { return d.ToStatus().message(); }

TEST(DecoderTest, FillsFieldsAndKeepsDefaults) {
  Node n = Parse(
      "endpoint: example.com:4318\nenabled: false\nratio: 2\ntimeout: 1m30s\nlimit: 4MiB\n"
      "tags: [a, b]\nheaders: {Authorization: x, Empty: }\ninner: {name: n}\n"
      "items:\n  - {count: 7}\n  -\nextra: {anything: [1]}\ntoken:\n");
  Sample s;
  Diagnostics d;
  Decode(n, "exporters.x", s, d);
  ASSERT_FALSE(d.has_errors()) << Errors(d);
  EXPECT_EQ(s.endpoint, "example.com:4318");
  EXPECT_EQ(s.token, "");
  EXPECT_FALSE(s.enabled);
  EXPECT_EQ(s.retries, 5);
  EXPECT_EQ(s.ratio, 2.0);
  EXPECT_EQ(s.timeout, std::chrono::seconds(90));
  EXPECT_EQ(s.limit, 4u << 20);
  EXPECT_EQ(s.tags, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(s.headers.at("Authorization"), "x");
  EXPECT_EQ(s.headers.at("Empty"), "");
  EXPECT_EQ(s.inner.name, "n");
  EXPECT_EQ(s.inner.count, 3);
  ASSERT_EQ(s.items.size(), 2u);
  EXPECT_EQ(s.items[0].count, 7);
  EXPECT_EQ(s.items[0].name, "default");
  EXPECT_EQ(s.items[1].count, 3);  // a null item keeps defaults
  ASSERT_NE(s.raw_seen, nullptr);
  EXPECT_TRUE(s.raw.IsMap());
}

TEST(DecoderTest, NullRootMeansDefaults) {
  Sample s;
  Diagnostics d;
  Decode(Node(), "extensions.health_check", s, d);
  EXPECT_FALSE(d.has_errors());
  EXPECT_EQ(s.endpoint, "localhost:4318");
  EXPECT_EQ(s.raw_seen, nullptr);
}

struct ErrorCase {
  const char* name;
  const char* yaml;
  const char* errors;
};

const ErrorCase kErrorCases[] = {
    {"root_not_map", "[1]", "t.yaml:1:1: x: expected a map, got a sequence"},
    {"string_got_map", "endpoint: {a: b}", "t.yaml:1:11: x.endpoint: expected a string, got a map"},
    {"bool_quoted", "enabled: \"true\"",
     "t.yaml:1:10: x.enabled: expected true or false, got \"true\""},
    {"bool_yes", "enabled: yes", "t.yaml:1:10: x.enabled: expected true or false, got \"yes\""},
    {"int", "retries: 1.5", "t.yaml:1:10: x.retries: expected an integer, got \"1.5\""},
    {"int_overflow", "retries: 99999999999999999999",
     "t.yaml:1:10: x.retries: expected an integer, got \"99999999999999999999\""},
    {"double", "ratio: half", "t.yaml:1:8: x.ratio: expected a number, got \"half\""},
    {"duration", "timeout: ten",
     "t.yaml:1:10: x.timeout: expected a duration like 10s, got \"ten\""},
    {"bytes", "limit: -1", "t.yaml:1:8: x.limit: expected a byte size like 512KiB, got \"-1\""},
    {"list", "tags: a", "t.yaml:1:7: x.tags: expected a list of strings, got \"a\""},
    {"list_item", "tags: [a, [b]]", "t.yaml:1:11: x.tags[1]: expected a string, got a sequence"},
    {"map_value", "headers: {a: [1]}",
     "t.yaml:1:14: x.headers.a: expected a string, got a sequence"},
    {"object", "inner: 3", "t.yaml:1:8: x.inner: expected a map, got \"3\""},
    {"list_of_objects", "items: {a: 1}", "t.yaml:1:8: x.items: expected a list, got a map"},
    {"item_not_map", "items: [1]", "t.yaml:1:9: x.items[0]: expected a map, got \"1\""},
    {"unknown_keys", "endpont: a\ninner:\n  nme: b\n  zzz: 1\nitems:\n  - {cont: 1}\n",
     // Nested objects are checked when the decoder leaves them, the root last.
     "t.yaml:3:3: x.inner.nme: unknown key (did you mean name?)\n"
     "t.yaml:4:3: x.inner.zzz: unknown key\n"
     "t.yaml:6:6: x.items[0].cont: unknown key (did you mean count?)\n"
     "t.yaml:1:1: x.endpont: unknown key (did you mean endpoint?)"},
    {"custom_error", "retries: -1", "t.yaml:1:10: x.retries: must not be negative"},
    {"all_at_once", "enabled: 1\nretries: x\n",
     "t.yaml:1:10: x.enabled: expected true or false, got \"1\"\n"
     "t.yaml:2:10: x.retries: expected an integer, got \"x\""},
};

class DecoderErrorTest : public testing::TestWithParam<ErrorCase> {};

TEST_P(DecoderErrorTest, ReportsPositionAndPath) {
  Sample s;
  Diagnostics d;
  Decode(Parse(GetParam().yaml), "x", s, d);
  EXPECT_EQ(Errors(d), GetParam().errors);
}

INSTANTIATE_TEST_SUITE_P(Cases, DecoderErrorTest, testing::ValuesIn(kErrorCases),
                         [](const testing::TestParamInfo<ErrorCase>& i) {
                           return std::string(i.param.name);
                         });

TEST(DecoderTest, Numbers) {
  Sample s;
  Diagnostics d;
  Decode(Parse("retries: 0x10\nratio: -.inf\n"), "x", s, d);
  ASSERT_FALSE(d.has_errors()) << Errors(d);
  EXPECT_EQ(s.retries, 16);
  EXPECT_TRUE(std::isinf(s.ratio));
  Diagnostics d2;
  Decode(Parse("retries: -9223372036854775808\nratio: 1e3\n"), "x", s, d2);
  // Decoded, then rejected by the struct's own check.
  EXPECT_EQ(Errors(d2), "t.yaml:1:10: x.retries: must not be negative");
  EXPECT_EQ(s.retries, INT64_MIN);
  EXPECT_EQ(s.ratio, 1000.0);
}

struct Protocols {
  std::optional<Inner> grpc;
  std::optional<Inner> http = Inner{};  // present by default, as in a default config
  void Visit(Visitor& v) {
    v.OptionalObject("grpc", grpc);
    v.OptionalObject("http", http);
  }
};

TEST(DecoderTest, OptionalObjectIsSetByPresenceEvenWhenNull) {
  Protocols p;
  Diagnostics d;
  Decode(Parse("grpc:\n"), "receivers.otlp.protocols", p, d);
  ASSERT_FALSE(d.has_errors()) << Errors(d);
  ASSERT_TRUE(p.grpc.has_value());
  EXPECT_EQ(p.grpc->name, "default");
  EXPECT_FALSE(p.http.has_value());  // absent: not wanted, whatever the default

  Protocols q;
  Decode(Parse("http: {count: 9}\n"), "receivers.otlp.protocols", q, d);
  ASSERT_FALSE(d.has_errors()) << Errors(d);
  EXPECT_FALSE(q.grpc.has_value());
  ASSERT_TRUE(q.http.has_value());
  EXPECT_EQ(q.http->count, 9);
  EXPECT_EQ(Emit(Encode(q)), "http:\n  name: \"default\"\n  count: 9\n");

  Protocols bad;
  Decode(Parse("http: [1]\n"), "receivers.otlp.protocols", bad, d);
  EXPECT_NE(Errors(d).find("receivers.otlp.protocols.http: expected a map"), std::string::npos)
      << Errors(d);
}

TEST(EncoderTest, WritesEveryFieldAndRedactsSecrets) {
  Sample s;
  s.token = "hunter2";
  s.headers = {{"Authorization", "Api-Token abc"}};
  s.items.resize(1);
  s.raw = Parse("{k: v}");
  s.tags = {"a"};
  Node n = Encode(s);
  EXPECT_EQ(Emit(n),
            "endpoint: \"localhost:4318\"\n"
            "token: \"[REDACTED]\"\n"
            "enabled: true\n"
            "retries: 5\n"
            "ratio: 0.5\n"
            "timeout: 5s\n"
            "limit: 1024\n"
            "tags: [\"a\"]\n"
            "headers:\n"
            "  Authorization: \"[REDACTED]\"\n"
            "inner:\n"
            "  name: \"default\"\n"
            "  count: 3\n"
            "items:\n"
            "  - name: \"default\"\n"
            "    count: 3\n"
            "extra: {k: v}\n");
}

TEST(EncoderTest, EncodedDefaultsDecodeToTheSameStruct) {
  Sample original;
  original.items.resize(2);
  original.items[1].name = "second";
  original.tags = {"x", "y: z", ""};
  original.ratio = 0.1;
  Node n = Encode(original);
  Node reparsed = Parse(Emit(n));
  Sample decoded;
  decoded.items.clear();
  Diagnostics d;
  Decode(reparsed, "x", decoded, d);
  ASSERT_FALSE(d.has_errors()) << Errors(d);
  EXPECT_EQ(Emit(Encode(decoded)), Emit(n));
  EXPECT_EQ(decoded.ratio, 0.1);
  EXPECT_EQ(decoded.tags, original.tags);
}

}  // namespace
}  // namespace astrolabe::config
