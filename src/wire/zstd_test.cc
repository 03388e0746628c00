#include "wire/zstd.h"

#include <gtest/gtest.h>

#include <string>

#include "wire/test_util.h"

namespace astrolabe::wire {
namespace {

using test::Sample;

TEST(ZstdTest, RoundTripsSmallAndLarge) {
  for (size_t n : {size_t{0}, size_t{1}, size_t{100}, size_t{1} << 20}) {
    std::string data = Sample(n);
    std::string z = "prefix";
    ASSERT_TRUE(ZstdCompress(data, &z).ok());
    EXPECT_EQ(test::Hex(z.substr(6, 4)), "28 b5 2f fd");
    auto back = ZstdDecompress(std::string_view(z).substr(6), n);
    ASSERT_TRUE(back.ok()) << n << ": " << back.status().ToString();
    EXPECT_EQ(*back, data);
  }
}

TEST(ZstdTest, DecodesTheCliOutputWithAndWithoutChecksum) {
  // printf hello | zstd -c [--no-check]
  for (const char* hex : {"28b52ffd005829000068656c6c6f", "28b52ffd045829000068656c6c6fa36d9f88"}) {
    auto r = ZstdDecompress(test::Unhex(hex), 100);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(*r, "hello");
  }
}

TEST(ZstdTest, ConcatenatedAndSkippableFrames) {
  std::string z;
  ASSERT_TRUE(ZstdCompress("abc", &z).ok());
  z += test::Unhex("50 2a 4d 18 03 00 00 00 01 02 03");  // skippable frame, 3 bytes
  ASSERT_TRUE(ZstdCompress("def", &z, 19).ok());
  auto r = ZstdDecompress(z, 100);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, "abcdef");
}

TEST(ZstdTest, SizeBound) {
  std::string data(1 << 20, 'a');
  std::string z;
  ASSERT_TRUE(ZstdCompress(data, &z).ok());
  EXPECT_LT(z.size(), 1000u);
  EXPECT_TRUE(ZstdDecompress(z, data.size()).ok());
  auto r = ZstdDecompress(z, data.size() - 1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
  // A frame header declaring a 1 GiB window (Window_Descriptor 0xa0) is refused rather than
  // allocated: magic, FHD 0 (no content size, not single-segment), window descriptor.
  auto huge = ZstdDecompress(test::Unhex("28 b5 2f fd 00 a0 01 00 00 61"), 1 << 20);
  ASSERT_FALSE(huge.ok());
  EXPECT_NE(huge.status().message().find("memory"), std::string::npos) << huge.status().message();
}

TEST(ZstdTest, CorruptAndTruncatedInput) {
  std::string z;
  ASSERT_TRUE(ZstdCompress(Sample(5000), &z).ok());
  EXPECT_EQ(ZstdDecompress("", 100).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ZstdDecompress("not zstd", 100).status().code(), StatusCode::kInvalidArgument);
  for (size_t n = 0; n < z.size(); ++n) {
    std::string prefix = z.substr(0, n);
    auto r = ZstdDecompress(prefix, 10000);
    EXPECT_FALSE(r.ok()) << n;
  }
  std::string trailing = z + "x";
  EXPECT_FALSE(ZstdDecompress(trailing, 10000).ok());
  for (size_t i = 0; i < z.size(); ++i) {
    std::string corrupt = z;
    corrupt[i] = static_cast<char>(corrupt[i] ^ 0x55);
    auto r = ZstdDecompress(corrupt, 10000);
    if (!r.ok()) {
      EXPECT_TRUE(r.status().code() == StatusCode::kInvalidArgument ||
                  r.status().code() == StatusCode::kResourceExhausted);
    }
  }
  EXPECT_FALSE(ZstdCompress("x", &z, 100).ok());
}

}  // namespace
}  // namespace astrolabe::wire
