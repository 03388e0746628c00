#include "common/utf8.h"

#include <gtest/gtest.h>

#include <string>

namespace astrolabe {
namespace {

TEST(Utf8Test, SequenceLength) {
  EXPECT_EQ(Utf8SequenceLength(""), 0u);
  EXPECT_EQ(Utf8SequenceLength("a"), 1u);
  EXPECT_EQ(Utf8SequenceLength("\xC3\xA9x"), 2u);
  EXPECT_EQ(Utf8SequenceLength("\xE2\x82\xAC"), 3u);
  EXPECT_EQ(Utf8SequenceLength("\xF0\x9F\x98\x80"), 4u);
  EXPECT_EQ(Utf8SequenceLength("\x80"), 0u);
  EXPECT_EQ(Utf8SequenceLength("\xE0\x80\x80"), 0u);
  EXPECT_EQ(Utf8SequenceLength("\xE2\x82"), 0u);  // cut short
}

TEST(Utf8Test, AcceptsWellFormed) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("meta/llama-3.1-8b-instruct"));
  EXPECT_TRUE(IsValidUtf8("plain ascii that is longer than eight bytes"));
  EXPECT_TRUE(IsValidUtf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_TRUE(IsValidUtf8("\xf4\x8f\xbf\xbf"));      // U+10FFFF
  EXPECT_TRUE(IsValidUtf8("\xed\x9f\xbf"));          // U+D7FF
  EXPECT_TRUE(IsValidUtf8(std::string("a\0b", 3)));  // NUL is valid UTF-8
}

TEST(Utf8Test, RejectsTheRest) {
  EXPECT_FALSE(IsValidUtf8("\x80"));              // lone continuation
  EXPECT_FALSE(IsValidUtf8("a\x80"));             // stray continuation
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xc1\xbf"));          // overlong
  EXPECT_FALSE(IsValidUtf8("\xe0\x80\xaf"));      // overlong 3-byte
  EXPECT_FALSE(IsValidUtf8("\xf0\x80\x80\xaf"));  // overlong 4-byte
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate U+D800
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // U+110000
  EXPECT_FALSE(IsValidUtf8("\xf5\x80\x80\x80"));
  EXPECT_FALSE(IsValidUtf8("\xff"));
  EXPECT_FALSE(IsValidUtf8("abcdefgh\xc3"));      // truncated after an ASCII run
  EXPECT_FALSE(IsValidUtf8("\xe2\x9c"));
  EXPECT_FALSE(IsValidUtf8("\xe2\x28\xa1"));      // bad continuation
  EXPECT_FALSE(IsValidUtf8("abcdefghijklmno\xed\xa0\x80pqrstuvw"));  // after the 8-byte path
}

}  // namespace
}  // namespace astrolabe
