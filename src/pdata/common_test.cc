#include "pdata/common.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace astrolabe::pdata {
namespace {

TEST(AnyValueTest, ConstructsEachType) {
  EXPECT_EQ(AnyValue().type(), AnyValue::Type::kEmpty);
  EXPECT_EQ(AnyValue("s").type(), AnyValue::Type::kString);
  EXPECT_EQ(AnyValue(std::string("s")).type(), AnyValue::Type::kString);
  EXPECT_EQ(AnyValue(std::string_view("s")).type(), AnyValue::Type::kString);
  EXPECT_EQ(AnyValue(true).type(), AnyValue::Type::kBool);
  EXPECT_EQ(AnyValue(3).type(), AnyValue::Type::kInt);
  EXPECT_EQ(AnyValue(uint16_t{3}).type(), AnyValue::Type::kInt);
  EXPECT_EQ(AnyValue(int64_t{-3}).int_value(), -3);
  EXPECT_EQ(AnyValue(1.5).type(), AnyValue::Type::kDouble);
  EXPECT_EQ(AnyValue(ArrayValue{1, "a"}).type(), AnyValue::Type::kArray);
  EXPECT_EQ(AnyValue(KeyValueList{{"k", 1}}).type(), AnyValue::Type::kKvList);
  EXPECT_EQ(AnyValue(Bytes{"\x01"}).type(), AnyValue::Type::kBytes);
}

TEST(AnyValueTest, EqualityIsDeepAndTyped) {
  EXPECT_EQ(AnyValue(KeyValueList{{"a", ArrayValue{1, 2}}}),
            AnyValue(KeyValueList{{"a", ArrayValue{1, 2}}}));
  EXPECT_NE(AnyValue(KeyValueList{{"a", ArrayValue{1, 2}}}),
            AnyValue(KeyValueList{{"a", ArrayValue{1, 3}}}));
  EXPECT_NE(AnyValue(1), AnyValue(1.0));
  EXPECT_NE(AnyValue("1"), AnyValue(Bytes{"1"}));
}

TEST(AnyValueTest, TypeNamesAreUpstreams) {
  EXPECT_EQ(AnyValueTypeName(AnyValue::Type::kString), "Str");
  EXPECT_EQ(AnyValueTypeName(AnyValue::Type::kKvList), "Map");
  EXPECT_EQ(AnyValueTypeName(AnyValue::Type::kArray), "Slice");
  EXPECT_EQ(AnyValueTypeName(AnyValue::Type::kEmpty), "Empty");
}

TEST(AnyValueToStringTest, Scalars) {
  EXPECT_EQ(AnyValueToString(AnyValue()), "");
  EXPECT_EQ(AnyValueToString("text"), "text");
  EXPECT_EQ(AnyValueToString(false), "false");
  EXPECT_EQ(AnyValueToString(-42), "-42");
  EXPECT_EQ(AnyValueToString(1.5), "1.5");
  EXPECT_EQ(AnyValueToString(100.0), "100");
  EXPECT_EQ(AnyValueToString(1e21), "1e+21");
  EXPECT_EQ(AnyValueToString(1e-7), "1e-7");
  EXPECT_EQ(AnyValueToString(0.000001), "0.000001");
  EXPECT_EQ(AnyValueToString(std::nan("")), "NaN");
  EXPECT_EQ(AnyValueToString(-std::numeric_limits<double>::infinity()), "-Infinity");
  EXPECT_EQ(AnyValueToString(Bytes{"hello"}), "aGVsbG8=");
  EXPECT_EQ(AnyValueToString(Bytes{"hi"}), "aGk=");
}

TEST(AnyValueToStringTest, ContainersAreCompactJsonWithSortedKeys) {
  AnyValue v = KeyValueList{{"key2", KeyValueList{{"b", "x"}, {"a", "y"}}},
                            {"key1", "val1"},
                            {"arr", ArrayValue{1, true, AnyValue(), 2.5, "q\"<"}}};
  EXPECT_EQ(AnyValueToString(v),
            R"({"arr":[1,true,null,2.5,"q\"<"],"key1":"val1","key2":{"a":"y","b":"x"}})");
  EXPECT_EQ(AnyValueToString(ArrayValue{Bytes{"hi"}}), R"(["aGk="])");
  EXPECT_EQ(AnyValueToString(ArrayValue{std::nan("")}), "");
  EXPECT_EQ(AnyValueToString(ArrayValue{"a\nb\x01"}), R"(["a\nb\u0001"])");
}

