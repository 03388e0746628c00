#include "common/json_string.h"

#include <gtest/gtest.h>

namespace astrolabe {
namespace {

std::string Json(std::string_view s, JsonHtml html = JsonHtml::kKeep) {
  std::string out;
  AppendJsonString(out, s, html);
  return out;
}

TEST(JsonStringTest, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(Json("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(Json("l1\nl2\r\t"), R"("l1\nl2\r\t")");
  EXPECT_EQ(Json(std::string_view("\x00\x01\x1f\b\f", 5)), R"("\u0000\u0001\u001f\u0008\u000c")");
  EXPECT_EQ(Json(""), R"("")");
}

TEST(JsonStringTest, HtmlCharactersOnlyWhenAsked) {
  EXPECT_EQ(Json("<a&b>"), R"("<a&b>")");
  EXPECT_EQ(Json("<a&b>", JsonHtml::kEscape), R"("\u003ca\u0026b\u003e")");
}

TEST(JsonStringTest, KeepsUtf8AndEscapesLineSeparators) {
  EXPECT_EQ(Json("h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80"), "\"h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80\"");
  EXPECT_EQ(Json("a\xE2\x80\xA8" "b\xE2\x80\xA9"), R"("a\u2028b\u2029")");
}

TEST(JsonStringTest, ReplacesEachByteOfIllFormedUtf8) {
  EXPECT_EQ(Json("a\xFF" "b"), R"("a\ufffdb")");
  EXPECT_EQ(Json("\xC0\xAF"), R"("\ufffd\ufffd")");          // overlong '/'
  EXPECT_EQ(Json("\xED\xA0\x80"), R"("\ufffd\ufffd\ufffd")");  // a surrogate
  EXPECT_EQ(Json("\xF4\x90\x80\x80"), R"("\ufffd\ufffd\ufffd\ufffd")");  // above U+10FFFF
  EXPECT_EQ(Json("\xE2\x82"), R"("\ufffd\ufffd")");            // cut short
}

}  // namespace
}  // namespace astrolabe
