#include "config/parse.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

namespace astrolabe::config {
namespace {

std::optional<Node> Parse(const std::string& text, Diagnostics& d) {
  ParseOptions o{std::make_shared<const std::string>("t.yaml"), {}};
  return ParseYaml(text, o, d);
}

// 1-based character column of byte offset `at` in `line` (UTF-8).
int CharColumn(const std::string& line, size_t at) {
  int chars = 0;
  for (size_t i = 0; i < at; ++i) chars += (static_cast<unsigned char>(line[i]) & 0xC0) != 0x80;
  return chars + 1;
}

// Columns count characters, also far into a long line of multi-byte text (the converter
// keeps checkpoints every 64 bytes of such lines).
TEST(ParseYamlTest, ColumnsCountCharactersOnALongMultiByteLine) {
  std::string line = "[";
  std::vector<size_t> starts;
  for (int i = 0; i < 300; ++i) {
    if (i) line += ", ";
    starts.push_back(line.size());
    line += "\"";
    for (int k = 0; k < i % 7; ++k) line += (k % 2 ? "é" : "€");  // 2- and 3-byte characters
    line += "x" + std::to_string(i) + "\"";
  }
  line += "]";
  Diagnostics d;
  auto n = Parse("k: " + line + "\n", d);
  ASSERT_TRUE(n.has_value()) << d.ToStatus().ToString();
  const Node* seq = n->Find("k");
  ASSERT_NE(seq, nullptr);
  ASSERT_EQ(seq->items().size(), starts.size());
  for (size_t i = 0; i < starts.size(); ++i) {
    EXPECT_EQ(seq->items()[i].mark().line, 1);
    EXPECT_EQ(seq->items()[i].mark().column, 3 + CharColumn(line, starts[i])) << "item " << i;
  }
}

// A file_sd file as the scrape drill writes it: 10,000 target groups on one line (~80,000
// nodes). Marks were counted from the line's start for every node (quadratic: the 10,000
// target collector did not start within 10 minutes); now each costs at most 64 bytes.
TEST(ParseYamlTest, TenThousandGroupsOnOneLineParseQuickly) {
  std::string text = "[";
  for (int i = 0; i < 10'000; ++i) {
    text += std::string(i ? "," : "") +
            "{\"targets\":[\"127.0.0.1:9100\"],\"labels\":{\"__metrics_path__\":\"/t/" +
            std::to_string(i) + "\",\"instance\":\"t" + std::to_string(i) + "\"}}";
  }
  text += "]";
  const auto start = std::chrono::steady_clock::now();
  Diagnostics d;
  auto n = Parse(text, d);
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(n.has_value()) << d.ToStatus().ToString();
  ASSERT_EQ(n->items().size(), 10'000u);
  const Node& last = n->items().back();
  EXPECT_EQ(last.mark().column, static_cast<int>(text.rfind("{\"targets\"")) + 1);
  // Generous for a loaded machine and a sanitizer build; the quadratic version took minutes.
  EXPECT_LT(took, std::chrono::seconds(60));
}

}  // namespace
}  // namespace astrolabe::config