TEST(AttributesTest, FindPutRemove) {
  Attributes attrs = {{"a", 1}, {"b", "x"}};
  ASSERT_NE(FindAttribute(attrs, "b"), nullptr);
  EXPECT_EQ(*FindAttribute(attrs, "b"), AnyValue("x"));
  EXPECT_EQ(FindAttribute(attrs, "c"), nullptr);
  PutAttribute(attrs, "a", 2);
  PutAttribute(attrs, "c", true);
  EXPECT_EQ(attrs, (Attributes{{"a", 2}, {"b", "x"}, {"c", true}}));
  EXPECT_TRUE(RemoveAttribute(attrs, "b"));
  EXPECT_FALSE(RemoveAttribute(attrs, "b"));
  EXPECT_EQ(attrs, (Attributes{{"a", 2}, {"c", true}}));
}

TEST(AttributesTest, HashIgnoresOrderButNotContent) {
  Attributes a = {{"x", 1}, {"y", KeyValueList{{"p", 1}, {"q", 2}}}};
  Attributes b = {{"y", KeyValueList{{"q", 2}, {"p", 1}}}, {"x", 1}};
  EXPECT_EQ(HashAttributes(a), HashAttributes(b));
  EXPECT_TRUE(AttributesEquivalent(a, b));
  EXPECT_NE(a, b);  // == is order-sensitive

  Attributes c = {{"x", 1.0}, {"y", KeyValueList{{"p", 1}, {"q", 2}}}};
  EXPECT_NE(HashAttributes(a), HashAttributes(c));  // int 1 vs double 1
  EXPECT_FALSE(AttributesEquivalent(a, c));
  EXPECT_NE(HashAttributes({{"k", "v"}}), HashAttributes({{"k", "w"}}));
  EXPECT_NE(HashAttributes({{"k", "v"}}), HashAttributes({{"kv", ""}}));
  EXPECT_NE(HashAttributes({}), HashAttributes({{"", AnyValue()}}));
  EXPECT_EQ(HashAttributes({{"z", 0.0}}), HashAttributes({{"z", -0.0}}));
}

TEST(AttributesTest, HashIsStableAcrossReleases) {
  // Pinned: a change here changes stream identities that may be persisted.
  EXPECT_EQ(HashAttributes({}), 0x5ba314b8cfda3b6bULL);
  EXPECT_EQ(HashAttributes({{"service.name", "nim"}, {"port", 8000}}), 0xd3fab8bead77d8a4ULL);
}

TEST(IdTest, HexRoundTrip) {
  TraceId t;
  EXPECT_TRUE(t.empty());
  EXPECT_EQ(t.ToHex(), "00000000000000000000000000000000");
  ASSERT_TRUE(TraceId::FromHex("0102030405060708090A0b0c0d0e0f10", &t));
  EXPECT_FALSE(t.empty());
  EXPECT_EQ(t.ToHex(), "0102030405060708090a0b0c0d0e0f10");
  EXPECT_FALSE(TraceId::FromHex("0102", &t));
  EXPECT_FALSE(TraceId::FromHex("zz02030405060708090a0b0c0d0e0f10", &t));
  EXPECT_EQ(t.ToHex(), "0102030405060708090a0b0c0d0e0f10");  // unchanged on failure

  SpanId s;
  ASSERT_TRUE(SpanId::FromHex("1112131415161718", &s));
  EXPECT_EQ(s.bytes[0], 0x11);
  EXPECT_EQ(s.ToHex(), "1112131415161718");
  EXPECT_FALSE(SpanId::FromHex("11121314151617", &s));
}

}  // namespace
}  // namespace astrolabe::pdata
