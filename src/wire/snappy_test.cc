#include "wire/snappy.h"

#include <gtest/gtest.h>

#include <string>

#include "common/crc32c.h"
#include "wire/test_util.h"

namespace astrolabe::wire {
namespace {

using test::Sample;

std::string Random(size_t n) {
  std::string s(n, '\0');
  uint64_t x = 88172645463325252ull;
  for (char& c : s) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    c = static_cast<char>(x);
  }
  return s;
}

TEST(SnappyTest, BlockRoundTripAndKnownBytes) {
  std::string out;
  SnappyCompress("hello", &out);
  EXPECT_EQ(test::Hex(out), "05 10 68 65 6c 6c 6f");
  for (size_t n : {size_t{0}, size_t{1}, size_t{100}, size_t{1} << 20}) {
    std::string data = Sample(n);
    std::string z;
    SnappyCompress(data, &z);
    auto back = SnappyDecompress(z, n);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, data);
    EXPECT_FALSE(IsSnappyFramed(z));
    auto autod = SnappyDecompressAuto(z, n);
    ASSERT_TRUE(autod.ok());
    EXPECT_EQ(*autod, data);
  }
}

TEST(SnappyTest, BlockSizeBoundIsCheckedBeforeDecoding) {
  std::string z;
  SnappyCompress(std::string(100000, 'a'), &z);
  auto r = SnappyDecompress(z, 99999);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
  // A header claiming 4 GiB in six bytes.
  auto bomb = SnappyDecompress(test::Unhex("ff ff ff ff 0f 00"), 1 << 20);
  EXPECT_EQ(bomb.status().code(), StatusCode::kResourceExhausted);
}

TEST(SnappyTest, BlockCorruptAndTruncated) {
  std::string z;
  SnappyCompress(Sample(5000), &z);
  EXPECT_EQ(SnappyDecompress("", 100).status().code(), StatusCode::kInvalidArgument);
  for (size_t n = 0; n < z.size(); ++n) {
    EXPECT_FALSE(SnappyDecompress(z.substr(0, n), 10000).ok()) << n;
  }
  for (size_t i = 0; i < z.size(); ++i) {
    std::string corrupt = z;
    corrupt[i] = static_cast<char>(corrupt[i] ^ 0x55);
    (void)SnappyDecompress(corrupt, 10000);  // decodes or fails; never crashes
  }
}

TEST(SnappyTest, FramedRoundTrip) {
  for (std::string data : {std::string(), Sample(10), Sample(200000), Random(70000)}) {
    std::string z;
    SnappyFramedCompress(data, &z);
    EXPECT_TRUE(IsSnappyFramed(z));
    auto back = SnappyFramedDecompress(z, data.size());
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, data);
    auto autod = SnappyDecompressAuto(z, data.size());
    ASSERT_TRUE(autod.ok());
    EXPECT_EQ(*autod, data);
    if (!data.empty()) {
      EXPECT_EQ(SnappyFramedDecompress(z, data.size() - 1).status().code(),
                StatusCode::kResourceExhausted);
    }
  }
}

TEST(SnappyTest, FramedKnownStream) {
  // Stream identifier, then an uncompressed chunk of "hello" with its masked CRC-32C
  // (as the Go snappy writer emits for input too small to compress), plus padding and a
  // reserved skippable chunk.
  std::string z = test::Unhex("ff 06 00 00 73 4e 61 50 70 59");
  uint32_t c = astrolabe::Crc32c("hello");
  uint32_t masked = ((c >> 15) | (c << 17)) + 0xa282ead8u;
  z += test::Unhex("01 09 00 00");
  for (int i = 0; i < 4; ++i) z.push_back(static_cast<char>(masked >> (8 * i)));
  z += "hello";
  z += test::Unhex("fe 02 00 00 00 00 80 01 00 00 07");
  auto r = SnappyFramedDecompress(z, 100);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, "hello");

  std::string ours;
  SnappyFramedCompress("hello", &ours);
  EXPECT_EQ(ours, z.substr(0, 10 + 4 + 4 + 5));
}

TEST(SnappyTest, FramedErrors) {
  std::string z;
  SnappyFramedCompress(Sample(3000), &z);
  EXPECT_NE(SnappyFramedDecompress("", 100).status().message().find("stream identifier"),
            std::string::npos);
  for (size_t n = 11; n < z.size(); ++n) {
    EXPECT_FALSE(SnappyFramedDecompress(z.substr(0, n), 10000).ok()) << n;
  }
  std::string bad_crc = z;
  bad_crc[15] = static_cast<char>(bad_crc[15] ^ 1);
  EXPECT_NE(SnappyFramedDecompress(bad_crc, 10000).status().message().find("checksum"),
            std::string::npos);
  std::string reserved = test::Unhex("ff 06 00 00 73 4e 61 50 70 59 02 00 00 00");
  EXPECT_NE(SnappyFramedDecompress(reserved, 10000).status().message().find("unskippable"),
            std::string::npos);
  for (size_t i = 0; i < z.size(); ++i) {
    std::string corrupt = z;
    corrupt[i] = static_cast<char>(corrupt[i] ^ 0x55);
    (void)SnappyFramedDecompress(corrupt, 10000);
  }
}

}  // namespace
}  // namespace astrolabe::wire
