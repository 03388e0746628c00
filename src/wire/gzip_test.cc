#include "wire/gzip.h"

#include <gtest/gtest.h>

#include <string>

#include "wire/test_util.h"

namespace astrolabe::wire {
namespace {

using test::Sample;

TEST(GzipTest, RoundTripsSmallAndLarge) {
  for (size_t n : {size_t{0}, size_t{1}, size_t{100}, size_t{1} << 20}) {
    std::string data = Sample(n);
    std::string gz;
    ASSERT_TRUE(GzipCompress(data, &gz).ok());
    EXPECT_EQ(static_cast<unsigned char>(gz[0]), 0x1f);
    EXPECT_EQ(static_cast<unsigned char>(gz[1]), 0x8b);
    auto back = GzipDecompress(gz, n + 10);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, data);
  }
}

TEST(GzipTest, AppendsToExistingOutput) {
  std::string out = "x";
  ASSERT_TRUE(GzipCompress("hello", &out, 9).ok());
  auto back = GzipDecompress(std::string_view(out).substr(1), 100);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, "hello");
  EXPECT_FALSE(GzipCompress("x", &out, 10).ok());
}

TEST(GzipTest, DecodesAKnownStream) {
  // `printf hello | gzip -n` (mtime 0, no name).
  std::string gz =
      test::Unhex("1f 8b 08 00 00 00 00 00 00 03 cb 48 cd c9 c9 07 00 86 a6 10 36 05 00 00 00");
  auto back = GzipDecompress(gz, 5);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, "hello");
}

TEST(GzipTest, EnforcesTheSizeLimit) {
  std::string data(10 << 20, 'a');  // 10 MiB of one byte compresses ~1000:1
  std::string gz;
  ASSERT_TRUE(GzipCompress(data, &gz).ok());
  EXPECT_LT(gz.size(), 64u << 10);
  auto r = GzipDecompress(gz, 1 << 20);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(GzipDecompress(gz, data.size()).ok());  // exactly at the limit
  EXPECT_FALSE(GzipDecompress(gz, data.size() - 1).ok());
}

TEST(GzipTest, ConcatenatedMembers) {
  std::string gz;
  ASSERT_TRUE(GzipCompress("ab", &gz).ok());
  ASSERT_TRUE(GzipCompress("cd", &gz).ok());
  auto back = GzipDecompress(gz, 100);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, "abcd");
}

TEST(GzipTest, RejectsCorruptTruncatedAndTrailingData) {
  std::string gz;
  ASSERT_TRUE(GzipCompress(Sample(5000), &gz).ok());
  EXPECT_EQ(GzipDecompress("", 100).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(GzipDecompress("not gzip at all", 100).status().code(), StatusCode::kInvalidArgument);
  for (size_t n = 0; n < gz.size(); ++n) {
    EXPECT_FALSE(GzipDecompress(gz.substr(0, n), 10000).ok()) << n;
  }
  std::string corrupt = gz;
  corrupt[gz.size() - 6] ^= 1;  // CRC32
  EXPECT_FALSE(GzipDecompress(corrupt, 10000).ok());
  EXPECT_FALSE(GzipDecompress(gz + "junk", 10000).ok());
}

TEST(ZlibTest, RoundTripKnownStreamAndErrors) {
  std::string z;
  ASSERT_TRUE(ZlibCompress("hello", &z).ok());
  EXPECT_EQ(test::Hex(z.substr(0, 2)), "78 9c");  // zlib header, default level
  // python3 -c 'import zlib; print(zlib.compress(b"hello").hex())'
  auto known = ZlibDecompress(test::Unhex("789ccb48cdc9c90700062c0215"), 100);
  ASSERT_TRUE(known.ok()) << known.status().ToString();
  EXPECT_EQ(*known, "hello");
  std::string big(1 << 20, 'x');
  std::string zb;
  ASSERT_TRUE(ZlibCompress(big, &zb, 9).ok());
  auto back = ZlibDecompress(zb, big.size());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, big);
  EXPECT_EQ(ZlibDecompress(zb, big.size() - 1).status().code(), StatusCode::kResourceExhausted);
  for (size_t n = 0; n < z.size(); ++n) EXPECT_FALSE(ZlibDecompress(z.substr(0, n), 100).ok()) << n;
  EXPECT_NE(ZlibDecompress(z + z, 100).status().message().find("trailing"), std::string::npos);
  std::string gz;
  ASSERT_TRUE(GzipCompress("hello", &gz).ok());
  EXPECT_FALSE(ZlibDecompress(gz, 100).ok());
  EXPECT_FALSE(ZlibCompress("x", &z, 0).ok());
}

}  // namespace
}  // namespace astrolabe::wire
