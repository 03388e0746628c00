#include "common/base64.h"

#include <gtest/gtest.h>

namespace astrolabe {
namespace {

std::string Decoded(std::string_view in, Base64Accept accept = {}) {
  std::string out;
  return Base64Decode(in, &out, accept) ? out : "<error>";
}

TEST(Base64Test, EncodesWithPadding) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("user:pa ss"), "dXNlcjpwYSBzcw==");
  EXPECT_EQ(Base64Encode(std::string_view("\xfb\xff", 2)), "+/8=");
}

TEST(Base64Test, DecodesWithAndWithoutPadding) {
  EXPECT_EQ(Decoded("aGVsbG8="), "hello");
  EXPECT_EQ(Decoded("aGVsbG8"), "hello");
  EXPECT_EQ(Decoded("Zg=="), "f");
  EXPECT_EQ(Decoded(""), "");
  EXPECT_EQ(Decoded("+/8="), std::string("\xfb\xff", 2));
}

TEST(Base64Test, RefusesWhatIsNotBase64) {
  EXPECT_EQ(Decoded("a$b"), "<error>");
  EXPECT_EQ(Decoded("abcde"), "<error>");     // one character left over
  EXPECT_EQ(Decoded("Zg==Zg"), "<error>");    // data after padding
  EXPECT_EQ(Decoded("Zg==="), "<error>");
  EXPECT_EQ(Decoded("-_8"), "<error>");       // URL-safe only when asked
  EXPECT_EQ(Decoded("aGVs\nbG8="), "<error>");  // whitespace only when asked
}

TEST(Base64Test, UrlSafeAndWhitespaceWhenAsked) {
  EXPECT_EQ(Decoded("-_8", {.url_safe = true}), std::string("\xfb\xff", 2));
  EXPECT_EQ(Decoded("aGVs\r\nbG8 =", {.whitespace = true}), "hello");
}

TEST(Base64Test, RoundTripsEveryByte) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (size_t n = 0; n < 8; ++n) {
    const std::string in = all.substr(n);
    EXPECT_EQ(Decoded(Base64Encode(in)), in);
  }
}

}  // namespace
}  // namespace astrolabe
