#include "wire/proto_wire.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

#include "wire/test_util.h"

namespace astrolabe::wire {
namespace {

using test::Hex;
using test::Unhex;

TEST(VarintTest, EncodesShortestForm) {
  struct Case {
    uint64_t value;
    const char* hex;
  };
  const Case cases[] = {
      {0, "00"},
      {1, "01"},
      {127, "7f"},
      {128, "80 01"},
      {300, "ac 02"},
      {16383, "ff 7f"},
      {16384, "80 80 01"},
      {0xFFFFFFFFu, "ff ff ff ff 0f"},
      {std::numeric_limits<uint64_t>::max(), "ff ff ff ff ff ff ff ff ff 01"},
  };
  for (const Case& c : cases) {
    std::string out;
    AppendVarint(&out, c.value);
    EXPECT_EQ(Hex(out), c.hex) << c.value;
    EXPECT_EQ(VarintSize(c.value), out.size()) << c.value;
    ProtoReader r(out);
    uint64_t v = 0;
    ASSERT_TRUE(r.ReadVarint(&v)) << c.value;
    EXPECT_EQ(v, c.value);
    EXPECT_TRUE(r.done());
  }
}

TEST(VarintTest, AcceptsNonCanonicalPadding) {
  // 1 written in three bytes is legal on the wire.
  std::string in = Unhex("81 80 00");
  ProtoReader r(in);
  uint64_t v;
  ASSERT_TRUE(r.ReadVarint(&v));
  EXPECT_EQ(v, 1u);
}

TEST(VarintTest, RejectsOverlongAndOverflow) {
  {
    std::string in = Unhex("ff ff ff ff ff ff ff ff ff ff 01");  // 11 bytes
    ProtoReader r(in);
    uint64_t v;
    EXPECT_FALSE(r.ReadVarint(&v));
    EXPECT_EQ(r.error(), ReadError::kVarintOverflow);
  }
  {
    std::string in = Unhex("ff ff ff ff ff ff ff ff ff 02");  // bit 64 set
    ProtoReader r(in);
    uint64_t v;
    EXPECT_FALSE(r.ReadVarint(&v));
    EXPECT_EQ(r.error(), ReadError::kVarintOverflow);
  }
  {
    std::string in = Unhex("80 80");
    ProtoReader r(in);
    uint64_t v;
    EXPECT_FALSE(r.ReadVarint(&v));
    EXPECT_EQ(r.error(), ReadError::kTruncatedVarint);
  }
}

TEST(ZigZagTest, MapsSignedToUnsigned) {
  EXPECT_EQ(ZigZagEncode32(0), 0u);
  EXPECT_EQ(ZigZagEncode32(-1), 1u);
  EXPECT_EQ(ZigZagEncode32(1), 2u);
  EXPECT_EQ(ZigZagEncode32(-2), 3u);
  EXPECT_EQ(ZigZagEncode32(std::numeric_limits<int32_t>::max()), 0xFFFFFFFEu);
  EXPECT_EQ(ZigZagEncode32(std::numeric_limits<int32_t>::min()), 0xFFFFFFFFu);
  EXPECT_EQ(ZigZagEncode64(std::numeric_limits<int64_t>::min()),
            std::numeric_limits<uint64_t>::max());
  for (int32_t v : {0, 1, -1, 63, -64, 1000000, std::numeric_limits<int32_t>::min(),
                    std::numeric_limits<int32_t>::max()}) {
    EXPECT_EQ(ZigZagDecode32(ZigZagEncode32(v)), v);
    EXPECT_EQ(ZigZagDecode64(ZigZagEncode64(v)), v);
  }
  EXPECT_EQ(ZigZagDecode64(ZigZagEncode64(std::numeric_limits<int64_t>::max())),
            std::numeric_limits<int64_t>::max());
}

TEST(ProtoReaderTest, ReadsEveryWireType) {
  std::string in;
  AppendTag(&in, 1, WireType::kVarint);
  AppendVarint(&in, 150);
  AppendTag(&in, 2, WireType::kFixed64);
  AppendFixed64(&in, 0x0102030405060708ULL);
  AppendLengthDelimited(&in, 3, "abc");
  AppendTag(&in, 4, WireType::kFixed32);
  AppendFixed32(&in, 0xdeadbeef);
  AppendTag(&in, 536870911, WireType::kVarint);  // the largest field number
  AppendVarint(&in, 1);
  EXPECT_EQ(Hex(in),
            "08 96 01 11 08 07 06 05 04 03 02 01 1a 03 61 62 63 25 ef be ad de f8 ff ff ff 0f 01");

  ProtoReader r(in);
  uint32_t field;
  WireType type;
  uint64_t u64;
  uint32_t u32;
  std::string_view s;
  ASSERT_TRUE(r.ReadTag(&field, &type));
  EXPECT_EQ(field, 1u);
  EXPECT_EQ(type, WireType::kVarint);
  ASSERT_TRUE(r.ReadVarint(&u64));
  EXPECT_EQ(u64, 150u);
  ASSERT_TRUE(r.ReadTag(&field, &type));
  EXPECT_EQ(type, WireType::kFixed64);
  ASSERT_TRUE(r.ReadFixed64(&u64));
  EXPECT_EQ(u64, 0x0102030405060708ULL);
  ASSERT_TRUE(r.ReadTag(&field, &type));
  EXPECT_EQ(r.field_offset(), 12u);
  ASSERT_TRUE(r.ReadLengthDelimited(&s));
  EXPECT_EQ(s, "abc");
  ASSERT_TRUE(r.ReadTag(&field, &type));
  ASSERT_TRUE(r.ReadFixed32(&u32));
  EXPECT_EQ(u32, 0xdeadbeefu);
  ASSERT_TRUE(r.ReadTag(&field, &type));
  EXPECT_EQ(field, kMaxFieldNumber);
  ASSERT_TRUE(r.SkipField(type));
  EXPECT_TRUE(r.done());
}

TEST(ProtoReaderTest, RejectsBadTags) {
  struct Case {
    const char* hex;
    ReadError error;
  };
  const Case cases[] = {
      {"00", ReadError::kInvalidFieldNumber},                 // field 0
      {"07", ReadError::kInvalidFieldNumber},                 // field 0 is reported first
      {"0e", ReadError::kInvalidWireType},                    // wire type 6
      {"0f", ReadError::kInvalidWireType},                    // wire type 7
      {"80 80 80 80 80 01", ReadError::kInvalidFieldNumber},  // field number 2^32
      {"80", ReadError::kTruncatedVarint},
  };
  for (const Case& c : cases) {
    std::string in = Unhex(c.hex);
    ProtoReader r(in);
    uint32_t field;
    WireType type;
    EXPECT_FALSE(r.ReadTag(&field, &type)) << c.hex;
    EXPECT_EQ(r.error(), c.error) << c.hex;
  }
}

TEST(ProtoReaderTest, ReportsTruncation) {
  struct Case {
    const char* hex;
    ReadError error;
  };
  const Case cases[] = {
      {"09 01 02 03", ReadError::kTruncatedFixed64},
      {"0d 01 02", ReadError::kTruncatedFixed32},
      {"0a 05 61 62", ReadError::kTruncatedLength},
      {"0a", ReadError::kTruncatedVarint},
      {"08", ReadError::kTruncatedVarint},
      {"0a ff ff ff ff 0f", ReadError::kTruncatedLength},  // 4 GiB length
  };
  for (const Case& c : cases) {
    std::string in = Unhex(c.hex);
    ProtoReader r(in);
    uint32_t field;
    WireType type;
    ASSERT_TRUE(r.ReadTag(&field, &type)) << c.hex;
    EXPECT_FALSE(r.SkipField(type)) << c.hex;
    EXPECT_EQ(r.error(), c.error) << c.hex;
    EXPECT_EQ(r.error_offset(), 0u) << c.hex;
  }
}

TEST(ProtoReaderTest, SkipsNestedGroups) {
  // field 5 start-group { field 1 varint 1; field 6 start-group { } field 6 end } field 5 end;
  // then field 2 varint 7.
  std::string in = Unhex("2b 08 01 33 34 2c 10 07");
  ProtoReader r(in);
  uint32_t field;
  WireType type;
  ASSERT_TRUE(r.ReadTag(&field, &type));
  EXPECT_EQ(type, WireType::kStartGroup);
  ASSERT_TRUE(r.SkipField(type));
  ASSERT_TRUE(r.ReadTag(&field, &type));
  EXPECT_EQ(field, 2u);
  uint64_t v;
  ASSERT_TRUE(r.ReadVarint(&v));
  EXPECT_EQ(v, 7u);
  EXPECT_TRUE(r.done());
}

TEST(ProtoReaderTest, RejectsUnbalancedGroups) {
  struct Case {
    const char* hex;
    ReadError error;
  };
  const Case cases[] = {
      {"2c", ReadError::kUnexpectedEndGroup},     // end without start
      {"2b 08 01", ReadError::kTruncatedGroup},   // start without end
      {"2b 34", ReadError::kUnexpectedEndGroup},  // ends another field's group
  };
  for (const Case& c : cases) {
    std::string in = Unhex(c.hex);
    ProtoReader r(in);
    uint32_t field;
    WireType type;
    ASSERT_TRUE(r.ReadTag(&field, &type)) << c.hex;
    EXPECT_FALSE(r.SkipField(type)) << c.hex;
    EXPECT_EQ(r.error(), c.error) << c.hex;
  }
  std::string deep;
  for (int i = 0; i < 40; ++i) deep += Unhex("0b");  // field 1 start-group, 40 deep
  for (int i = 0; i < 40; ++i) deep += Unhex("0c");
  ProtoReader r(deep);
  uint32_t field;
  WireType type;
  ASSERT_TRUE(r.ReadTag(&field, &type));
  EXPECT_FALSE(r.SkipField(type));
  EXPECT_EQ(r.error(), ReadError::kGroupTooDeep);
  ProtoReader shallow(deep);
  ASSERT_TRUE(shallow.ReadTag(&field, &type));
  EXPECT_TRUE(shallow.SkipField(type, 64));
  EXPECT_TRUE(shallow.done());
}

TEST(ProtoReaderTest, OffsetsAreRelativeToBase) {
  std::string whole = Unhex("0a 04 08 01 10 02");
  std::string_view inner(whole.data() + 2, 4);
  ProtoReader r(inner, whole.data());
  uint32_t field;
  WireType type;
  ASSERT_TRUE(r.ReadTag(&field, &type));
  EXPECT_EQ(r.field_offset(), 2u);
  ASSERT_TRUE(r.SkipField(type));
  ASSERT_TRUE(r.ReadTag(&field, &type));
  EXPECT_EQ(r.field_offset(), 4u);
  EXPECT_EQ(r.offset(), 5u);
}

}  // namespace
}  // namespace astrolabe::wire
